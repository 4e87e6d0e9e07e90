"""What the handlers need, kept in the Application's `bot_data` (the one allowed global state)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from telegram.ext import CallbackContext

from bot.clock import Clock, utc_now
from bot.config import Settings
from bot.knowledge.matcher import Matcher
from bot.knowledge.store import FaqStore
from bot.telegram.flood import FloodGuard

if TYPE_CHECKING:
    from bot.broadcast.sender import OutboxSender
    from bot.health import HealthServer
    from bot.leadership.election import LeaderElection
    from bot.rate_budget import RateBudget, RateMeter
    from bot.schedule.runner import NoticeScheduler

SERVICES_KEY = "services"


@dataclass
class Services:
    settings: Settings
    engine: Engine
    faq: FaqStore
    flood: FloodGuard
    clock: Clock = utc_now  # every "now" of the bot: sender, scheduler, statistics
    sender: OutboxSender | None = None  # only on the leader replica
    scheduler: NoticeScheduler | None = None  # only on the leader replica
    election: LeaderElection | None = None
    health: HealthServer | None = None
    meter: RateMeter | None = None  # messages this replica sends outside the outbox sender
    rate_budget: RateBudget | None = None  # what the outbox sender may use (on the leader)
    replica_id: str = ""

    @property
    def matcher(self) -> Matcher:
        assert self.faq.matcher is not None, "FAQ is loaded before the bot starts"
        return self.faq.matcher


class BotContext(CallbackContext):
    """The handlers' context: `context.services`, and what the per-update prelude learned."""

    def __init__(self, application, chat_id=None, user_id=None) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.new_user = False  # set by the prelude when this update is the chat's first

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]


def services_of(context: CallbackContext) -> Services:
    return context.application.bot_data[SERVICES_KEY]
