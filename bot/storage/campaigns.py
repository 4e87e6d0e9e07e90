"""Campaigns: created with their outbox rows, cancelled, closed, reported, and what the sender
and the CSV report read of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, exists, func, update
from sqlalchemy.engine import Row
from sqlmodel import Session, select

from bot.broadcast.outbox import OPEN_STATUSES, CampaignReport, require_text
from bot.models import (
    Campaign,
    CampaignExtra,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Topic,
    utc_now,
)
from bot.storage.citizens import subscribers
from bot.storage.outbox import insert_deliveries

ACTIVE_CAMPAIGN = (CampaignStatus.QUEUED.value, CampaignStatus.SENDING.value)
HIDDEN = ("draft", "discarded")  # not campaigns yet, or never


def create_campaign(
    session: Session,
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
    """Queue `text` for every reachable subscriber of `topic` (or `recipients`).

    Raises CampaignError for an empty text; the caller's transaction holds the campaign and
    all its rows, so they are committed together or not at all.
    """
    topic = Topic(topic)
    require_text(text)
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
    insert_deliveries(session, campaign.id, chat_ids)
    return campaign


def cancel_campaign(session: Session, campaign_id: int) -> bool:
    """Cancel the rows not sent yet; False if the campaign is unknown or already over.

    Rows already in flight finish; the sender then closes the campaign and reports it.
    """
    connection = session.connection()
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


def finish_campaigns(session: Session, *, now: datetime) -> list[int]:
    """Close campaigns with no pending or sending rows left; returns the ids closed by this call.

    One UPDATE, so when senders race only one of them closes (and reports) a campaign.
    """
    no_open_rows = ~exists().where(
        Delivery.campaign_id == Campaign.id, Delivery.status.in_(OPEN_STATUSES)
    )
    closing = (*ACTIVE_CAMPAIGN, CampaignStatus.CANCELLED.value)
    return sorted(
        session.connection()
        .execute(
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
        )
        .scalars()
    )


def set_progress_message(session: Session, campaign_id: int, chat_id: int, message_id: int) -> None:
    """Remember the official's message that shows the progress, so the bot can edit it."""
    session.connection().execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(progress_chat_id=chat_id, progress_message_id=message_id)
    )


def campaign_report(
    session: Session, campaign_id: int, *, now: datetime | None = None
) -> CampaignReport | None:
    """Counts per outcome and timing of one campaign; None if it does not exist."""
    reports = _reports(session, select(Campaign).where(Campaign.id == campaign_id), now)
    return reports[0] if reports else None


def recent_campaigns(session: Session, limit: int = 10) -> list[CampaignReport]:
    """The newest campaigns first, each with its counts (drafts not shown)."""
    query = select(Campaign).where(Campaign.status.not_in(HIDDEN))
    return _reports(session, query.order_by(Campaign.id.desc()).limit(limit), None)


def _reports(session: Session, campaigns_query, now: datetime | None) -> list[CampaignReport]:
    now = now or utc_now()
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
    return [CampaignReport.of(campaign, counts[campaign.id], now) for campaign in campaigns]


def sending_details(session: Session, campaign_id: int) -> Row:
    """(id, topic, text, expires_at, media, urgent) of a campaign, as the sender caches it."""
    return (
        session.connection()
        .execute(
            select(
                Campaign.id,
                Campaign.topic,
                Campaign.text,
                Campaign.expires_at,
                CampaignExtra.media,
                CampaignExtra.urgent,
            )
            .outerjoin(CampaignExtra, CampaignExtra.campaign_id == Campaign.id)
            .where(Campaign.id == campaign_id)
        )
        .one()
    )


def delivery_outcomes(session: Session, campaign_id: int) -> list[Row]:
    """(chat_id, status, error, sent_at) of every row of a campaign, by chat: the CSV report."""
    return list(
        session.connection().execute(
            select(Delivery.chat_id, Delivery.status, Delivery.error, Delivery.sent_at)
            .where(Delivery.campaign_id == campaign_id)
            .order_by(Delivery.chat_id)
        )
    )
