"""The outbox's values: a campaign that cannot be created, and where a campaign stands.

The rows themselves (campaigns, deliveries) are written and read by `bot/storage/campaigns.py`
and `bot/storage/outbox.py`, inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import Campaign, DeliveryStatus

OPEN_STATUSES = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)


class CampaignError(ValueError):
    """A campaign that cannot be created as asked."""


def require_text(text: str) -> str:
    """The campaign's text, refused when there is nothing to send."""
    if not text or not text.strip():
        raise CampaignError("campaign text is empty")
    return text


@dataclass(frozen=True)
class CampaignReport:
    """Where a campaign stands; `pending` counts rows not finished yet (pending or sending)."""

    campaign_id: int
    kind: str
    topic: str
    status: str
    text: str
    created_by: int | None
    notice_id: str | None
    total: int
    sent: int
    unreachable: int
    failed: int
    skipped: int
    cancelled: int
    pending: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress_chat_id: int | None
    progress_message_id: int | None
    duration: timedelta

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @classmethod
    def of(cls, campaign: Campaign, counts: dict[str, int], now: datetime) -> CampaignReport:
        """The report of `campaign` from its rows counted by status."""
        started = campaign.started_at
        duration = (campaign.finished_at or now) - started if started else timedelta(0)
        return cls(
            campaign_id=campaign.id,
            kind=campaign.kind,
            topic=campaign.topic,
            status=campaign.status,
            text=campaign.text,
            created_by=campaign.created_by,
            notice_id=campaign.notice_id,
            total=sum(counts.values()),
            sent=counts.get(DeliveryStatus.SENT.value, 0),
            unreachable=counts.get(DeliveryStatus.UNREACHABLE.value, 0),
            failed=counts.get(DeliveryStatus.FAILED.value, 0),
            skipped=counts.get(DeliveryStatus.SKIPPED.value, 0),
            cancelled=counts.get(DeliveryStatus.CANCELLED.value, 0),
            pending=sum(counts.get(status, 0) for status in OPEN_STATUSES),
            created_at=campaign.created_at,
            started_at=started,
            finished_at=campaign.finished_at,
            progress_chat_id=campaign.progress_chat_id,
            progress_message_id=campaign.progress_message_id,
            duration=max(duration, timedelta(0)),
        )
