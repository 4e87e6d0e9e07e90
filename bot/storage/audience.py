"""Who a campaign reaches: the reachable subscribers of its topic, narrowed to areas."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from bot.models import CitizenArea, Subscription, Topic, User


def recipients_query(topic: Topic, areas: list[str] | None):
    """Reachable subscribers of `topic`; with `areas`, only citizens who picked one of them."""
    query = select(Subscription.chat_id).where(Subscription.topic == Topic(topic).value)
    unreachable = select(User.chat_id).where(User.reachable.is_(False))
    query = query.where(Subscription.chat_id.not_in(unreachable))
    if areas is not None:
        in_areas = select(CitizenArea.chat_id).where(CitizenArea.area_code.in_(list(areas)))
        query = query.where(Subscription.chat_id.in_(in_areas))
    return query.order_by(Subscription.chat_id)


def recipients(session: Session, topic: Topic, areas: list[str] | None = None) -> list[int]:
    """The chat ids a campaign of `topic` (and `areas`, None for everywhere) reaches now."""
    return list(session.execute(recipients_query(topic, areas)).scalars())
