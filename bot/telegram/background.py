"""Background work started with the bot: the outbox sender and the notice scheduler."""

from __future__ import annotations

import logging

from telegram.ext import Application, ExtBot

from bot.broadcast import CampaignReport
from bot.broadcast.action_worker import ActionWorker
from bot.broadcast.actions import ActionReport
from bot.broadcast.sender import OutboxSender, opt_out_keyboard
from bot.rate_budget import sender_request
from bot.schedule import NoticeScheduler
from bot.telegram import admin, official_actions, official_reports
from bot.telegram.services import Services
from bot.texts import admins as admin_texts

log = logging.getLogger(__name__)


def sender_bot(application: Application, services: Services) -> ExtBot:
    """The outbox sender's own Bot: its messages are paced by the shared budget, so they must
    not be metered as the replica's replies (which the budget leaves room for)."""
    settings = services.settings
    return ExtBot(
        settings.telegram_bot_token.strip(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url or "https://api.telegram.org/file/bot",
        request=sender_request(),
        defaults=application.bot.defaults,
    )


async def start(application: Application, services: Services) -> None:
    bot = application.bot

    async def on_progress(_campaign_id: int, report: CampaignReport) -> None:
        await official_reports.edit_progress(bot, report, official_reports.progress_text(report))

    async def on_done(report: CampaignReport) -> None:
        log.info("campaign %s finished: %s", report.campaign_id, report)
        buttons = official_actions.report_buttons(report.campaign_id) if report.sent else None
        await official_reports.edit_progress(
            bot, report, official_reports.final_text(report), buttons
        )

    services.sender = OutboxSender(
        services.engine,
        sender_bot(application, services),
        services.settings,
        clock=services.clock,
        on_campaign_done=on_done,
        on_progress=on_progress,
        # The leader is the only sender (advisory lock): at start, whatever another sender left
        # claimed or `sending` is a leftover of a dead or demoted leader, recovered at once.
        single_sender=True,
        rate_budget=services.rate_budget.current if services.rate_budget else None,
    )
    await services.sender.start()

    async def on_action_done(report: ActionReport) -> None:
        await official_actions.show_action_report(bot, report)

    worker = ActionWorker(
        services.engine,
        bot,
        services.sender.pacer,
        clock=services.clock,
        worker_id=services.sender.worker_id,
        on_done=on_action_done,
        markup_for=lambda topic: opt_out_keyboard() if topic == "promotions" else None,
    )
    application.bot_data[official_actions.WORKER_KEY] = worker
    await worker.start()

    async def on_schedule_problems(problems) -> None:
        await admin.notify_admins(
            bot,
            services.settings.admin_ids,
            admin.problems_text(admin_texts.SCHEDULE_EDIT_REJECTED, problems),
        )

    services.scheduler = NoticeScheduler(
        services.engine,
        services.settings,
        on_fire=lambda _campaign: services.sender.wake(),
        on_problems=on_schedule_problems,
        clock=services.clock,
        job_queue=application.job_queue,
        poll_seconds=services.settings.reload_poll_seconds,
    )
    await services.scheduler.start()


async def stop(services: Services, application: Application | None = None) -> None:
    """Stop what `start` started (idempotent: shutdown and demotion may both call it)."""
    scheduler, services.scheduler = services.scheduler, None
    sender, services.sender = services.sender, None
    if scheduler is not None:
        await scheduler.shutdown()
    worker = application.bot_data.pop(official_actions.WORKER_KEY, None) if application else None
    if worker is not None:
        await worker.stop()
    if sender is not None:
        await sender.stop()
        if sender.bot is not None:
            try:
                await sender.bot.shutdown()
            except Exception:
                log.debug("sender bot shutdown failed", exc_info=True)
