"""`dcbot run`: set up logging and the database, then poll or serve the webhook until SIGTERM.

Webhook mode may run as several replicas behind one URL. Starting a replica does not call
setWebhook: the leader does once elected (WEBHOOK_REGISTER=false: nobody does, an operator
registers it), so replicas starting or stopping never fight over it. No replica calls
deleteWebhook when it stops, so the others keep receiving updates; a lone replica that stops
leaves the webhook in place too, and Telegram keeps the updates until it is back.
"""

from __future__ import annotations

import logging
import signal

from telegram import Update

from bot.config import Settings
from bot.db import create_db_engine, upgrade_database
from bot.leadership.single_instance import SingleInstanceGuard
from bot.logging_setup import setup_logging
from bot.telegram.app import build_application

log = logging.getLogger(__name__)


def run_bot(settings: Settings) -> None:
    setup_logging(settings.log_level, settings.telegram_bot_token, settings.log_format)
    engine = create_db_engine(settings.database_url)
    upgrade_database(engine)
    application = build_application(settings, engine)
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    if settings.webhook_url:
        if not settings.webhook_secret:
            log.warning("WEBHOOK_SECRET is empty: anyone who knows the URL can post updates")
        log.info(
            "starting in webhook mode on %s:%s", settings.webhook_listen, settings.webhook_port
        )
        if not settings.webhook_register:
            log.info("WEBHOOK_REGISTER is off: no replica calls setWebhook; register it yourself")
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=settings.webhook_path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret or None,
            allowed_updates=Update.ALL_TYPES,
            stop_signals=stop_signals,
        )
    else:
        # Telegram serves getUpdates to one client only: a second poller would steal updates.
        guard = SingleInstanceGuard(settings.database_url)
        guard.acquire()  # AlreadyRunningError: the CLI prints it and exits
        log.info("starting in long-polling mode")
        try:
            application.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=stop_signals)
        finally:
            guard.release()
    engine.dispose()
    log.info("stopped")
