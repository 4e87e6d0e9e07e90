"""Clocks for tests: no outcome may depend on the wall clock, the date or the time zone."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

# Named instants (naive UTC) in Asia/Ho_Chi_Minh terms (UTC+7, no DST).
NOON_LOCAL = datetime(2026, 12, 2, 5, 0)  # 12:00 local: outside quiet hours 22:00-07:00
LATE_EVENING_LOCAL = datetime(2026, 12, 2, 16, 30)  # 23:30 local: inside quiet hours
JUST_BEFORE_SEVEN_LOCAL = datetime(2026, 12, 2, 23, 59)  # 06:59 local: inside quiet hours


class FixedClock:
    """Stands still at `now` (naive UTC) until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RunningClock:
    """Starts at `start` (naive UTC) and runs at the real pace: for end-to-end tests, where
    leases, backoffs and pacing need time to pass but the time of day must be fixed."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin)
