"""Draft rows: queued once, however many presses and replicas; drafts are not listed."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.broadcast.content import Content, MediaItem
from bot.db import in_session
from bot.models import Topic
from bot.storage import drafts as store
from bot.storage.campaigns import recent_campaigns

from .outbox_rows import announcement_draft, delivery_count, replicas_at_once, seed

NOW = datetime(2026, 12, 2, 5, 0)


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
    draft = announcement_draft(engine, "Tin", now=NOW)
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
    draft = announcement_draft(engine, "Tin", now=NOW)
    results = replicas_at_once(
        database_url, 4, lambda replica, _i: in_session(replica, store.queue_draft, draft.id)
    )
    assert sorted(results, key=lambda r: r is None) == [50, None, None, None]
    assert delivery_count(engine, draft.id) == 50


def test_discarded_draft_is_never_queued(engine) -> None:
    seed(engine, [1])
    draft = announcement_draft(engine, "Tin", now=NOW)
    assert in_session(engine, store.discard_draft, draft.id, now=NOW)
    assert in_session(engine, store.queue_draft, draft.id) is None
    assert delivery_count(engine, draft.id) == 0


def test_a_scheduled_draft_is_due_at_its_time_until_cancelled(engine) -> None:
    seed(engine, [1])
    draft = announcement_draft(engine, "Hẹn", now=NOW)
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
