"""Scheduled drafts fire once, however many replicas' senders find them due."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.broadcast.drafts import fire_due
from bot.db import in_session
from bot.storage import drafts

from ..storage.outbox_rows import announcement_draft, delivery_count, replicas_at_once, seed

NOW = datetime(2026, 12, 2, 5, 0)


def test_a_due_scheduled_campaign_fires_once_across_replicas(engine, database_url) -> None:
    seed(engine, range(1, 21))
    draft = announcement_draft(engine, "Hẹn", now=NOW)
    assert in_session(engine, drafts.schedule_draft, draft.id, at=NOW + timedelta(minutes=5))
    assert fire_due(engine, now=NOW) == []
    assert in_session(engine, drafts.next_scheduled) == NOW + timedelta(minutes=5)
    later = NOW + timedelta(minutes=6)
    fired = replicas_at_once(database_url, 4, lambda replica, _i: fire_due(replica, now=later))
    assert sorted(fired) == [[], [], [], [draft.id]]
    assert delivery_count(engine, draft.id) == 20
    assert in_session(engine, drafts.next_scheduled) is None
