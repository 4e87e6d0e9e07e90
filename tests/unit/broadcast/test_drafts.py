"""Scheduled drafts fire once, however many replicas' senders find them due."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.broadcast.content import Content
from bot.broadcast.drafts import fire_due, next_scheduled
from bot.db import create_db_engine, in_session
from bot.models import Delivery, Topic
from bot.storage import citizens, drafts

NOW = datetime(2026, 12, 2, 5, 0)


def seed(engine, chat_ids) -> None:
    for chat_id in chat_ids:
        in_session(engine, citizens.touch_user, chat_id, "An")
        in_session(engine, citizens.subscribe, chat_id, Topic.ANNOUNCEMENTS)


def delivery_count(engine, campaign_id) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(Delivery).where(Delivery.campaign_id == campaign_id)
        ).scalar_one()


def test_a_due_scheduled_campaign_fires_once_across_replicas(engine, database_url) -> None:
    seed(engine, range(1, 21))
    draft = in_session(
        engine,
        drafts.create_draft,
        topic=Topic.ANNOUNCEMENTS,
        content=Content("Hẹn"),
        created_by=7,
        now=NOW,
    )
    assert in_session(engine, drafts.schedule_draft, draft.id, at=NOW + timedelta(minutes=5))
    assert fire_due(engine, now=NOW) == []
    assert next_scheduled(engine) == NOW + timedelta(minutes=5)
    later = NOW + timedelta(minutes=6)
    engines = [create_db_engine(database_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    fired: list[list[int]] = []

    def fire(replica) -> None:
        barrier.wait()
        fired.append(fire_due(replica, now=later))

    threads = [threading.Thread(target=fire, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for replica in engines:
        replica.dispose()
    assert sorted(fired) == [[], [], [], [draft.id]]
    assert delivery_count(engine, draft.id) == 20
    assert next_scheduled(engine) is None
