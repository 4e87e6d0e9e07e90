"""The FAQ audit trail and the handled marks of the /hoc queue.

Plain functions on a SQLModel `Session`: they add and flush, the caller commits or rolls back
(`with session_scope(engine) as session: ...`). Times are naive UTC like every table; pass an
aware `now` and it is converted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.models import FaqChange, TaughtQuestion
from bot.texts import teaching as texts


@dataclass(frozen=True)
class Actor:
    """Who made a change: a Telegram user (id and display name) or a terminal user."""

    name: str
    id: int | None = None
    source: str = "telegram"  # telegram | cli | import

    @classmethod
    def cli(cls, name: str) -> Actor:
        return cls(name=name, id=None, source="cli")


class QuestionAlreadyHandled(Exception):
    """Another admin dealt with this question first."""

    def __init__(self, key: str):
        super().__init__(texts.ALREADY_HANDLED.format(key=key))
        self.key = key


def storage_time(moment: datetime) -> datetime:
    """`moment` as naive UTC; a naive `moment` is taken as UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def record_change(
    session: Session,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    entry_id: str | None = None,
    file: str | None = None,
    question: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> FaqChange:
    """Add one audit row and flush it (its id is set)."""
    change = FaqChange(
        created_at=storage_time(now),
        actor_id=actor.id,
        actor_name=actor.name[:256],
        source=actor.source[:16],
        action=action[:32],
        entry_id=entry_id,
        file=file,
        question=question,
        detail=json.dumps(dict(detail or {}), ensure_ascii=False, sort_keys=True, default=str),
    )
    session.add(change)
    session.flush()
    return change


def change_detail(change: FaqChange) -> dict[str, Any]:
    """The JSON detail of an audit row as a dict (empty if it is not a JSON object)."""
    try:
        value = json.loads(change.detail or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def list_changes(
    session: Session,
    *,
    limit: int = 50,
    entry_id: str | None = None,
    since: datetime | None = None,
) -> list[FaqChange]:
    """Audit rows, newest first."""
    query = select(FaqChange)
    if entry_id is not None:
        query = query.where(FaqChange.entry_id == entry_id)
    if since is not None:
        query = query.where(FaqChange.created_at >= storage_time(since))
    query = query.order_by(col(FaqChange.created_at).desc(), col(FaqChange.id).desc()).limit(limit)
    return list(session.exec(query))


def claim_question(
    session: Session,
    *,
    key: str,
    kind: str,
    text: str,
    action: str,
    actor: Actor,
    now: datetime,
    answered_entry_id: str | None = None,
    entry_id: str | None = None,
    change_id: int | None = None,
) -> TaughtQuestion:
    """Mark a queued question handled; raises QuestionAlreadyHandled if it already is.

    INSERT ... ON CONFLICT DO NOTHING: losing a race to another admin leaves the caller's
    transaction usable (on PostgreSQL the loser waits for the winner's commit).
    """
    values = {
        "key": key,
        "kind": kind,
        "text": text,
        "answered_entry_id": answered_entry_id,
        "action": action,
        "entry_id": entry_id,
        "change_id": change_id,
        "actor_id": actor.id,
        "actor_name": actor.name[:256],
        "created_at": storage_time(now),
    }
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    inserted = connection.execute(
        dialect.insert(TaughtQuestion)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(TaughtQuestion.id)
    ).first()
    if inserted is None:
        raise QuestionAlreadyHandled(key)
    return session.get(TaughtQuestion, inserted[0])


def link_change(session: Session, mark: TaughtQuestion, change: FaqChange) -> None:
    """Point a handled mark at the audit row of what was done with the question."""
    mark.change_id = change.id
    session.add(mark)
    session.flush()


def handled_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of `keys` are marked handled."""
    wanted = list(dict.fromkeys(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # bounded IN lists
        chunk = wanted[start : start + 500]
        found.update(
            session.exec(select(TaughtQuestion.key).where(col(TaughtQuestion.key).in_(chunk)))
        )
    return found


def handled_mark(session: Session, key: str) -> TaughtQuestion | None:
    return session.exec(select(TaughtQuestion).where(TaughtQuestion.key == key)).first()
