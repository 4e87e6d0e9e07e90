"""Recall and edit of a campaign's delivered copies: an outbox of their own (`actionitem`).

"Xác nhận" writes the action and one item per delivered copy in one transaction; a recall is
unique per campaign (`unique_key`), so a button pressed twice recalls once. The worker commits
an item `sending` before its request and its outcome after, like the sender. A crash can leave
items `sending`; unlike a message, a deletion or an edit does no harm when repeated, so those
items go back to `pending` marked ambiguous: an ambiguous deletion is first probed with a
no-op editMessageReplyMarkup ("not found" means it was deleted), so no copy is deleted twice
and none is left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.models import (
    ActionItem,
    ActionKind,
    ActionStatus,
    Campaign,
    CampaignAction,
    Delivery,
    DeliveryExtra,
    DeliveryStatus,
    ItemStatus,
)

AMBIGUOUS = "ambiguous"
ERROR_LIMIT = 512
PENDING = ItemStatus.PENDING.value
SENDING = ItemStatus.SENDING.value
OPEN = (PENDING, SENDING)
ACTIVE = (ActionStatus.QUEUED.value, ActionStatus.RUNNING.value)
DELETE_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class ClaimedItem:
    id: int
    action_id: int
    chat_id: int
    message_ids: tuple[int, ...]
    sent_at: datetime | None
    attempts: int
    error: str | None

    @property
    def ambiguous(self) -> bool:
        return self.error == AMBIGUOUS


@dataclass(frozen=True)
class ActionReport:
    action_id: int
    campaign_id: int
    kind: str
    status: str
    total: int
    done: int
    too_old: int
    gone: int
    failed: int
    pending: int
    progress_chat_id: int | None
    progress_message_id: int | None
    created_by: int | None


def _error(text: str | None) -> str | None:
    return None if text is None else text[:ERROR_LIMIT]


def create_edit(
    engine: Engine, campaign_id: int, *, text: str, created_by: int | None, now: datetime
) -> int:
    """An edit waiting for "Xác nhận": the new text is kept in the row."""
    with engine.begin() as connection:
        return connection.execute(
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


def _copies(connection, campaign_id: int) -> list[tuple[int, int, str, datetime | None]]:
    """(delivery id, chat id, message ids, sent at) of every delivered copy."""
    rows = connection.execute(
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


def _insert_items(connection, action_id: int, copies, *, first_only: bool) -> int:
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
        for delivery_id, chat_id, ids, sent_at in copies
    ]
    if rows:
        connection.execute(ActionItem.__table__.insert(), rows)
    return len(rows)


def queue_recall(
    engine: Engine,
    campaign_id: int,
    *,
    created_by: int | None,
    now: datetime,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> int | None:
    """Queue the deletion of every delivered copy; None if the campaign was recalled already.

    Call it for a finished campaign (the handler asks to /huy a running one first), so the
    recall covers everything that was delivered.
    """
    try:
        with engine.begin() as connection:
            action_id = connection.execute(
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
            total = _insert_items(
                connection, action_id, _copies(connection, campaign_id), first_only=False
            )
            connection.execute(
                update(CampaignAction).where(CampaignAction.id == action_id).values(total=total)
            )
    except IntegrityError:
        return None
    return action_id


def queue_edit(
    engine: Engine,
    action_id: int,
    *,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> int | None:
    """Confirm an edit: the campaign's text becomes the new one and every copy is queued."""
    with engine.begin() as connection:
        moved = connection.execute(
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
        campaign_id, text = connection.execute(
            select(CampaignAction.campaign_id, CampaignAction.text).where(
                CampaignAction.id == action_id
            )
        ).one()
        connection.execute(update(Campaign).where(Campaign.id == campaign_id).values(text=text))
        total = _insert_items(
            connection, action_id, _copies(connection, campaign_id), first_only=True
        )
        connection.execute(
            update(CampaignAction).where(CampaignAction.id == action_id).values(total=total)
        )
    return total


def load_action(engine: Engine, action_id: int) -> CampaignAction | None:
    with engine.connect() as connection:
        row = connection.execute(
            select(CampaignAction).where(CampaignAction.id == action_id)
        ).first()
    return None if row is None else CampaignAction.model_validate(row._mapping)


def action_report(engine: Engine, action_id: int) -> ActionReport | None:
    with engine.connect() as connection:
        action = connection.execute(
            select(CampaignAction).where(CampaignAction.id == action_id)
        ).first()
        if action is None:
            return None
        counts = dict(
            connection.execute(
                select(ActionItem.status, func.count())
                .where(ActionItem.action_id == action_id)
                .group_by(ActionItem.status)
            ).all()
        )
    return ActionReport(
        action_id=action.id,
        campaign_id=action.campaign_id,
        kind=action.kind,
        status=action.status,
        total=sum(counts.values()),
        done=counts.get(ItemStatus.DONE.value, 0),
        too_old=counts.get(ItemStatus.TOO_OLD.value, 0),
        gone=counts.get(ItemStatus.GONE.value, 0),
        failed=counts.get(ItemStatus.FAILED.value, 0),
        pending=sum(counts.get(s, 0) for s in OPEN),
        progress_chat_id=action.progress_chat_id,
        progress_message_id=action.progress_message_id,
        created_by=action.created_by,
    )


def recall_of(engine: Engine, campaign_id: int) -> int | None:
    """The recall of a campaign, if one was confirmed."""
    with engine.connect() as connection:
        return connection.execute(
            select(CampaignAction.id).where(CampaignAction.unique_key == f"recall:{campaign_id}")
        ).scalar()
