"""Recall ("Thu hồi", /thuhoi) and correction ("Sửa", /sua) of a sent campaign.

Both ask for confirmation with a "Xác nhận" button; the work itself is done by the
ActionWorker (bot/broadcast/action_worker.py), paced and exactly once. Replies to the bot's
prompts (new text for "Sửa", a time for "Hẹn giờ") are recognised by the prompt they answer,
so they need no in-memory state and work on any replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re

from telegram import Bot, ForceReply, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.broadcast.actions import ActionReport, AlreadyRecalled
from bot.broadcast.content import send_content
from bot.broadcast.drafts import DISCARDED, DRAFT, SCHEDULED
from bot.broadcast.prepare import prepare_broadcast
from bot.db import run_in_session
from bot.models import Topic
from bot.replies import Button, Reply
from bot.storage import actions, drafts
from bot.storage.campaigns import campaign_report
from bot.telegram import official, official_compose, official_reports
from bot.telegram.messaging import send_reply
from bot.telegram.services import services_of
from bot.telegram_html import escape
from bot.texts import officials as t

log = logging.getLogger(__name__)
WORKER_KEY = "action_worker"
EDIT_PROMPT_RE = official_compose.prompt_pattern(t.EDIT_PROMPT)


def report_buttons(campaign_id: int) -> Reply:
    """The buttons under a campaign's final report."""
    return Reply(
        "",
        (
            (
                Button(t.BUTTON_RECALL, f"rc:ask:{campaign_id}"),
                Button(t.BUTTON_EDIT, f"ed:ask:{campaign_id}"),
            ),
            (Button(t.BUTTON_CSV, f"rp:csv:{campaign_id}"),),
        ),
    )


async def _send_csv(update: Update, context, campaign_id: int) -> None:
    services = services_of(context)
    chat_id = update.effective_chat.id
    report = await run_in_session(services.engine, campaign_report, campaign_id)
    user_id = update.effective_user.id
    if report is None or report.total == 0:
        await send_reply(context.bot, chat_id, Reply(t.NO_SUCH_CAMPAIGN.format(id=campaign_id)))
        return
    if report.created_by != user_id and not services.settings.is_admin(user_id):
        await send_reply(context.bot, chat_id, Reply(t.NOT_YOURS))
        return
    await official_reports.send_csv_report(context.bot, services, chat_id, campaign_id)


@official_compose.officials_only
async def on_csv_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    raw = (query.data or "").rsplit(":", 1)[-1]
    await query.answer()
    if raw.isdigit():
        await _send_csv(update, context, int(raw))


@official_compose.officials_only
async def csv_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/baocao ID: the campaign's CSV."""
    campaign_id = official_reports.campaign_id_arg(context.args or [])
    if campaign_id is None:
        await send_reply(context.bot, update.effective_chat.id, Reply(t.CSV_USAGE))
        return
    await _send_csv(update, context, campaign_id)


async def show_action_report(bot: Bot, report: ActionReport) -> None:
    """The recall's (or edit's) result in place of its confirmation message."""
    render = t.recall_done_text if report.kind == "recall" else t.edit_done_text
    text = render(report.campaign_id, report.done, report.too_old, report.gone, report.failed)
    if report.progress_chat_id is None or report.progress_message_id is None:
        return
    try:
        await bot.edit_message_text(text, report.progress_chat_id, report.progress_message_id)
    except BadRequest as error:
        log.warning("report of action %s not shown: %s", report.action_id, error.message)


def _wake(context: ContextTypes.DEFAULT_TYPE) -> None:
    worker = context.application.bot_data.get(WORKER_KEY)
    if worker is not None:
        worker.wake()


async def _campaign_for(update: Update, context, campaign_id: int):
    """The finished campaign this user may recall or edit, or None after saying why not."""
    services = services_of(context)
    report = await run_in_session(services.engine, campaign_report, campaign_id)
    user_id = update.effective_user.id
    problem = None
    if report is None or report.status in (DRAFT, DISCARDED, SCHEDULED):
        problem = t.NO_SUCH_CAMPAIGN.format(id=campaign_id)
    elif report.created_by != user_id and not services.settings.is_admin(user_id):
        problem = t.NOT_YOURS
    elif not report.finished:
        problem = t.STILL_SENDING.format(id=campaign_id)
    if problem is None:
        return report
    if update.callback_query is not None:
        await update.callback_query.answer(re.sub("<[^>]+>", "", problem), show_alert=True)
    else:
        await send_reply(context.bot, update.effective_chat.id, Reply(problem))
    return None


# -- recall --------------------------------------------------------------------------------
async def _ask_recall(update: Update, context, campaign_id: int) -> None:
    report = await _campaign_for(update, context, campaign_id)
    if report is None:
        return
    services = services_of(context)
    if await run_in_session(services.engine, actions.recall_of, campaign_id) is not None:
        await send_reply(
            context.bot,
            update.effective_chat.id,
            Reply(t.ALREADY_RECALLED.format(id=campaign_id)),
        )
        return
    reply = Reply(
        t.RECALL_CONFIRM.format(id=campaign_id, count=report.sent),
        (
            (
                Button(t.BUTTON_CONFIRM_RECALL, f"rc:ok:{campaign_id}"),
                Button(t.BUTTON_KEEP, f"rc:no:{campaign_id}"),
            ),
        ),
    )
    await send_reply(context.bot, update.effective_chat.id, reply)


@official_compose.officials_only
async def recall_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/thuhoi ID"""
    campaign_id = official_reports.campaign_id_arg(context.args or [])
    if campaign_id is None:
        await send_reply(context.bot, update.effective_chat.id, Reply(t.RECALL_USAGE))
        return
    await _ask_recall(update, context, campaign_id)


@official_compose.officials_only
async def on_recall_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    _, action, raw = ((query.data or "") + "::").split(":")[:3]
    if not raw.isdigit():
        await query.answer(t.ACTION_GONE, show_alert=True)
        return
    campaign_id = int(raw)
    if action == "ask":
        await query.answer()
        await _ask_recall(update, context, campaign_id)
        return
    if action == "no":
        await query.answer(t.KEPT)
        await query.edit_message_text(t.KEPT)
        return
    report = await _campaign_for(update, context, campaign_id)
    if report is None:
        return
    services = services_of(context)
    prompt = query.message
    try:
        await run_in_session(
            services.engine,
            actions.queue_recall,
            campaign_id,
            created_by=update.effective_user.id,
            now=services.clock(),
            progress_chat_id=prompt.chat.id,
            progress_message_id=prompt.message_id,
        )
    except AlreadyRecalled:  # a recall is unique per campaign: pressed twice, or two replicas
        await query.answer(t.ALREADY_RECALLED.format(id=campaign_id), show_alert=True)
        return
    await query.answer(t.CONFIRMING)
    _wake(context)
    await _edit_quietly(prompt, t.RECALL_STARTED.format(id=campaign_id, count=report.sent))


# -- edit ----------------------------------------------------------------------------------
@official_compose.officials_only
async def edit_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sua ID new text"""
    message = update.effective_message
    parts = official_compose.html_of(message).split(maxsplit=2)
    campaign_id = official_reports.campaign_id_arg(parts[1:2])
    if campaign_id is None or len(parts) < 3:
        await send_reply(context.bot, update.effective_chat.id, Reply(t.EDIT_USAGE))
        return
    await _preview_edit(update, context, campaign_id, parts[2].strip())


async def _preview_edit(update: Update, context, campaign_id: int, new_text: str) -> None:
    report = await _campaign_for(update, context, campaign_id)
    if report is None:
        return
    services = services_of(context)
    chat_id = update.effective_chat.id
    draft = await run_in_session(services.engine, drafts.load_draft, campaign_id)
    topic = draft.topic if draft else Topic(report.topic)
    content = draft.content.with_text(new_text) if draft else None
    if content is None:
        await send_reply(context.bot, chat_id, Reply(t.NO_SUCH_CAMPAIGN.format(id=campaign_id)))
        return
    prepared = prepare_broadcast(topic, content)
    if not prepared.ok:
        await send_reply(context.bot, chat_id, Reply(official_compose.refusal_text(prepared)))
        return
    final = prepared.final
    action_id = await run_in_session(
        services.engine,
        actions.create_edit,
        campaign_id,
        text=new_text,
        created_by=update.effective_user.id,
        now=services.clock(),
    )
    try:
        await send_content(
            context.bot, chat_id, final, reply_markup=official_compose.citizen_markup(topic, final)
        )
    except BadRequest as error:
        await send_reply(
            context.bot, chat_id, Reply(t.TELEGRAM_REFUSED.format(error=escape(error.message)))
        )
        return
    await asyncio.sleep(services.settings.per_chat_interval_seconds)
    reply = Reply(
        t.EDIT_CONFIRM.format(id=campaign_id, count=report.sent),
        (
            (
                Button(t.BUTTON_CONFIRM_EDIT, f"ed:ok:{action_id}"),
                Button(t.BUTTON_KEEP, f"ed:no:{action_id}"),
            ),
        ),
    )
    await send_reply(context.bot, chat_id, reply)


@official_compose.officials_only
async def on_edit_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    services = services_of(context)
    _, action, raw = ((query.data or "") + "::").split(":")[:3]
    if not raw.isdigit():
        await query.answer(t.ACTION_GONE, show_alert=True)
        return
    if action == "ask":  # raw is the campaign id
        if await _campaign_for(update, context, int(raw)) is None:
            return
        await query.answer()
        await context.bot.send_message(
            update.effective_chat.id,
            t.EDIT_PROMPT.format(id=int(raw)),
            reply_markup=ForceReply(selective=True),
        )
        return
    pending = await run_in_session(services.engine, actions.load_action, int(raw))
    if pending is None or pending.status != "draft":
        await query.answer(t.ACTION_GONE, show_alert=True)
        return
    if action == "no":
        await query.answer(t.KEPT)
        await query.edit_message_text(t.KEPT)
        return
    if await _campaign_for(update, context, pending.campaign_id) is None:
        return
    prompt = query.message
    total = await run_in_session(
        services.engine,
        actions.queue_edit,
        pending.id,
        progress_chat_id=prompt.chat.id,
        progress_message_id=prompt.message_id,
    )
    if total is None:
        await query.answer(t.ACTION_GONE, show_alert=True)
        return
    await query.answer(t.CONFIRMING)
    _wake(context)
    await _edit_quietly(prompt, t.EDIT_STARTED.format(id=pending.campaign_id, count=total))


async def _edit_quietly(message: Message, text: str) -> None:
    with contextlib.suppress(BadRequest):  # the worker's report will say it all
        await message.edit_text(text)


# -- replies to the bot's prompts ----------------------------------------------------------
class _PromptReply(filters.MessageFilter):
    """A text that answers one of the bot's prompts (new content, a time)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return False
        text = replied.text or ""
        return bool(EDIT_PROMPT_RE.match(text) or official.SCHEDULE_PROMPT_RE.match(text))


@official_compose.officials_only
async def on_prompt_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    prompt = message.reply_to_message.text or ""
    if match := EDIT_PROMPT_RE.match(prompt):
        await _preview_edit(update, context, int(match.group(1)), official_compose.html_of(message))
    elif match := official.SCHEDULE_PROMPT_RE.match(prompt):
        await official.on_time_typed(update, context, int(match.group(1)), message.text or "")


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["thuhoi", "recall"], recall_command))
    application.add_handler(CommandHandler(["sua", "edit"], edit_command))
    application.add_handler(CallbackQueryHandler(on_recall_button, pattern=r"^rc:"))
    application.add_handler(CallbackQueryHandler(on_edit_button, pattern=r"^ed:"))
    application.add_handler(CallbackQueryHandler(on_csv_button, pattern=r"^rp:csv:"))
    application.add_handler(CommandHandler(["baocao", "report"], csv_command))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & _PromptReply(),
            on_prompt_reply,
        )
    )
