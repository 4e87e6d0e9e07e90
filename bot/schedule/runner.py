"""NoticeScheduler: schedules/*.yaml -> JobQueue jobs -> exactly-once campaigns.

The Application's JobQueue (APScheduler underneath) only says *when* to look; what is due is computed
from the notices and the clock, and what was fired lives in the database. Each notice keeps a
horizon: every instant up to it has been handled. A job wakes at the notice's next instant and
settles (horizon, now]; a sweep every minute does the same for all notices, so a lost wake-up
or a database hiccup only delays a notice.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from telegram.ext import CallbackContext, JobQueue

from bot.clock import Clock, as_utc, utc_now
from bot.config import Settings
from bot.facts import FACTS_FILE, FactsError, load_facts
from bot.file_watch import Snapshot, changed_files, snapshot
from bot.models import Campaign
from bot.schedule.firing import (
    SKIP_LOOKBACK,
    DueResult,
    settle_due,
    settle_interrupted_fires,
)
from bot.schedule.loading import load_schedules
from bot.schedule.notices import Notice
from bot.schedule.timing import FireInstant, fire_instants, next_fire_times
from bot.yaml_files import FileProblem

log = logging.getLogger(__name__)

OnFire = Callable[[Campaign], Awaitable[object] | object]
OnProblems = Callable[[list[FileProblem]], Awaitable[object] | object]
SWEEP_JOB_ID = "notices:sweep"
WATCH_JOB_ID = "notices:watch"


def _job_id(notice_id: str) -> str:
    return f"notice:{notice_id}"


def _job_kwargs(job_id: str) -> dict[str, Any]:
    # One job per id (a reschedule replaces it); late wake-ups still run, once.
    return {"id": job_id, "replace_existing": True, "misfire_grace_time": None, "coalesce": True}


class NoticeScheduler:
    """Fires the notices of `settings.schedules_dir` on time, once, and reloads them on edits.

    `on_fire(campaign)` runs after each campaign is queued (wake the sender there);
    `on_problems(problems)` after a load that found problems (tell the admins there).
    Both may be sync or async.
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        on_fire: OnFire | None = None,
        on_problems: OnProblems | None = None,
        clock: Clock = utc_now,
        directory: Path | str | None = None,
        job_queue: JobQueue,
        watch: bool = True,
        poll_seconds: float | None = None,
        sweep_seconds: float = 60.0,
    ) -> None:
        self.engine = engine
        self.directory = Path(directory if directory is not None else settings.schedules_dir)
        self._facts_file = Path(settings.faq_dir) / FACTS_FILE
        self.zone = settings.zone
        self.catchup_window = timedelta(seconds=settings.catchup_window_seconds)
        self.problems: list[FileProblem] = []
        self._on_fire = on_fire
        self._on_problems = on_problems
        self._clock = clock
        self._watch = watch
        self._poll_seconds = settings.reload_poll_seconds if poll_seconds is None else poll_seconds
        self._sweep_seconds = sweep_seconds
        self._notices: dict[str, Notice] = {}
        self._horizon: dict[str, datetime] = {}  # per notice: instants up to here are handled
        self._lock = asyncio.Lock()
        self._jobs = job_queue
        self._files_seen: Snapshot = {}
        self._running = False

    # --- public --------------------------------------------------------------------------

    @property
    def notices(self) -> list[Notice]:
        return list(self._notices.values())

    @property
    def running(self) -> bool:
        return self._running

    async def start(self) -> DueResult:
        """Load the files, catch up on what was missed, schedule the rest, start watching."""
        # The snapshot comes first, so an edit made while loading is still seen as a change.
        self._files_seen = await asyncio.to_thread(snapshot, self.directory)
        notices, problems = await asyncio.to_thread(self._load)
        await self._report(problems)
        now = self._now()
        await asyncio.to_thread(settle_interrupted_fires, self.engine)
        async with self._lock:
            self._notices = {notice.id: notice for notice in notices}
            # Start-up catch-up: recent misses are sent, older ones recorded as skipped.
            since = now - max(SKIP_LOOKBACK, self.catchup_window)
            self._horizon = {notice_id: since for notice_id in self._notices}
        self._running = True
        self._repeat(self._sweep_job, self._sweep_seconds, SWEEP_JOB_ID)
        result = await self.run_due()
        if self._watch:
            self._repeat(self._watch_job, self._poll_seconds, WATCH_JOB_ID)
        log.info("notice scheduler started with %d notices", len(self._notices))
        return result

    async def reload(self) -> list[FileProblem]:
        """Re-read the files and replace the jobs; returns the problems found.

        A notice that is now broken (or whose file no longer parses) keeps its last good version
        until it is fixed, so one bad edit silences nothing. New notices never fire for instants
        before the reload.
        """
        notices, problems = await asyncio.to_thread(self._load)
        await self._report(problems)
        fresh = {notice.id: notice for notice in notices}
        broken_files = {p.file for p in problems if p.item is None}
        broken_notices = {(p.file, p.item) for p in problems if p.item is not None}
        now = self._now()
        async with self._lock:
            for old in self._notices.values():
                if old.id not in fresh and (
                    old.source in broken_files or (old.source, old.id) in broken_notices
                ):
                    log.warning("keeping the last good version of notice %s", old.id)
                    fresh[old.id] = old
            for gone in set(self._notices) - set(fresh):
                self._horizon.pop(gone, None)
                self._remove_job(_job_id(gone))
            for notice_id in fresh:
                self._horizon.setdefault(notice_id, now)
            self._notices = fresh
        await self.run_due()
        log.info("schedules reloaded: %d notices, %d problems", len(fresh), len(problems))
        return problems

    async def run_due(self) -> DueResult:
        """Settle every instant that is due by the clock, then (re)schedule the jobs."""
        return await self._settle(list(self._notices))

    def next_fire_times(self, n: int) -> list[FireInstant]:
        """The next `n` instants over all loaded notices (aware UTC)."""
        return next_fire_times(self._notices.values(), self._now(), self.zone, n)

    async def shutdown(self) -> None:
        """Remove this scheduler's jobs; what was queued stays in the outbox."""
        self._running = False
        for job_id in (SWEEP_JOB_ID, WATCH_JOB_ID, *map(_job_id, self._notices)):
            self._remove_job(job_id)
        log.info("notice scheduler stopped")

    # --- internals -----------------------------------------------------------------------

    def _load(self) -> tuple[list[Notice], list[FileProblem]]:
        try:
            facts = load_facts(self._facts_file)
        except FactsError as exc:
            return [], [FileProblem(str(self._facts_file), None, str(exc))]
        return load_schedules(self.directory, facts)

    def _now(self) -> datetime:
        return as_utc(self._clock())

    async def _report(self, problems: list[FileProblem]) -> None:
        self.problems = problems
        for problem in problems:
            log.warning("schedule problem: %s", problem)
        if problems and self._on_problems is not None:
            await self._call(self._on_problems, problems)

    async def _watch_job(self, _context: CallbackContext) -> None:
        """Reload when a schedule file (or the shared facts) changed since the last look."""
        current = await asyncio.to_thread(snapshot, self.directory)
        if changed_files(self._files_seen, current):
            self._files_seen = current
            await self.reload()

    async def _sweep_job(self, _context: CallbackContext) -> None:
        await self.run_due()

    async def _notice_job(self, context: CallbackContext) -> None:
        await self._settle([context.job.data])

    def _repeat(self, callback, seconds: float, job_id: str) -> None:
        self._jobs.run_repeating(
            callback, interval=seconds, first=seconds, name=job_id, job_kwargs=_job_kwargs(job_id)
        )

    def _remove_job(self, job_id: str) -> None:
        if self._jobs.scheduler.get_job(job_id) is not None:
            self._jobs.scheduler.remove_job(job_id)

    async def _settle(self, notice_ids: list[str]) -> DueResult:
        result = DueResult()
        async with self._lock:
            now = self._now()
            for notice_id in notice_ids:
                notice = self._notices.get(notice_id)
                if notice is None:
                    continue
                since = self._horizon.get(notice_id, now)
                if since < now:
                    try:
                        result.extend(
                            await asyncio.to_thread(
                                settle_due,
                                self.engine,
                                notice,
                                since=since,
                                now=now,
                                tz=self.zone,
                                catchup_window=self.catchup_window,
                            )
                        )
                    except Exception:
                        # The horizon stays put: the sweep retries these instants.
                        log.exception("firing notice %s failed; will retry", notice_id)
                        continue
                    self._horizon[notice_id] = now
                self._schedule_next(notice)
        for campaign in result.fired:
            await self._notify(campaign)
        return result

    def _schedule_next(self, notice: Notice) -> None:
        job_id = _job_id(notice.id)
        horizon = self._horizon[notice.id]
        upcoming = next(fire_instants(notice, horizon, self.zone), None)
        if upcoming is None or not self._running:
            self._remove_job(job_id)
            return
        # The job runs on the real clock; keep the injected clock's distance to the instant.
        delay = max((upcoming.at - self._now()).total_seconds(), 0.0)
        self._jobs.run_once(
            self._notice_job,
            when=delay,
            data=notice.id,
            name=f"{notice.id} {upcoming.kind} {upcoming.at.isoformat()}",
            job_kwargs=_job_kwargs(job_id),
        )

    async def _notify(self, campaign: Campaign) -> None:
        if self._on_fire is not None:
            await self._call(self._on_fire, campaign)

    @staticmethod
    async def _call(callback: Callable[[Any], object], argument: object) -> None:
        """Run a sync or async callback; its failure is logged, never raised into scheduling."""
        try:
            result = callback(argument)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("callback %r failed", callback)
