"""Promotions through the sender with a fixed clock: quiet hours, expiry, daily cap, opt-out, [QC]."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select
from telegram import Bot

from bot.broadcast.sender import OPT_OUT_CALLBACK, OPT_OUT_LABEL, OutboxSender
from bot.config import Settings
from bot.db import in_session
from bot.models import Delivery, Subscription, Topic, User, utc_now
from bot.storage.campaigns import campaign_report, create_campaign
from bot.storage.citizens import unsubscribe

from clocks import FixedClock

# Outcomes depend on the time of day: .ci/run also runs these under faketime.
pytestmark = pytest.mark.clock_sensitive

# Asia/Ho_Chi_Minh is UTC+7 all year: 23:30 local is 16:30 UTC, 07:00 local is 00:00 UTC.
EVENING = datetime(2025, 3, 10, 16, 30)  # 23:30 local, inside 22:00-07:00
NEXT_MORNING = datetime(2025, 3, 11, 0, 0)  # 07:00 local: quiet hours are over
EARLY = datetime(2025, 3, 10, 22, 0)  # 05:00 local on the 11th
NOON = datetime(2025, 3, 10, 5, 0)  # 12:00 local


@pytest.fixture
async def bot(standin):
    async with Bot(standin.token, base_url=standin.base_url) as client:
        yield client


def settings(**overrides) -> Settings:
    values = {
        "quiet_hours": "22:00-07:00",
        "promo_max_per_day": 3,
        "per_chat_interval_seconds": 0.0,
        "broadcast_rate_per_second": 200,
    }
    return Settings(_env_file=None, **(values | overrides))


def seed(engine, chat_ids, topics=(Topic.PROMOTIONS, Topic.ANNOUNCEMENTS)) -> None:
    now = utc_now()
    with engine.begin() as connection:
        connection.execute(
            insert(User), [{"chat_id": c, "first_seen": now, "last_seen": now} for c in chat_ids]
        )
        connection.execute(
            insert(Subscription),
            [{"chat_id": c, "topic": t.value, "created_at": now} for c in chat_ids for t in topics],
        )


def rows(engine, campaign_id: int) -> list[Delivery]:
    with engine.connect() as connection:
        result = connection.execute(select(Delivery).where(Delivery.campaign_id == campaign_id))
        return [Delivery.model_validate(row._mapping) for row in result]


async def test_promotion_waits_for_the_end_of_quiet_hours(engine, standin, bot):
    seed(engine, [1, 2])
    clock = FixedClock(EVENING)
    sender = OutboxSender(engine, bot, settings(), clock=clock)
    promo = in_session(
        engine, create_campaign, topic=Topic.PROMOTIONS, text="Giảm 50% phí", created_by=1
    )
    news = in_session(
        engine, create_campaign, topic=Topic.ANNOUNCEMENTS, text="Thông báo", created_by=1
    )
    await sender.run_until_idle()

    # Announcements ignore quiet hours; the promotion waits until 07:00 local.
    assert [m["text"] for m in standin.messages_to(1)] == ["Thông báo"]
    assert in_session(engine, campaign_report, news.id).status == "done"
    assert {(r.status, r.not_before) for r in rows(engine, promo.id)} == {("pending", NEXT_MORNING)}
    assert in_session(engine, campaign_report, promo.id).pending == 2

    clock.now = NEXT_MORNING + timedelta(seconds=1)
    await sender.run_until_idle()
    message = standin.messages_to(1)[-1]
    assert message["text"] == "[QC] Giảm 50% phí"
    button = message["reply_markup"]["inline_keyboard"][0][0]
    assert (button["text"], button["callback_data"]) == (OPT_OUT_LABEL, OPT_OUT_CALLBACK)
    assert in_session(engine, campaign_report, promo.id).sent == 2


async def test_quiet_hours_wrap_midnight_early_morning_defers_to_same_day(engine, standin, bot):
    seed(engine, [1])
    promo = in_session(
        engine, create_campaign, topic=Topic.PROMOTIONS, text="[QC] Ưu đãi", created_by=1
    )
    await OutboxSender(engine, bot, settings(), clock=FixedClock(EARLY)).run_until_idle()
    assert standin.sent_messages == []
    assert [r.not_before for r in rows(engine, promo.id)] == [NEXT_MORNING]


async def test_promotion_expiring_before_quiet_hours_end_is_skipped(engine, standin, bot):
    seed(engine, [1, 2])
    promo = in_session(
        engine,
        create_campaign,
        topic=Topic.PROMOTIONS,
        text="Chỉ tối nay",
        created_by=1,
        expires_at=EVENING + timedelta(hours=2),
    )
    await OutboxSender(engine, bot, settings(), clock=FixedClock(EVENING)).run_until_idle()
    assert standin.sent_messages == []
    assert {(r.status, r.error) for r in rows(engine, promo.id)} == {("skipped", "expired")}
    report = in_session(engine, campaign_report, promo.id)
    assert (report.skipped, report.status) == (2, "done")


async def test_expired_campaign_is_not_sent(engine, standin, bot):
    seed(engine, [1])
    late = in_session(
        engine,
        create_campaign,
        topic=Topic.EVENTS,
        text="Hội thảo",
        created_by=1,
        expires_at=NOON,
        recipients=[1],
    )
    clock = FixedClock(NOON + timedelta(minutes=1))
    await OutboxSender(engine, bot, settings(), clock=clock).run_until_idle()
    assert standin.sent_messages == []
    assert [r.status for r in rows(engine, late.id)] == ["skipped"]


async def test_opted_out_chat_is_skipped_at_send_time(engine, standin, bot):
    seed(engine, [1, 2])
    promo = in_session(engine, create_campaign, topic=Topic.PROMOTIONS, text="Ưu đãi", created_by=1)
    in_session(engine, unsubscribe, 2, Topic.PROMOTIONS)  # after the campaign was queued
    await OutboxSender(engine, bot, settings(), clock=FixedClock(NOON)).run_until_idle()
    assert [m["chat_id"] for m in standin.sent_messages] == [1]
    skipped = [(r.chat_id, r.error) for r in rows(engine, promo.id) if r.status == "skipped"]
    assert skipped == [(2, "opted out")]


async def test_daily_cap_counts_a_rolling_24_hours(engine, standin, bot):
    seed(engine, [1])
    clock = FixedClock(NOON)
    sender = OutboxSender(engine, bot, settings(promo_max_per_day=2), clock=clock)
    outcomes = []
    for hour in range(4):
        clock.now = NOON + timedelta(hours=hour)
        promo = in_session(
            engine, create_campaign, topic=Topic.PROMOTIONS, text=f"KM {hour}", created_by=1
        )
        await sender.run_until_idle()
        outcomes.append([(r.status, r.error) for r in rows(engine, promo.id)][0])
    assert outcomes == [
        ("sent", None),
        ("sent", None),
        ("skipped", "daily cap"),
        ("skipped", "daily cap"),
    ]
    # 24 h after the first one, one slot is free again (announcements never count).
    clock.now = NOON + timedelta(hours=24, minutes=1)
    again = in_session(engine, create_campaign, topic=Topic.PROMOTIONS, text="KM mới", created_by=1)
    await sender.run_until_idle()
    assert [r.status for r in rows(engine, again.id)] == ["sent"]
    assert [m["text"] for m in standin.messages_to(1)] == ["[QC] KM 0", "[QC] KM 1", "[QC] KM mới"]


async def test_daily_cap_is_rolling_across_local_midnight(engine, standin, bot):
    """A new calendar day in Hà Nội frees no slot: only 24 hours after a promotion do."""
    seed(engine, [1])
    evening = datetime(2026, 12, 31, 13, 0)  # 20:00 local on 31 December
    clock = FixedClock(evening)
    sender = OutboxSender(engine, bot, settings(promo_max_per_day=2), clock=clock)
    statuses = []
    for at in (
        evening,  # 20:00
        evening + timedelta(hours=1),  # 21:00
        evening + timedelta(hours=11, minutes=30),  # 07:30 on 1 January: a new local day
        evening + timedelta(hours=24, minutes=1),  # 20:01 on 1 January
    ):
        clock.now = at
        promo = in_session(
            engine, create_campaign, topic=Topic.PROMOTIONS, text=f"KM {at:%H%M}", created_by=1
        )
        await sender.run_until_idle()
        statuses.append(rows(engine, promo.id)[0].status)
    assert statuses == ["sent", "sent", "skipped", "sent"]
