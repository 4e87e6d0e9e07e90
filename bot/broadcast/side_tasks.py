"""The sender's side tasks: recovery timers, closing finished campaigns, throttled progress
reports, the done callback and the bookkeeping of the tasks they run in."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot.broadcast.outbox import CampaignReport
from bot.db import run_in_session
from bot.storage import outbox as store
from bot.storage.campaigns import campaign_report, finish_campaigns

log = logging.getLogger("bot.broadcast.sender")

DoneCallback = Callable[[CampaignReport], Awaitable[Any]]
ProgressCallback = Callable[[int, CampaignReport], Awaitable[Any]]


class SideTasks:
    """Mixed into OutboxSender: the work beside the send loop."""

    async def _housekeeping(self) -> None:
        now = asyncio.get_running_loop().time()
        if now >= self._next_fire_check:
            self._next_fire_check = now + 1.0
            await self._fire_scheduled()
        if now >= self._next_recovery:
            self._next_recovery = now + self.lease.total_seconds() / 2
            self._touched |= await self._in_session(
                store.recover_abandoned,
                worker_id=self.worker_id,
                now=self.clock(),
                lease=self.lease,
            )
        if now >= self._next_housekeeping and self._touched:
            self._next_housekeeping = now + self.progress_interval
            await self._close_finished()
            touched, self._touched = self._touched, set()
            if self.on_progress is not None:
                for campaign_id in sorted(touched):
                    self._schedule_progress(campaign_id)

    async def _close_finished(self) -> None:
        for campaign_id in await self._in_session(finish_campaigns, now=self.clock()):
            self._touched.discard(campaign_id)
            self._campaigns.pop(campaign_id, None)
            log.info("campaign %s finished", campaign_id)
            if self.on_campaign_done is not None:
                self._fire(self._report_done(campaign_id))

    def _schedule_progress(self, campaign_id: int) -> None:
        """At most one progress call per campaign per interval, never two at once."""
        now = asyncio.get_running_loop().time()
        if campaign_id in self._progress_tasks:
            return  # the previous one is still running (a slow message edit)
        if now - self._progress_at.get(campaign_id, -math.inf) < self.progress_interval:
            return
        task = self._fire(self._report_progress(campaign_id))
        self._progress_tasks[campaign_id] = task
        task.add_done_callback(lambda _: self._progress_tasks.pop(campaign_id, None))

    async def _report_progress(self, campaign_id: int) -> None:
        report = await self._in_session(campaign_report, campaign_id, now=self.clock())
        if report is None or report.finished or report.pending == 0 or self.on_progress is None:
            return  # nothing left to send: the final report, not a progress one, comes next
        self._progress_at[campaign_id] = asyncio.get_running_loop().time()
        await self.on_progress(campaign_id, report)

    async def _report_done(self, campaign_id: int) -> None:
        running = self._progress_tasks.get(campaign_id)
        if running is not None:
            await asyncio.wait([running])  # the final report must be the last word
        self._progress_at.pop(campaign_id, None)
        report = await self._in_session(campaign_report, campaign_id, now=self.clock())
        if report is not None and self.on_campaign_done is not None:
            await self.on_campaign_done(report)

    def _fire(self, callback: Coroutine[Any, Any, None]) -> asyncio.Task:
        return self._start_callback(self._guarded(callback))

    async def _guarded(self, callback: Coroutine[Any, Any, None]) -> None:
        try:
            await callback
        except Exception:
            log.exception("outbox sender callback failed")

    async def _in_session(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`work(session, ...)` in its own transaction, off the event loop (replies stay fast)."""
        return await run_in_session(self.engine, work, *args, **kwargs)

    @staticmethod
    async def _db(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Other blocking work off the event loop (drafts, the per-chat promotion rules)."""
        return await asyncio.to_thread(function, *args, **kwargs)
