"""Draft and scheduled campaigns: `campaign` rows in status draft or scheduled, with their content.

Every status change is guarded by the status it leaves, so a button pressed twice, or on two
replicas, changes a draft once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from bot.broadcast.audience import areas_from_json, areas_json
from bot.broadcast.content import Content
from bot.broadcast.drafts import DISCARDED, DRAFT, SCHEDULED, URGENT_PRIORITY, Draft
from bot.models import Campaign, CampaignExtra, CampaignStatus, Topic
from bot.storage.audience import recipients
from bot.storage.outbox import insert_deliveries


def create_draft(
    session: Session,
    *,
    topic: Topic,
    content: Content,
    created_by: int | None,
    now: datetime,
    urgent: bool = False,
    areas: list[str] | None = None,
) -> Draft:
    """Store what the official previewed; nothing is queued yet."""
    campaign_id = session.execute(
        Campaign.__table__.insert()
        .values(
            kind="broadcast",
            topic=Topic(topic).value,
            text=content.text,
            status=DRAFT,
            created_by=created_by,
            created_at=now,
            total=0,
        )
        .returning(Campaign.id)
    ).scalar_one()
    session.execute(
        CampaignExtra.__table__.insert().values(
            campaign_id=campaign_id,
            media=content.media_json(),
            urgent=urgent,
            areas=areas_json(areas),
        )
    )
    return Draft(campaign_id, Topic(topic), content, urgent, areas, created_by, DRAFT, None, now)


def load_draft(session: Session, campaign_id: int) -> Draft | None:
    """The campaign with its content, whatever its status; None if there is no such id."""
    row = session.execute(
        select(
            Campaign.id,
            Campaign.topic,
            Campaign.text,
            CampaignExtra.media,
            CampaignExtra.urgent,
            CampaignExtra.areas,
            Campaign.created_by,
            Campaign.status,
            CampaignExtra.scheduled_at,
            Campaign.created_at,
        )
        .outerjoin(CampaignExtra, CampaignExtra.campaign_id == Campaign.id)
        .where(Campaign.id == campaign_id)
    ).first()
    if row is None:
        return None
    id_, topic, text, media, urgent, areas, by, status, at, created = row
    return Draft(
        id_,
        Topic(topic),
        Content.from_storage(text, media),
        bool(urgent),
        areas_from_json(areas),
        by,
        status,
        at,
        created,
    )


def queue_draft(
    session: Session,
    campaign_id: int,
    *,
    from_status: str = DRAFT,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> int | None:
    """Queue a draft (or a due scheduled campaign) for its recipients as of now.

    Meant as one transaction: the guarded status change, every outbox row, the total and the
    progress message. Returns the number of recipients, or None if the campaign was not
    `from_status` (already sent, cancelled, or taken by another replica).
    """
    values: dict = {"status": CampaignStatus.QUEUED.value}
    if progress_message_id is not None:
        values |= {"progress_chat_id": progress_chat_id, "progress_message_id": progress_message_id}
    if not _move(session, campaign_id, from_status, **values):
        return None
    topic, urgent, areas = session.execute(
        select(Campaign.topic, CampaignExtra.urgent, CampaignExtra.areas)
        .outerjoin(CampaignExtra, CampaignExtra.campaign_id == Campaign.id)
        .where(Campaign.id == campaign_id)
    ).one()
    chat_ids = recipients(session, Topic(topic), areas_from_json(areas))
    total = insert_deliveries(
        session, campaign_id, chat_ids, priority=URGENT_PRIORITY if urgent else 0
    )
    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(total=total))
    return total


def discard_draft(session: Session, campaign_id: int, *, now: datetime) -> bool:
    """ "Hủy" under a preview: the draft is closed, never queued; False if it was not a draft."""
    return _move(session, campaign_id, DRAFT, status=DISCARDED, finished_at=now)


def schedule_draft(session: Session, campaign_id: int, *, at: datetime) -> bool:
    """ "Hẹn giờ": the draft waits for `at` (naive UTC); False if it was not a draft."""
    moved = _move(session, campaign_id, DRAFT, status=SCHEDULED)
    if moved:
        session.execute(
            update(CampaignExtra)
            .where(CampaignExtra.campaign_id == campaign_id)
            .values(scheduled_at=at)
        )
    return moved


def cancel_scheduled(session: Session, campaign_id: int, *, now: datetime) -> bool:
    """/huy on a scheduled campaign: it will not fire."""
    return _move(
        session, campaign_id, SCHEDULED, status=CampaignStatus.CANCELLED.value, finished_at=now
    )


def _move(session: Session, campaign_id: int, from_status: str, **values: object) -> bool:
    return (
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status == from_status)
            .values(**values)
        ).rowcount
        == 1
    )


def due_scheduled(session: Session, *, now: datetime) -> list[int]:
    """Scheduled campaigns whose time has come, oldest first."""
    return list(
        session.execute(
            select(Campaign.id)
            .join(CampaignExtra, CampaignExtra.campaign_id == Campaign.id)
            .where(Campaign.status == SCHEDULED, CampaignExtra.scheduled_at <= now)
            .order_by(CampaignExtra.scheduled_at, Campaign.id)
        ).scalars()
    )


def next_scheduled(session: Session) -> datetime | None:
    """When the next scheduled campaign is due, if any."""
    return session.execute(
        select(CampaignExtra.scheduled_at)
        .join(Campaign, CampaignExtra.campaign_id == Campaign.id)
        .where(Campaign.status == SCHEDULED)
        .order_by(CampaignExtra.scheduled_at)
        .limit(1)
    ).scalar()
