"""The sender's campaign rules: which campaign a row belongs to (cached), its expiry and quiet
hours, and the per-chat promotion rules read at send time."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from bot.broadcast import promotion_rules as rules
from bot.broadcast.claims import ClaimedDelivery
from bot.broadcast.content import Content
from bot.db import session_scope
from bot.models import DeliveryStatus, Topic
from bot.storage import outbox as store
from bot.storage.campaigns import sending_details
from bot.storage.citizens import topics_of

log = logging.getLogger("bot.broadcast.sender")


@dataclass(frozen=True)
class CampaignInfo:
    """What the sender needs of a campaign, cached while its rows go out."""

    id: int
    topic: str
    text: str
    expires_at: datetime | None
    media: str | None = None
    urgent: bool = False

    @property
    def content(self) -> Content:
        return Content.from_storage(self.text, self.media)

    @property
    def is_promotion(self) -> bool:
        return self.topic == Topic.PROMOTIONS.value


class CampaignRules:
    """Mixed into OutboxSender: the campaign checks made before a row is sent."""

    async def _campaign(self, campaign_id: int) -> CampaignInfo:
        info = self._campaigns.get(campaign_id)
        if info is None:
            info = await self._load_campaign(campaign_id)
            self._campaigns[campaign_id] = info
        return info

    async def _load_campaign(self, campaign_id: int) -> CampaignInfo:
        row = await self._in_session(sending_details, campaign_id)
        return CampaignInfo(*row[:5], urgent=bool(row[5]))

    async def _campaign_allows(self, campaign: CampaignInfo) -> bool:
        """Expiry for every campaign; quiet hours for promotions. Acts on all its rows at once."""
        now = self.clock()
        if campaign.is_promotion:
            decision = rules.campaign_decision(
                now=now,
                expires_at=campaign.expires_at,
                window=self.settings.quiet_window,
                zone=self.settings.zone,
            )
        elif campaign.expires_at is not None and now >= campaign.expires_at:
            decision = rules.Skip(rules.SKIP_EXPIRED)
        else:
            return True
        if isinstance(decision, rules.Send):
            return True
        self._drop_queued(campaign.id)
        self._touched.add(campaign.id)
        if isinstance(decision, rules.Defer):
            log.info(
                "campaign %s waits for quiet hours to end (%s UTC)", campaign.id, decision.until
            )
            await self._in_session(store.defer_campaign, campaign.id, until=decision.until)
        else:
            await self._in_session(
                store.close_campaign_rows,
                campaign.id,
                status=DeliveryStatus.SKIPPED,
                error=decision.reason,
            )
        return False

    def _drop_queued(self, campaign_id: int) -> None:
        self._queue = deque(row for row in self._queue if row.campaign_id != campaign_id)

    def _chat_decision(self, row: ClaimedDelivery) -> rules.Decision:
        """Per-chat promotion rules, read at send time (runs in a thread)."""
        sent = 0
        with session_scope(self.engine) as session:
            subscribed = Topic.PROMOTIONS in topics_of(session, row.chat_id)
            if subscribed:
                since = self.clock() - rules.CAP_WINDOW
                sent = store.promotions_since(session, row.chat_id, since=since, exclude_id=row.id)
        return rules.chat_decision(
            subscribed=subscribed, sent_last_24h=sent, max_per_day=self.settings.promo_max_per_day
        )
