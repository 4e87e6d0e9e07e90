"""Recall and edit of a campaign's delivered copies: an outbox of their own (`actionitem`).

"Xác nhận" writes the action and one item per delivered copy in one transaction; a recall is
unique per campaign (`unique_key`), so a button pressed twice recalls once. The worker commits
an item `sending` before its request and its outcome after, like the sender. A crash can leave
items `sending`; unlike a message, a deletion or an edit does no harm when repeated, so those
items go back to `pending` marked ambiguous: an ambiguous deletion is first probed with a
no-op editMessageReplyMarkup ("not found" means it was deleted), so no copy is deleted twice
and none is left behind. The rows are read and written in bot/storage/actions.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import ActionStatus, CampaignAction, ItemStatus

AMBIGUOUS = "ambiguous"
ERROR_LIMIT = 512
PENDING = ItemStatus.PENDING.value
SENDING = ItemStatus.SENDING.value
OPEN = (PENDING, SENDING)
ACTIVE = (ActionStatus.QUEUED.value, ActionStatus.RUNNING.value)
DELETE_WINDOW = timedelta(hours=48)


class AlreadyRecalled(Exception):
    """A recall is unique per campaign: this one was recalled already (pressed twice, or on
    two replicas at once)."""


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


def clip_error(text: str | None) -> str | None:
    """An error as stored: at most ERROR_LIMIT characters."""
    return None if text is None else text[:ERROR_LIMIT]


def report_of(action: CampaignAction, counts: dict[str, int]) -> ActionReport:
    """The report of an action from its row and its items' count per status."""
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
