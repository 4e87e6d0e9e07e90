"""Time in one place: the storage convention (naive UTC) and the clock the bot is given.

Every component that needs "now" takes a `Clock`, so tests run at any fixed instant and the
outcome never depends on the wall clock, the date or the machine's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]  # returns naive UTC, like every datetime column


def utc_now() -> datetime:
    """The real current time as naive UTC (the default clock)."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive value is taken as UTC already (the storage convention)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def naive_utc(moment: datetime) -> datetime:
    """The storage form of `moment`; a naive value is taken as UTC already."""
    return as_utc(moment).replace(tzinfo=None)


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` (naive means UTC) as aware local time in `zone`."""
    return as_utc(moment).astimezone(zone)
