"""Replicas' reply rates (`replicaload`): each replica's recent rate, the sum of the fresh ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.models import ReplicaLoad

STALE_ROWS_AFTER = timedelta(minutes=10)  # rows of replicas gone this long are deleted


def publish_and_read(
    session: Session, *, replica_id: str, rate: float, now: datetime, fresh_seconds: float
) -> float:
    """Upsert this replica's rate, return the sum of every fresh replica's rate (ours too)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = ReplicaLoad.__table__
    statement = dialect.insert(table).values(replica_id=replica_id, rate=rate, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.replica_id], set_={"rate": rate, "updated_at": now}
    )
    session.execute(statement)
    session.execute(delete(table).where(table.c.updated_at < now - STALE_ROWS_AFTER))
    total = session.execute(
        select(func.coalesce(func.sum(table.c.rate), 0.0)).where(
            table.c.updated_at >= now - timedelta(seconds=fresh_seconds)
        )
    ).scalar_one()
    return float(total)


def forget_replica(session: Session, replica_id: str) -> None:
    """A replica stopping cleanly takes its row away at once."""
    table = ReplicaLoad.__table__
    session.execute(delete(table).where(table.c.replica_id == replica_id))
