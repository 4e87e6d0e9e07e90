"""The question log and feedback, read for statistics and the unanswered-questions report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from bot.models import Feedback, QuestionLog


def count_by_status(session: Session, *, since: datetime, until: datetime) -> dict[str, int]:
    """Questions per decision (answer, suggest, none) asked in [since, until]."""
    rows = session.exec(
        select(QuestionLog.status, func.count())
        .where(QuestionLog.created_at >= since, QuestionLog.created_at <= until)
        .group_by(QuestionLog.status)
    ).all()
    return {status: count for status, count in rows}


def count_between(session: Session, *, since: datetime, until: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(QuestionLog)
        .where(QuestionLog.created_at >= since, QuestionLog.created_at <= until)
    ).scalar_one()


def feedback_by_entry(session: Session) -> list[tuple[str, int, int]]:
    """(entry id, 👍, 👎) per entry, most downvoted first."""
    ups = func.sum(case((Feedback.vote > 0, 1), else_=0))
    downs = func.sum(case((Feedback.vote < 0, 1), else_=0))
    rows = session.exec(
        select(Feedback.entry_id, ups, downs)
        .group_by(Feedback.entry_id)
        .order_by(downs.desc(), ups.asc(), Feedback.entry_id)
    ).all()
    return [(entry, int(up), int(down)) for entry, up, down in rows]


def unanswered(
    session: Session, *, since: datetime | None = None, until: datetime | None = None
) -> list[tuple[str, datetime]]:
    """(text, asked at) of every question the bot could not answer in the window."""
    query = select(QuestionLog.text, QuestionLog.created_at).where(QuestionLog.status == "none")
    if since is not None:
        query = query.where(QuestionLog.created_at >= since)
    if until is not None:
        query = query.where(QuestionLog.created_at <= until)
    return [(text, at) for text, at in session.exec(query).all()]


def downvoted(
    session: Session, *, since: datetime | None, until: datetime
) -> list[tuple[str, str, datetime]]:
    """(question text, entry id, voted at) for every 👎: the question the voter asked last
    before voting, that was answered with that entry."""
    earlier = aliased(QuestionLog)
    asked = (
        select(func.max(earlier.id))
        .where(
            earlier.chat_id == Feedback.chat_id,
            earlier.entry_id == Feedback.entry_id,
            earlier.created_at <= Feedback.created_at,
        )
        .correlate(Feedback)
        .scalar_subquery()
    )
    query = (
        select(QuestionLog.text, Feedback.entry_id, Feedback.created_at)
        .select_from(Feedback)
        .join(QuestionLog, QuestionLog.id == asked)
        .where(Feedback.vote < 0, Feedback.created_at <= until)
    )
    if since is not None:
        query = query.where(Feedback.created_at >= since)
    return [(text, entry, at) for text, entry, at in session.exec(query).all()]
