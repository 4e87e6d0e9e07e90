"""The action worker's side of recall and edit: claiming items under a lease, moving each one
`sending` and then to its outcome, recovery of abandoned items, closing finished actions.
See bot/broadcast/actions.py for the rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.engine import Engine

from bot.broadcast.actions import ACTIVE, AMBIGUOUS, OPEN, PENDING, SENDING, ClaimedItem, _error
from bot.db import is_sqlite
from bot.models import (
    ActionItem,
    ActionStatus,
    CampaignAction,
    ItemStatus,
)


def _claimable(now: datetime, lease: timedelta):
    return and_(
        ActionItem.status == PENDING,
        or_(ActionItem.not_before.is_(None), ActionItem.not_before <= now),
        or_(ActionItem.claimed_by.is_(None), ActionItem.claimed_at < now - lease),
    )


def claim_items(
    engine: Engine, *, worker_id: str, now: datetime, lease: timedelta, limit: int
) -> list[ClaimedItem]:
    candidates = (
        select(ActionItem.id).where(_claimable(now, lease)).order_by(ActionItem.id).limit(limit)
    )
    with engine.begin() as connection:
        if is_sqlite(engine):
            chosen = ActionItem.id.in_(candidates.scalar_subquery())
        else:
            ids = connection.execute(candidates.with_for_update(skip_locked=True)).scalars()
            chosen = ActionItem.id.in_(list(ids))
        rows = connection.execute(
            update(ActionItem)
            .where(chosen, _claimable(now, lease))
            .values(claimed_by=worker_id, claimed_at=now)
            .returning(
                ActionItem.id,
                ActionItem.action_id,
                ActionItem.chat_id,
                ActionItem.message_ids,
                ActionItem.sent_at,
                ActionItem.attempts,
                ActionItem.error,
            )
        ).all()
        claimed = [
            ClaimedItem(i, a, c, tuple(int(m) for m in ids.split(",") if m), s, n, e)
            for i, a, c, ids, s, n, e in rows
        ]
        action_ids = {item.action_id for item in claimed}
        if action_ids:
            connection.execute(
                update(CampaignAction)
                .where(
                    CampaignAction.id.in_(action_ids),
                    CampaignAction.status == ActionStatus.QUEUED.value,
                )
                .values(status=ActionStatus.RUNNING.value, started_at=now)
            )
    return sorted(claimed, key=lambda item: item.id)


def _move(engine: Engine, item_id: int, condition, **values: object) -> bool:
    with engine.begin() as connection:
        return (
            connection.execute(
                update(ActionItem).where(ActionItem.id == item_id, condition).values(**values)
            ).rowcount
            == 1
        )


def start_item(engine: Engine, item_id: int, *, worker_id: str, now: datetime) -> bool:
    """pending -> sending, committed before the first request of the item."""
    return _move(
        engine,
        item_id,
        and_(ActionItem.status == PENDING, ActionItem.claimed_by == worker_id),
        status=SENDING,
        claimed_at=now,
    )


def finish_item(
    engine: Engine, item_id: int, *, status: ItemStatus, now: datetime, error: str | None = None
) -> None:
    _move(
        engine,
        item_id,
        ActionItem.status.in_(OPEN),
        status=ItemStatus(status).value,
        done_at=now,
        error=_error(error),
    )


def item_back(engine: Engine, item_id: int, *, worker_id: str) -> bool:
    """Flood control: not done; it stays ours and goes again."""
    return _move(
        engine,
        item_id,
        and_(ActionItem.status == SENDING, ActionItem.claimed_by == worker_id),
        status=PENDING,
    )


def retry_item(
    engine: Engine, item_id: int, *, not_before: datetime, attempts: int, error: str
) -> None:
    """Not answered by Telegram: try again later; a deletion is probed first (ambiguous)."""
    _move(
        engine,
        item_id,
        ActionItem.status == SENDING,
        status=PENDING,
        attempts=attempts,
        not_before=not_before,
        claimed_by=None,
        claimed_at=None,
        error=AMBIGUOUS if error == AMBIGUOUS else _error(error),
    )


def recover_items(
    engine: Engine, *, worker_id: str, now: datetime, lease: timedelta, single_sender: bool
) -> int:
    """Items a dead worker left `sending` go back to pending, marked ambiguous."""
    left_over = ActionItem.status == SENDING
    claimed = and_(ActionItem.status == PENDING, ActionItem.claimed_by.is_not(None))
    if not single_sender:
        left_over = and_(
            left_over,
            or_(ActionItem.claimed_by == worker_id, ActionItem.claimed_at < now - lease),
        )
        claimed = and_(
            claimed,
            or_(ActionItem.claimed_by == worker_id, ActionItem.claimed_at < now - lease),
        )
    with engine.begin() as connection:
        count = connection.execute(
            update(ActionItem)
            .where(left_over)
            .values(status=PENDING, claimed_by=None, claimed_at=None, error=AMBIGUOUS)
        ).rowcount
        connection.execute(
            update(ActionItem).where(claimed).values(claimed_by=None, claimed_at=None)
        )
    return count


def release_items(engine: Engine, *, worker_id: str) -> int:
    with engine.begin() as connection:
        return connection.execute(
            update(ActionItem)
            .where(ActionItem.status == PENDING, ActionItem.claimed_by == worker_id)
            .values(claimed_by=None, claimed_at=None)
        ).rowcount


def finish_actions(engine: Engine, *, now: datetime) -> list[int]:
    """Close actions with no open items; one UPDATE, so only one worker reports each."""
    no_open = ~exists().where(
        ActionItem.action_id == CampaignAction.id, ActionItem.status.in_(OPEN)
    )
    with engine.begin() as connection:
        return sorted(
            connection.execute(
                update(CampaignAction)
                .where(CampaignAction.status.in_(ACTIVE), no_open)
                .values(status=ActionStatus.DONE.value, finished_at=now)
                .returning(CampaignAction.id)
            ).scalars()
        )


def next_item_due(engine: Engine, *, now: datetime, lease: timedelta) -> datetime | None:
    with engine.connect() as connection:
        return connection.execute(
            select(func.min(func.coalesce(ActionItem.not_before, now))).where(
                ActionItem.status == PENDING,
                or_(ActionItem.claimed_by.is_(None), ActionItem.claimed_at < now - lease),
            )
        ).scalar()
