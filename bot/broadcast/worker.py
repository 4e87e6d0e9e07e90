"""BackgroundWorker: the lifecycle both durable workers share (the outbox sender, recall/edit).

One asyncio task runs the subclass's `_serve()`; `wake()` cuts its idle nap short; `stop()` asks
it to finish what is in flight and waits; a cancelled task (a crash, not a stop) abandons its
requests in flight, which the database then settles exactly as after a kill. Requests run as
*lanes* (tasks the worker waits for before stopping), callbacks to the bot as *callbacks*.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class BackgroundWorker:
    task_name = "background-worker"
    worker_id: str

    def _init_worker(self) -> None:
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._lanes: set[asyncio.Task] = set()
        self._callbacks: set[asyncio.Task] = set()

    async def _serve(self) -> None:
        raise NotImplementedError

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        """Run in the background until `stop()` (call from the bot's post_init)."""
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        self._task = asyncio.create_task(self._cancellable(self._serve()), name=self.task_name)

    async def stop(self, timeout: float = 30.0) -> None:
        """Finish the requests in flight and the worker's own clean-up; wait up to `timeout`."""
        self._stopping = True
        self._changed.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(task, timeout)
        except TimeoutError:
            log.warning("%s %s did not stop in %ss", self.task_name, self.worker_id, timeout)
        except Exception:
            log.exception("%s %s failed", self.task_name, self.worker_id)

    def wake(self) -> None:
        """New work was queued: look for it now instead of at the next poll."""
        self._changed.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # -- helpers for subclasses -------------------------------------------------------------
    async def _cancellable(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except asyncio.CancelledError:
            # Killed, not stopped: requests in flight are abandoned like in a crash.
            for lane in list(self._lanes):
                lane.cancel()
            raise

    async def _nap(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking early on `wake()`, a finished request or `stop()`."""
        if seconds > 0 and not self._changed.is_set():
            with contextlib.suppress(TimeoutError):
                timeout = None if math.isinf(seconds) else seconds
                await asyncio.wait_for(self._changed.wait(), timeout)
        self._changed.clear()

    def _start_lane(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task:
        lane = asyncio.create_task(work)
        self._lanes.add(lane)
        lane.add_done_callback(self._lanes.discard)
        return lane

    def _start_callback(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task:
        task = asyncio.create_task(work)
        self._callbacks.add(task)
        task.add_done_callback(self._callbacks.discard)
        return task

    async def _drain_lanes(self) -> None:
        if self._lanes:
            await asyncio.gather(*self._lanes, return_exceptions=True)

    async def _drain_callbacks(self) -> None:
        if self._callbacks:
            await asyncio.gather(*self._callbacks, return_exceptions=True)
