"""Pure rules for promotions: quiet hours, expiry, opt-out and the daily cap. No I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import naive_utc, to_local
from bot.models import Topic

AD_PREFIX = "[QC]"
CAP_WINDOW = timedelta(hours=24)

SKIP_EXPIRED = "expired"
SKIP_OPTED_OUT = "opted out"
SKIP_DAILY_CAP = "daily cap"


@dataclass(frozen=True)
class Send:
    """Send the promotion now."""


@dataclass(frozen=True)
class Defer:
    """Quiet hours: try again at `until` (naive UTC)."""

    until: datetime


@dataclass(frozen=True)
class Skip:
    """Do not send; `reason` is stored as the delivery's error."""

    reason: str


Decision = Send | Defer | Skip


def in_quiet_hours(now_utc: datetime, window: tuple[time, time], zone: ZoneInfo) -> bool:
    """Whether `now_utc` falls in [start, end) local time; the window may wrap midnight."""
    start, end = window
    if start == end:
        return False
    local = to_local(now_utc, zone).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(now_utc: datetime, window: tuple[time, time], zone: ZoneInfo) -> datetime:
    """End (naive UTC) of the quiet period containing `now_utc`; call only inside quiet hours."""
    start, end = window
    local = to_local(now_utc, zone)
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += timedelta(days=1)  # evening part of a window that wraps midnight
    return naive_utc(datetime.combine(day, end, tzinfo=zone))


def campaign_decision(
    *,
    now: datetime,
    expires_at: datetime | None,
    window: tuple[time, time],
    zone: ZoneInfo,
) -> Decision:
    """The rules that hold for every row of a promotion campaign: expiry and quiet hours."""
    if expires_at is not None and now >= expires_at:
        return Skip(SKIP_EXPIRED)
    if in_quiet_hours(now, window, zone):
        until = quiet_hours_end(now, window, zone)
        if expires_at is not None and expires_at <= until:
            return Skip(SKIP_EXPIRED)
        return Defer(until)
    return Send()


def chat_decision(*, subscribed: bool, sent_last_24h: int, max_per_day: int) -> Decision:
    """The per-chat rules checked at send time: still subscribed, under the rolling daily cap."""
    if not subscribed:
        return Skip(SKIP_OPTED_OUT)
    if sent_last_24h >= max_per_day:
        return Skip(SKIP_DAILY_CAP)
    return Send()


def with_ad_prefix(text: str) -> str:
    """Promotions must be labelled as advertising: prefix "[QC]" unless already there."""
    stripped = text.lstrip()
    if stripped.upper().startswith(AD_PREFIX):
        return text
    return f"{AD_PREFIX} {text}"


def without_ad_prefix(text: str) -> str:
    """`text` without a leading "[QC]" in any case (the countdown quotes the promotion)."""
    stripped = text.lstrip()
    return stripped[len(AD_PREFIX) :].lstrip() if stripped.upper().startswith(AD_PREFIX) else text


def labelled(topic: str, text: str) -> str:
    """What citizens get for `topic`: promotions always carry the "[QC]" label."""
    return with_ad_prefix(text) if topic == Topic.PROMOTIONS else text
