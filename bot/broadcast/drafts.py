"""Draft and scheduled campaigns: rows, so a preview survives a restart and any replica can send it.

A draft is a `campaign` row with status `draft` and no delivery rows. "Gửi ngay" moves it to
`queued` and writes its outbox rows, the progress message id with them, in one transaction
guarded by the status: a button pressed twice, or on two replicas, queues it once. "Hẹn giờ"
moves it to `scheduled`; the sender's `fire_due` later queues it the same guarded way.
The rows themselves are read and written in bot/storage/drafts.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.broadcast.content import Content
from bot.db import in_session
from bot.models import CampaignState, Topic

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


def fire_due(engine: Engine, *, now: datetime) -> list[int]:
    """Queue every due scheduled campaign, each in its own transaction; each fires once even
    with several replicas."""
    from bot.storage import drafts as rows  # storage builds this module's Draft values

    return [
        campaign_id
        for campaign_id in in_session(engine, rows.due_scheduled, now=now)
        if in_session(engine, rows.queue_draft, campaign_id, from_status=SCHEDULED) is not None
    ]
