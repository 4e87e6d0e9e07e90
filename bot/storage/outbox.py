"""Outbox rows: writing them, claiming them with a lease, their results, and recovery.

Every function works inside the caller's transaction; the sender runs each in its own
(`run_in_session`), so a row is committed `sending` before its request and `sent` after it.

A claim is `claimed_by`/`claimed_at` on a pending row. On PostgreSQL the claim skips rows
another transaction holds (`FOR UPDATE SKIP LOCKED`), so senders never share a row; on
SQLite the single UPDATE ... RETURNING statement is atomic on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select, update
from sqlmodel import Session

from bot.broadcast.claims import AMBIGUOUS, ClaimedDelivery
from bot.db import is_sqlite
from bot.models import Campaign, CampaignStatus, Delivery, DeliveryExtra, DeliveryStatus, Topic

ERROR_LIMIT = 512
PENDING = DeliveryStatus.PENDING.value
SENDING = DeliveryStatus.SENDING.value


def _error(text: str | None) -> str | None:
    return None if text is None else text[:ERROR_LIMIT]


def insert_deliveries(
    session: Session, campaign_id: int, chat_ids: Iterable[int], *, priority: int = 0
) -> int:
    """One pending outbox row per chat; returns how many."""
    rows = [
        {
            "campaign_id": campaign_id,
            "chat_id": chat_id,
            "status": PENDING,
            "attempts": 0,
            "priority": priority,
        }
        for chat_id in dict.fromkeys(int(chat_id) for chat_id in chat_ids)
    ]
    if rows:
        # executemany: one multi-row INSERT per few hundred rows on both databases.
        session.execute(insert(Delivery), rows)
    return len(rows)


# -- claims --------------------------------------------------------------------------------
def _execute(session: Session, statement):
    """A Core statement on the session's connection: the ORM does not try to sync anything."""
    return session.connection().execute(statement)


def _claimable(now: datetime, lease: timedelta):
    """Pending, due, and not held by a live claim."""
    return and_(
        Delivery.status == PENDING,
        or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
        or_(Delivery.claimed_by.is_(None), Delivery.claimed_at < now - lease),
    )


def claim_batch(
    session: Session, *, worker_id: str, now: datetime, lease: timedelta, limit: int
) -> list[ClaimedDelivery]:
    """Claim up to `limit` due rows, oldest first, and mark their campaigns as sending."""
    connection = session.connection()
    candidates = (
        select(Delivery.id)
        .where(_claimable(now, lease))
        .order_by(Delivery.priority.desc(), Delivery.id)  # urgent (#khancap) rows first
        .limit(limit)
    )
    if is_sqlite(connection.engine):
        # One statement: SQLite runs the subquery once, under the write lock.
        chosen = Delivery.id.in_(candidates.scalar_subquery())
    else:
        # Lock first, then update: as a subquery PostgreSQL may rescan it once per updated
        # row and claim far more than `limit`.
        ids = connection.execute(candidates.with_for_update(skip_locked=True)).scalars()
        chosen = Delivery.id.in_(list(ids))
    rows = [
        ClaimedDelivery(*row)
        for row in connection.execute(
            update(Delivery)
            .where(chosen, _claimable(now, lease))
            .values(claimed_by=worker_id, claimed_at=now)
            .returning(
                Delivery.id,
                Delivery.campaign_id,
                Delivery.chat_id,
                Delivery.attempts,
                Delivery.priority,
            )
        )
    ]
    campaign_ids = {row.campaign_id for row in rows}
    if campaign_ids:
        connection.execute(
            update(Campaign)
            .where(Campaign.id.in_(campaign_ids), Campaign.status == CampaignStatus.QUEUED.value)
            .values(status=CampaignStatus.SENDING.value, started_at=now)
        )
    return sorted(rows, key=lambda row: (-row.priority, row.id))


def recover_at_start(
    session: Session, *, worker_id: str, now: datetime, lease: timedelta, single_sender: bool
) -> set[int]:
    """Fail rows a previous run left `sending` (they may have gone out) and free its claims.

    With a single sender (SQLite) every `sending` row and every claim is a leftover; with
    several, only this worker's own rows and `sending` rows whose lease expired. Returns the
    campaigns touched.
    """
    left_over = Delivery.status == SENDING
    claimed = and_(Delivery.status == PENDING, Delivery.claimed_by.is_not(None))
    if not single_sender:
        left_over = and_(
            left_over, or_(Delivery.claimed_by == worker_id, Delivery.claimed_at < now - lease)
        )
        claimed = and_(claimed, Delivery.claimed_by == worker_id)
    touched = _fail_ambiguous(session, left_over)
    _execute(session, update(Delivery).where(claimed).values(claimed_by=None, claimed_at=None))
    return touched


def recover_abandoned(
    session: Session, *, worker_id: str, now: datetime, lease: timedelta
) -> set[int]:
    """Fail rows another sender left `sending` past its lease (it died mid-request)."""
    abandoned = and_(
        Delivery.status == SENDING,
        Delivery.claimed_by != worker_id,
        Delivery.claimed_at < now - lease,
    )
    return _fail_ambiguous(session, abandoned)


def _fail_ambiguous(session: Session, condition) -> set[int]:
    result = _execute(
        session,
        update(Delivery)
        .where(condition)
        .values(status=DeliveryStatus.FAILED.value, error=AMBIGUOUS)
        .returning(Delivery.campaign_id),
    )
    return set(result.scalars())


def release_claims(session: Session, *, worker_id: str) -> int:
    """Give back the pending rows this worker claimed but did not send (graceful stop)."""
    return _execute(
        session,
        update(Delivery)
        .where(Delivery.status == PENDING, Delivery.claimed_by == worker_id)
        .values(claimed_by=None, claimed_at=None),
    ).rowcount


def release_rows(session: Session, *, worker_id: str, ids: list[int]) -> int:
    """Give back some pending rows this worker claimed (an urgent campaign goes first)."""
    return _execute(
        session,
        update(Delivery)
        .where(
            Delivery.id.in_(ids),
            Delivery.status == PENDING,
            Delivery.claimed_by == worker_id,
        )
        .values(claimed_by=None, claimed_at=None),
    ).rowcount


def next_due(session: Session, *, now: datetime, lease: timedelta) -> datetime | None:
    """When the earliest row this worker could claim becomes due; None if there is none."""
    return _execute(
        session,
        select(func.min(func.coalesce(Delivery.not_before, now))).where(
            Delivery.status == PENDING,
            or_(Delivery.claimed_by.is_(None), Delivery.claimed_at < now - lease),
        ),
    ).scalar()


# -- results of one claimed row ------------------------------------------------------------
def _move_claimed(
    session: Session, delivery_id: int, worker_id: str, from_status: str, **values: object
) -> bool:
    """One row of ours from `from_status` to `values`; False if it is no longer ours."""
    moved = _execute(
        session,
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == from_status,
            Delivery.claimed_by == worker_id,
        )
        .values(**values),
    ).rowcount
    return moved == 1


def start_sending(session: Session, delivery_id: int, *, worker_id: str, now: datetime) -> bool:
    """pending -> sending, to commit before the request; False if the row is no longer ours."""
    return _move_claimed(session, delivery_id, worker_id, PENDING, status=SENDING, claimed_at=now)


def mark_sent(
    session: Session,
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
    connection = session.connection()
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


def mark_final(session: Session, delivery_id: int, *, status: DeliveryStatus, error: str) -> None:
    """unreachable, failed or skipped: the row is done and will not be sent."""
    _execute(
        session,
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status=DeliveryStatus(status).value, error=_error(error)),
    )


def skip_claimed(session: Session, delivery_id: int, *, worker_id: str, reason: str) -> bool:
    """A claimed row the rules say not to send (opted out, daily cap): pending -> skipped."""
    return _move_claimed(
        session,
        delivery_id,
        worker_id,
        PENDING,
        status=DeliveryStatus.SKIPPED.value,
        error=_error(reason),
    )


def skip_other_pending(session: Session, chat_id: int, *, error: str) -> int:
    """A chat found unreachable: its unclaimed rows of other campaigns need no request."""
    return _execute(
        session,
        update(Delivery)
        .where(
            Delivery.chat_id == chat_id,
            Delivery.status == PENDING,
            Delivery.claimed_by.is_(None),
        )
        .values(status=DeliveryStatus.UNREACHABLE.value, error=_error(error)),
    ).rowcount


def retry_later(
    session: Session, delivery_id: int, *, not_before: datetime, attempts: int, error: str
) -> None:
    """The request never reached Telegram: back to pending, free for any sender after `not_before`."""
    _execute(
        session,
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == SENDING)
        .values(
            status=PENDING,
            attempts=attempts,
            not_before=not_before,
            claimed_by=None,
            claimed_at=None,
            error=_error(error),
        ),
    )


def back_to_queue(session: Session, delivery_id: int, *, worker_id: str) -> bool:
    """Flood control (429): the row was not sent; it stays claimed by us and goes out again."""
    return _move_claimed(session, delivery_id, worker_id, SENDING, status=PENDING)


# -- campaign-wide -------------------------------------------------------------------------
def defer_campaign(session: Session, campaign_id: int, *, until: datetime) -> int:
    """Quiet hours: every pending row of the campaign waits until `until`, unclaimed."""
    return _execute(
        session,
        update(Delivery)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == PENDING,
            or_(Delivery.not_before.is_(None), Delivery.not_before < until),
        )
        .values(not_before=until, claimed_by=None, claimed_at=None),
    ).rowcount


def close_campaign_rows(
    session: Session, campaign_id: int, *, status: DeliveryStatus, error: str
) -> int:
    """Expired, or a message Telegram rejects for everyone: close all pending rows at once."""
    return _execute(
        session,
        update(Delivery)
        .where(Delivery.campaign_id == campaign_id, Delivery.status == PENDING)
        .values(status=DeliveryStatus(status).value, error=_error(error)),
    ).rowcount


def promotions_since(session: Session, chat_id: int, *, since: datetime, exclude_id: int) -> int:
    """Promotions sent to (or on their way to) `chat_id` since `since`: the rolling daily cap."""
    counted = or_(
        and_(Delivery.status == DeliveryStatus.SENT.value, Delivery.sent_at >= since),
        and_(Delivery.status == SENDING, Delivery.id != exclude_id),
    )
    return _execute(
        session,
        select(func.count())
        .select_from(Delivery)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(
            Delivery.chat_id == chat_id,
            Campaign.topic == Topic.PROMOTIONS.value,
            counted,
        ),
    ).scalar_one()
