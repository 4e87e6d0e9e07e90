"""State changes of claimed outbox rows: before the request, after it, and campaign-wide.

Every function is one short transaction; the sender calls them through `asyncio.to_thread`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Engine

from bot.models import Campaign, Delivery, DeliveryExtra, DeliveryStatus, Topic

ERROR_LIMIT = 512
PENDING = DeliveryStatus.PENDING.value
SENDING = DeliveryStatus.SENDING.value


def _error(text: str | None) -> str | None:
    return None if text is None else text[:ERROR_LIMIT]


def _move_claimed(
    engine: Engine, delivery_id: int, worker_id: str, from_status: str, **values: object
) -> bool:
    """One row of ours from `from_status` to `values`; False if it is no longer ours."""
    with engine.begin() as connection:
        moved = connection.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status == from_status,
                Delivery.claimed_by == worker_id,
            )
            .values(**values)
        ).rowcount
    return moved == 1


def start_sending(engine: Engine, delivery_id: int, *, worker_id: str, now: datetime) -> bool:
    """pending -> sending, committed before the request; False if the row is no longer ours."""
    return _move_claimed(engine, delivery_id, worker_id, PENDING, status=SENDING, claimed_at=now)


def mark_sent(
    engine: Engine,
    delivery_id: int,
    *,
    now: datetime,
    message_id: int | None = None,
    message_ids: list[int] | None = None,
) -> None:
    """Telegram accepted the message. Unconditional: the truth wins over a recovery's guess.

    An album's copies beyond the first are kept in `deliveryextra`, in the same transaction.
    """
    ids = list(message_ids or []) or ([message_id] if message_id is not None else [])
    with engine.begin() as connection:
        connection.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(
                status=DeliveryStatus.SENT.value,
                sent_at=now,
                telegram_message_id=ids[0] if ids else None,
                error=None,
            )
        )
        if len(ids) > 1:
            connection.execute(
                DeliveryExtra.__table__.insert().values(
                    delivery_id=delivery_id, message_ids=",".join(map(str, ids))[:512]
                )
            )


def mark_final(engine: Engine, delivery_id: int, *, status: DeliveryStatus, error: str) -> None:
    """unreachable, failed or skipped: the row is done and will not be sent."""
    with engine.begin() as connection:
        connection.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=DeliveryStatus(status).value, error=_error(error))
        )


def skip_claimed(engine: Engine, delivery_id: int, *, worker_id: str, reason: str) -> bool:
    """A claimed row the rules say not to send (opted out, daily cap): pending -> skipped."""
    return _move_claimed(
        engine,
        delivery_id,
        worker_id,
        PENDING,
        status=DeliveryStatus.SKIPPED.value,
        error=_error(reason),
    )


def skip_other_pending(engine: Engine, chat_id: int, *, error: str) -> int:
    """A chat found unreachable: its unclaimed rows of other campaigns need no request."""
    with engine.begin() as connection:
        return connection.execute(
            update(Delivery)
            .where(
                Delivery.chat_id == chat_id,
                Delivery.status == PENDING,
                Delivery.claimed_by.is_(None),
            )
            .values(status=DeliveryStatus.UNREACHABLE.value, error=_error(error))
        ).rowcount


def retry_later(
    engine: Engine, delivery_id: int, *, not_before: datetime, attempts: int, error: str
) -> None:
    """The request never reached Telegram: back to pending, free for any sender after `not_before`."""
    with engine.begin() as connection:
        connection.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == SENDING)
            .values(
                status=PENDING,
                attempts=attempts,
                not_before=not_before,
                claimed_by=None,
                claimed_at=None,
                error=_error(error),
            )
        )


def back_to_queue(engine: Engine, delivery_id: int, *, worker_id: str) -> bool:
    """Flood control (429): the row was not sent; it stays claimed by us and goes out again."""
    return _move_claimed(engine, delivery_id, worker_id, SENDING, status=PENDING)


def defer_campaign(engine: Engine, campaign_id: int, *, until: datetime) -> int:
    """Quiet hours: every pending row of the campaign waits until `until`, unclaimed."""
    with engine.begin() as connection:
        return connection.execute(
            update(Delivery)
            .where(
                Delivery.campaign_id == campaign_id,
                Delivery.status == PENDING,
                or_(Delivery.not_before.is_(None), Delivery.not_before < until),
            )
            .values(not_before=until, claimed_by=None, claimed_at=None)
        ).rowcount


def close_campaign_rows(
    engine: Engine, campaign_id: int, *, status: DeliveryStatus, error: str
) -> int:
    """Expired, or a message Telegram rejects for everyone: close all pending rows at once."""
    with engine.begin() as connection:
        return connection.execute(
            update(Delivery)
            .where(Delivery.campaign_id == campaign_id, Delivery.status == PENDING)
            .values(status=DeliveryStatus(status).value, error=_error(error))
        ).rowcount


def promotions_since(engine: Engine, chat_id: int, *, since: datetime, exclude_id: int) -> int:
    """Promotions sent to (or on their way to) `chat_id` since `since`: the rolling daily cap."""
    counted = or_(
        and_(Delivery.status == DeliveryStatus.SENT.value, Delivery.sent_at >= since),
        and_(Delivery.status == SENDING, Delivery.id != exclude_id),
    )
    with engine.connect() as connection:
        return connection.execute(
            select(func.count())
            .select_from(Delivery)
            .join(Campaign, Campaign.id == Delivery.campaign_id)
            .where(
                Delivery.chat_id == chat_id,
                Campaign.topic == Topic.PROMOTIONS.value,
                counted,
            )
        ).scalar_one()
