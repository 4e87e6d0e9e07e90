"""When notices fire: the instants of a notice and of its reminders, for any clock and zone.

Pure functions of (notice, time, zone); nothing here reads the real clock.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import as_utc
from bot.schedule.cron import cron_trigger
from bot.schedule.durations import format_duration
from bot.schedule.loading import load_schedules
from bot.schedule.notices import Notice
from bot.texts import schedules as texts

NOTICE = "notice"
REMINDER = "reminder"
_TICK = timedelta(microseconds=1)
_DESCRIBE_SCAN_LIMIT = 2000  # instants looked at per notice when filling the rows


@dataclass(frozen=True, order=True)
class FireInstant:
    """One moment a notice sends something: the notice itself or a reminder `before` it."""

    at: datetime  # aware, UTC
    notice_id: str = field(compare=False)
    kind: str = field(default=NOTICE, compare=False)  # notice | reminder
    before: timedelta | None = field(default=None, compare=False)

    @property
    def event_at(self) -> datetime:
        """The notice's own instant this one belongs to."""
        return self.at + (self.before or timedelta(0))


def as_zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def event_times(notice: Notice, after: datetime, tz: tzinfo) -> Iterator[datetime]:
    """The notice's own instants strictly after `after`, in order, as aware UTC."""
    after = as_utc(after)
    if notice.at is not None:
        at = as_utc(notice.event_at(tz))
        if at > after:
            yield at
        return
    assert notice.cron is not None
    trigger = cron_trigger(notice.cron, tz, end_date=notice.until_end(tz))
    moment = after
    while True:
        # get_next_fire_time(None, now) returns the first instant >= ceil(now to the second).
        next_time = trigger.get_next_fire_time(None, moment + _TICK)
        if next_time is None:
            return
        next_time = as_utc(next_time)
        yield next_time
        moment = next_time


def _stream(
    notice: Notice, after: datetime, tz: tzinfo, before: timedelta | None
) -> Iterator[FireInstant]:
    """Instants of one kind (the notice, or one reminder offset) strictly after `after`."""
    offset = before or timedelta(0)
    kind = REMINDER if before else NOTICE
    for event in event_times(notice, after + offset, tz):
        yield FireInstant(event - offset, notice.id, kind, before)


def fire_instants(notice: Notice, after: datetime, tz: tzinfo) -> Iterator[FireInstant]:
    """All instants (notice and reminders) strictly after `after`, in time order.

    When a reminder falls on the same instant as the notice (or as a nearer reminder) only one
    fires: the notice first, then the smallest offset. Every process agrees on that choice,
    which keeps the (notice_id, fire_at) key unique.
    """
    if not notice.enabled:
        return
    after = as_utc(after)
    streams = [_stream(notice, after, tz, None)]
    streams += [_stream(notice, after, tz, before) for before in notice.remind_before]
    merged = heapq.merge(
        *streams, key=lambda i: (i.at, i.before.total_seconds() if i.before else 0.0)
    )
    last: datetime | None = None
    for instant in merged:
        if instant.at != last:
            last = instant.at
            yield instant


def instants_between(
    notice: Notice, start: datetime, end: datetime, tz: tzinfo
) -> list[FireInstant]:
    """Instants with start < at <= end."""
    end = as_utc(end)
    return list(itertools.takewhile(lambda i: i.at <= end, fire_instants(notice, start, tz)))


def next_instants(notice: Notice, after: datetime, tz: tzinfo, count: int) -> list[FireInstant]:
    """The next `count` instants strictly after `after`."""
    return list(itertools.islice(fire_instants(notice, after, tz), count))


def next_fire_times(
    notices: Iterable[Notice], after: datetime, tz: tzinfo, count: int
) -> list[FireInstant]:
    """The next `count` instants over all notices, in time order."""
    merged = heapq.merge(*(fire_instants(n, after, tz) for n in notices))
    return list(itertools.islice(merged, count))


# --- `dcbot schedules list` ----------------------------------------------------------------


@dataclass(frozen=True)
class NextFires:
    """One row of `dcbot schedules list`: a notice or one of its reminders, and when it fires."""

    notice_id: str
    topic: str
    kind: str  # notice | reminder
    before: str  # "7d" for a reminder, "" for the notice
    times: tuple[datetime, ...]  # aware, in the bot's time zone
    source: str = ""
    enabled: bool = True

    @property
    def label(self) -> str:
        return f"{self.kind} -{self.before}" if self.before else self.kind


def describe_notices(
    notices: Iterable[Notice], now: datetime, tz: tzinfo | str, count: int = 3
) -> list[NextFires]:
    """Rows for the given notices, soonest first; notices that will not fire again come last."""
    zone = as_zone(tz)
    rows: list[NextFires] = []
    for notice in notices:
        wanted: list[timedelta | None] = [None, *notice.remind_before]
        found: dict[timedelta | None, list[datetime]] = {key: [] for key in wanted}
        scan = itertools.islice(fire_instants(notice, now, zone), _DESCRIBE_SCAN_LIMIT)
        for instant in scan:
            times = found[instant.before]
            if len(times) < count:
                times.append(instant.at.astimezone(zone))
            if all(len(t) >= count for t in found.values()):
                break
        for before in wanted:
            rows.append(
                NextFires(
                    notice_id=notice.id,
                    topic=str(notice.topic),
                    kind=REMINDER if before else NOTICE,
                    before=format_duration(before) if before else "",
                    times=tuple(found[before]),
                    source=notice.source,
                    enabled=notice.enabled,
                )
            )
    far_future = datetime.max.replace(tzinfo=UTC)
    rows.sort(key=lambda r: (r.times[0] if r.times else far_future, r.notice_id, r.before))
    return rows


def describe_next_fires(
    directory: Path | str,
    now: datetime,
    tz: tzinfo | str,
    count: int = 3,
    facts: dict[str, str] | None = None,
) -> list[NextFires]:
    """Rows for every valid notice in `directory`; use check_schedules() for the problems."""
    notices, _problems = load_schedules(directory, facts)
    return describe_notices(notices, now, tz, count)


def _local(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")


def fire_times_text(row: NextFires) -> str:
    """The next fire times of a row, local, or why there are none."""
    times = ", ".join(_local(t) for t in row.times)
    return times or (texts.NO_MORE_FIRES if row.enabled else texts.DISABLED)
