"""Citizens: who talks to the bot, what they subscribe to, what they ask and how they vote."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Insert, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.models import (
    Delivery,
    DeliveryStatus,
    Feedback,
    QuestionLog,
    Subscription,
    Ticket,
    TicketMessage,
    Topic,
    User,
    utc_now,
)
from bot.topics import DEFAULT_TOPICS

QUESTION_TEXT_LIMIT = 1000


def _insert(session: Session, model: type) -> Insert:
    """An INSERT with ON CONFLICT support (PostgreSQL and SQLite both have it)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def touch_user(
    session: Session,
    chat_id: int,
    first_name: str = "",
    username: str | None = None,
    language: str | None = None,
) -> bool:
    """Record that `chat_id` wrote to the bot; True if the user is new.

    Writing again makes the chat reachable again; empty profile fields keep the stored values.
    """
    now = utc_now()
    profile = {"first_name": first_name[:256], "username": username, "language": language}
    inserted = session.exec(
        _insert(session, User)
        .values(chat_id=chat_id, first_seen=now, last_seen=now, reachable=True, **profile)
        .on_conflict_do_nothing(index_elements=["chat_id"])
        .returning(User.chat_id)
    ).first()
    if inserted is None:
        given = {key: value for key, value in profile.items() if value}
        session.exec(
            update(User)
            .where(User.chat_id == chat_id)
            .values(last_seen=now, reachable=True, unreachable_reason=None, **given)
        )
    return inserted is not None


def mark_unreachable(session: Session, chat_id: int, reason: str) -> None:
    """Stop sending to a chat that blocked the bot or no longer exists, until it writes again."""
    session.exec(
        _insert(session, User)
        .values(chat_id=chat_id, reachable=False, unreachable_reason=reason[:256])
        .on_conflict_do_update(
            index_elements=["chat_id"],
            set_={"reachable": False, "unreachable_reason": reason[:256]},
        )
    )


def subscribe(session: Session, chat_id: int, topic: Topic) -> bool:
    """Subscribe a chat to a topic; True if it was not subscribed yet."""
    inserted = session.exec(
        _insert(session, Subscription)
        .values(chat_id=chat_id, topic=Topic(topic).value, created_at=utc_now())
        .on_conflict_do_nothing(index_elements=["chat_id", "topic"])
        .returning(Subscription.chat_id)
    ).first()
    return inserted is not None


def unsubscribe(session: Session, chat_id: int, topic: Topic) -> bool:
    """Unsubscribe a chat from a topic; True if it was subscribed."""
    result = session.exec(
        delete(Subscription).where(
            Subscription.chat_id == chat_id, Subscription.topic == Topic(topic).value
        )
    )
    return result.rowcount > 0


def subscribe_defaults(session: Session, chat_id: int) -> set[Topic]:
    """Subscribe a new chat to announcements and events (never promotions); returns the new ones.

    Call it for new users only, or it undoes their unsubscribing.
    """
    return {topic for topic in DEFAULT_TOPICS if subscribe(session, chat_id, topic)}


def topics_of(session: Session, chat_id: int) -> set[Topic]:
    """The topics a chat is subscribed to."""
    rows = session.exec(select(Subscription.topic).where(Subscription.chat_id == chat_id)).scalars()
    return {Topic(topic) for topic in rows}


def subscribers(session: Session, topic: Topic, reachable_only: bool = True) -> list[int]:
    """Chat ids subscribed to `topic`, ascending; by default without chats known unreachable."""
    query = select(Subscription.chat_id).where(Subscription.topic == Topic(topic).value)
    if reachable_only:
        unreachable = select(User.chat_id).where(User.reachable.is_(False))
        query = query.where(Subscription.chat_id.not_in(unreachable))
    return list(session.exec(query.order_by(Subscription.chat_id)).scalars())


def log_question(
    session: Session,
    chat_id: int | None,
    text: str,
    status: str,
    entry_id: str | None = None,
    score: float = 0.0,
    now: datetime | None = None,
) -> int:
    """Keep a question and how it was answered (status answer/suggest/none); returns its id.

    `now` is the bot's clock, the same one statistics count "today" with.
    """
    return session.exec(
        insert(QuestionLog)
        .values(
            chat_id=chat_id,
            text=text[:QUESTION_TEXT_LIMIT],
            status=str(status),
            entry_id=entry_id,
            score=float(score),
            created_at=now or utc_now(),
        )
        .returning(QuestionLog.id)
    ).scalar_one()


def record_feedback(
    session: Session, chat_id: int, entry_id: str, vote: int, now: datetime | None = None
) -> None:
    """Store a 👍 (+1) or 👎 (-1) on an FAQ entry; a chat's latest vote for an entry wins."""
    if vote not in (1, -1):
        raise ValueError(f"vote must be +1 or -1, got {vote!r}")
    now = now or utc_now()
    session.exec(
        _insert(session, Feedback)
        .values(chat_id=chat_id, entry_id=entry_id, vote=vote, created_at=now)
        .on_conflict_do_update(
            index_elements=["chat_id", "entry_id"], set_={"vote": vote, "created_at": now}
        )
    )


def delete_user_data(session: Session, chat_id: int) -> dict[str, int]:
    """Erase everything stored about a chat (Luật 91/2025/QH15); rows deleted per table.

    Pending deliveries are dropped; finished ones stay as the record of what was sent.
    """
    statements = {
        "user": delete(User).where(User.chat_id == chat_id),
        "subscription": delete(Subscription).where(Subscription.chat_id == chat_id),
        "questionlog": delete(QuestionLog).where(QuestionLog.chat_id == chat_id),
        "feedback": delete(Feedback).where(Feedback.chat_id == chat_id),
        "delivery": delete(Delivery).where(
            Delivery.chat_id == chat_id, Delivery.status == DeliveryStatus.PENDING.value
        ),
        "ticketmessage": delete(TicketMessage).where(
            TicketMessage.ticket_id.in_(select(Ticket.id).where(Ticket.chat_id == chat_id))
        ),
        "ticket": delete(Ticket).where(Ticket.chat_id == chat_id),
    }
    return {table: session.exec(stmt).rowcount for table, stmt in statements.items()}
