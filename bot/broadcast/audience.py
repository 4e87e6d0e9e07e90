"""Who a campaign reaches: the subscribers of its topic, narrowed to areas when it has some."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from bot.models import CitizenArea, Subscription, Topic, User


def areas_json(areas: Iterable[str] | None) -> str | None:
    """Storage form of an area scope; None is the whole province."""
    return None if areas is None else json.dumps(sorted(set(areas)), ensure_ascii=False)


def areas_from_json(value: str | None) -> list[str] | None:
    if value is None or value == "":
        return None
    try:
        areas = json.loads(value)
    except ValueError:
        return []  # unreadable scope reaches nobody rather than everybody
    return [str(area) for area in areas] if isinstance(areas, list) else []


def recipients_query(topic: Topic, areas: list[str] | None):
    """Reachable subscribers of `topic`; with `areas`, only citizens who picked one of them."""
    query = select(Subscription.chat_id).where(Subscription.topic == Topic(topic).value)
    unreachable = select(User.chat_id).where(User.reachable.is_(False))
    query = query.where(Subscription.chat_id.not_in(unreachable))
    if areas is not None:
        in_areas = select(CitizenArea.chat_id).where(CitizenArea.area_code.in_(list(areas)))
        query = query.where(Subscription.chat_id.in_(in_areas))
    return query.order_by(Subscription.chat_id)


def recipients(
    bind: Engine | Connection, topic: Topic, areas: list[str] | None = None
) -> list[int]:
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return list(connection.execute(recipients_query(topic, areas)).scalars())
    return list(bind.execute(recipients_query(topic, areas)).scalars())
