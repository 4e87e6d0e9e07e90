"""The outbox on a real database: campaigns, claims with leases, recovery, reports."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from bot.broadcast import CampaignError
from bot.broadcast.claims import AMBIGUOUS
from bot.db import in_session
from bot.models import Campaign, Delivery, Subscription, Topic, User, utc_now
from bot.storage.campaigns import (
    campaign_report,
    cancel_campaign,
    create_campaign,
    finish_campaigns,
    recent_campaigns,
    set_progress_message,
)
from bot.storage.citizens import mark_unreachable
from bot.storage.outbox import (
    claim_batch,
    next_due,
    recover_abandoned,
    recover_at_start,
    release_claims,
)

LEASE = timedelta(seconds=60)


def seed(engine, chat_ids, topic=Topic.ANNOUNCEMENTS) -> None:
    now = utc_now()
    with engine.begin() as connection:
        connection.execute(
            insert(User), [{"chat_id": c, "first_seen": now, "last_seen": now} for c in chat_ids]
        )
        connection.execute(
            insert(Subscription),
            [{"chat_id": c, "topic": topic.value, "created_at": now} for c in chat_ids],
        )


def statuses(engine, campaign_id: int) -> dict[int, str]:
    with engine.connect() as connection:
        result = connection.execute(
            select(Delivery.chat_id, Delivery.status).where(Delivery.campaign_id == campaign_id)
        )
        return dict(result.all())


def set_rows(engine, campaign_id: int, chat_ids, **values) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(Delivery)
            .where(Delivery.campaign_id == campaign_id, Delivery.chat_id.in_(chat_ids))
            .values(**values)
        )


def test_create_campaign_queues_5000_reachable_subscribers_quickly(engine):
    chats = list(range(10_000, 15_000))
    seed(engine, chats)
    in_session(engine, mark_unreachable, 10_001, "Forbidden: bot was blocked by the user")
    started = time.perf_counter()
    campaign = in_session(
        engine,
        create_campaign,
        topic=Topic.ANNOUNCEMENTS,
        text="Lịch tiêm chủng",
        created_by=42,
        progress_chat_id=42,
    )
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"creating 5,000 rows took {elapsed:.2f}s"
    assert campaign.id is not None and campaign.total == 4_999
    rows = statuses(engine, campaign.id)
    assert len(rows) == 4_999 and 10_001 not in rows and set(rows.values()) == {"pending"}
    report = in_session(engine, campaign_report, campaign.id)
    assert (report.total, report.pending, report.status) == (4_999, 4_999, "queued")
    assert report.progress_chat_id == 42 and report.duration == timedelta(0)


def test_explicit_recipients_are_deduplicated_and_empty_text_refused(engine):
    campaign = in_session(
        engine,
        create_campaign,
        topic="events",
        text="Nhắc lịch",
        created_by=None,
        kind="notice",
        notice_id="hoi-thao",
        recipients=[3, 1, 3, 2, 1],
    )
    assert sorted(statuses(engine, campaign.id)) == [1, 2, 3]
    assert (campaign.kind, campaign.topic, campaign.notice_id) == ("notice", "events", "hoi-thao")
    with pytest.raises(CampaignError):
        in_session(
            engine, create_campaign, topic=Topic.EVENTS, text="  ", created_by=1, recipients=[1]
        )
    with pytest.raises(ValueError):
        in_session(engine, create_campaign, topic="weather", text="x", created_by=1, recipients=[1])


def test_campaign_without_recipients_is_closed_by_the_sender(engine):
    campaign = in_session(
        engine, create_campaign, topic=Topic.PROMOTIONS, text="Không ai", created_by=1
    )
    assert campaign.total == 0
    assert in_session(engine, finish_campaigns, now=utc_now()) == [campaign.id]
    assert in_session(engine, finish_campaigns, now=utc_now()) == []  # closed exactly once
    assert in_session(engine, campaign_report, campaign.id).status == "done"


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


def test_cancel_report_and_recent(engine):
    first = in_session(
        engine, create_campaign, topic=Topic.EVENTS, text="một", created_by=1, recipients=[1, 2]
    )
    second = in_session(
        engine,
        create_campaign,
        topic=Topic.EVENTS,
        text="hai",
        created_by=1,
        recipients=[1, 2, 3, 4],
    )
    set_rows(engine, second.id, [1], status="sent")
    set_rows(engine, second.id, [2], status="sending", claimed_by="w", claimed_at=utc_now())
    assert in_session(engine, cancel_campaign, second.id) is True
    assert statuses(engine, second.id) == {1: "sent", 2: "sending", 3: "cancelled", 4: "cancelled"}
    report = in_session(engine, campaign_report, second.id)
    assert (report.status, report.sent, report.cancelled, report.pending) == ("cancelled", 1, 2, 1)
    assert not report.finished
    assert in_session(engine, finish_campaigns, now=utc_now()) == []  # a row is still in flight
    set_rows(engine, second.id, [2], status="sent")
    assert in_session(engine, finish_campaigns, now=utc_now()) == [second.id]
    report = in_session(engine, campaign_report, second.id)
    assert report.status == "cancelled" and report.finished

    in_session(engine, set_progress_message, first.id, 42, 777)
    recent = in_session(engine, recent_campaigns, limit=5)
    assert [r.campaign_id for r in recent] == [second.id, first.id]
    assert (recent[1].progress_chat_id, recent[1].progress_message_id) == (42, 777)
    assert recent[1].pending == 2 and recent[1].text == "một"
    assert in_session(engine, campaign_report, 999_999) is None
