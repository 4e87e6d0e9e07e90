"""Rows for the outbox tests: subscribers seeded in bulk, delivery statuses read and set."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from bot.models import Delivery, Subscription, Topic, User, utc_now


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
