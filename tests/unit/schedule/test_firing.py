"""Firing notices exactly once, on SQLite and PostgreSQL (the `engine` fixture of conftest)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.db import in_session
from bot.models import Campaign, Delivery, NoticeFire, Topic
from bot.schedule import firing
from bot.schedule.firing import (
    fire_notice,
    settle_due,
    settle_interrupted_fires,
)
from bot.schedule.notices import parse_notice
from bot.schedule.timing import REMINDER, FireInstant
from bot.storage.citizens import subscribe

# Outcomes depend on the time of day: .ci/run also runs these under faketime.
pytestmark = pytest.mark.clock_sensitive

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2027, 10, 10, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội / TP.HCM
HOUR = timedelta(hours=1)


def event(**fields):
    base = {"id": "ngay-cds", "topic": "events", "text": "<b>10/10</b>", "cron": "0 8 10 10 *"}
    return parse_notice(base | fields)


def rows(engine, model):
    with Session(engine) as session:
        return list(session.exec(select(model).order_by(model.id)))


def test_fire_notice_twice_queues_one_campaign(engine):
    for chat_id in (101, 102):
        in_session(engine, subscribe, chat_id, Topic.EVENTS)
    in_session(engine, subscribe, 103, Topic.PROMOTIONS)
    notice = event()
    campaign = fire_notice(engine, notice, NOW)
    assert campaign is not None
    assert (campaign.kind, campaign.topic, campaign.notice_id) == ("notice", "events", "ngay-cds")
    assert campaign.text == "<b>10/10</b>" and campaign.total == 2
    assert sorted(d.chat_id for d in rows(engine, Delivery)) == [101, 102]
    assert fire_notice(engine, notice, NOW) is None
    assert fire_notice(engine, notice, NOW.astimezone(HCM)) is None  # same instant, other zone
    (fire,) = rows(engine, NoticeFire)
    assert (fire.notice_id, fire.fire_at, fire.kind) == (
        "ngay-cds",
        datetime(2027, 10, 10, 1),
        "notice",
    )
    assert (fire.outcome, fire.campaign_id) == ("queued", campaign.id)
    assert len(rows(engine, Campaign)) == 1


def test_reminder_and_promotion_campaigns(engine):
    promo = parse_notice(
        {
            "id": "km",
            "topic": "promotions",
            "at": "2027-10-10T09:00:00",
            "text": "Tặng quà",
            "remind_before": ["1d"],
            "expires_after": "6h",
        }
    )
    at = datetime(2027, 10, 10, 2, 0, tzinfo=UTC)
    reminder = fire_notice(engine, promo, at - timedelta(days=1), before=timedelta(days=1))
    main = fire_notice(engine, promo, FireInstant(at, "km"))
    assert reminder.text == "[QC] ⏳ Còn 1 ngày nữa: Tặng quà"
    assert main.text == "[QC] Tặng quà"
    assert main.expires_at == datetime(2027, 10, 10, 8, 0)
    assert reminder.expires_at == datetime(2027, 10, 9, 8, 0)
    assert [f.kind for f in rows(engine, NoticeFire)] == [REMINDER, "notice"]


def test_concurrent_fires_in_threads_make_one_campaign(engine):
    notice = event()
    barrier = threading.Barrier(4)
    results: list[Campaign | None] = []
    errors: list[BaseException] = []

    def fire() -> None:
        barrier.wait()
        try:
            results.append(fire_notice(engine, notice, NOW))
        except BaseException as error:  # pragma: no cover - shown by the assert below
            errors.append(error)

    threads = [threading.Thread(target=fire) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sum(result is not None for result in results) == 1
    assert len(rows(engine, Campaign)) == 1
    assert len(rows(engine, NoticeFire)) == 1


def test_failed_campaign_gives_the_instant_back(engine, monkeypatch):
    notice = event()

    def broken(*_args, **_kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(firing, "create_campaign", broken)
    with pytest.raises(RuntimeError):
        fire_notice(engine, notice, NOW)
    assert rows(engine, NoticeFire) == []
    assert rows(engine, Campaign) == []
    monkeypatch.undo()
    campaign = fire_notice(engine, notice, NOW)  # the same instant can fire after all
    assert campaign is not None and campaign.notice_id == "ngay-cds"
    (fire,) = rows(engine, NoticeFire)
    assert (fire.fire_at, fire.outcome, fire.campaign_id) == (
        datetime(2027, 10, 10, 1),
        "queued",
        campaign.id,
    )


def test_claim_and_campaign_are_one_transaction(engine, monkeypatch):
    """A failure after the campaign and its rows were written leaves neither claim nor campaign,
    and until the commit nobody else sees the claim."""
    for chat_id in (101, 102):
        in_session(engine, subscribe, chat_id, Topic.EVENTS)
    notice = event()
    real_create = firing.create_campaign
    seen_by_others: list[int] = []

    def create_then_crash(session, **fields):
        campaign = real_create(session, **fields)
        session.flush()
        seen_by_others.append(len(rows(engine, NoticeFire)) + len(rows(engine, Campaign)))
        raise RuntimeError(f"crash after campaign {campaign.id}")

    monkeypatch.setattr(firing, "create_campaign", create_then_crash)
    with pytest.raises(RuntimeError, match="crash after campaign"):
        fire_notice(engine, notice, NOW)
    assert seen_by_others == [0]  # the claim was never committed on its own
    assert rows(engine, NoticeFire) == [] and rows(engine, Campaign) == []
    assert rows(engine, Delivery) == []
    monkeypatch.undo()
    campaign = fire_notice(engine, notice, NOW)
    assert campaign is not None and campaign.total == 2
    (fire,) = rows(engine, NoticeFire)
    assert (fire.outcome, fire.campaign_id) == ("queued", campaign.id)


def start_up(engine, notice, now):
    """What the scheduler does at start: settle the last week, send what is recent enough."""
    return firing.settle_due(
        engine, notice, since=now - firing.SKIP_LOOKBACK, now=now, tz=HCM, catchup_window=HOUR
    )


def test_missed_30_minutes_ago_is_sent_once(engine):
    notice = event()
    now = NOW + timedelta(minutes=30)
    result = start_up(engine, notice, now)
    assert [c.notice_id for c in result.fired] == ["ngay-cds"] and result.skipped == []
    again = start_up(engine, notice, now + timedelta(minutes=1))
    assert again.fired == [] and again.skipped == []
    assert len(rows(engine, Campaign)) == 1


def test_missed_2_hours_ago_is_skipped_and_recorded(engine, caplog):
    notice = event()
    now = NOW + 2 * HOUR
    result = start_up(engine, notice, now)
    assert result.fired == []
    assert [i.at for i in result.skipped] == [NOW]
    assert "skipped" in caplog.text and "ngay-cds" in caplog.text
    (fire,) = rows(engine, NoticeFire)
    assert (fire.outcome, fire.campaign_id) == ("skipped", None)
    assert rows(engine, Campaign) == []
    # Recorded once: the next start neither sends it nor logs it again.
    assert start_up(engine, notice, now).skipped == []


def test_settle_due_fires_reminders_and_notice_in_order(engine):
    notice = event(remind_before=["7d", "1d"])
    since = NOW - timedelta(days=8)
    result = settle_due(
        engine, notice, since=since, now=NOW, tz=HCM, catchup_window=timedelta(days=10)
    )
    assert [c.text.split(":")[0] for c in result.fired] == [
        "⏳ Còn 7 ngày nữa",
        "⏳ Còn 1 ngày nữa",
        "<b>10/10</b>",
    ]
    assert settle_due(engine, notice, since=since, now=NOW, tz=HCM, catchup_window=HOUR).fired == []


def test_interrupted_claims_are_linked_or_marked_lost(engine):
    notice = event()
    long_ago = datetime(2027, 10, 10, 0, 0)
    with Session(engine) as session:
        session.add(
            NoticeFire(
                notice_id="ngay-cds", fire_at=long_ago, outcome="firing", created_at=long_ago
            )
        )
        session.add(
            NoticeFire(
                notice_id="ngay-cds",
                fire_at=datetime(2026, 10, 10, 1),
                outcome="firing",
                created_at=long_ago,
            )
        )
        session.add(
            Campaign(
                kind="notice", topic="events", text="x", notice_id="ngay-cds", created_at=long_ago
            )
        )
        session.commit()
    settled = settle_interrupted_fires(engine, now=long_ago + HOUR)
    assert sorted(f.outcome for f in settled) == ["lost", "queued"]
    assert {f.outcome for f in rows(engine, NoticeFire)} == {"lost", "queued"}
    assert fire_notice(engine, notice, long_ago) is None  # never sent twice
