"""Officials' handlers: broadcast with preview and confirmation, progress, cancel, history.

A preview is a draft campaign row (bot/broadcast/drafts.py, stored by bot/storage/drafts.py): the buttons under it carry the
campaign id, so they work after a restart and on any replica.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    ForceReply,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.broadcast.content import send_content
from bot.broadcast.drafts import DRAFT, Draft
from bot.broadcast.prepare import prepare_broadcast
from bot.broadcast.when import WhenError, parse_when
from bot.clock import to_local
from bot.db import run_in_session
from bot.models import Topic
from bot.replies import Button, Reply
from bot.storage import drafts
from bot.storage.audience import recipients
from bot.storage.campaigns import set_progress_message
from bot.telegram.messaging import send_reply
from bot.telegram.official_compose import (
    CB_DROP,
    CB_LATER,
    CB_SEND,
    callback,
    citizen_markup,
    content_of,
    officials_only,
    on_media,
    parse_command,
    prompt_pattern,
    refusal_text,
    say,
    scope_of,
    send_waiting_out_flood,
)
from bot.telegram.official_reports import cancel_command, list_command
from bot.telegram.services import services_of
from bot.telegram_html import escape
from bot.texts import citizens as citizen_texts
from bot.texts import officials as t

log = logging.getLogger(__name__)


# -- /broadcast ----------------------------------------------------------------------------
@officials_only
async def broadcast_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/broadcast [#topic] TEXT (or as a reply): preview exactly as sent, then the buttons."""
    services = services_of(context)
    chat_id = update.effective_chat.id
    message = update.effective_message
    from bot.telegram.areas import area_book

    book = area_book(context)
    parsed = parse_command(message, book.find)
    if parsed.topic is None:
        await say(context.bot, chat_id, t.BAD_TAG.format(tag=escape(parsed.bad_tag)) + t.USAGE)
        return
    content = content_of(context, message, parsed.body)
    if isinstance(content, str):
        await say(context.bot, chat_id, content)
        return
    topic = parsed.topic
    prepared = prepare_broadcast(topic, content, urgent=parsed.urgent)
    if not prepared.ok:
        await say(context.bot, chat_id, refusal_text(prepared))
        return
    final = prepared.final
    _, scope = await scope_of(services, update)
    areas = list(parsed.area_tags) or scope
    if scope is not None and not set(areas) <= set(scope):
        await say(context.bot, chat_id, t.AREA_OUT_OF_SCOPE.format(areas=escape(book.names(scope))))
        return
    count = len(await run_in_session(services.engine, recipients, topic, areas))
    draft = await run_in_session(
        services.engine,
        drafts.create_draft,
        topic=topic,
        content=content,
        created_by=update.effective_user.id,
        now=services.clock(),
        urgent=parsed.urgent,
        areas=areas,
    )
    try:
        await send_waiting_out_flood(
            lambda: send_content(
                context.bot, chat_id, final, reply_markup=citizen_markup(topic, final)
            )
        )
    except BadRequest as error:  # Telegram is the final judge of its own markup
        await run_in_session(services.engine, drafts.discard_draft, draft.id, now=services.clock())
        await say(context.bot, chat_id, t.TELEGRAM_REFUSED.format(error=escape(error.message)))
        return
    # Two messages in a row to one chat: keep Telegram's per-chat pace (about 1 per second).
    await asyncio.sleep(services.settings.per_chat_interval_seconds)
    await send_reply(context.bot, chat_id, preview_reply(draft, count, book))


def _topic_name(topic: Topic, urgent: bool) -> str:
    return t.TOPIC_URGENT if urgent else citizen_texts.TOPIC_NAMES[topic].lower()


def preview_reply(draft: Draft, count: int, book) -> Reply:
    scope = t.PREVIEW_SCOPE.format(areas=escape(book.names(draft.areas))) if draft.areas else ""
    text = t.PREVIEW_FOOTER.format(
        topic=_topic_name(draft.topic, draft.urgent),
        count=count,
        scope=scope,
        urgent=t.PREVIEW_URGENT if draft.urgent else "",
    )
    buttons = (
        (
            Button(t.BUTTON_SEND, callback(CB_SEND, draft.id)),
            Button(t.BUTTON_LATER, callback(CB_LATER, draft.id)),
        ),
        (Button(t.BUTTON_DROP, callback(CB_DROP, draft.id)),),
    )
    return Reply(text, buttons)


@officials_only
async def on_broadcast_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Gửi ngay / Hẹn giờ / Hủy under a preview."""
    query = update.callback_query
    services = services_of(context)
    _, action, raw_id = ((query.data or "") + "::").split(":")[:3]
    draft = None
    if raw_id.isdigit():
        draft = await run_in_session(services.engine, drafts.load_draft, int(raw_id))
    if draft is None or draft.status != DRAFT:
        await query.answer(t.DRAFT_GONE, show_alert=True)
        return
    user_id = update.effective_user.id
    if draft.created_by != user_id and not services.settings.is_admin(user_id):
        await query.answer(t.NOT_YOUR_DRAFT, show_alert=True)
        return
    if action == CB_DROP:
        await run_in_session(services.engine, drafts.discard_draft, draft.id, now=services.clock())
        await query.answer(t.DROPPED_SHORT)
        await query.edit_message_text(t.DROPPED)
        return
    if action == CB_LATER:
        await ask_for_time(update, context, draft)
        return
    if action != CB_SEND:
        await query.answer(t.DRAFT_GONE, show_alert=True)
        return
    await send_draft_now(update, context, draft)


async def send_draft_now(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> None:
    """Queue the draft with the confirm message as its progress message, in one transaction."""
    query = update.callback_query
    services = services_of(context)
    progress = query.message
    total = await run_in_session(
        services.engine,
        drafts.queue_draft,
        draft.id,
        progress_chat_id=progress.chat.id,
        progress_message_id=progress.message_id,
    )
    if total is None:  # pressed twice, or on another replica first
        await query.answer(t.DRAFT_GONE, show_alert=True)
        return
    await query.answer(t.QUEUEING)
    if services.sender is not None:
        services.sender.wake(urgent=draft.urgent)
    try:
        await query.edit_message_text(t.QUEUED.format(id=draft.id, total=total))
    except BadRequest as error:
        log.warning("campaign %s: progress message not edited: %s", draft.id, error.message)


SCHEDULE_PROMPT_RE = prompt_pattern(t.SCHEDULE_PROMPT)


async def ask_for_time(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> None:
    """ "Hẹn giờ": ask for the time as a reply, so the answer carries the draft id."""
    await update.callback_query.answer()
    zone = services_of(context).settings.tz
    await context.bot.send_message(
        update.effective_chat.id,
        t.SCHEDULE_PROMPT.format(id=draft.id, zone=zone),
        reply_markup=ForceReply(selective=True),
    )


async def on_time_typed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, draft_id: int, typed: str
) -> None:
    """The official answered the "Hẹn giờ" prompt with a time."""
    services = services_of(context)
    chat_id = update.effective_chat.id
    draft = await run_in_session(services.engine, drafts.load_draft, draft_id)
    user_id = update.effective_user.id
    if draft is None or draft.status != DRAFT:
        await say(context.bot, chat_id, t.DRAFT_GONE)
        return
    if draft.created_by != user_id and not services.settings.is_admin(user_id):
        await say(context.bot, chat_id, t.NOT_YOUR_DRAFT)
        return
    try:
        at = parse_when(typed, now=services.clock(), zone=services.settings.zone)
    except WhenError as error:
        await say(context.bot, chat_id, t.SCHEDULE_BAD.format(reason=escape(str(error))))
        return
    if not await run_in_session(services.engine, drafts.schedule_draft, draft.id, at=at):
        await say(context.bot, chat_id, t.DRAFT_GONE)
        return
    when = to_local(at, services.settings.zone).strftime("%H:%M:%S %d/%m/%Y").replace(":00 ", " ")
    message = await send_reply(
        context.bot,
        chat_id,
        Reply(t.SCHEDULED.format(id=draft.id, when=when, zone=escape(services.settings.tz))),
    )
    # The confirmation becomes the progress message once it fires. A second transaction: its
    # id exists only once Telegram has the message, and we confirm only what was scheduled.
    # Losing it in a crash only loses the progress display.
    await run_in_session(
        services.engine, set_progress_message, draft.id, chat_id, message.message_id
    )
    if services.sender is not None:
        services.sender.wake()


def register(application: Application) -> None:
    media = filters.ChatType.PRIVATE & (
        filters.PHOTO | filters.VIDEO | filters.Document.ALL | filters.AUDIO | filters.ANIMATION
    )
    application.add_handler(MessageHandler(media, on_media))
    application.add_handler(CommandHandler(["broadcast", "guitin"], broadcast_command))
    application.add_handler(CommandHandler(["huy", "cancel"], cancel_command))
    application.add_handler(CommandHandler(["broadcasts", "chiendich"], list_command))
    application.add_handler(CallbackQueryHandler(on_broadcast_button, pattern=r"^bc:"))
