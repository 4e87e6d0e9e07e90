"""Pacing: a global token bucket, a global pause (429) and a minimum gap per chat.

Times are monotonic seconds from an injected `now()` (the event loop's clock by default).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable


class Pacer:
    """Decides when the next request may go out; one instance per sender process."""

    def __init__(
        self,
        rate_per_second: float,
        per_chat_interval: float,
        *,
        burst: float = 1.0,
        now: Callable[[], float] | None = None,
        rate_budget: Callable[[], float] | None = None,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self.rate = rate_per_second
        self.per_chat_interval = per_chat_interval
        # A burst of 1 keeps any one-second window at `rate` (+1), well under Telegram's 30/s.
        self.burst = burst
        self._now = now or (lambda: asyncio.get_running_loop().time())
        self._tokens = burst
        self._refilled_at: float | None = None
        self._paused_until = -math.inf
        self._chat_ready_at: dict[int, float] = {}
        # Shared budget across replicas (bot/rate_budget.py): asked once a second for the rate.
        self.rate_budget = rate_budget
        self._budget_at = -math.inf

    # -- global -----------------------------------------------------------------------------
    def pause(self, seconds: float) -> None:
        """Stop all sending for `seconds` (Telegram's retry_after or a network outage)."""
        self._paused_until = max(self._paused_until, self._now() + seconds)
        self._tokens = 0.0  # after the pause, start again at the steady rate, not with a burst
        self._refilled_at = self._paused_until

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._now())

    def _refill(self, now: float) -> None:
        if self._refilled_at is None:
            self._refilled_at = now
        if now > self._refilled_at:
            self._tokens = min(self.burst, self._tokens + (now - self._refilled_at) * self.rate)
            self._refilled_at = now

    def try_take(self) -> float:
        """Take a token and return 0, or return how many seconds to wait before trying again."""
        now = self._now()
        if now < self._paused_until:
            return self._paused_until - now
        self._refill(now)
        if self.rate_budget is not None and now >= self._budget_at:
            self._budget_at = now + 1.0
            self.rate = max(0.1, self.rate_budget())
        if self._tokens >= 1.0 - 1e-9:  # float drift must not cost a whole extra wait
            self._tokens = max(0.0, self._tokens - 1.0)
            return 0.0
        return (1.0 - self._tokens) / self.rate

    async def wait_unpaused(self) -> None:
        while (delay := self.paused_for()) > 0:
            await asyncio.sleep(delay)

    async def take(self) -> None:
        """Wait for a token (and for any pause to end)."""
        while (delay := self.try_take()) > 0:
            await asyncio.sleep(delay)

    # -- per chat ---------------------------------------------------------------------------
    def chat_wait(self, chat_id: int) -> float:
        """Seconds until `chat_id` may receive again (math.inf while a request to it is in flight)."""
        return max(0.0, self._chat_ready_at.get(chat_id, -math.inf) - self._now())

    def chat_started(self, chat_id: int) -> None:
        self._chat_ready_at[chat_id] = math.inf

    def chat_finished(self, chat_id: int) -> None:
        # Counted from the end of the request: jitter in transit cannot squeeze two together.
        self._chat_ready_at[chat_id] = self._now() + self.per_chat_interval
        self._forget_old_chats()

    def _forget_old_chats(self) -> None:
        if len(self._chat_ready_at) < 10_000:
            return
        now = self._now()
        self._chat_ready_at = {c: t for c, t in self._chat_ready_at.items() if t > now}
