"""The durable outbox: campaigns and their delivery rows, created, cancelled and reported."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, exists, func, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.db import session_scope
from bot.models import Campaign, CampaignStatus, Delivery, DeliveryStatus, Topic, utc_now
from bot.storage.citizens import subscribers

OPEN_STATUSES = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)
ACTIVE_CAMPAIGN = (CampaignStatus.QUEUED.value, CampaignStatus.SENDING.value)


class CampaignError(ValueError):
    """A campaign that cannot be created as asked."""


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


def create_campaign(
    engine: Engine,
    *,
    topic: Topic,
    text: str,
    created_by: int | None,
    kind: str = "broadcast",
    notice_id: str | None = None,
    expires_at: datetime | None = None,
    progress_chat_id: int | None = None,
    recipients: Iterable[int] | None = None,
) -> Campaign:
    """Queue `text` for every reachable subscriber of `topic` (or `recipients`) in one transaction."""
    topic = Topic(topic)
    if not text or not text.strip():
        raise CampaignError("campaign text is empty")
    with session_scope(engine) as session:
        if recipients is None:
            recipients = subscribers(session, topic, reachable_only=True)
        chat_ids = list(dict.fromkeys(int(chat_id) for chat_id in recipients))
        campaign = Campaign(
            kind=kind,
            topic=topic.value,
            text=text,
            status=CampaignStatus.QUEUED.value,
            created_by=created_by,
            created_at=utc_now(),
            expires_at=expires_at,
            notice_id=notice_id,
            total=len(chat_ids),
            progress_chat_id=progress_chat_id,
        )
        session.add(campaign)
        session.flush()
        insert_deliveries(session.connection(), campaign.id, chat_ids)
    return campaign


def insert_deliveries(
    connection, campaign_id: int, chat_ids: Iterable[int], *, priority: int = 0
) -> int:
    """One pending outbox row per chat, inside the caller's transaction; returns how many."""
    rows = [
        {
            "campaign_id": campaign_id,
            "chat_id": chat_id,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "priority": priority,
        }
        for chat_id in dict.fromkeys(int(chat_id) for chat_id in chat_ids)
    ]
    if rows:
        # Core executemany: one multi-row INSERT per few hundred rows on both databases.
        connection.execute(insert(Delivery), rows)
    return len(rows)


def cancel_campaign(engine: Engine, campaign_id: int) -> bool:
    """Cancel the rows not sent yet; False if the campaign is unknown or already over.

    Rows already in flight finish; the sender then closes the campaign and reports it.
    """
    with engine.begin() as connection:
        changed = connection.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status.in_(ACTIVE_CAMPAIGN))
            .values(status=CampaignStatus.CANCELLED.value)
        ).rowcount
        if not changed:
            return False
        connection.execute(
            update(Delivery)
            .where(
                Delivery.campaign_id == campaign_id,
                Delivery.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.CANCELLED.value, error="cancelled")
        )
    return True


def finish_campaigns(engine: Engine, *, now: datetime) -> list[int]:
    """Close campaigns with no pending or sending rows left; returns the ids closed by this call.

    One UPDATE, so when senders race only one of them closes (and reports) a campaign.
    """
    no_open_rows = ~exists().where(
        Delivery.campaign_id == Campaign.id, Delivery.status.in_(OPEN_STATUSES)
    )
    closing = (*ACTIVE_CAMPAIGN, CampaignStatus.CANCELLED.value)
    with engine.begin() as connection:
        return sorted(
            connection.execute(
                update(Campaign)
                .where(Campaign.status.in_(closing), Campaign.finished_at.is_(None), no_open_rows)
                .values(
                    status=case(
                        (Campaign.status == CampaignStatus.CANCELLED.value, Campaign.status),
                        else_=CampaignStatus.DONE.value,
                    ),
                    finished_at=now,
                )
                .returning(Campaign.id)
            ).scalars()
        )


def campaign_report(
    engine: Engine, campaign_id: int, *, now: datetime | None = None
) -> CampaignReport | None:
    """Counts per outcome and timing of one campaign; None if it does not exist."""
    reports = _reports(engine, select(Campaign).where(Campaign.id == campaign_id), now)
    return reports[0] if reports else None


def recent_campaigns(engine: Engine, limit: int = 10) -> list[CampaignReport]:
    """The newest campaigns first, each with its counts (drafts not shown)."""
    hidden = ("draft", "discarded")
    query = select(Campaign).where(Campaign.status.not_in(hidden))
    return _reports(engine, query.order_by(Campaign.id.desc()).limit(limit), None)


def set_progress_message(engine: Engine, campaign_id: int, chat_id: int, message_id: int) -> None:
    """Remember the official's message that shows the progress, so the bot can edit it."""
    with engine.begin() as connection:
        connection.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(progress_chat_id=chat_id, progress_message_id=message_id)
        )


def _reports(engine: Engine, campaigns_query, now: datetime | None) -> list[CampaignReport]:
    now = now or utc_now()
    with session_scope(engine) as session:
        campaigns = list(session.exec(campaigns_query))
        if not campaigns:
            return []
        counts: dict[int, dict[str, int]] = {campaign.id: {} for campaign in campaigns}
        rows = session.exec(
            select(Delivery.campaign_id, Delivery.status, func.count())
            .where(Delivery.campaign_id.in_(counts))
            .group_by(Delivery.campaign_id, Delivery.status)
        )
        for campaign_id, status, count in rows:
            counts[campaign_id][status] = count
    return [_report(campaign, counts[campaign.id], now) for campaign in campaigns]


def _report(campaign: Campaign, counts: dict[str, int], now: datetime) -> CampaignReport:
    started = campaign.started_at
    duration = (campaign.finished_at or now) - started if started else timedelta(0)
    return CampaignReport(
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
