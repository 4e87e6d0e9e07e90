"""Draft rows: queued once, however many presses and replicas; drafts are not listed."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.broadcast.content import Content, MediaItem
from bot.db import create_db_engine, in_session
from bot.models import Delivery, Topic
from bot.storage import citizens
from bot.storage import drafts as store
from bot.storage.campaigns import recent_campaigns

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


def test_draft_round_trip_keeps_the_content(engine) -> None:
    content = Content("Ảnh <b>sự kiện</b>", "photo", (MediaItem("photo", "F1"),))
    draft = in_session(
        engine,
        store.create_draft,
        topic=Topic.EVENTS,
        content=content,
        created_by=7,
        now=NOW,
        areas=["tan-an"],
    )
    loaded = in_session(engine, store.load_draft, draft.id)
    assert loaded.content == content and loaded.areas == ["tan-an"] and loaded.status == "draft"
    assert in_session(engine, recent_campaigns) == []  # drafts are not campaigns yet
    assert in_session(engine, store.load_draft, 10_000) is None


def test_queue_twice_queues_once_with_the_progress_message(engine) -> None:
    seed(engine, [1, 2, 3])
    draft = in_session(
        engine,
        store.create_draft,
        topic=Topic.ANNOUNCEMENTS,
        content=Content("Tin"),
        created_by=7,
        now=NOW,
    )
    assert (
        in_session(engine, store.queue_draft, draft.id, progress_chat_id=7, progress_message_id=42)
        == 3
    )
    assert (
        in_session(engine, store.queue_draft, draft.id, progress_chat_id=7, progress_message_id=43)
        is None
    )
    assert delivery_count(engine, draft.id) == 3
    [report] = in_session(engine, recent_campaigns)
    assert report.progress_message_id == 42 and report.total == 3
    assert not in_session(engine, store.discard_draft, draft.id, now=NOW)  # no longer a draft


def test_two_replicas_pressing_at_once_queue_once(engine, database_url) -> None:
    seed(engine, range(1, 51))
    draft = in_session(
        engine,
        store.create_draft,
        topic=Topic.ANNOUNCEMENTS,
        content=Content("Tin"),
        created_by=7,
        now=NOW,
    )
    engines = [create_db_engine(database_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    results: list[int | None] = []

    def press(replica) -> None:
        barrier.wait()
        results.append(in_session(replica, store.queue_draft, draft.id))

    threads = [threading.Thread(target=press, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for replica in engines:
        replica.dispose()
    assert sorted(results, key=lambda r: r is None) == [50, None, None, None]
    assert delivery_count(engine, draft.id) == 50


def test_discarded_draft_is_never_queued(engine) -> None:
    seed(engine, [1])
    draft = in_session(
        engine,
        store.create_draft,
        topic=Topic.ANNOUNCEMENTS,
        content=Content("Tin"),
        created_by=7,
        now=NOW,
    )
    assert in_session(engine, store.discard_draft, draft.id, now=NOW)
    assert in_session(engine, store.queue_draft, draft.id) is None
    assert delivery_count(engine, draft.id) == 0


def test_a_scheduled_draft_is_due_at_its_time_until_cancelled(engine) -> None:
    seed(engine, [1])
    draft = in_session(
        engine,
        store.create_draft,
        topic=Topic.ANNOUNCEMENTS,
        content=Content("Hẹn"),
        created_by=7,
        now=NOW,
    )
    at = NOW + timedelta(minutes=5)
    assert not in_session(engine, store.cancel_scheduled, draft.id, now=NOW)  # not scheduled yet
    assert in_session(engine, store.schedule_draft, draft.id, at=at)
    assert not in_session(engine, store.schedule_draft, draft.id, at=at)  # no longer a draft
    assert in_session(engine, store.load_draft, draft.id).scheduled_at == at
    assert in_session(engine, store.next_scheduled) == at
    assert in_session(engine, store.due_scheduled, now=NOW) == []
    assert in_session(engine, store.due_scheduled, now=at) == [draft.id]
    assert in_session(engine, store.cancel_scheduled, draft.id, now=NOW)
    assert in_session(engine, store.next_scheduled) is None
    assert in_session(engine, store.queue_draft, draft.id, from_status="scheduled") is None
    assert delivery_count(engine, draft.id) == 0
