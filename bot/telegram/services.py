"""What the handlers need, kept in the Application's `bot_data` (the one allowed global state)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from telegram.ext import CallbackContext

from bot.clock import Clock, utc_now
from bot.config import Settings
from bot.knowledge.matcher import Matcher
from bot.knowledge.store import FaqStore
from bot.telegram.flood import FloodGuard

if TYPE_CHECKING:
    from bot.broadcast.sender import OutboxSender
    from bot.schedule.runner import NoticeScheduler

SERVICES_KEY = "services"


@dataclass
class Services:
    settings: Settings
    engine: Engine
    faq: FaqStore
    flood: FloodGuard
    clock: Clock = utc_now  # every "now" of the bot: sender, scheduler, statistics
    sender: OutboxSender | None = None
    scheduler: NoticeScheduler | None = None
    background: list[Any] = field(default_factory=list)  # asyncio tasks to cancel at shutdown

    @property
    def matcher(self) -> Matcher:
        assert self.faq.matcher is not None, "FAQ is loaded before the bot starts"
        return self.faq.matcher


def services_of(context: CallbackContext) -> Services:
    return context.application.bot_data[SERVICES_KEY]
