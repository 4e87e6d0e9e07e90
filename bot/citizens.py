"""Citizens: who talks to the bot, what they subscribe to, what they ask and how they vote.

Plain sync functions on an `Engine`, shared by the Telegram handlers and the CLI.
"""

from __future__ import annotations

from sqlalchemy import Insert, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.knowledge.normalize import tokenize
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

QUESTION_TEXT_LIMIT = 1000
DEFAULT_TOPICS = (Topic.ANNOUNCEMENTS, Topic.EVENTS)  # promotions only on request
TOPIC_WORDS = {
    "thongbao": Topic.ANNOUNCEMENTS,
    "sukien": Topic.EVENTS,
    "khuyenmai": Topic.PROMOTIONS,
}
_TOPIC_LOOKUP = TOPIC_WORDS | {topic.value: topic for topic in Topic}


def _insert(engine: Engine, model: type) -> Insert:
    """An INSERT with ON CONFLICT support (PostgreSQL and SQLite both have it)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def parse_topic(word: str) -> Topic | None:
    """'#sukien', 'Sự kiện', 'khuyến mãi', 'events' -> the topic; anything else -> None."""
    return _TOPIC_LOOKUP.get("".join(tokenize(word)))


def touch_user(
    engine: Engine,
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
    with engine.begin() as connection:
        inserted = connection.execute(
            _insert(engine, User)
            .values(chat_id=chat_id, first_seen=now, last_seen=now, reachable=True, **profile)
            .on_conflict_do_nothing(index_elements=["chat_id"])
            .returning(User.chat_id)
        ).first()
        if inserted is None:
            given = {key: value for key, value in profile.items() if value}
            connection.execute(
                update(User)
                .where(User.chat_id == chat_id)
                .values(last_seen=now, reachable=True, unreachable_reason=None, **given)
            )
    return inserted is not None


def mark_unreachable(engine: Engine, chat_id: int, reason: str) -> None:
    """Stop sending to a chat that blocked the bot or no longer exists, until it writes again."""
    with engine.begin() as connection:
        connection.execute(
            _insert(engine, User)
            .values(chat_id=chat_id, reachable=False, unreachable_reason=reason[:256])
            .on_conflict_do_update(
                index_elements=["chat_id"],
                set_={"reachable": False, "unreachable_reason": reason[:256]},
            )
        )


def subscribe(engine: Engine, chat_id: int, topic: Topic) -> bool:
    """Subscribe a chat to a topic; True if it was not subscribed yet."""
    with engine.begin() as connection:
        inserted = connection.execute(
            _insert(engine, Subscription)
            .values(chat_id=chat_id, topic=Topic(topic).value, created_at=utc_now())
            .on_conflict_do_nothing(index_elements=["chat_id", "topic"])
            .returning(Subscription.chat_id)
        ).first()
    return inserted is not None


def unsubscribe(engine: Engine, chat_id: int, topic: Topic) -> bool:
    """Unsubscribe a chat from a topic; True if it was subscribed."""
    with engine.begin() as connection:
        result = connection.execute(
            delete(Subscription).where(
                Subscription.chat_id == chat_id, Subscription.topic == Topic(topic).value
            )
        )
    return result.rowcount > 0


def subscribe_defaults(engine: Engine, chat_id: int) -> set[Topic]:
    """Subscribe a new chat to announcements and events (never promotions); returns the new ones.

    Call it for new users only, or it undoes their unsubscribing.
    """
    return {topic for topic in DEFAULT_TOPICS if subscribe(engine, chat_id, topic)}


def topics_of(engine: Engine, chat_id: int) -> set[Topic]:
    """The topics a chat is subscribed to."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Subscription.topic).where(Subscription.chat_id == chat_id)
        ).scalars()
        return {Topic(topic) for topic in rows}


def subscribers(engine: Engine, topic: Topic, reachable_only: bool = True) -> list[int]:
    """Chat ids subscribed to `topic`, ascending; by default without chats known unreachable."""
    query = select(Subscription.chat_id).where(Subscription.topic == Topic(topic).value)
    if reachable_only:
        unreachable = select(User.chat_id).where(User.reachable.is_(False))
        query = query.where(Subscription.chat_id.not_in(unreachable))
    with engine.connect() as connection:
        return list(connection.execute(query.order_by(Subscription.chat_id)).scalars())


def log_question(
    engine: Engine,
    chat_id: int | None,
    text: str,
    status: str,
    entry_id: str | None = None,
    score: float = 0.0,
) -> int:
    """Keep a question and how it was answered (status answer/suggest/none); returns its id."""
    with engine.begin() as connection:
        return connection.execute(
            insert(QuestionLog)
            .values(
                chat_id=chat_id,
                text=text[:QUESTION_TEXT_LIMIT],
                status=str(status),
                entry_id=entry_id,
                score=float(score),
            )
            .returning(QuestionLog.id)
        ).scalar_one()


def record_feedback(engine: Engine, chat_id: int, entry_id: str, vote: int) -> None:
    """Store a 👍 (+1) or 👎 (-1) on an FAQ entry; a chat's latest vote for an entry wins."""
    if vote not in (1, -1):
        raise ValueError(f"vote must be +1 or -1, got {vote!r}")
    now = utc_now()
    with engine.begin() as connection:
        connection.execute(
            _insert(engine, Feedback)
            .values(chat_id=chat_id, entry_id=entry_id, vote=vote, created_at=now)
            .on_conflict_do_update(
                index_elements=["chat_id", "entry_id"], set_={"vote": vote, "created_at": now}
            )
        )


def delete_user_data(engine: Engine, chat_id: int) -> dict[str, int]:
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
    with engine.begin() as connection:
        return {table: connection.execute(stmt).rowcount for table, stmt in statements.items()}
