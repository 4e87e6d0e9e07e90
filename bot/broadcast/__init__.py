"""Durable outbox and the rate-limited sender: officials' broadcasts reach each chat exactly once."""

from bot.broadcast.outbox import (
    CampaignError,
    CampaignReport,
    campaign_report,
    cancel_campaign,
    create_campaign,
    recent_campaigns,
    set_progress_message,
)
from bot.broadcast.sender import OutboxSender

__all__ = [
    "CampaignError",
    "CampaignReport",
    "OutboxSender",
    "campaign_report",
    "cancel_campaign",
    "create_campaign",
    "recent_campaigns",
    "set_progress_message",
]
