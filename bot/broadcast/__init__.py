"""Durable outbox and the rate-limited sender: officials' broadcasts reach each chat exactly once.

The rows are written and read by `bot/storage/` (campaigns, outbox, audience); this package
holds the sender (`sender.OutboxSender`), its rules and the values that travel between them.
"""

from bot.broadcast.outbox import CampaignError, CampaignReport

__all__ = ["CampaignError", "CampaignReport"]
