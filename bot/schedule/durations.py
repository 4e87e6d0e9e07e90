"""Durations in schedule files ("7d", "12h", "1d12h", "30m") and in Vietnamese words."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.texts import schedules as words
from bot.texts import validation as texts

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def parse_duration(value: object) -> timedelta:
    """Parse "7d", "12h", "30m" or "1d12h" into a positive timedelta."""
    text = str(value).strip().lower().replace(" ", "")
    match = _DURATION.fullmatch(text)
    if not text or not match or not any(match.groups()):
        raise ValueError(texts.DURATION_INVALID.format(value=value))
    days, hours, minutes = (int(g or 0) for g in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise ValueError(texts.DURATION_NOT_POSITIVE.format(value=value))
    return duration


def format_duration(duration: timedelta) -> str:
    """The YAML spelling of a duration: 7d, 12h, 1d12h, 30m."""
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return "".join(parts) or "0m"


def duration_in_words(duration: timedelta) -> str:
    """A duration in Vietnamese: "7 ngày", "2 giờ", "1 ngày 12 giờ", "30 phút"."""
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, words.DAYS), (hours, words.HOURS), (minutes, words.MINUTES)]
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or f"0 {words.MINUTES}"
