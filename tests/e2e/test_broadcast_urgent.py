"""#khancap: officials' urgent lane goes first, during quiet hours too, and may pay for speed."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from official_steps import ADMIN, OFFICIAL, engine_of, last_text, press, preview, subscribe

from bot.db import in_session
from bot.models import Topic
from bot.storage.campaigns import recent_campaigns

from bot_harness import make_settings, running_bot, write_test_faq
from clocks import LATE_EVENING_LOCAL, RunningClock
from telegram_standin import BotApiStandin

pytestmark = pytest.mark.clock_sensitive
CITIZENS = list(range(40_000, 40_500))


def texts_by_chat(standin: BotApiStandin, text: str) -> Counter:
    return Counter(
        m["chat_id"]
        for m in standin.sent_messages
        if m["text"] == text and m["chat_id"] >= CITIZENS[0]
    )


def last_time(standin: BotApiStandin, text: str) -> float:
    return max(
        c.time
        for c in standin.calls_to("sendMessage")
        if c.ok and c.params.get("text") == text and c.params["chat_id"] >= CITIZENS[0]
    )


async def test_urgent_preempts_a_running_broadcast_even_in_quiet_hours(
    standin, tmp_path: Path
) -> None:
    """At 23:30 in Hà Nội: a 500-chat broadcast is running, a flood warning overtakes it."""
    write_test_faq(tmp_path / "faq")
    standin.global_rate_limit = 30
    standin.per_chat_rate_limit = 1
    settings = make_settings(standin, tmp_path)
    async with running_bot(settings, RunningClock(LATE_EVENING_LOCAL)) as application:
        subscribe(application, CITIZENS)
        _, confirm = await preview(standin, "/broadcast Lịch tiêm chủng tháng 12")
        press(standin, confirm, "Gửi ngay")
        await standin.wait_for(
            lambda s: sum(texts_by_chat(s, "Lịch tiêm chủng tháng 12").values()) >= 60, timeout=20
        )
        _, urgent = await preview(standin, "/broadcast #khancap Cảnh báo lũ quét", ADMIN)
        assert "khẩn cấp" in urgent["text"] and "Người nhận: 500" in urgent["text"]
        pressed = time.monotonic()
        press(standin, urgent, "Gửi ngay", ADMIN)
        await standin.wait_for(
            lambda s: len(texts_by_chat(s, "Cảnh báo lũ quét")) == 500, timeout=60
        )
        ordinary_then = sum(texts_by_chat(standin, "Lịch tiêm chủng tháng 12").values())
        assert ordinary_then < 500, "the urgent one did not overtake"
        first_urgent = min(
            c.time
            for c in standin.calls_to("sendMessage")
            if c.params.get("text") == "Cảnh báo lũ quét" and c.params["chat_id"] >= CITIZENS[0]
        )
        print(
            f"urgent: first copy {first_urgent - pressed:.2f} s after Gửi ngay; ordinary "
            f"delivered when the urgent one had reached all 500: {ordinary_then}"
        )
        await standin.wait_for(lambda s: "đã xong" in last_text(s), timeout=60)
        await standin.wait_for(
            lambda s: all(r.finished for r in in_session(engine_of(application), recent_campaigns)),
            timeout=30,
        )
    urgent_copies = texts_by_chat(standin, "Cảnh báo lũ quét")
    ordinary = texts_by_chat(standin, "Lịch tiêm chủng tháng 12")
    assert set(urgent_copies) == set(CITIZENS) and max(urgent_copies.values()) == 1
    assert set(ordinary) == set(CITIZENS) and max(ordinary.values()) == 1  # 0 duplicates
    assert last_time(standin, "Cảnh báo lũ quét") < last_time(standin, "Lịch tiêm chủng tháng 12")
    throttled = [c for c in standin.rejected_calls() if c.error_code == 429]
    assert [c for c in throttled if int(c.params["chat_id"]) in set(CITIZENS)] == []


async def test_urgent_is_not_for_promotions_and_reaches_announcement_subscribers(
    standin, tmp_path: Path
) -> None:
    write_test_faq(tmp_path / "faq")
    async with running_bot(make_settings(standin, tmp_path)) as application:
        subscribe(application, [41_001, 41_002], Topic.ANNOUNCEMENTS)
        subscribe(application, [41_003], Topic.EVENTS)
        standin.push_command(OFFICIAL, "/broadcast #khancap #khuyenmai Giảm giá", user_id=OFFICIAL)
        await standin.wait_for(lambda s: "không dùng cho khuyến mãi" in last_text(s))
        _, confirm = await preview(standin, "/broadcast #khancap Mất điện toàn xã 14h-16h")
        assert "Người nhận: 2" in confirm["text"]


async def test_paid_urgent_broadcast_uses_its_wider_window(standin, tmp_path: Path) -> None:
    """Paid urgent copies go out through the wider in-flight window, every one flagged paid.

    Each answer takes 0.2 s, so the free window (2 in flight) would allow about 10 msg/s;
    the paid one keeps up to 15 requests open. The speed itself is a benchmark, not asserted.
    """
    write_test_faq(tmp_path / "faq")
    standin.global_rate_limit = 30
    standin.per_chat_rate_limit = 1
    standin.latency = 0.2
    settings = make_settings(standin, tmp_path, paid_broadcast=True, paid_broadcast_rate=200)
    assert settings.paid_in_flight == 15  # the crash-loss bound at 200 msg/s
    chats = CITIZENS[:150]
    async with running_bot(settings) as application:
        subscribe(application, chats)
        _, confirm = await preview(standin, "/broadcast #khancap Sơ tán khẩn cấp")
        press(standin, confirm, "Gửi ngay")
        await standin.wait_for(
            lambda s: len(texts_by_chat(s, "Sơ tán khẩn cấp")) == 150, timeout=60
        )
        calls = [
            c
            for c in standin.calls_to("sendMessage")
            if c.params.get("text") == "Sơ tán khẩn cấp" and c.params["chat_id"] != OFFICIAL
        ]
    assert len(calls) == 150
    # more than the free window of 2 was open at once, never more than the paid window
    assert 2 < standin.max_paid_open_requests <= settings.paid_in_flight
    assert all(c.params.get("allow_paid_broadcast") for c in calls)
    assert standin.paid_messages == 150
    assert [c for c in standin.rejected_calls() if c.error_code == 429] == []
