"""Claiming outbox rows with a lease, and recovering the rows of a sender that died.

A claim is `claimed_by`/`claimed_at` on a pending row. On PostgreSQL the claim skips rows
another transaction holds (`FOR UPDATE SKIP LOCKED`), so senders never share a row; on
SQLite the single UPDATE ... RETURNING statement is atomic on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Engine

from bot.db import is_sqlite
from bot.models import Campaign, CampaignStatus, Delivery, DeliveryStatus

AMBIGUOUS = "ambiguous: may have been sent"
PENDING = DeliveryStatus.PENDING.value
SENDING = DeliveryStatus.SENDING.value


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    campaign_id: int
    chat_id: int
    attempts: int
    priority: int = 0


def _claimable(now: datetime, lease: timedelta):
    """Pending, due, and not held by a live claim."""
    return and_(
        Delivery.status == PENDING,
        or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
        or_(Delivery.claimed_by.is_(None), Delivery.claimed_at < now - lease),
    )


def claim_batch(
    engine: Engine, *, worker_id: str, now: datetime, lease: timedelta, limit: int
) -> list[ClaimedDelivery]:
    """Claim up to `limit` due rows, oldest first, and mark their campaigns as sending."""
    candidates = (
        select(Delivery.id)
        .where(_claimable(now, lease))
        .order_by(Delivery.priority.desc(), Delivery.id)  # urgent (#khancap) rows first
        .limit(limit)
    )
    with engine.begin() as connection:
        if is_sqlite(engine):
            # One statement: SQLite runs the subquery once, under the write lock.
            chosen = Delivery.id.in_(candidates.scalar_subquery())
        else:
            # Lock first, then update: as a subquery PostgreSQL may rescan it once per updated
            # row and claim far more than `limit`.
            ids = connection.execute(candidates.with_for_update(skip_locked=True)).scalars()
            chosen = Delivery.id.in_(list(ids))
        rows = [
            ClaimedDelivery(*row)
            for row in connection.execute(
                update(Delivery)
                .where(chosen, _claimable(now, lease))
                .values(claimed_by=worker_id, claimed_at=now)
                .returning(
                    Delivery.id,
                    Delivery.campaign_id,
                    Delivery.chat_id,
                    Delivery.attempts,
                    Delivery.priority,
                )
            )
        ]
        campaign_ids = {row.campaign_id for row in rows}
        if campaign_ids:
            connection.execute(
                update(Campaign)
                .where(
                    Campaign.id.in_(campaign_ids), Campaign.status == CampaignStatus.QUEUED.value
                )
                .values(status=CampaignStatus.SENDING.value, started_at=now)
            )
    return sorted(rows, key=lambda row: (-row.priority, row.id))


def recover_at_start(
    engine: Engine, *, worker_id: str, now: datetime, lease: timedelta, single_sender: bool
) -> set[int]:
    """Fail rows a previous run left `sending` (they may have gone out) and free its claims.

    With a single sender (SQLite) every `sending` row and every claim is a leftover; with
    several, only this worker's own rows and `sending` rows whose lease expired. Returns the
    campaigns touched.
    """
    left_over = Delivery.status == SENDING
    claimed = and_(Delivery.status == PENDING, Delivery.claimed_by.is_not(None))
    if not single_sender:
        left_over = and_(
            left_over, or_(Delivery.claimed_by == worker_id, Delivery.claimed_at < now - lease)
        )
        claimed = and_(claimed, Delivery.claimed_by == worker_id)
    with engine.begin() as connection:
        touched = _fail_ambiguous(connection, left_over)
        connection.execute(update(Delivery).where(claimed).values(claimed_by=None, claimed_at=None))
    return touched


def recover_abandoned(
    engine: Engine, *, worker_id: str, now: datetime, lease: timedelta
) -> set[int]:
    """Fail rows another sender left `sending` past its lease (it died mid-request)."""
    abandoned = and_(
        Delivery.status == SENDING,
        Delivery.claimed_by != worker_id,
        Delivery.claimed_at < now - lease,
    )
    with engine.begin() as connection:
        return _fail_ambiguous(connection, abandoned)


def _fail_ambiguous(connection, condition) -> set[int]:
    result = connection.execute(
        update(Delivery)
        .where(condition)
        .values(status=DeliveryStatus.FAILED.value, error=AMBIGUOUS)
        .returning(Delivery.campaign_id)
    )
    return set(result.scalars())


def release_claims(engine: Engine, *, worker_id: str) -> int:
    """Give back the pending rows this worker claimed but did not send (graceful stop)."""
    with engine.begin() as connection:
        return connection.execute(
            update(Delivery)
            .where(Delivery.status == PENDING, Delivery.claimed_by == worker_id)
            .values(claimed_by=None, claimed_at=None)
        ).rowcount


def release_rows(engine: Engine, *, worker_id: str, ids: list[int]) -> int:
    """Give back some pending rows this worker claimed (an urgent campaign goes first)."""
    with engine.begin() as connection:
        return connection.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(ids),
                Delivery.status == PENDING,
                Delivery.claimed_by == worker_id,
            )
            .values(claimed_by=None, claimed_at=None)
        ).rowcount


def next_due(engine: Engine, *, now: datetime, lease: timedelta) -> datetime | None:
    """When the earliest row this worker could claim becomes due; None if there is none."""
    with engine.connect() as connection:
        return connection.execute(
            select(func.min(func.coalesce(Delivery.not_before, now))).where(
                Delivery.status == PENDING,
                or_(Delivery.claimed_by.is_(None), Delivery.claimed_at < now - lease),
            )
        ).scalar()
