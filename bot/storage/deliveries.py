"""Outbox statistics for operators."""

from __future__ import annotations

from sqlmodel import Session, func, select

from bot.models import Delivery, DeliveryStatus

OPEN = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)


def depth(session: Session) -> dict[str, int]:
    """Rows still to send, by status (pending, sending)."""
    rows = session.exec(
        select(Delivery.status, func.count())
        .where(Delivery.status.in_(OPEN))
        .group_by(Delivery.status)
    ).all()
    return {status: 0 for status in OPEN} | {status: count for status, count in rows}
