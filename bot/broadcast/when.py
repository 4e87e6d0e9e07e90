"""The time an official types after "Hẹn giờ": "8:00 10/10", "mai 7h30", "15h", or ISO.

Read in the bot's zone (settings.zone), never the machine's; returns naive UTC. The typed text is
folded (diacritics removed), so the date words below are ASCII data: "giờ" matches "gio".
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import naive_utc, to_local
from bot.knowledge.normalize import fold_diacritics
from bot.texts import officials as texts

MAX_AHEAD = timedelta(days=366)
_CLOCK = r"(\d{1,2})\s*(?:[:h]\s*(\d{2})?)?\s*(?:g|gio)?"
_DATE = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}))?"
_TIME_FIRST = re.compile(rf"^{_CLOCK}(?:\s*(?:ngay)?\s*{_DATE})?$")
_DATE_FIRST = re.compile(rf"^{_DATE}\s+(?:luc)?\s*{_CLOCK}$")
_RELATIVE = {"mai": 1, "ngay mai": 1, "hom nay": 0, "nay": 0}


class WhenError(ValueError):
    """A time the bot cannot use; the message is Vietnamese, for the official."""


def parse_when(typed: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """The instant (naive UTC) `typed` means, in the future and within a year."""
    text = " ".join((typed or "").strip().lower().split())
    if not text or len(text) > 40:
        raise WhenError(texts.WHEN_UNREADABLE)
    text = fold_diacritics(text)
    local_now = to_local(now, zone)
    moment = (
        _iso(text, zone) or _relative(text, local_now, zone) or _absolute(text, local_now, zone)
    )
    if moment is None:
        raise WhenError(texts.WHEN_UNREADABLE)
    at = naive_utc(moment)
    if at <= now:
        raise WhenError(texts.WHEN_PAST)
    if at - now > MAX_AHEAD:
        raise WhenError(texts.WHEN_TOO_FAR)
    return at


def _iso(text: str, zone: ZoneInfo) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}[t ]\d{1,2}:\d{2}", text):
        return None
    try:
        value = datetime.fromisoformat(text.upper().replace(" ", "T", 1))
    except ValueError:
        raise WhenError(texts.WHEN_BAD_ISO) from None
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def _clock(hour: str, minute: str | None) -> time:
    h, m = int(hour), int(minute or 0)
    if h > 23 or m > 59:
        raise WhenError(texts.WHEN_BAD_CLOCK)
    return time(h, m)


def _relative(text: str, local_now: datetime, zone: ZoneInfo) -> datetime | None:
    for word, days in sorted(_RELATIVE.items(), key=lambda item: -len(item[0])):
        for pattern in (rf"^{word}\s+(?:luc)?\s*{_CLOCK}$", rf"^{_CLOCK}\s+{word}$"):
            if match := re.match(pattern, text):
                day = local_now.date() + timedelta(days=days)
                return datetime.combine(day, _clock(match.group(1), match.group(2)), tzinfo=zone)
    return None


def _absolute(text: str, local_now: datetime, zone: ZoneInfo) -> datetime | None:
    if match := _TIME_FIRST.match(text):
        hour, minute, day, month, year = match.groups()
    elif match := _DATE_FIRST.match(text):
        day, month, year, hour, minute = match.groups()
    else:
        return None
    at = _clock(hour, minute)
    if day is None:  # only a time: today, or tomorrow if it has passed
        moment = datetime.combine(local_now.date(), at, tzinfo=zone)
        return moment if moment > local_now else moment + timedelta(days=1)
    try:
        chosen = date(int(year or local_now.year), int(month), int(day))
    except ValueError:
        raise WhenError(texts.WHEN_BAD_DATE) from None
    moment = datetime.combine(chosen, at, tzinfo=zone)
    if year is None and moment <= local_now:
        moment = moment.replace(year=moment.year + 1)  # "10/10" after 10/10 means next year
    return moment
