"""Per-user flood control: a gentle notice once, then silence for a while."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class FloodVerdict(Enum):
    OK = "ok"
    WARN = "warn"  # tell the user once
    IGNORE = "ignore"


@dataclass
class FloodGuard:
    max_messages: int = 20
    window_seconds: float = 60.0
    mute_seconds: float = 120.0
    clock: Callable[[], float] = time.monotonic
    max_tracked_users: int = 100_000  # beyond this, idle users are forgotten
    _seen: dict[int, deque[float]] = field(default_factory=dict)
    _muted_until: dict[int, float] = field(default_factory=dict)
    _next_sweep: float = float("-inf")

    def check(self, user_id: int) -> FloodVerdict:
        now = self.clock()
        if self._muted_until.get(user_id, 0.0) > now:
            return FloodVerdict.IGNORE
        seen = self._seen.setdefault(user_id, deque())
        while seen and seen[0] <= now - self.window_seconds:
            seen.popleft()
        seen.append(now)
        if len(seen) > self.max_messages:
            self._muted_until[user_id] = now + self.mute_seconds
            seen.clear()
            return FloodVerdict.WARN
        if len(self._seen) > self.max_tracked_users and now >= self._next_sweep:
            self._forget_idle(now)
        return FloodVerdict.OK

    def _forget_idle(self, now: float) -> None:
        """Keep memory bounded; at most once a window, so many active users cost no sweep each."""
        cutoff = now - self.window_seconds
        self._seen = {uid: d for uid, d in self._seen.items() if d and d[-1] > cutoff}
        self._muted_until = {uid: t for uid, t in self._muted_until.items() if t > now}
        self._next_sweep = now + self.window_seconds
