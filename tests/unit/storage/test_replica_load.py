"""The replicaload table: every replica's rate, only fresh rows counted, stale ones deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from bot.db import in_session
from bot.storage.replica_load import forget_replica, publish_and_read

NOON = datetime(2026, 12, 2, 5, 0)  # naive UTC, as stored


def publish(engine, **kwargs) -> float:
    return in_session(engine, publish_and_read, **kwargs)


def test_replicas_publish_and_only_fresh_rows_count(engine) -> None:
    assert publish(engine, replica_id="a", rate=3, now=NOON, fresh_seconds=5) == 3
    later = NOON + timedelta(seconds=2)
    assert publish(engine, replica_id="b", rate=2, now=later, fresh_seconds=5) == 5
    # a's row is 6 s old now: that replica is gone or cut off, its rate no longer counts
    much_later = NOON + timedelta(seconds=6)
    assert publish(engine, replica_id="b", rate=1, now=much_later, fresh_seconds=5) == 1
    assert publish(engine, replica_id="a", rate=4, now=much_later, fresh_seconds=5) == 5
    in_session(engine, forget_replica, "a")
    assert publish(engine, replica_id="b", rate=1, now=much_later, fresh_seconds=5) == 1
    # rows of replicas gone for long are deleted
    far = much_later + timedelta(hours=1)
    publish(engine, replica_id="c", rate=0, now=far, fresh_seconds=5)
    with engine.connect() as connection:
        ids = connection.execute(text("SELECT replica_id FROM replicaload")).scalars().all()
    assert ids == ["c"]
