"""Build the python-telegram-bot Application: the one place handlers are registered."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    Updater,
    filters,
)

from bot import callbacks, metrics
from bot.clock import Clock, utc_now
from bot.config import Settings
from bot.db import run_in_session
from bot.health import database_check, faq_check, health_server_from_settings
from bot.knowledge.store import FaqStore
from bot.leadership.election import LeaderElection
from bot.rate_budget import CountingRequest, RateBudget, RateMeter
from bot.replies import Reply
from bot.storage import deliveries, replica_load
from bot.telegram import (
    admin,
    areas,
    background,
    citizen,
    official,
    official_actions,
    support,
    teaching,
)
from bot.telegram.flood import FloodGuard
from bot.telegram.messaging import NO_PREVIEW, send_reply
from bot.telegram.ordering import PerChatUpdateProcessor
from bot.telegram.services import SERVICES_KEY, BotContext, Services
from bot.texts import admins as admin_texts
from bot.texts import citizens as texts

log = logging.getLogger(__name__)
OUTBOX_SAMPLE_SECONDS = 5.0
LOAD_PUBLISH_SECONDS = 1.0
WEBHOOK_REGISTER_RETRY_SECONDS = 5.0

COMMANDS = [BotCommand(command, description) for command, description in texts.COMMAND_MENU]


def register_handlers(application: Application) -> None:
    """Every handler, in priority order."""
    add = application.add_handler
    add(TypeHandler(Update, citizen.prelude), group=-1)
    add(CommandHandler("start", citizen.start))
    add(CommandHandler(["help", "trogiup"], citizen.help_command))
    add(CommandHandler(["faq", "menu", "danhmuc"], citizen.faq_menu))
    add(CommandHandler(["subscribe", "dangky"], citizen.subscribe_command))
    add(CommandHandler(["unsubscribe", "huydangky"], citizen.unsubscribe_command))
    add(CommandHandler(["caidat", "settings"], citizen.settings_command))
    add(CommandHandler(["xoadulieu", "deletedata"], citizen.delete_command))
    add(CommandHandler("thongke", admin.stats_command))
    support.register(application, application.bot_data[SERVICES_KEY].settings.support_chat_id)
    teaching.register(application)
    official.register(application)
    official_actions.register(application)
    areas.register(application)  # /diaphuong (citizens), /quanlycanbo (admins)
    add(CallbackQueryHandler(citizen.on_navigation, pattern=callbacks.NAVIGATION))
    add(CallbackQueryHandler(citizen.on_feedback, pattern=callbacks.FEEDBACK))
    add(CallbackQueryHandler(citizen.on_subscription_button, pattern=callbacks.SUBSCRIPTION))
    add(CallbackQueryHandler(citizen.on_delete_button, pattern=callbacks.DELETE))
    add(CallbackQueryHandler(citizen.on_stale_button))
    add(MessageHandler(filters.TEXT & ~filters.COMMAND, citizen.on_text))
    add(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command))
    add(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, citizen.on_other_message))
    application.add_error_handler(on_error)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not know."""
    await send_reply(
        context.bot,
        update.effective_chat.id,
        Reply(texts.UNKNOWN_COMMAND),
    )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with the update id, apologise once, keep serving."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        if update.callback_query is not None:
            with contextlib.suppress(Exception):  # it may have been answered already
                await update.callback_query.answer()
        busy = isinstance(context.error, SQLAlchemyError)  # the database is down or overloaded
        if busy:
            metrics.DATABASE_UNAVAILABLE.inc()
        text = texts.SERVICE_BUSY if busy else texts.INTERNAL_ERROR
        try:
            await send_reply(context.bot, update.effective_chat.id, Reply(text))
        except Exception:
            log.warning("could not apologise for update %s", update_id)


async def _post_init(application: Application) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    try:
        await application.bot.set_my_commands(COMMANDS)
    except Exception:
        log.warning("could not set the command list", exc_info=True)
    if services.faq.last_problems:
        await _tell_admins_faq_problems(application, services.faq.last_problems)
    poll = services.settings.reload_poll_seconds
    application.job_queue.run_repeating(_reload_faq, interval=poll, first=poll, name="faq-reload")
    application.job_queue.run_repeating(
        _sample_outbox, interval=OUTBOX_SAMPLE_SECONDS, first=1.0, name="outbox-depth"
    )
    application.job_queue.run_repeating(
        _publish_load, interval=LOAD_PUBLISH_SECONDS, first=0.1, name="replica-load"
    )
    services.health = health_server_from_settings(
        services.settings,
        {
            "database": database_check(services.engine),
            "faq": faq_check(
                lambda: len(services.faq.matcher.book.entries) if services.faq.matcher else 0
            ),
        },
    )
    if services.health is not None:
        await services.health.start()
    # One replica, the leader, runs the outbox sender and the notice scheduler.
    services.election = LeaderElection(
        services.settings.database_url,
        key=services.settings.leader_lock_key,
        on_elected=lambda: _lead(application),
        on_demoted=lambda: _follow(application),
    )
    await services.election.start()


async def _lead(application: Application) -> None:
    metrics.set_leader(True)
    services: Services = application.bot_data[SERVICES_KEY]
    settings = services.settings
    if settings.webhook_url and settings.webhook_register:
        # A job, so it runs once the webhook server listens (the JobQueue starts after it).
        application.job_queue.run_once(_register_webhook, 0, name="register-webhook")
    await background.start(application, services)


async def _register_webhook(context: BotContext) -> None:
    """The leader (and only the leader) points Telegram at WEBHOOK_URL."""
    services = context.services
    election = services.election
    if election is not None and not election.is_leader:
        return
    settings = services.settings
    try:
        await context.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=settings.webhook_secret or None,
            allowed_updates=Update.ALL_TYPES,
        )
        log.info("webhook registered: %s", settings.webhook_url)
    except Exception as error:
        log.warning(
            "could not register the webhook (%s); retrying in %.0f s",
            error,
            WEBHOOK_REGISTER_RETRY_SECONDS,
        )
        context.job_queue.run_once(
            _register_webhook, WEBHOOK_REGISTER_RETRY_SECONDS, name="register-webhook"
        )


async def _publish_load(context: BotContext) -> None:
    """Once a second: publish this replica's message rate, read every replica's total."""
    services = context.services
    if services.meter is None or services.rate_budget is None:
        return
    rate = services.meter.rate()
    metrics.REPLICA_MESSAGE_RATE.set(rate)
    try:
        total = await run_in_session(
            services.engine,
            replica_load.publish_and_read,
            replica_id=services.replica_id,
            rate=rate,
            now=services.clock(),
            fresh_seconds=services.settings.replica_load_fresh_seconds,
        )
    except Exception:
        log.debug("replica load not published", exc_info=True)
        return
    services.rate_budget.update(total)


async def _follow(application: Application) -> None:
    metrics.set_leader(False)
    await background.stop(application.bot_data[SERVICES_KEY])


async def _sample_outbox(context: BotContext) -> None:
    """Outbox depth for /metrics; a database outage leaves the last sample."""
    try:
        metrics.set_outbox_depth(await run_in_session(context.services.engine, deliveries.depth))
    except Exception:
        log.debug("outbox depth not sampled", exc_info=True)


async def _reload_faq(context: BotContext) -> None:
    """FAQ edits go live within one poll; a bad edit keeps the last good FAQ and tells admins."""
    problems = await context.services.faq.reload_if_changed()
    if problems:
        metrics.FAQ_RELOAD_FAILURES.inc()
        await _tell_admins_faq_problems(context.application, problems)


async def _tell_admins_faq_problems(application: Application, problems) -> None:
    await admin.notify_admins(
        application.bot,
        application.bot_data[SERVICES_KEY].settings.admin_ids,
        admin.problems_text(admin_texts.FAQ_EDIT_REJECTED, problems),
    )


async def _post_shutdown(application: Application) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    if services.election is not None:
        await services.election.stop()  # stops the sender and scheduler if this was the leader
    await background.stop(services, application)
    if services.health is not None:
        await services.health.stop()
    with contextlib.suppress(Exception):  # our share of the budget is free again at once
        await run_in_session(services.engine, replica_load.forget_replica, services.replica_id)


class SharedWebhookUpdater(Updater):
    """PTB's Updater, except that starting the webhook server does not call setWebhook.

    With several replicas behind one URL, each one calling setWebhook at start (and fighting
    over it) is pointless: the leader registers it once elected (`_register_webhook`), and no
    replica deletes it when stopping (PTB never does), so the others keep receiving updates.
    Polling keeps PTB's bootstrap: it deletes any webhook before calling getUpdates.
    """

    async def _bootstrap(self, max_retries, webhook_url, allowed_updates, *args, **kwargs):
        if webhook_url:
            log.info("webhook server up; the leader registers %s", webhook_url)
            return
        await super()._bootstrap(max_retries, webhook_url, allowed_updates, *args, **kwargs)


if not hasattr(Updater, "_bootstrap"):  # pragma: no cover - a PTB upgrade changed internals
    raise ImportError("telegram.ext.Updater._bootstrap is gone: adapt SharedWebhookUpdater")


def build_application(
    settings: Settings, engine: Engine, faq: FaqStore | None = None, clock: Clock = utc_now
) -> Application:
    """The bot's Application, wired to the database, the FAQ and the clock."""
    if faq is None:
        faq = FaqStore(settings.faq_dir)
        faq.load()
    meter = RateMeter()
    builder: ApplicationBuilder = (
        Application.builder()
        .token(settings.telegram_bot_token.strip())
        .request(CountingRequest(meter, connection_pool_size=256))
        .base_url(settings.telegram_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW))
        .context_types(ContextTypes(context=BotContext))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(PerChatUpdateProcessor())
    )
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    application = builder.build()
    # Same bot and queue; only the webhook registration at start-up moves to the leader.
    application.updater = SharedWebhookUpdater(
        bot=application.bot, update_queue=application.update_queue
    )
    application.bot_data[SERVICES_KEY] = Services(
        settings=settings,
        engine=engine,
        faq=faq,
        clock=clock,
        flood=FloodGuard(
            settings.flood_max_messages, settings.flood_window_seconds, settings.flood_mute_seconds
        ),
        meter=meter,
        rate_budget=RateBudget(
            max_rate=settings.broadcast_rate_per_second,
            global_limit=settings.telegram_global_limit,
            margin=settings.rate_budget_margin,
            floor=settings.broadcast_rate_floor,
        ),
        replica_id=f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
    )
    register_handlers(application)
    return application
