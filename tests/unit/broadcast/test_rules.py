"""Pure parts of the broadcast: promotion rules, pacing and error classification."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.broadcast import outcomes
from bot.broadcast import promotion_rules as rules
from bot.broadcast.pacing import Pacer

# Outcomes depend on the time of day: .ci/run also runs these under faketime.
pytestmark = pytest.mark.clock_sensitive

HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7
NIGHT = (time(22, 0), time(7, 0))
LUNCH = (time(11, 30), time(13, 0))


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute)


@pytest.mark.parametrize(
    ("now", "window", "quiet"),
    [
        (utc(10, 14, 59), NIGHT, False),  # 21:59 local
        (utc(10, 15, 0), NIGHT, True),  # 22:00
        (utc(10, 16, 59), NIGHT, True),  # 23:59
        (utc(10, 17, 0), NIGHT, True),  # 00:00 next day
        (utc(10, 23, 59), NIGHT, True),  # 06:59
        (utc(11, 0, 0), NIGHT, False),  # 07:00
        (utc(10, 5, 0), LUNCH, True),  # 12:00, a window that does not wrap
        (utc(10, 6, 0), LUNCH, False),  # 13:00
        (utc(10, 5, 0), (time(8), time(8)), False),  # empty window
    ],
)
def test_in_quiet_hours(now, window, quiet):
    assert rules.in_quiet_hours(now, window, HCM) is quiet


def test_quiet_hours_end_across_midnight():
    # 23:30 local on the 10th and 05:00 local on the 11th both end at 07:00 on the 11th.
    assert rules.quiet_hours_end(utc(10, 16, 30), NIGHT, HCM) == utc(11, 0)
    assert rules.quiet_hours_end(utc(10, 22, 0), NIGHT, HCM) == utc(11, 0)
    assert rules.quiet_hours_end(utc(10, 5, 0), LUNCH, HCM) == utc(10, 6, 0)


def test_campaign_decision():
    evening = utc(10, 16, 30)
    decide = rules.campaign_decision
    assert decide(now=utc(10, 5), expires_at=None, window=NIGHT, zone=HCM) == rules.Send()
    assert decide(now=evening, expires_at=None, window=NIGHT, zone=HCM) == rules.Defer(utc(11, 0))
    assert decide(now=evening, expires_at=utc(11, 3), window=NIGHT, zone=HCM) == rules.Defer(
        utc(11, 0)
    )
    assert decide(now=evening, expires_at=utc(10, 20), window=NIGHT, zone=HCM) == rules.Skip(
        "expired"
    )
    assert decide(now=utc(10, 5), expires_at=utc(10, 5), window=NIGHT, zone=HCM) == rules.Skip(
        "expired"
    )


def test_chat_decision():
    assert rules.chat_decision(subscribed=True, sent_last_24h=2, max_per_day=3) == rules.Send()
    assert rules.chat_decision(subscribed=True, sent_last_24h=3, max_per_day=3) == rules.Skip(
        "daily cap"
    )
    assert rules.chat_decision(subscribed=False, sent_last_24h=0, max_per_day=3) == rules.Skip(
        "opted out"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Giảm giá", "[QC] Giảm giá"),
        ("[QC] Giảm giá", "[QC] Giảm giá"),
        ("[qc] giảm giá", "[qc] giảm giá"),
        ("<b>Giảm</b>", "[QC] <b>Giảm</b>"),
    ],
)
def test_ad_prefix(text, expected):
    assert rules.with_ad_prefix(text) == expected


# --------------------------------------------------------------------------------- pacing


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_paces_at_the_rate():
    clock = FakeTime()
    pacer = Pacer(27, 1.0, now=clock)
    sent = []
    while clock.now < 110:
        wait = pacer.try_take()
        if wait == 0:
            sent.append(clock.now)
        else:
            clock.now += wait
    assert 268 <= len(sent) <= 272
    # No one-second window ever holds more than rate + burst.
    assert max(sum(1 for t in sent if s <= t < s + 1) for s in sent) <= 28


def test_pause_stops_everything_then_resumes_at_the_steady_rate():
    clock = FakeTime()
    pacer = Pacer(10, 1.0, now=clock)
    assert pacer.try_take() == 0
    pacer.pause(5)
    assert pacer.try_take() == pytest.approx(5)
    assert pacer.paused_for() == pytest.approx(5)
    clock.now += 5
    assert pacer.try_take() == pytest.approx(0.1)  # no burst right after a pause
    clock.now += 0.1
    assert pacer.try_take() == 0
    pacer.pause(1)
    pacer.pause(0.5)  # a shorter pause does not shorten the longer one
    assert pacer.paused_for() == pytest.approx(1)


def test_per_chat_gap_counts_from_the_end_of_the_request():
    clock = FakeTime()
    pacer = Pacer(30, 1.0, now=clock)
    assert pacer.chat_wait(5) == 0
    pacer.chat_started(5)
    assert pacer.chat_wait(5) == float("inf")
    clock.now += 0.3
    pacer.chat_finished(5)
    clock.now += 0.5
    assert pacer.chat_wait(5) == pytest.approx(0.5)
    assert pacer.chat_wait(6) == 0
    clock.now += 0.5
    assert pacer.chat_wait(5) == 0


# -------------------------------------------------------------------------------- outcomes


def caused(error, cause):
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RetryAfter(3), outcomes.Pause),
        (InvalidToken(), outcomes.Pause),
        (Forbidden("Forbidden: bot was blocked by the user"), outcomes.Unreachable),
        (Forbidden("Forbidden: user is deactivated"), outcomes.Unreachable),
        (BadRequest("Chat not found"), outcomes.Unreachable),
        (BadRequest("Message is too long"), outcomes.CampaignFailed),
        (BadRequest("Can't parse entities: unclosed tag"), outcomes.CampaignFailed),
        (BadRequest("Something else"), outcomes.Failed),
        (ChatMigrated(-100123), outcomes.Failed),
        (caused(TimedOut(), httpx.ReadTimeout("read")), outcomes.Failed),
        (caused(TimedOut(), httpx.ConnectTimeout("connect")), outcomes.Retry),
        (caused(TimedOut("Pool timeout"), httpx.PoolTimeout("pool")), outcomes.Retry),
        (caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")), outcomes.Retry),
        (caused(NetworkError("httpx.ReadError"), httpx.ReadError("reset")), outcomes.Failed),
        (NetworkError("Bad Gateway"), outcomes.Retry),
    ],
)
def test_classify(error, expected):
    assert isinstance(outcomes.classify(error), expected)


def test_classify_details():
    assert outcomes.classify(RetryAfter(timedelta(seconds=7))).seconds == 7
    assert outcomes.classify(caused(TimedOut(), httpx.ReadTimeout("r"))) == outcomes.Failed(
        "ambiguous timeout"
    )


def test_the_ad_label_is_one_rule_in_any_case() -> None:
    from bot.broadcast.promotion_rules import labelled, without_ad_prefix

    assert labelled("promotions", "Ưu đãi") == "[QC] Ưu đãi"
    assert labelled("promotions", " [qc] Ưu đãi") == " [qc] Ưu đãi"  # already labelled
    assert labelled("events", "Hội nghị") == "Hội nghị"
    assert without_ad_prefix("[Qc]  Ưu đãi") == "Ưu đãi"
    assert without_ad_prefix("Ưu đãi [QC]") == "Ưu đãi [QC]"
