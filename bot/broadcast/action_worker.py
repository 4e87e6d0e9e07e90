"""ActionWorker: takes recall and edit items to Telegram, paced with the sender, exactly once.

It shares the sender's `Pacer`, so deletions and edits count against the same global rate and
per-chat gap as messages. At most `max_in_flight` requests are open; every item is committed
`sending` before its first request and finished after the answer. See bot/broadcast/actions.py
for what a crash leaves behind and why it is safe to finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.broadcast import actions
from bot.broadcast import promotion_rules as rules
from bot.broadcast.actions import ClaimedItem
from bot.broadcast.content import Content, edit_content
from bot.broadcast.outcomes import retry_after_seconds
from bot.broadcast.pacing import Pacer
from bot.broadcast.worker import BackgroundWorker
from bot.db import in_session, is_sqlite, run_in_session
from bot.models import ActionKind, ItemStatus, Topic
from bot.storage import actions as rows

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
NOT_FOUND = ("message to delete not found", "message to edit not found", "chat not found")
TOO_OLD = ("message can't be deleted",)
NOT_MODIFIED = "message is not modified"
ActionDone = Callable[[actions.ActionReport], Awaitable[Any]]


class ActionWorker(BackgroundWorker):
    task_name = "action-worker"

    def __init__(
        self,
        engine: Engine,
        bot: Bot,
        pacer: Pacer,
        *,
        clock: Callable[[], datetime],
        worker_id: str,
        on_done: ActionDone | None = None,
        markup_for: Callable[[str], Any] | None = None,
        batch_size: int = 10,
        max_in_flight: int = 2,
        lease_seconds: float = 60.0,
        retry_base_seconds: float = 2.0,
        idle_poll_seconds: float = 5.0,
        single_sender: bool | None = None,
    ) -> None:
        self.engine = engine
        self.bot = bot
        self.pacer = pacer
        self.clock = clock
        self.worker_id = worker_id
        self.on_done = on_done
        self.markup_for = markup_for or (lambda _topic: None)
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.retry_base_seconds = retry_base_seconds
        self.idle_poll_seconds = idle_poll_seconds
        self.single_sender = is_sqlite(engine) if single_sender is None else single_sender
        self._slots = asyncio.Semaphore(max_in_flight)
        self._actions: dict[int, tuple[str, str, Content]] = {}  # kind, topic, new content
        self._init_worker()

    async def run_until_idle(self, max_wait: float = 30.0) -> None:
        """For tests: work until nothing is due within `max_wait` seconds."""
        await asyncio.to_thread(self._recover)
        while True:
            if not await self._turn():
                await self._drain_lanes()
                await self._close_finished()
                due = await self._due_in()
                if due is None or due > max_wait:
                    break
                await asyncio.sleep(max(due, 0.05))
        await self._drain_callbacks()

    # -- loop -------------------------------------------------------------------------------
    async def _serve(self) -> None:
        await asyncio.to_thread(self._recover)
        while not self._stopping:
            try:
                if await self._turn():
                    continue
                await self._close_finished()
                due = await self._due_in()
                poll = self.idle_poll_seconds
                await self._nap(poll if due is None else max(min(due, poll), 0.05))
            except Exception:
                log.exception("action worker %s: step failed, retrying", self.worker_id)
                await self._nap(self.idle_poll_seconds)
        await self._drain_lanes()
        await run_in_session(self.engine, rows.release_items, worker_id=self.worker_id)
        await self._close_finished()
        await self._drain_callbacks()

    def _recover(self) -> None:
        count = in_session(
            self.engine,
            rows.recover_items,
            worker_id=self.worker_id,
            now=self.clock(),
            lease=self.lease,
            single_sender=self.single_sender,
        )
        if count:
            log.warning("%s recall/edit items were in flight at a crash: checking them", count)

    async def _turn(self) -> bool:
        """Claim a batch and start it; False if nothing was due."""
        items = await run_in_session(
            self.engine,
            rows.claim_items,
            worker_id=self.worker_id,
            now=self.clock(),
            lease=self.lease,
            limit=self.batch_size,
        )
        for item in items:
            while (wait := self.pacer.chat_wait(item.chat_id)) > 0:
                await asyncio.sleep(min(wait, 1.0))
            await self._slots.acquire()
            if self._stopping:
                self._slots.release()
                break
            self.pacer.chat_started(item.chat_id)
            self._start_lane(self._process(item))
        return bool(items)

    async def _due_in(self) -> float | None:
        now = self.clock()
        due = await run_in_session(self.engine, rows.next_item_due, now=now, lease=self.lease)
        return None if due is None else max(0.0, (due - now).total_seconds())

    async def _close_finished(self) -> None:
        for action_id in await run_in_session(self.engine, rows.finish_actions, now=self.clock()):
            self._actions.pop(action_id, None)
            log.info("recall/edit %s finished", action_id)
            if self.on_done is not None:
                self._start_callback(self._report(action_id))

    async def _report(self, action_id: int) -> None:
        try:
            report = await run_in_session(self.engine, rows.action_report, action_id)
            if report is not None and self.on_done is not None:
                await self.on_done(report)
        except Exception:
            log.exception("report of recall/edit %s failed", action_id)

    # -- one item ---------------------------------------------------------------------------
    async def _action(self, action_id: int) -> tuple[str, str, Content]:
        cached = self._actions.get(action_id)
        if cached is None:
            kind, text, topic, media = await run_in_session(
                self.engine, rows.action_content, action_id
            )
            content = Content.from_storage(text or "", media)
            if topic == Topic.PROMOTIONS.value:
                content = content.with_text(rules.with_ad_prefix(content.text))
            cached = self._actions[action_id] = (kind, topic, content)
        return cached

    async def _process(self, item: ClaimedItem) -> None:
        try:
            await self._handle(item)
        except Exception:
            log.exception("recall/edit item %s: unexpected error", item.id)
        finally:
            self.pacer.chat_finished(item.chat_id)
            self._slots.release()
            self._changed.set()

    async def _handle(self, item: ClaimedItem) -> None:
        kind, topic, content = await self._action(item.action_id)
        now = self.clock()
        recall = kind == ActionKind.RECALL.value
        if recall and item.sent_at is not None and now - item.sent_at > actions.DELETE_WINDOW:
            await self._finish(item, ItemStatus.TOO_OLD, "older than 48 hours")
            return
        await self.pacer.wait_unpaused()
        started = await run_in_session(
            self.engine, rows.start_item, item.id, worker_id=self.worker_id, now=now
        )
        if not started:
            return
        outcome: ItemStatus = ItemStatus.DONE
        error: str | None = None
        for message_id in item.message_ids:
            await self.pacer.take()
            try:
                if recall:
                    result = await self._delete(item, message_id)
                else:
                    await edit_content(
                        self.bot,
                        item.chat_id,
                        message_id,
                        content,
                        reply_markup=self.markup_for(topic),
                    )
                    result = ItemStatus.DONE
            except RetryAfter as flood:
                self.pacer.pause(retry_after_seconds(flood))
                await run_in_session(self.engine, rows.item_back, item.id, worker_id=self.worker_id)
                return
            except BadRequest as bad:
                result, error = self._bad_request(bad), bad.message
            except Forbidden as forbidden:
                result, error = ItemStatus.GONE, forbidden.message
            except TelegramError as other:  # network: the request may or may not have arrived
                await self._retry(item, str(other))
                return
            except Exception as other:
                await self._retry(item, repr(other))
                raise
            if result is not ItemStatus.DONE:
                outcome = result if outcome is ItemStatus.DONE else outcome
        await self._finish(item, outcome, error if outcome is not ItemStatus.DONE else None)

    async def _delete(self, item: ClaimedItem, message_id: int) -> ItemStatus:
        if item.ambiguous:
            # The delete may have happened before a crash: probe without changing anything.
            try:
                await self.bot.edit_message_reply_markup(item.chat_id, message_id)
            except BadRequest as probe:
                text = probe.message.lower()
                if "not found" in text:
                    return ItemStatus.DONE  # we deleted it before the crash
                if NOT_MODIFIED not in text:
                    raise
            await self.pacer.take()
        await self.bot.delete_message(item.chat_id, message_id)
        return ItemStatus.DONE

    @staticmethod
    def _bad_request(error: BadRequest) -> ItemStatus:
        text = error.message.lower()
        if NOT_MODIFIED in text:
            return ItemStatus.DONE
        if any(phrase in text for phrase in TOO_OLD):
            return ItemStatus.TOO_OLD
        if any(phrase in text for phrase in NOT_FOUND):
            return ItemStatus.GONE
        return ItemStatus.FAILED

    async def _finish(self, item: ClaimedItem, status: ItemStatus, error: str | None) -> None:
        await run_in_session(
            self.engine,
            rows.finish_item,
            item.id,
            status=status,
            now=self.clock(),
            error=error,
        )

    async def _retry(self, item: ClaimedItem, error: str) -> None:
        attempts = item.attempts + 1
        self.pacer.pause(self.retry_base_seconds)
        if attempts >= MAX_ATTEMPTS:
            await self._finish(item, ItemStatus.FAILED, f"gave up after {attempts}: {error}")
            return
        await run_in_session(
            self.engine,
            rows.retry_item,
            item.id,
            not_before=self.clock() + timedelta(seconds=self.retry_base_seconds * 2**attempts),
            attempts=attempts,
            error=actions.AMBIGUOUS,
        )
