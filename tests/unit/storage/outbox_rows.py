"""Rows for the outbox tests: subscribers seeded in bulk, delivery statuses read and set, and
several replicas (engines) doing one thing at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, insert, select, update

from bot.broadcast.content import Content
from bot.db import create_db_engine, in_session
from bot.models import Delivery, Subscription, Topic, User, utc_now
from bot.storage import drafts


def seed(engine, chat_ids, topic=Topic.ANNOUNCEMENTS) -> None:
    now = utc_now()
    with engine.begin() as connection:
        connection.execute(
            insert(User), [{"chat_id": c, "first_seen": now, "last_seen": now} for c in chat_ids]
        )
        connection.execute(
            insert(Subscription),
            [{"chat_id": c, "topic": topic.value, "created_at": now} for c in chat_ids],
        )


def statuses(engine, campaign_id: int) -> dict[int, str]:
    with engine.connect() as connection:
        result = connection.execute(
            select(Delivery.chat_id, Delivery.status).where(Delivery.campaign_id == campaign_id)
        )
        return dict(result.all())


def set_rows(engine, campaign_id: int, chat_ids, **values) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(Delivery)
            .where(Delivery.campaign_id == campaign_id, Delivery.chat_id.in_(chat_ids))
            .values(**values)
        )


def delivery_count(engine, campaign_id: int) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(Delivery).where(Delivery.campaign_id == campaign_id)
        ).scalar_one()


def replicas_at_once(database_url: str, count: int, work: Callable[[Any, int], Any]) -> list:
    """`work(engine, index)` on `count` engines of their own, released together by a barrier;
    returns the results in replica order."""
    engines = [create_db_engine(database_url) for _ in range(count)]
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = work(engines[index], index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for replica in engines:
        replica.dispose()
    return results


def announcement_draft(engine, text: str, *, now):
    """A text draft for announcements by user 7, as a preview leaves it."""
    return in_session(
        engine,
        drafts.create_draft,
        topic=Topic.ANNOUNCEMENTS,
        content=Content(text),
        created_by=7,
        now=now,
    )
