"""OutboxSender: the background worker that takes outbox rows to Telegram, paced and exactly once.

Every row is committed `sending` right before its request and `sent` right after, with at most
`max_in_flight` requests open, so a crash can leave at most that many rows in doubt; those are
failed as ambiguous, never resent. All database work runs in worker threads.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot import metrics
from bot.broadcast import drafts
from bot.broadcast import promotion_rules as rules
from bot.broadcast.campaign_rules import CampaignInfo, CampaignRules
from bot.broadcast.claims import ClaimedDelivery
from bot.broadcast.content import send_content
from bot.broadcast.pacing import Pacer
from bot.broadcast.retry import FailurePolicy
from bot.broadcast.side_tasks import DoneCallback, ProgressCallback, SideTasks
from bot.broadcast.worker import BackgroundWorker
from bot.config import Settings
from bot.db import in_session, is_sqlite, retry_while_unavailable
from bot.models import DeliveryStatus, utc_now
from bot.storage import drafts as draft_rows
from bot.storage import outbox as store
from bot.texts import officials as texts

log = logging.getLogger(__name__)

OPT_OUT_LABEL = texts.OPT_OUT_LABEL
OPT_OUT_CALLBACK = "sub:off:promotions"


def default_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def mark_sent(engine: Engine, delivery_id: int, **result: object) -> None:
    """`sent` in its own transaction (a named function: the retry's log lines show it)."""
    in_session(engine, store.mark_sent, delivery_id, **result)


def opt_out_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(OPT_OUT_LABEL, callback_data=OPT_OUT_CALLBACK)]]
    )


class OutboxSender(BackgroundWorker, CampaignRules, FailurePolicy, SideTasks):
    """Claims due outbox rows in small batches and sends them, paced, with at most 2 in flight."""

    task_name = "outbox-sender"

    def __init__(
        self,
        engine: Engine,
        bot: Bot,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        worker_id: str | None = None,
        on_campaign_done: DoneCallback | None = None,
        on_progress: ProgressCallback | None = None,
        progress_interval: float = 3.0,
        batch_size: int = 10,
        max_in_flight: int = 2,
        lease_seconds: float = 60.0,
        retry_base_seconds: float = 2.0,
        idle_poll_seconds: float = 5.0,
        single_sender: bool | None = None,
        rate_budget: Callable[[], float] | None = None,
    ) -> None:
        self.engine = engine
        self.bot = bot
        self.settings = settings
        self.clock = clock
        self.worker_id = (worker_id or default_worker_id())[:64]
        self.on_campaign_done = on_campaign_done
        self.on_progress = on_progress
        self.progress_interval = progress_interval
        self.lease = timedelta(seconds=lease_seconds)
        self.retry_base_seconds = retry_base_seconds
        self.idle_poll_seconds = idle_poll_seconds
        # SQLite runs one sender: whatever a previous run left behind is ours to clean up.
        self.single_sender = is_sqlite(engine) if single_sender is None else single_sender
        self.pacer = Pacer(
            settings.broadcast_rate_per_second,
            settings.per_chat_interval_seconds,
            rate_budget=rate_budget,
        )
        # Urgent campaigns with PAID_BROADCAST: their own token bucket and a wider window; the
        # per-chat gap stays in `pacer`. Ordinary rows keep at most `max_in_flight` open.
        self.paid = bool(getattr(settings, "paid_broadcast", False))
        window = settings.paid_in_flight if self.paid else max_in_flight
        self.paid_pacer = Pacer(getattr(settings, "paid_broadcast_rate", 1.0), 0.0)
        self.max_in_flight = max(max_in_flight, window)
        self.batch_size = max(batch_size, window)  # enough claimed rows to fill the window

        self._queue: deque[ClaimedDelivery] = deque()
        self._campaigns: dict[int, CampaignInfo] = {}
        self._touched: set[int] = set()
        self._slots = asyncio.Semaphore(self.max_in_flight)  # every request
        self._free_slots = asyncio.Semaphore(max_in_flight)  # requests not paid for
        self._init_worker()
        self._recovered = False
        self._network_failures = 0
        self._next_housekeeping = 0.0
        self._progress_at: dict[int, float] = {}  # when on_progress last ran, per campaign
        self._progress_tasks: dict[int, asyncio.Task] = {}
        self._next_recovery = 0.0
        self._preempt = False
        self._next_fire_check = 0.0

    # -- public (start, stop, running: BackgroundWorker) ------------------------------------
    def wake(self, urgent: bool = False) -> None:
        """New work was queued: look for it now instead of at the next poll.

        `urgent`: an urgent campaign was queued; rows claimed but not started yet are given
        back so the urgent rows are claimed first (preemption).
        """
        if urgent:
            self._preempt = True
        self._changed.set()

    async def run_until_idle(self, max_wait: float = 60.0) -> None:
        """Send until nothing is due within `max_wait` seconds, close campaigns, run callbacks."""
        self._stopping = False
        await self._cancellable(self._run(until_idle=True, max_wait=max_wait))

    # -- main loop --------------------------------------------------------------------------
    async def _serve(self) -> None:
        await self._run(until_idle=False)

    async def _run(self, *, until_idle: bool, max_wait: float = 0.0) -> None:
        """Give back unsent claims when stopped, close campaigns, wait for callbacks."""
        await self._loop(until_idle, max_wait)
        await self._drain_lanes()
        if self._stopping:
            self._queue.clear()
            await self._in_session(store.release_claims, worker_id=self.worker_id)
        await self._close_finished()
        await self._drain_callbacks()

    async def _loop(self, until_idle: bool, max_wait: float) -> None:
        while not self._stopping:
            try:
                if await self._step(until_idle, max_wait):
                    return
            except Exception:
                if until_idle:
                    raise
                log.exception("outbox sender %s: step failed, retrying", self.worker_id)
                await self._nap(self.idle_poll_seconds)

    async def _step(self, until_idle: bool, max_wait: float) -> bool:
        """One turn: dispatch a ready row, or wait; True when idle in `until_idle` mode."""
        if not self._recovered:
            await self.bot.initialize()  # a no-op for the Application's bot, already initialized
            self._touched |= await self._in_session(
                store.recover_at_start,
                worker_id=self.worker_id,
                now=self.clock(),
                lease=self.lease,
                single_sender=self.single_sender,
            )
            self._recovered = True
        await self._housekeeping()
        if self._preempt:
            await self._give_way()
        row = self._pick_ready()
        if row is None and len(self._queue) < self.batch_size:
            await self._claim()
            row = self._pick_ready()
        if row is not None:
            campaign = await self._campaign(row.campaign_id)
            if await self._campaign_allows(campaign):
                paid = self._paid(campaign)
                if not paid:
                    await self._free_slots.acquire()
                await self._slots.acquire()
                if self._stopping:
                    self._release(paid)
                    self._queue.appendleft(row)
                    return True
                self.pacer.chat_started(row.chat_id)
                self._start_lane(self._deliver(row, campaign, paid))
            return False
        if self._queue or self._lanes:
            await self._nap(min(self._queue_wait(), 1.0))
            return False
        await self._close_finished()
        delay = await self._due_in()
        if until_idle:
            if delay is None or delay > max_wait:
                return True
            await self._nap(max(delay, 0.05))
        else:
            poll = self.idle_poll_seconds
            await self._nap(poll if delay is None else max(min(delay, poll), 0.05))
        return False

    def _release(self, paid: bool) -> None:
        self._slots.release()
        if not paid:
            self._free_slots.release()

    async def _give_way(self) -> None:
        """An urgent campaign was queued: hand back the ordinary rows claimed but not started,
        so the next claim takes the urgent rows first. Running campaigns resume after it."""
        self._preempt = False
        ordinary = [row.id for row in self._queue if row.priority <= 0]
        if ordinary:
            self._queue = deque(row for row in self._queue if row.priority > 0)
            await self._in_session(store.release_rows, worker_id=self.worker_id, ids=ordinary)
            log.info("urgent campaign queued: %s claimed rows handed back", len(ordinary))

    def _pick_ready(self) -> ClaimedDelivery | None:
        """The oldest queued row whose chat may receive now."""
        for index, row in enumerate(self._queue):
            if self.pacer.chat_wait(row.chat_id) == 0:
                del self._queue[index]
                return row
        return None

    def _queue_wait(self) -> float:
        waits = [self.pacer.chat_wait(row.chat_id) for row in self._queue]
        return min(waits, default=math.inf)

    async def _claim(self) -> None:
        rows = await self._in_session(
            store.claim_batch,
            worker_id=self.worker_id,
            now=self.clock(),
            lease=self.lease,
            limit=self.batch_size,
        )
        self._queue.extend(rows)

    async def _due_in(self) -> float | None:
        now = self.clock()
        due, scheduled = await self._in_session(self._next_wake_ups, now)
        if scheduled is not None and (due is None or scheduled < due):
            due = scheduled
        return None if due is None else max(0.0, (due - now).total_seconds())

    def _next_wake_ups(self, session, now: datetime) -> tuple[datetime | None, datetime | None]:
        """When the next outbox row and the next "Hẹn giờ" campaign are due, in one session."""
        return (
            store.next_due(session, now=now, lease=self.lease),
            draft_rows.next_scheduled(session),
        )

    async def _fire_scheduled(self) -> None:
        """ "Hẹn giờ" campaigns whose time has come are queued, each exactly once."""
        fired = await self._db(drafts.fire_due, self.engine, now=self.clock())
        for campaign_id in fired:
            log.info("scheduled campaign %s fired", campaign_id)
            info = await self._campaign(campaign_id)
            if info.urgent:
                self._preempt = True

    # -- one delivery -----------------------------------------------------------------------
    async def _deliver(self, row: ClaimedDelivery, campaign: CampaignInfo, paid: bool) -> None:
        try:
            await self._send(row, campaign)
        except Exception:
            log.exception("delivery %s to chat %s: unexpected error", row.id, row.chat_id)
        finally:
            self.pacer.chat_finished(row.chat_id)
            self._release(paid)
            self._changed.set()

    async def _send(self, row: ClaimedDelivery, campaign: CampaignInfo) -> None:
        content, markup = campaign.content, None
        if campaign.is_promotion:
            decision = await self._db(self._chat_decision, row)
            if isinstance(decision, rules.Skip):
                await self._in_session(
                    store.skip_claimed,
                    row.id,
                    worker_id=self.worker_id,
                    reason=decision.reason,
                )
                self._touched.add(campaign.id)
                return
            content = content.with_text(rules.with_ad_prefix(content.text))
            markup = None if content.is_album else opt_out_keyboard()
        paid = self._paid(campaign)
        bucket = self.paid_pacer if paid else self.pacer
        await bucket.wait_unpaused()  # no row sits in `sending` through a long 429 pause
        # Committed before the request: a crash from here on leaves the row ambiguous, not resent.
        started = await self._in_session(
            store.start_sending, row.id, worker_id=self.worker_id, now=self.clock()
        )
        if not started:
            return  # cancelled, or the lease passed to another sender
        self._touched.add(campaign.id)
        await bucket.take()  # last, so the request leaves on the beat of the token bucket
        try:
            message_ids = await send_content(
                self.bot, row.chat_id, content, reply_markup=markup, paid=paid
            )
        except TelegramError as error:
            await self._failed(row, campaign, error)
            return
        except Exception as error:
            # Not a Telegram answer: we cannot tell whether it went out, so never resend it.
            bucket.pause(self.retry_base_seconds)
            await self._final(row, DeliveryStatus.FAILED, f"ambiguous: {error!r}")
            raise
        self._network_failures = 0
        metrics.MESSAGES_SENT.inc()
        # It went out: never lose that, even while the database is down.
        await retry_while_unavailable(
            mark_sent, self.engine, row.id, message_ids=message_ids, now=self.clock()
        )

    def _paid(self, campaign: CampaignInfo) -> bool:
        """Urgent campaigns may use allow_paid_broadcast when PAID_BROADCAST is on."""
        return campaign.urgent and self.paid
