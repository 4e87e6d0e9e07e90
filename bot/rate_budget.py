"""A shared Telegram rate budget across replicas.

Telegram allows about 30 messages per second to different chats for one bot token, whichever
process sends them. Only the leader runs the outbox sender, but every replica answers
citizens. So:

- Every replica counts the messages it sends outside the outbox sender (`CountingRequest`, the
  Application's request object: sendMessage and the other send*/copy*/forward*/edit* message
  methods; not answerCallbackQuery, sendChatAction, getMe, ...). The outbox sender uses a Bot
  of its own (`sender_request()`), so its messages are not counted here.
- A JobQueue job on every replica upserts that recent rate into `replicaload` once a second
  and reads back the sum of the fresh rows (`publish_and_read` in bot/storage/replica_load.py).
- The leader's pacer asks `RateBudget.current()` once a second: it paces at
  min(BROADCAST_RATE_PER_SECOND, TELEGRAM_GLOBAL_LIMIT - RATE_BUDGET_MARGIN - sum of the
  replicas' rates), never below BROADCAST_RATE_FLOOR.

A replica's "recent rate" is the busiest whole second among the last few, not the average, so a
burst of replies is budgeted for as a burst. Freshness is judged by the replicas' own clocks
(naive UTC): keep them in sync (NTP); a row older than `fresh_seconds` no longer counts.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable

from telegram.request import HTTPXRequest

from bot import metrics

log = logging.getLogger(__name__)

# Methods that put a message into a chat (and count against Telegram's flood limits).
_COUNTED_PREFIXES = ("send", "copy", "forward", "edit")
_NOT_COUNTED = frozenset({"sendchataction"})


def counted_method(url: str) -> bool:
    """True for a Bot API URL whose method sends or edits a message."""
    method = url.rsplit("/", 1)[-1].split("?", 1)[0].lower()
    return method.startswith(_COUNTED_PREFIXES) and method not in _NOT_COUNTED


class RateMeter:
    """Messages per second over the last `window` whole seconds (monotonic clock)."""

    def __init__(self, window: int = 3, now: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._now = now
        self._buckets: deque[tuple[int, int]] = deque()  # (second, count)

    def add(self, count: int = 1) -> None:
        second = math.floor(self._now())
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1] = (second, self._buckets[-1][1] + count)
        else:
            self._buckets.append((second, count))
        self._forget(second)

    def rate(self) -> float:
        """The busiest second among the last `window` whole ones and the current one."""
        second = math.floor(self._now())
        self._forget(second)
        return float(max((count for _, count in self._buckets), default=0))

    def _forget(self, second: int) -> None:
        while self._buckets and self._buckets[0][0] < second - self.window:
            self._buckets.popleft()


class CountingRequest(HTTPXRequest):
    """The Application's HTTP client: counts messages in `meter` (if any) and every 429."""

    def __init__(self, meter: RateMeter | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.meter = meter

    async def do_request(self, url: str, method: str, *args, **kwargs) -> tuple[int, bytes]:
        if self.meter is not None and counted_method(url):
            self.meter.add()  # counted when it leaves: it uses the budget even if it fails
        code, payload = await super().do_request(url, method, *args, **kwargs)
        if code == 429:
            metrics.RATE_LIMITED.inc()
        return code, payload


def sender_request() -> CountingRequest:
    """The outbox sender's own HTTP client: its messages are paced, not metered; 429s counted."""
    return CountingRequest(meter=None, connection_pool_size=8)


class RateBudget:
    """What the leader's outbox sender may use: a cached number, refreshed by `update()`."""

    def __init__(
        self, *, max_rate: float, global_limit: float, margin: float, floor: float
    ) -> None:
        self.max_rate = max_rate
        self.global_limit = global_limit
        self.margin = margin
        self.floor = min(floor, max_rate)
        self.others = 0.0
        self._value = self._compute(0.0)

    def _compute(self, others: float) -> float:
        free = self.global_limit - self.margin - others
        return max(self.floor, min(self.max_rate, free))

    def update(self, others: float) -> None:
        """`others`: messages per second the replicas send outside the outbox sender."""
        self.others = others
        value = self._compute(others)
        if value != self._value:
            log.debug("outbox rate budget %.1f/s (replicas use %.1f/s)", value, others)
        self._value = value
        metrics.RATE_BUDGET.set(value)

    def current(self) -> float:
        return self._value
