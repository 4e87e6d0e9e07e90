"""Officials' handlers: broadcast with preview and confirmation, progress, cancel, history."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import Awaitable, Callable

from telegram import Bot, Message, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.broadcast import (
    CampaignReport,
    cancel_campaign,
    create_campaign,
    recent_campaigns,
    set_progress_message,
)
from bot.broadcast.promotion_rules import labelled
from bot.broadcast.sender import opt_out_keyboard
from bot.db import run_in_session
from bot.models import Topic
from bot.replies import Button, Reply
from bot.storage import citizens
from bot.telegram import texts
from bot.telegram.messaging import send_reply
from bot.telegram.services import Services, services_of
from bot.telegram_html import MAX_MESSAGE_LENGTH, escape, html_problems
from bot.topics import parse_topic

log = logging.getLogger(__name__)
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
DRAFTS_KEY = "broadcast_drafts"
MAX_DRAFTS = 200
FORMATTING = {
    MessageEntity.BOLD, MessageEntity.ITALIC, MessageEntity.UNDERLINE,
    MessageEntity.STRIKETHROUGH, MessageEntity.CODE, MessageEntity.PRE,
    MessageEntity.TEXT_LINK, MessageEntity.SPOILER, MessageEntity.BLOCKQUOTE,
}  # fmt: skip

USAGE = (
    "Cách gửi thông báo:\n"
    "<code>/broadcast Nội dung</code> (mặc định chủ đề thông báo)\n"
    "<code>/broadcast #sukien Nội dung</code> hoặc <code>#khuyenmai</code>\n"
    "hoặc trả lời (reply) một tin nhắn bằng <code>/broadcast [#chủđề]</code>.\n"
    "Được dùng HTML của Telegram: &lt;b&gt;, &lt;i&gt;, &lt;a href=...&gt;..."
)


def _html_of(message: Message) -> str:
    """Formatting made with Telegram's editor becomes HTML; otherwise the text is taken as typed HTML."""
    entities = message.entities or message.caption_entities or ()
    if any(e.type in FORMATTING for e in entities):
        return message.text_html or message.caption_html or ""
    return message.text or message.caption or ""


def parse_broadcast(message: Message) -> tuple[Topic | None, str]:
    """(topic, html text) of a /broadcast command; topic None when the #word is unknown."""
    raw = _html_of(message)
    body = raw.split(maxsplit=1)[1] if len(raw.split(maxsplit=1)) > 1 else ""
    topic = Topic.ANNOUNCEMENTS
    first, _, rest = body.strip().partition(" ")
    if first.startswith("#"):
        topic = parse_topic(first)
        body = rest
    if message.reply_to_message is not None and not body.strip():
        body = _html_of(message.reply_to_message)
    return topic, body.strip()


def _is_official(services: Services, update: Update) -> bool:
    user = update.effective_user
    return services.settings.is_official(user.id if user else None)


def officials_only(handler: Handler) -> Handler:
    """Commands for OFFICIAL_IDS and ADMIN_IDS; anyone else is told "không có quyền"."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if _is_official(services_of(context), update):
            await handler(update, context)
        elif update.callback_query is not None:
            await update.callback_query.answer(texts.NO_PERMISSION, show_alert=True)
        else:
            await send_reply(context.bot, update.effective_chat.id, Reply(texts.NO_PERMISSION))

    return guarded


def _citizen_text(topic: Topic, text: str) -> str:
    return labelled(topic, text)


@officials_only
async def broadcast_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/broadcast [#topic] TEXT: preview, recipient count, and Send / Cancel buttons."""
    services = services_of(context)
    chat_id = update.effective_chat.id
    topic, text = parse_broadcast(update.effective_message)
    if topic is None:
        await send_reply(context.bot, chat_id, Reply("Chủ đề không hợp lệ.\n" + USAGE))
        return
    if not text:
        await send_reply(context.bot, chat_id, Reply(USAGE))
        return
    final_text = _citizen_text(topic, text)
    problems = html_problems(final_text, max_length=MAX_MESSAGE_LENGTH)
    if problems:
        reasons = "\n".join(f"• {escape(p)}" for p in problems[:10])
        await send_reply(
            context.bot, chat_id, Reply(f"❌ Chưa gửi được, nội dung có lỗi:\n{reasons}")
        )
        return
    recipients = await run_in_session(services.engine, citizens.subscribers, topic, True)
    drafts: dict = context.bot_data.setdefault(DRAFTS_KEY, {})
    while len(drafts) >= MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    draft_id = secrets.token_hex(4)
    drafts[draft_id] = {"topic": topic, "text": final_text, "by": update.effective_user.id}
    markup = opt_out_keyboard() if topic is Topic.PROMOTIONS else None
    try:
        await context.bot.send_message(
            chat_id, final_text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
    except BadRequest as error:  # Telegram is the final judge of its own markup
        drafts.pop(draft_id, None)
        await send_reply(
            context.bot, chat_id, Reply(f"❌ Telegram từ chối nội dung: {escape(error.message)}")
        )
        return
    name = texts.TOPIC_NAMES[topic].lower()
    await send_reply(
        context.bot,
        chat_id,
        Reply(
            f"👆 Bản xem trước, đúng như người dân sẽ nhận.\nChủ đề: <b>{name}</b> · "
            f"Người nhận: <b>{len(recipients)}</b>",
            (
                (
                    Button("✅ Gửi ngay", f"bc:send:{draft_id}"),
                    Button("❌ Hủy", f"bc:drop:{draft_id}"),
                ),
            ),
        ),
    )


@officials_only
async def on_broadcast_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Gửi ngay / Hủy under a preview."""
    query = update.callback_query
    services = services_of(context)
    _, action, draft_id = (query.data or "bc::").split(":", 2)
    draft = context.bot_data.get(DRAFTS_KEY, {}).pop(draft_id, None)
    if draft is None:
        await query.answer("Bản nháp này đã được xử lý hoặc đã hết hạn.", show_alert=True)
        return
    if action != "send":
        await query.answer("Đã hủy.")
        await query.edit_message_text("Đã hủy, không gửi.")
        return
    await query.answer("Đang đưa vào hàng đợi…")
    chat_id = update.effective_chat.id
    campaign = await asyncio.to_thread(
        lambda: create_campaign(
            services.engine,
            topic=draft["topic"],
            text=draft["text"],
            created_by=draft["by"],
            progress_chat_id=chat_id,
        )
    )
    message = await query.edit_message_text(
        f"📤 Chiến dịch #{campaign.id}: đang gửi 0/{campaign.total}…\nHủy: /huy {campaign.id}"
    )
    await asyncio.to_thread(
        set_progress_message, services.engine, campaign.id, chat_id, message.message_id
    )
    if services.sender is not None:
        services.sender.wake()


def progress_text(report: CampaignReport) -> str:
    done = report.total - report.pending
    return (
        f"📤 Chiến dịch #{report.campaign_id}: đã xử lý {done}/{report.total} "
        f"(đã gửi {report.sent})…\nHủy: /huy {report.campaign_id}"
    )


def final_text(report: CampaignReport) -> str:
    seconds = int(report.duration.total_seconds())
    lines = [
        f"✅ Chiến dịch #{report.campaign_id} ({report.topic}) đã xong"
        if report.status != "cancelled"
        else f"🛑 Chiến dịch #{report.campaign_id} đã dừng",
        f"Gửi thành công: {report.sent}/{report.total}",
        f"Không liên lạc được (chặn bot, đã xóa tài khoản): {report.unreachable}",
        f"Lỗi: {report.failed}",
    ]
    if report.skipped:
        lines.append(f"Bỏ qua (đã hủy nhận, giới hạn khuyến mãi, hết hạn): {report.skipped}")
    if report.cancelled:
        lines.append(f"Đã hủy trước khi gửi: {report.cancelled}")
    lines.append(f"Thời gian: {seconds // 60} phút {seconds % 60} giây")
    return "\n".join(lines)


async def edit_progress(bot: Bot, report: CampaignReport, text: str) -> None:
    """Edit the official's progress message; a failure here never touches the campaign."""
    if report.progress_chat_id is None or report.progress_message_id is None:
        return
    try:
        await bot.edit_message_text(text, report.progress_chat_id, report.progress_message_id)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            log.warning("progress of campaign %s not shown: %s", report.campaign_id, error.message)


@officials_only
async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/huy ID: stop a running campaign."""
    services = services_of(context)
    chat_id = update.effective_chat.id
    args = context.args or []
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        await send_reply(
            context.bot, chat_id, Reply("Cách dùng: <code>/huy 12</code> (số chiến dịch).")
        )
        return
    campaign_id = int(args[0].lstrip("#"))
    cancelled = await asyncio.to_thread(cancel_campaign, services.engine, campaign_id)
    text = (
        f"🛑 Đã hủy phần chưa gửi của chiến dịch #{campaign_id}."
        if cancelled
        else f"Không có chiến dịch #{campaign_id} đang gửi."
    )
    await send_reply(context.bot, chat_id, Reply(text))
    if cancelled and services.sender is not None:
        services.sender.wake()


@officials_only
async def list_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/broadcasts: recent campaigns with their numbers."""
    services = services_of(context)
    reports = await asyncio.to_thread(recent_campaigns, services.engine, 10)
    if not reports:
        text = "Chưa có chiến dịch nào."
    else:
        lines = ["<b>Các chiến dịch gần đây</b>"]
        for r in reports:
            when = r.created_at.strftime("%d/%m %H:%M")
            lines.append(
                f"#{r.campaign_id} {when} UTC · {escape(r.topic)} · {escape(r.status)} · "
                f"gửi {r.sent}/{r.total}, không tới {r.unreachable}, lỗi {r.failed}"
            )
        text = "\n".join(lines)
    await send_reply(context.bot, update.effective_chat.id, Reply(text))


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["broadcast", "guitin"], broadcast_command))
    application.add_handler(CommandHandler(["huy", "cancel"], cancel_command))
    application.add_handler(CommandHandler(["broadcasts", "chiendich"], list_command))
    application.add_handler(CallbackQueryHandler(on_broadcast_button, pattern=r"^bc:"))
