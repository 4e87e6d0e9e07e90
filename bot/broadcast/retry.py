"""The sender's retry and error policy: what a Telegram error means for the row, the campaign and
the pace of everything else (procrastinate's retry.py is the model)."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.error import TelegramError

from bot import metrics
from bot.broadcast import outcomes
from bot.broadcast.campaign_rules import CampaignInfo
from bot.broadcast.claims import ClaimedDelivery
from bot.models import DeliveryStatus
from bot.storage import outbox as store
from bot.storage.citizens import mark_unreachable

log = logging.getLogger("bot.broadcast.sender")

MAX_NETWORK_ATTEMPTS = 5
MAX_OUTAGE_DOUBLINGS = 4  # an outage pauses everything for at most 16 x retry_base_seconds


class FailurePolicy:
    """Mixed into OutboxSender: a failed send becomes a pause, a retry or a final status."""

    async def _failed(
        self, row: ClaimedDelivery, campaign: CampaignInfo, error: TelegramError
    ) -> None:
        outcome = outcomes.classify(error)
        log.info("delivery %s to chat %s: %r -> %s", row.id, row.chat_id, error, outcome)
        if isinstance(outcome, outcomes.Pause):
            log.warning("%s: pausing all sending for %.1fs", outcome.error, outcome.seconds)
            (self.paid_pacer if self._paid(campaign) else self.pacer).pause(outcome.seconds)
            back = await self._in_session(store.back_to_queue, row.id, worker_id=self.worker_id)
            if back:
                self._queue.appendleft(row)
        elif isinstance(outcome, outcomes.Unreachable):
            await self._unreachable(row, outcome.reason)
        elif isinstance(outcome, outcomes.Retry):
            await self._retry(row, outcome.error)
        elif isinstance(outcome, outcomes.CampaignFailed):
            log.error("campaign %s rejected by Telegram: %s", campaign.id, outcome.error)
            await self._final(row, DeliveryStatus.FAILED, outcome.error)
            self._drop_queued(campaign.id)
            await self._in_session(
                store.close_campaign_rows,
                campaign.id,
                status=DeliveryStatus.FAILED,
                error=outcome.error,
            )
        else:
            await self._final(row, DeliveryStatus.FAILED, outcome.error)

    async def _final(self, row: ClaimedDelivery, status: DeliveryStatus, error: str) -> None:
        await self._in_session(store.mark_final, row.id, status=status, error=error)

    async def _unreachable(self, row: ClaimedDelivery, reason: str) -> None:
        await self._final(row, DeliveryStatus.UNREACHABLE, reason)
        metrics.UNREACHABLE_MARKED.inc()
        await self._in_session(mark_unreachable, row.chat_id, reason)
        await self._in_session(store.skip_other_pending, row.chat_id, error=reason)

    async def _retry(self, row: ClaimedDelivery, error: str) -> None:
        """Not sent (connection refused, Telegram 5xx): back off this row and, briefly, everything."""
        attempts = row.attempts + 1
        self._network_failures += 1
        doublings = min(self._network_failures - 1, MAX_OUTAGE_DOUBLINGS)
        self.pacer.pause(self.retry_base_seconds * 2**doublings)
        if attempts >= MAX_NETWORK_ATTEMPTS:
            error = f"gave up after {attempts} attempts: {error}"
            await self._final(row, DeliveryStatus.FAILED, error)
            return
        delay = timedelta(seconds=self.retry_base_seconds * 2 ** (attempts - 1))
        await self._in_session(
            store.retry_later,
            row.id,
            not_before=self.clock() + delay,
            attempts=attempts,
            error=error,
        )
