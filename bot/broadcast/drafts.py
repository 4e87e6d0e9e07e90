"""Draft and scheduled campaigns: rows, so a preview survives a restart and any replica can send it.

A draft is a `campaign` row with status `draft` and no delivery rows. "Gửi ngay" moves it to
`queued` and writes its outbox rows, the progress message id with them, in one transaction
guarded by the status: a button pressed twice, or on two replicas, queues it once. "Hẹn giờ"
moves it to `scheduled`; the sender's `fire_due` later queues it the same guarded way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from bot.broadcast.audience import areas_from_json, areas_json
from bot.broadcast.content import Content
from bot.models import Campaign, CampaignExtra, CampaignState, CampaignStatus, Topic
from bot.storage.audience import recipients
from bot.storage.outbox import insert_deliveries

URGENT_PRIORITY = 10
DRAFT = CampaignState.DRAFT.value
SCHEDULED = CampaignState.SCHEDULED.value
DISCARDED = "discarded"  # a draft dropped with "Hủy": never queued


@dataclass(frozen=True)
class Draft:
    id: int
    topic: Topic
    content: Content
    urgent: bool
    areas: list[str] | None
    created_by: int | None
    status: str
    scheduled_at: datetime | None
    created_at: datetime


def create_draft(
    engine: Engine,
    *,
    topic: Topic,
    content: Content,
    created_by: int | None,
    now: datetime,
    urgent: bool = False,
    areas: list[str] | None = None,
) -> Draft:
    """Store what the official previewed; nothing is queued yet."""
    with engine.begin() as connection:
        campaign_id = connection.execute(
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
        connection.execute(
            CampaignExtra.__table__.insert().values(
                campaign_id=campaign_id,
                media=content.media_json(),
                urgent=urgent,
                areas=areas_json(areas),
            )
        )
    return Draft(campaign_id, Topic(topic), content, urgent, areas, created_by, DRAFT, None, now)


def load_draft(engine: Engine, campaign_id: int) -> Draft | None:
    """The campaign with its content, whatever its status; None if there is no such id."""
    query = (
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
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
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
    engine: Engine,
    campaign_id: int,
    *,
    from_status: str = DRAFT,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> int | None:
    """Queue a draft (or a due scheduled campaign) for its recipients as of now.

    One transaction: the guarded status change, every outbox row, the total and the progress
    message. Returns the number of recipients, or None if the campaign was not `from_status`
    (already sent, cancelled, or taken by another replica).
    """
    values: dict = {"status": CampaignStatus.QUEUED.value}
    if progress_message_id is not None:
        values |= {"progress_chat_id": progress_chat_id, "progress_message_id": progress_message_id}
    with engine.begin() as connection:
        moved = connection.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status == from_status)
            .values(**values)
        ).rowcount
        if moved != 1:
            return None
        topic, urgent, areas = connection.execute(
            select(Campaign.topic, CampaignExtra.urgent, CampaignExtra.areas)
            .outerjoin(CampaignExtra, CampaignExtra.campaign_id == Campaign.id)
            .where(Campaign.id == campaign_id)
        ).one()
        chat_ids = recipients(connection, Topic(topic), areas_from_json(areas))
        total = insert_deliveries(
            connection, campaign_id, chat_ids, priority=URGENT_PRIORITY if urgent else 0
        )
        connection.execute(update(Campaign).where(Campaign.id == campaign_id).values(total=total))
    return total


def discard_draft(engine: Engine, campaign_id: int, *, now: datetime) -> bool:
    """ "Hủy" under a preview: the draft is closed, never queued; False if it was not a draft."""
    return _move(engine, campaign_id, DRAFT, status=DISCARDED, finished_at=now)


def schedule_draft(engine: Engine, campaign_id: int, *, at: datetime) -> bool:
    """ "Hẹn giờ": the draft waits for `at` (naive UTC); False if it was not a draft."""
    with engine.begin() as connection:
        moved = connection.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status == DRAFT)
            .values(status=SCHEDULED)
        ).rowcount
        if moved == 1:
            connection.execute(
                update(CampaignExtra)
                .where(CampaignExtra.campaign_id == campaign_id)
                .values(scheduled_at=at)
            )
    return moved == 1


def cancel_scheduled(engine: Engine, campaign_id: int, *, now: datetime) -> bool:
    """/huy on a scheduled campaign: it will not fire."""
    return _move(
        engine, campaign_id, SCHEDULED, status=CampaignStatus.CANCELLED.value, finished_at=now
    )


def _move(engine: Engine, campaign_id: int, from_status: str, **values: object) -> bool:
    with engine.begin() as connection:
        return (
            connection.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.status == from_status)
                .values(**values)
            ).rowcount
            == 1
        )


def due_scheduled(engine: Engine, *, now: datetime) -> list[int]:
    """Scheduled campaigns whose time has come, oldest first."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(Campaign.id)
                .join(CampaignExtra, CampaignExtra.campaign_id == Campaign.id)
                .where(Campaign.status == SCHEDULED, CampaignExtra.scheduled_at <= now)
                .order_by(CampaignExtra.scheduled_at, Campaign.id)
            ).scalars()
        )


def fire_due(engine: Engine, *, now: datetime) -> list[int]:
    """Queue every due scheduled campaign; each fires once even with several replicas."""
    return [
        campaign_id
        for campaign_id in due_scheduled(engine, now=now)
        if queue_draft(engine, campaign_id, from_status=SCHEDULED) is not None
    ]


def next_scheduled(engine: Engine) -> datetime | None:
    with engine.connect() as connection:
        return connection.execute(
            select(CampaignExtra.scheduled_at)
            .join(Campaign, CampaignExtra.campaign_id == Campaign.id)
            .where(Campaign.status == SCHEDULED)
            .order_by(CampaignExtra.scheduled_at)
            .limit(1)
        ).scalar()
