"""Campaigns on a real database: created with their rows, cancelled, closed, reported."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from bot.broadcast import CampaignError
from bot.broadcast.csv_report import campaign_csv
from bot.db import in_session
from bot.models import Topic, utc_now
from bot.storage.campaigns import (
    campaign_report,
    cancel_campaign,
    create_campaign,
    delivery_outcomes,
    finish_campaigns,
    recent_campaigns,
    sending_details,
    set_progress_message,
)
from bot.storage.citizens import mark_unreachable

from .outbox_rows import seed, set_rows, statuses


def test_create_campaign_queues_5000_reachable_subscribers_in_bulk(engine):
    chats = list(range(10_000, 15_000))
    seed(engine, chats)
    in_session(engine, mark_unreachable, 10_001, "Forbidden: bot was blocked by the user")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        campaign = in_session(
            engine,
            create_campaign,
            topic=Topic.ANNOUNCEMENTS,
            text="Lịch tiêm chủng",
            created_by=42,
            progress_chat_id=42,
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # the rows are written in bulk, not one statement per recipient (speed is a benchmark)
    assert len(statements) < 50, f"{len(statements)} statements for 5,000 rows"
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


def test_campaign_and_progress_message_share_one_transaction(engine):
    def queue_with_progress(session):
        campaign = create_campaign(
            session, topic=Topic.EVENTS, text="Một lần", created_by=1, recipients=[1, 2]
        )
        set_progress_message(session, campaign.id, 42, 777)
        return campaign.id

    campaign_id = in_session(engine, queue_with_progress)
    report = in_session(engine, campaign_report, campaign_id)
    assert (report.total, report.progress_chat_id, report.progress_message_id) == (2, 42, 777)

    def fail_after_progress(session):
        queue_with_progress(session)
        raise RuntimeError("Telegram refused")

    with pytest.raises(RuntimeError):
        in_session(engine, fail_after_progress)
    assert [r.campaign_id for r in in_session(engine, recent_campaigns)] == [campaign_id]


def test_what_the_sender_and_the_csv_report_read(engine):
    expires = datetime(2027, 10, 10, 8, 0)
    campaign = in_session(
        engine,
        create_campaign,
        topic=Topic.PROMOTIONS,
        text="[QC] Quà",
        created_by=1,
        expires_at=expires,
        recipients=[3, 1, 2],
    )
    row = in_session(engine, sending_details, campaign.id)
    assert tuple(row) == (campaign.id, "promotions", "[QC] Quà", expires, None, None)
    set_rows(engine, campaign.id, [1], status="sent", sent_at=datetime(2027, 10, 10, 1, 0, 5))
    set_rows(engine, campaign.id, [2], status="unreachable", error="=blocked")
    rows = in_session(engine, delivery_outcomes, campaign.id)
    assert [tuple(r) for r in rows] == [
        (1, "sent", None, datetime(2027, 10, 10, 1, 0, 5)),
        (2, "unreachable", "=blocked", None),
        (3, "pending", None, None),
    ]
    assert campaign_csv(rows, ZoneInfo("Asia/Ho_Chi_Minh")).decode("utf-8") == (
        "\ufeffchat_id,status,error,time\n"
        "1,sent,,2027-10-10T08:00:05+07:00\n"
        "2,unreachable,'=blocked,\n"
        "3,pending,,\n"
    )
