"""Outbox rows on a real database: claims with leases, recovery, and the results of a send."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.broadcast.claims import AMBIGUOUS
from bot.db import in_session
from bot.models import Campaign, Delivery, DeliveryExtra, DeliveryStatus, Topic, utc_now
from bot.storage.campaigns import create_campaign
from bot.storage.outbox import (
    back_to_queue,
    claim_batch,
    close_campaign_rows,
    defer_campaign,
    mark_final,
    mark_sent,
    next_due,
    promotions_since,
    recover_abandoned,
    recover_at_start,
    release_claims,
    release_rows,
    retry_later,
    skip_claimed,
    skip_other_pending,
    start_sending,
)

from .outbox_rows import set_rows, statuses

LEASE = timedelta(seconds=60)


def test_claims_lease_and_skip_rows_held_by_others(engine):
    campaign = in_session(
        engine, create_campaign, topic=Topic.EVENTS, text="x", created_by=1, recipients=range(1, 8)
    )
    now = utc_now()
    first = in_session(engine, claim_batch, worker_id="a", now=now, lease=LEASE, limit=3)
    second = in_session(
        engine, claim_batch, worker_id="b", now=now + LEASE / 2, lease=LEASE, limit=3
    )
    assert [r.chat_id for r in first] == [1, 2, 3]
    assert [r.chat_id for r in second] == [4, 5, 6]
    with engine.connect() as connection:
        status = connection.execute(select(Campaign.status).where(Campaign.id == campaign.id))
        assert status.scalar_one() == "sending"

    # Not due yet: not claimable, but next_due says when.
    later = now + timedelta(minutes=5)
    set_rows(engine, campaign.id, [7], not_before=later)
    assert in_session(engine, claim_batch, worker_id="c", now=now, lease=LEASE, limit=10) == []
    assert in_session(engine, next_due, now=now, lease=LEASE) == later

    # a's lease runs out: its rows go to whoever claims next; b's are still held.
    expired = now + LEASE + timedelta(seconds=1)
    third = in_session(engine, claim_batch, worker_id="c", now=expired, lease=LEASE, limit=10)
    assert [r.chat_id for r in third] == [1, 2, 3]
    assert in_session(engine, release_claims, worker_id="c") == 3
    assert [
        r.chat_id
        for r in in_session(engine, claim_batch, worker_id="d", now=now, lease=LEASE, limit=9)
    ] == [1, 2, 3]


def test_recovery_fails_sending_rows_and_frees_claims(engine):
    campaign = in_session(
        engine, create_campaign, topic=Topic.EVENTS, text="x", created_by=1, recipients=range(1, 7)
    )
    now = utc_now()
    old = now - LEASE - timedelta(seconds=1)
    set_rows(engine, campaign.id, [1], status="sending", claimed_by="me", claimed_at=now)
    set_rows(engine, campaign.id, [2], status="sending", claimed_by="other", claimed_at=now)
    set_rows(engine, campaign.id, [3], status="sending", claimed_by="dead", claimed_at=old)
    set_rows(engine, campaign.id, [4], claimed_by="me", claimed_at=now)
    set_rows(engine, campaign.id, [5], claimed_by="other", claimed_at=now)

    # Several senders (PostgreSQL): only my leftovers and expired leases.
    touched = in_session(
        engine, recover_at_start, worker_id="me", now=now, lease=LEASE, single_sender=False
    )
    assert touched == {campaign.id}
    assert statuses(engine, campaign.id) == {
        1: "failed",
        2: "sending",
        3: "failed",
        4: "pending",
        5: "pending",
        6: "pending",
    }
    with engine.connect() as connection:
        claimed = dict(connection.execute(select(Delivery.chat_id, Delivery.claimed_by)).all())
        errors = dict(connection.execute(select(Delivery.chat_id, Delivery.error)).all())
    assert (claimed[4], claimed[5]) == (None, "other")
    assert errors[1] == errors[3] == AMBIGUOUS

    # A live sender notices another one died once its lease is over.
    assert in_session(engine, recover_abandoned, worker_id="me", now=now, lease=LEASE) == set()
    later = now + LEASE + timedelta(seconds=1)
    assert in_session(engine, recover_abandoned, worker_id="me", now=later, lease=LEASE) == {
        campaign.id
    }
    assert statuses(engine, campaign.id)[2] == "failed"

    # A single sender (SQLite) owns every leftover.
    set_rows(engine, campaign.id, [6], status="sending", claimed_by="x", claimed_at=now)
    in_session(engine, recover_at_start, worker_id="new", now=now, lease=LEASE, single_sender=True)
    assert statuses(engine, campaign.id)[6] == "failed"
    assert in_session(engine, claim_batch, worker_id="new", now=now, lease=LEASE, limit=10) != []


def test_results_of_claimed_rows(engine):
    now = utc_now()
    campaign = in_session(
        engine,
        create_campaign,
        topic=Topic.PROMOTIONS,
        text="KM",
        created_by=1,
        recipients=range(1, 7),
    )
    other = in_session(
        engine, create_campaign, topic=Topic.EVENTS, text="Sự kiện", created_by=1, recipients=[5]
    )
    rows = in_session(engine, claim_batch, worker_id="me", now=now, lease=LEASE, limit=4)
    ids = {row.chat_id: row.id for row in rows}
    assert sorted(ids) == [1, 2, 3, 4]

    # Only the claimer moves a row to `sending`, and only once.
    assert not in_session(engine, start_sending, ids[1], worker_id="other", now=now)
    assert in_session(engine, start_sending, ids[1], worker_id="me", now=now)
    assert not in_session(engine, start_sending, ids[1], worker_id="me", now=now)
    assert in_session(engine, promotions_since, 1, since=now, exclude_id=ids[1]) == 0
    assert in_session(engine, promotions_since, 1, since=now, exclude_id=-1) == 1
    in_session(engine, mark_sent, ids[1], now=now, message_ids=[10, 11])
    assert in_session(engine, promotions_since, 1, since=now, exclude_id=-1) == 1
    with engine.connect() as connection:
        extra = connection.execute(select(DeliveryExtra.message_ids)).scalar_one()
        sent_id = connection.execute(
            select(Delivery.telegram_message_id).where(Delivery.id == ids[1])
        ).scalar_one()
    assert (extra, sent_id) == ("10,11", 10)

    # 429: back to pending, still ours; a network error: pending, free, later, counted.
    in_session(engine, start_sending, ids[2], worker_id="me", now=now)
    assert in_session(engine, back_to_queue, ids[2], worker_id="me")
    in_session(engine, start_sending, ids[2], worker_id="me", now=now)
    later = now + timedelta(seconds=30)
    in_session(engine, retry_later, ids[2], not_before=later, attempts=1, error="x" * 600)
    assert in_session(engine, skip_claimed, ids[3], worker_id="me", reason="opted out")
    in_session(engine, mark_final, ids[4], status=DeliveryStatus.UNREACHABLE, error="blocked")
    # Chat 5 is unreachable: its unclaimed rows of other campaigns need no request.
    assert in_session(engine, skip_other_pending, 5, error="blocked") == 2
    assert statuses(engine, campaign.id) == {
        1: "sent",
        2: "pending",
        3: "skipped",
        4: "unreachable",
        5: "unreachable",
        6: "pending",
    }
    assert statuses(engine, other.id) == {5: "unreachable"}
    with engine.connect() as connection:
        retried = connection.execute(select(Delivery).where(Delivery.id == ids[2])).one()
    assert (retried.attempts, retried.not_before, retried.claimed_by) == (1, later, None)
    assert len(retried.error) == 512

    # Quiet hours push every pending row back, unclaimed; expiry closes them all.
    assert in_session(engine, release_rows, worker_id="me", ids=[ids[2]]) == 0  # not ours now
    assert in_session(engine, defer_campaign, campaign.id, until=later) == 1  # 2 waits already
    assert in_session(engine, next_due, now=now, lease=LEASE) == later
    closed = in_session(
        engine, close_campaign_rows, campaign.id, status=DeliveryStatus.SKIPPED, error="expired"
    )
    assert closed == 2
    assert set(statuses(engine, campaign.id).values()) == {"sent", "skipped", "unreachable"}
