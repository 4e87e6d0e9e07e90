"""Recall and edit actions and their items: queue them, claim items under a lease, move each
one `sending` and then to its outcome, recover abandoned items, close finished actions.

The rules (why an abandoned item goes back to pending, marked ambiguous) are in
bot/broadcast/actions.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.broadcast.actions import (
    ACTIVE,
    AMBIGUOUS,
    OPEN,
    PENDING,
    SENDING,
    ActionReport,
    AlreadyRecalled,
    ClaimedItem,
    clip_error,
    report_of,
)
from bot.models import (
    ActionItem,
    ActionKind,
    ActionStatus,
    Campaign,
    CampaignAction,
    CampaignExtra,
    Delivery,
    DeliveryExtra,
    DeliveryStatus,
    ItemStatus,
)

# -- actions ----------------------------------------------------------------------------------


def create_edit(
    session: Session, campaign_id: int, *, text: str, created_by: int | None, now: datetime
) -> int:
    """An edit waiting for "Xác nhận": the new text is kept in the row."""
    return session.execute(
        CampaignAction.__table__.insert()
        .values(
            campaign_id=campaign_id,
            kind=ActionKind.EDIT.value,
            status=ActionStatus.DRAFT.value,
            text=text,
            created_by=created_by,
            created_at=now,
            total=0,
        )
        .returning(CampaignAction.id)
    ).scalar_one()


def _copies(session: Session, campaign_id: int) -> list[tuple[int, int, str, datetime | None]]:
    """(delivery id, chat id, message ids, sent at) of every delivered copy."""
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.chat_id,
            Delivery.telegram_message_id,
            DeliveryExtra.message_ids,
            Delivery.sent_at,
        )
        .outerjoin(DeliveryExtra, DeliveryExtra.delivery_id == Delivery.id)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == DeliveryStatus.SENT.value,
            Delivery.telegram_message_id.is_not(None),
        )
        .order_by(Delivery.id)
    )
    return [(d, c, extra or str(first), sent) for d, c, first, extra, sent in rows]


def _queue_items(session: Session, action_id: int, campaign_id: int, *, first_only: bool) -> int:
    """One pending item per delivered copy of the campaign; the action's total is set."""
    rows = [
        {
            "action_id": action_id,
            "delivery_id": delivery_id,
            "chat_id": chat_id,
            "message_ids": ids.split(",")[0] if first_only else ids,
            "sent_at": sent_at,
            "status": PENDING,
            "attempts": 0,
        }
        for delivery_id, chat_id, ids, sent_at in _copies(session, campaign_id)
    ]
    if rows:
        session.execute(ActionItem.__table__.insert(), rows)
    session.execute(
        update(CampaignAction).where(CampaignAction.id == action_id).values(total=len(rows))
    )
    return len(rows)


def queue_recall(
    session: Session,
    campaign_id: int,
    *,
    created_by: int | None,
    now: datetime,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> int:
    """Queue the deletion of every delivered copy; returns the action id.

    A recall is unique per campaign: a second one raises AlreadyRecalled (and its transaction
    must be rolled back). Call it for a finished campaign (the handler asks to /huy a running
    one first), so the recall covers everything that was delivered.
    """
    try:
        action_id = session.execute(
            CampaignAction.__table__.insert()
            .values(
                campaign_id=campaign_id,
                kind=ActionKind.RECALL.value,
                status=ActionStatus.QUEUED.value,
                unique_key=f"recall:{campaign_id}",
                created_by=created_by,
                created_at=now,
                total=0,
                progress_chat_id=progress_chat_id,
                progress_message_id=progress_message_id,
            )
            .returning(CampaignAction.id)
        ).scalar_one()
    except IntegrityError as error:
        raise AlreadyRecalled(campaign_id) from error
    _queue_items(session, action_id, campaign_id, first_only=False)
    return action_id


def queue_edit(
    session: Session,
    action_id: int,
    *,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> int | None:
    """Confirm an edit: the campaign's text becomes the new one and every copy is queued.

    Returns how many copies, or None if the edit was not waiting for confirmation.
    """
    moved = session.execute(
        update(CampaignAction)
        .where(
            CampaignAction.id == action_id,
            CampaignAction.status == ActionStatus.DRAFT.value,
        )
        .values(
            status=ActionStatus.QUEUED.value,
            progress_chat_id=progress_chat_id,
            progress_message_id=progress_message_id,
        )
    ).rowcount
    if moved != 1:
        return None
    campaign_id, text = session.execute(
        select(CampaignAction.campaign_id, CampaignAction.text).where(
            CampaignAction.id == action_id
        )
    ).one()
    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(text=text))
    return _queue_items(session, action_id, campaign_id, first_only=True)


def load_action(session: Session, action_id: int) -> CampaignAction | None:
    return session.get(CampaignAction, action_id)


def action_report(session: Session, action_id: int) -> ActionReport | None:
    """The action's numbers so far; None if there is no such action."""
    action = session.get(CampaignAction, action_id)
    if action is None:
        return None
    counts = dict(
        session.execute(
            select(ActionItem.status, func.count())
            .where(ActionItem.action_id == action_id)
            .group_by(ActionItem.status)
        ).all()
    )
    return report_of(action, counts)


def recall_of(session: Session, campaign_id: int) -> int | None:
    """The recall of a campaign, if one was confirmed."""
    return session.execute(
        select(CampaignAction.id).where(CampaignAction.unique_key == f"recall:{campaign_id}")
    ).scalar()


def action_content(session: Session, action_id: int) -> tuple[str, str | None, str, str | None]:
    """(kind, new text, campaign topic, campaign media) of an action, for the worker."""
    kind, text, topic, media = session.execute(
        select(CampaignAction.kind, CampaignAction.text, Campaign.topic, CampaignExtra.media)
        .join(Campaign, Campaign.id == CampaignAction.campaign_id)
        .outerjoin(CampaignExtra, CampaignExtra.campaign_id == Campaign.id)
        .where(CampaignAction.id == action_id)
    ).one()
    return kind, text, topic, media


def finish_actions(session: Session, *, now: datetime) -> list[int]:
    """Close actions with no open items; one UPDATE, so only one worker reports each."""
    no_open = ~exists().where(
        ActionItem.action_id == CampaignAction.id, ActionItem.status.in_(OPEN)
    )
    return sorted(
        session.execute(
            update(CampaignAction)
            .where(CampaignAction.status.in_(ACTIVE), no_open)
            .values(status=ActionStatus.DONE.value, finished_at=now)
            .returning(CampaignAction.id)
        ).scalars()
    )


# -- items ------------------------------------------------------------------------------------


def _claimable(now: datetime, lease: timedelta):
    return and_(
        ActionItem.status == PENDING,
        or_(ActionItem.not_before.is_(None), ActionItem.not_before <= now),
        or_(ActionItem.claimed_by.is_(None), ActionItem.claimed_at < now - lease),
    )


def claim_items(
    session: Session, *, worker_id: str, now: datetime, lease: timedelta, limit: int
) -> list[ClaimedItem]:
    """Lease up to `limit` due items to `worker_id`; on PostgreSQL rows another worker is
    claiming are skipped (SKIP LOCKED), so no two workers share an item."""
    candidates = (
        select(ActionItem.id).where(_claimable(now, lease)).order_by(ActionItem.id).limit(limit)
    )
    if session.get_bind().dialect.name == "sqlite":
        chosen = ActionItem.id.in_(candidates.scalar_subquery())
    else:
        ids = session.execute(candidates.with_for_update(skip_locked=True)).scalars()
        chosen = ActionItem.id.in_(list(ids))
    rows = session.execute(
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
        session.execute(
            update(CampaignAction)
            .where(
                CampaignAction.id.in_(action_ids),
                CampaignAction.status == ActionStatus.QUEUED.value,
            )
            .values(status=ActionStatus.RUNNING.value, started_at=now)
        )
    return sorted(claimed, key=lambda item: item.id)


def _move(session: Session, item_id: int, condition, **values: object) -> bool:
    return (
        session.execute(
            update(ActionItem).where(ActionItem.id == item_id, condition).values(**values)
        ).rowcount
        == 1
    )


def start_item(session: Session, item_id: int, *, worker_id: str, now: datetime) -> bool:
    """pending -> sending, committed before the first request of the item."""
    return _move(
        session,
        item_id,
        and_(ActionItem.status == PENDING, ActionItem.claimed_by == worker_id),
        status=SENDING,
        claimed_at=now,
    )


def finish_item(
    session: Session, item_id: int, *, status: ItemStatus, now: datetime, error: str | None = None
) -> None:
    _move(
        session,
        item_id,
        ActionItem.status.in_(OPEN),
        status=ItemStatus(status).value,
        done_at=now,
        error=clip_error(error),
    )


def item_back(session: Session, item_id: int, *, worker_id: str) -> bool:
    """Flood control: not done; it stays ours and goes again."""
    return _move(
        session,
        item_id,
        and_(ActionItem.status == SENDING, ActionItem.claimed_by == worker_id),
        status=PENDING,
    )


def retry_item(
    session: Session, item_id: int, *, not_before: datetime, attempts: int, error: str
) -> None:
    """Not answered by Telegram: try again later; a deletion is probed first (ambiguous)."""
    _move(
        session,
        item_id,
        ActionItem.status == SENDING,
        status=PENDING,
        attempts=attempts,
        not_before=not_before,
        claimed_by=None,
        claimed_at=None,
        error=AMBIGUOUS if error == AMBIGUOUS else clip_error(error),
    )


def recover_items(
    session: Session, *, worker_id: str, now: datetime, lease: timedelta, single_sender: bool
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
    count = session.execute(
        update(ActionItem)
        .where(left_over)
        .values(status=PENDING, claimed_by=None, claimed_at=None, error=AMBIGUOUS)
    ).rowcount
    session.execute(update(ActionItem).where(claimed).values(claimed_by=None, claimed_at=None))
    return count


def release_items(session: Session, *, worker_id: str) -> int:
    """A stopping worker hands back the items it claimed but did not start."""
    return session.execute(
        update(ActionItem)
        .where(ActionItem.status == PENDING, ActionItem.claimed_by == worker_id)
        .values(claimed_by=None, claimed_at=None)
    ).rowcount


def next_item_due(session: Session, *, now: datetime, lease: timedelta) -> datetime | None:
    return session.execute(
        select(func.min(func.coalesce(ActionItem.not_before, now))).where(
            ActionItem.status == PENDING,
            or_(ActionItem.claimed_by.is_(None), ActionItem.claimed_at < now - lease),
        )
    ).scalar()
