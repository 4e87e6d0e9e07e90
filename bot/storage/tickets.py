"""Handoff tickets: open, follow up, answer, close."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from bot.models import QuestionLog, Ticket, TicketMessage, TicketStatus

CITIZEN = "citizen"
OFFICIAL = "official"


def open_ticket_of(session: Session, chat_id: int) -> Ticket | None:
    """The chat's open ticket, if any (at most one is open at a time)."""
    return session.exec(
        select(Ticket)
        .where(Ticket.chat_id == chat_id, Ticket.status == TicketStatus.OPEN.value)
        .order_by(col(Ticket.id).desc())
    ).first()


def open_ticket(
    session: Session, *, chat_id: int, display_name: str, question: str, now: datetime
) -> Ticket:
    ticket = Ticket(
        chat_id=chat_id,
        display_name=display_name[:256],
        question=question,
        status=TicketStatus.OPEN.value,
        created_at=now,
    )
    session.add(ticket)
    session.flush()
    return ticket


def add_message(
    session: Session,
    ticket_id: int,
    *,
    direction: str,
    text: str,
    now: datetime,
    support_message_id: int | None = None,
    author_id: int | None = None,
) -> TicketMessage:
    message = TicketMessage(
        ticket_id=ticket_id,
        direction=direction,
        text=text,
        support_message_id=support_message_id,
        author_id=author_id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def set_support_message(session: Session, message_id: int, support_message_id: int) -> None:
    """Remember the group message officials reply to, once it has been posted."""
    message = session.get(TicketMessage, message_id)
    if message is not None:
        message.support_message_id = support_message_id
        session.add(message)


def ticket_for_support_message(session: Session, support_message_id: int) -> Ticket | None:
    """The ticket a message of the support group belongs to."""
    return session.exec(
        select(Ticket)
        .join(TicketMessage, col(TicketMessage.ticket_id) == col(Ticket.id))
        .where(TicketMessage.support_message_id == support_message_id)
    ).first()


def open_tickets(session: Session, limit: int = 20) -> list[Ticket]:
    return list(
        session.exec(
            select(Ticket)
            .where(Ticket.status == TicketStatus.OPEN.value)
            .order_by(col(Ticket.id))
            .limit(limit)
        )
    )


def close_ticket(
    session: Session, ticket_id: int, *, by: int | None, now: datetime
) -> Ticket | None:
    """Close an open ticket; None if it is unknown or already closed."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.status != TicketStatus.OPEN.value:
        return None
    ticket.status, ticket.closed_at, ticket.closed_by = TicketStatus.CLOSED.value, now, by
    session.add(ticket)
    return ticket


def citizen_messages_since(session: Session, chat_id: int, since: datetime) -> int:
    """How many messages a chat put into tickets since `since` (the per-citizen limit)."""
    return session.exec(
        select(func.count())
        .select_from(TicketMessage)
        .join(Ticket, col(Ticket.id) == col(TicketMessage.ticket_id))
        .where(
            Ticket.chat_id == chat_id,
            TicketMessage.direction == CITIZEN,
            TicketMessage.created_at >= since,
        )
    ).one()


def official_answers(session: Session, ticket_id: int) -> list[TicketMessage]:
    return list(
        session.exec(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket_id, TicketMessage.direction == OFFICIAL)
            .order_by(col(TicketMessage.id))
        )
    )


def recent_questions(session: Session, chat_id: int, limit: int = 5) -> list[str]:
    """The chat's last questions to the bot, oldest first: the conversation the group sees."""
    texts = session.exec(
        select(QuestionLog.text)
        .where(QuestionLog.chat_id == chat_id)
        .order_by(col(QuestionLog.id).desc())
        .limit(limit)
    ).all()
    return list(reversed(texts))


def question_text(session: Session, question_id: int, chat_id: int) -> str | None:
    """A logged question of this chat (a button cannot hand over someone else's question)."""
    row = session.get(QuestionLog, question_id)
    return row.text if row is not None and row.chat_id == chat_id else None


def official_answer_to(session: Session, questions: list[str]) -> str | None:
    """The latest official's answer to a ticket opened with one of these questions."""
    return session.exec(
        select(TicketMessage.text)
        .join(Ticket, col(Ticket.id) == col(TicketMessage.ticket_id))
        .where(col(Ticket.question).in_(questions), TicketMessage.direction == OFFICIAL)
        .order_by(col(TicketMessage.id).desc())
    ).first()
