"""Officials' reports: live progress, the final report with its CSV, /huy and /broadcasts."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    InputFile,
    Update,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    ContextTypes,
)

from bot.broadcast import CampaignReport
from bot.broadcast.csv_report import campaign_csv, csv_name
from bot.broadcast.drafts import SCHEDULED
from bot.clock import to_local
from bot.db import run_in_session
from bot.replies import Reply
from bot.storage import drafts
from bot.storage.campaigns import cancel_campaign, delivery_outcomes, recent_campaigns
from bot.telegram.messaging import keyboard
from bot.telegram.official_compose import officials_only, say, send_waiting_out_flood
from bot.telegram.services import Services, services_of
from bot.telegram_html import escape
from bot.texts import officials as t

log = logging.getLogger(__name__)


# -- progress and reports ------------------------------------------------------------------
def progress_text(report: CampaignReport) -> str:
    return t.progress_text(
        report.campaign_id, report.total - report.pending, report.total, report.sent
    )


def final_text(report: CampaignReport) -> str:
    return "\n".join(
        t.final_lines(
            campaign_id=report.campaign_id,
            topic=report.topic,
            cancelled=report.status == "cancelled",
            sent=report.sent,
            total=report.total,
            unreachable=report.unreachable,
            failed=report.failed,
            skipped=report.skipped,
            not_sent=report.cancelled,
            seconds=int(report.duration.total_seconds()),
        )
    )


async def edit_progress(
    bot: Bot, report: CampaignReport, text: str, reply: Reply | None = None
) -> None:
    """Edit the official's progress message; a failure here never touches the campaign."""
    if report.progress_chat_id is None or report.progress_message_id is None:
        return
    markup = keyboard(reply) if reply is not None else None
    try:
        await bot.edit_message_text(
            text, report.progress_chat_id, report.progress_message_id, reply_markup=markup
        )
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            log.warning("progress of campaign %s not shown: %s", report.campaign_id, error.message)


async def send_csv_report(bot: Bot, services: Services, chat_id: int, campaign_id: int) -> None:
    """The per-chat outcome of a campaign as a CSV document (same bytes as the CLI's)."""
    rows = await run_in_session(services.engine, delivery_outcomes, campaign_id)
    data = campaign_csv(rows, services.settings.zone)
    try:
        await send_waiting_out_flood(
            lambda: bot.send_document(
                chat_id,
                InputFile(data, filename=csv_name(campaign_id)),
                caption=t.CSV_CAPTION.format(id=campaign_id),
            )
        )
    except TelegramError as error:
        log.warning("CSV of campaign %s not sent: %s", campaign_id, error)


# -- /huy, /broadcasts ---------------------------------------------------------------------
def campaign_id_arg(args: list[str]) -> int | None:
    if len(args) != 1:
        return None
    raw = args[0].lstrip("#")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@officials_only
async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/huy ID: stop a running campaign, or a scheduled one before it fires."""
    services = services_of(context)
    chat_id = update.effective_chat.id
    campaign_id = campaign_id_arg(context.args or [])
    if campaign_id is None:
        await say(context.bot, chat_id, t.CANCEL_USAGE)
        return
    if await run_in_session(services.engine, cancel_campaign, campaign_id):
        text = t.CANCELLED.format(id=campaign_id)
        if services.sender is not None:
            services.sender.wake()
    elif await run_in_session(
        services.engine, drafts.cancel_scheduled, campaign_id, now=services.clock()
    ):
        text = t.CANCELLED_SCHEDULED.format(id=campaign_id)
    else:
        text = t.NOT_RUNNING.format(id=campaign_id)
    await say(context.bot, chat_id, text)


@officials_only
async def list_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/broadcasts: recent campaigns with their numbers, scheduled ones with their time."""
    services = services_of(context)
    reports = await run_in_session(services.engine, recent_campaigns, 10)
    if not reports:
        await say(context.bot, update.effective_chat.id, t.NO_CAMPAIGNS)
        return
    zone = services.settings.zone
    lines = [t.RECENT_TITLE.format(zone=escape(services.settings.tz))]
    for r in reports:
        when = to_local(r.created_at, zone).strftime("%d/%m %H:%M")
        status = t.STATUS_NAMES.get(r.status, r.status)
        if r.status == SCHEDULED:
            draft = await run_in_session(services.engine, drafts.load_draft, r.campaign_id)
            if draft is not None and draft.scheduled_at is not None:
                at = to_local(draft.scheduled_at, zone).strftime("%H:%M %d/%m/%Y")
                status = t.SCHEDULED_STATUS.format(status=status, at=at, id=r.campaign_id)
        lines.append(
            t.RECENT_LINE.format(
                id=r.campaign_id,
                when=when,
                topic=escape(r.topic),
                status=escape(status),
                sent=r.sent,
                total=r.total,
                unreachable=r.unreachable,
                failed=r.failed,
            )
        )
    await say(context.bot, update.effective_chat.id, "\n".join(lines))
