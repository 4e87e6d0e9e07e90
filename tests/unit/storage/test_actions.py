"""Recall and edit rows on both backends: queued once, items leased to one worker, recovered."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot.broadcast.actions import AMBIGUOUS, AlreadyRecalled
from bot.db import in_session
from bot.models import (
    ActionItem,
    ActionStatus,
    Campaign,
    Delivery,
    DeliveryExtra,
    DeliveryStatus,
    ItemStatus,
    Topic,
)
from bot.storage import actions
from bot.storage.campaigns import create_campaign

from .outbox_rows import replicas_at_once

NOW = datetime(2026, 12, 2, 5, 0)
LEASE = timedelta(seconds=60)


def delivered(engine, chat_ids, *, album_of: int | None = None) -> int:
    """A campaign whose copies reached `chat_ids` (message id = chat id + 1000)."""
    campaign = in_session(
        engine,
        create_campaign,
        topic=Topic.ANNOUNCEMENTS,
        text="Tin",
        created_by=7,
        recipients=chat_ids,
    )

    def mark(session) -> None:
        for row in session.exec(select(Delivery).where(Delivery.campaign_id == campaign.id)):
            row.status, row.sent_at = DeliveryStatus.SENT.value, NOW - timedelta(hours=1)
            row.telegram_message_id = row.chat_id + 1000
            session.add(row)
            if row.chat_id == album_of:
                session.add(
                    DeliveryExtra(delivery_id=row.id, message_ids=f"{row.chat_id + 1000},9")
                )

    in_session(engine, mark)
    return campaign.id


def items(engine, action_id: int) -> list[ActionItem]:
    return in_session(
        engine,
        lambda s: list(
            s.exec(
                select(ActionItem).where(ActionItem.action_id == action_id).order_by(ActionItem.id)
            )
        ),
    )


def test_a_recall_is_queued_once_with_every_copy(engine) -> None:
    campaign_id = delivered(engine, [1, 2, 3], album_of=2)
    action_id = in_session(
        engine, actions.queue_recall, campaign_id, created_by=7, now=NOW, progress_message_id=5
    )
    assert [(i.chat_id, i.message_ids) for i in items(engine, action_id)] == [
        (1, "1001"),
        (2, "1002,9"),
        (3, "1003"),
    ]
    with pytest.raises(AlreadyRecalled):
        in_session(engine, actions.queue_recall, campaign_id, created_by=7, now=NOW)
    assert in_session(engine, actions.recall_of, campaign_id) == action_id
    report = in_session(engine, actions.action_report, action_id)
    assert (report.kind, report.status, report.total, report.pending) == ("recall", "queued", 3, 3)
    assert report.progress_message_id == 5
    assert in_session(engine, actions.action_report, 10_000) is None


def test_an_edit_waits_for_confirmation_then_changes_the_text_once(engine) -> None:
    campaign_id = delivered(engine, [1, 2], album_of=2)
    action_id = in_session(
        engine, actions.create_edit, campaign_id, text="Tin đúng", created_by=7, now=NOW
    )
    assert in_session(engine, actions.load_action, action_id).status == ActionStatus.DRAFT.value
    assert items(engine, action_id) == []
    assert in_session(engine, actions.queue_edit, action_id, progress_chat_id=7) == 2
    assert in_session(engine, actions.queue_edit, action_id) is None  # pressed twice
    assert [i.message_ids for i in items(engine, action_id)] == ["1001", "1002"]  # caption only
    assert in_session(engine, lambda s: s.get(Campaign, campaign_id).text) == "Tin đúng"
    kind, text, topic, media = in_session(engine, actions.action_content, action_id)
    assert (kind, text, topic, media) == ("edit", "Tin đúng", Topic.ANNOUNCEMENTS.value, None)


def test_workers_never_share_an_item(engine, database_url) -> None:
    campaign_id = delivered(engine, range(1, 13))
    action_id = in_session(engine, actions.queue_recall, campaign_id, created_by=7, now=NOW)

    def claim(replica, index: int) -> list[int]:
        rows = in_session(
            replica, actions.claim_items, worker_id=f"w{index}", now=NOW, lease=LEASE, limit=5
        )
        return [item.chat_id for item in rows]

    claimed = dict(enumerate(replicas_at_once(database_url, 3, claim)))
    every = [chat for chats in claimed.values() for chat in chats]
    assert sorted(every) == list(range(1, 13)) and len(every) == len(set(every))
    assert in_session(engine, actions.action_report, action_id).status == "running"
    # nothing is left to claim until the leases run out
    assert (
        in_session(engine, actions.claim_items, worker_id="x", now=NOW, lease=LEASE, limit=20) == []
    )
    assert in_session(engine, actions.next_item_due, now=NOW, lease=LEASE) is None
    later = NOW + LEASE + timedelta(seconds=1)
    assert (
        len(
            in_session(engine, actions.claim_items, worker_id="x", now=later, lease=LEASE, limit=20)
        )
        == 12
    )


def test_an_item_goes_sending_then_done_and_the_action_closes_once(engine) -> None:
    campaign_id = delivered(engine, [1, 2])
    action_id = in_session(engine, actions.queue_recall, campaign_id, created_by=7, now=NOW)
    first, second = in_session(
        engine, actions.claim_items, worker_id="w", now=NOW, lease=LEASE, limit=10
    )
    assert not in_session(engine, actions.start_item, first.id, worker_id="other", now=NOW)
    assert in_session(engine, actions.start_item, first.id, worker_id="w", now=NOW)
    assert not in_session(engine, actions.start_item, first.id, worker_id="w", now=NOW)
    in_session(engine, actions.finish_item, first.id, status=ItemStatus.DONE, now=NOW)
    assert in_session(engine, actions.finish_actions, now=NOW) == []  # the second is open
    assert in_session(engine, actions.start_item, second.id, worker_id="w", now=NOW)
    assert in_session(engine, actions.item_back, second.id, worker_id="w")  # flood control
    assert in_session(engine, actions.start_item, second.id, worker_id="w", now=NOW)
    in_session(
        engine, actions.finish_item, second.id, status=ItemStatus.GONE, now=NOW, error="x" * 600
    )
    assert in_session(engine, actions.finish_actions, now=NOW) == [action_id]
    assert in_session(engine, actions.finish_actions, now=NOW) == []
    report = in_session(engine, actions.action_report, action_id)
    assert (report.status, report.done, report.gone, report.pending) == ("done", 1, 1, 0)
    assert len(items(engine, action_id)[1].error) == 512


def test_a_retried_item_waits_and_a_crashed_one_comes_back_ambiguous(engine) -> None:
    campaign_id = delivered(engine, [1, 2, 3])
    action_id = in_session(engine, actions.queue_recall, campaign_id, created_by=7, now=NOW)
    one, two, three = in_session(
        engine, actions.claim_items, worker_id="dead", now=NOW, lease=LEASE, limit=10
    )
    for item in (one, two):
        assert in_session(engine, actions.start_item, item.id, worker_id="dead", now=NOW)
    retry_at = NOW + timedelta(seconds=30)
    in_session(engine, actions.retry_item, one.id, not_before=retry_at, attempts=1, error="timeout")
    assert in_session(engine, actions.next_item_due, now=NOW, lease=LEASE) == retry_at
    # another worker, after the lease: `two` was in flight, `three` only claimed
    later = NOW + LEASE + timedelta(seconds=1)
    recovered = in_session(
        engine, actions.recover_items, worker_id="new", now=later, lease=LEASE, single_sender=False
    )
    assert recovered == 1
    rows = {row.id: row for row in items(engine, action_id)}
    assert (rows[two.id].status, rows[two.id].error, rows[two.id].claimed_by) == (
        "pending",
        AMBIGUOUS,
        None,
    )
    assert (rows[three.id].error, rows[three.id].claimed_by) == (None, None)
    assert (rows[one.id].attempts, rows[one.id].error) == (1, "timeout")
    claimed = in_session(
        engine, actions.claim_items, worker_id="new", now=later, lease=LEASE, limit=10
    )
    assert [item.id for item in claimed] == [one.id, two.id, three.id]
    assert [item.ambiguous for item in claimed] == [False, True, False]
    assert in_session(engine, actions.release_items, worker_id="new") == 3


def test_a_fresh_claim_of_a_live_worker_is_not_recovered(engine) -> None:
    campaign_id = delivered(engine, [1])
    in_session(engine, actions.queue_recall, campaign_id, created_by=7, now=NOW)
    [item] = in_session(
        engine, actions.claim_items, worker_id="live", now=NOW, lease=LEASE, limit=1
    )
    in_session(engine, actions.start_item, item.id, worker_id="live", now=NOW)
    assert (
        in_session(
            engine,
            actions.recover_items,
            worker_id="new",
            now=NOW,
            lease=LEASE,
            single_sender=False,
        )
        == 0
    )
    # one sender per database (SQLite): whatever is in flight was left by a crash
    assert (
        in_session(
            engine, actions.recover_items, worker_id="new", now=NOW, lease=LEASE, single_sender=True
        )
        == 1
    )
