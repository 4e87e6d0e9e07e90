"""Handlers for citizens: commands, free-text questions, menus, settings, feedback."""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import callbacks, metrics
from bot.db import run_in_session
from bot.knowledge.match_types import MatchStatus
from bot.models import Topic
from bot.replies import (
    Reply,
    categories_reply,
    empty_text_reply,
    navigation_reply,
    reply_for_match,
    too_long_reply,
    unsupported_media_reply,
)
from bot.storage import citizens
from bot.telegram import support
from bot.telegram.flood import FloodVerdict
from bot.telegram.messaging import edit_reply, send_reply
from bot.telegram.services import BotContext, Services
from bot.telegram_html import escape
from bot.texts import citizens as texts
from bot.texts import handoff as handoff_texts
from bot.topics import parse_topic

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 1000


async def prelude(update: Update, context: BotContext) -> None:
    """Once per update, before any handler: flood control, then record the chat as seen.

    Recording is best effort: a database hiccup must not cost the citizen an answer.
    """
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    if user is not None:
        verdict = services.flood.check(user.id)
        if verdict is not FloodVerdict.OK:
            if update.callback_query is not None:  # a button must never keep spinning
                await update.callback_query.answer(texts.FLOOD_NOTICE[:190])
            elif verdict is FloodVerdict.WARN and chat is not None:
                await send_reply(context.bot, chat.id, Reply(texts.FLOOD_NOTICE))
            raise ApplicationHandlerStop
    if chat is None or chat.type != ChatType.PRIVATE or update.my_chat_member is not None:
        return
    try:
        context.new_user = await run_in_session(
            services.engine,
            citizens.touch_user,
            chat.id,
            (user.first_name if user else chat.title) or "",
            user.username if user else None,
            user.language_code if user else None,
        )
    except SQLAlchemyError:
        metrics.DROPPED_WRITES.labels(kind="touch").inc()
        log.warning("chat %s not recorded as seen: database unavailable", chat.id)


async def start(update: Update, context: BotContext) -> None:
    """Greet by name, subscribe to announcements and events, show the menu."""
    services = context.services
    is_new = context.new_user
    chat_id = update.effective_chat.id
    if is_new:  # a returning user's own choices in /caidat are kept
        await run_in_session(services.engine, citizens.subscribe_defaults, chat_id)
    user = update.effective_user
    name = escape(user.first_name if user and user.first_name else texts.DEFAULT_NAME)
    welcome = texts.WELCOME if is_new else texts.WELCOME_BACK
    reply = categories_reply(services.matcher.book, intro=welcome.format(name=name))
    await send_reply(context.bot, chat_id, reply)


async def help_command(update: Update, context: BotContext) -> None:
    """Explain what the bot can do."""
    await send_reply(context.bot, update.effective_chat.id, Reply(texts.HELP))


async def faq_menu(update: Update, context: BotContext) -> None:
    """Show the FAQ categories."""
    book = context.services.matcher.book
    await send_reply(context.bot, update.effective_chat.id, categories_reply(book))


async def _change_subscription(update: Update, context: BotContext, on: bool) -> None:
    services = context.services
    chat_id = update.effective_chat.id
    topic = parse_topic(" ".join(context.args or []))
    if topic is None:
        usage = texts.SUBSCRIBE_USAGE if on else texts.UNSUBSCRIBE_USAGE
        await send_reply(context.bot, chat_id, Reply(usage))
        return
    change = citizens.subscribe if on else citizens.unsubscribe
    changed = await run_in_session(services.engine, change, chat_id, topic)
    text = texts.subscribed_text(topic, changed) if on else texts.unsubscribed_text(topic, changed)
    await send_reply(context.bot, chat_id, Reply(text))


async def subscribe_command(update: Update, context: BotContext) -> None:
    """/subscribe thongbao|sukien|khuyenmai."""
    await _change_subscription(update, context, on=True)


async def unsubscribe_command(update: Update, context: BotContext) -> None:
    """/unsubscribe thongbao|sukien|khuyenmai."""
    await _change_subscription(update, context, on=False)


def settings_keyboard(topics: set[Topic]) -> InlineKeyboardMarkup:
    rows = []
    for topic in Topic:
        mark = "✅" if topic in topics else "⬜"
        state = "off" if topic in topics else "on"
        name = texts.TOPIC_NAMES[topic]
        rows.append(
            [
                InlineKeyboardButton(
                    f"{mark} {name}",
                    callback_data=callbacks.subscription(topic.value, on=state == "on"),
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


async def settings_command(update: Update, context: BotContext) -> None:
    """Show the three topics as toggle buttons."""
    services = context.services
    topics = await run_in_session(services.engine, citizens.topics_of, update.effective_chat.id)
    await context.bot.send_message(
        update.effective_chat.id,
        texts.SETTINGS_TITLE,
        reply_markup=settings_keyboard(topics),
    )


async def delete_command(update: Update, context: BotContext) -> None:
    """Ask to confirm deleting everything stored about the user."""
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.DELETE_BUTTON, callback_data=callbacks.DELETE_YES),
                InlineKeyboardButton(texts.KEEP_BUTTON, callback_data=callbacks.DELETE_NO),
            ]
        ]
    )
    await context.bot.send_message(
        update.effective_chat.id,
        texts.DELETE_CONFIRM,
        reply_markup=markup,
    )


def _addressed_to_bot(message: Message, bot_username: str) -> tuple[bool, str]:
    """In groups, only mentions of the bot and replies to it count; returns the text without the mention."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return True, text
    mention = f"@{bot_username}".lower()
    if mention in text.lower():
        start = text.lower().index(mention)
        return True, (text[:start] + text[start + len(mention) :]).strip()
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.username == bot_username:
        return True, text
    return False, text


async def on_text(update: Update, context: BotContext) -> None:
    """Answer a free-text question through the matcher."""
    message = update.effective_message
    addressed, text = _addressed_to_bot(message, context.bot.username)
    if not addressed:
        return
    started = time.monotonic()
    services = context.services
    chat_id = update.effective_chat.id
    if not text.strip():
        await send_reply(context.bot, chat_id, empty_text_reply())
        return
    if len(text) > MAX_QUESTION_CHARS:
        await send_reply(context.bot, chat_id, too_long_reply())
        return
    if message.chat.type == ChatType.PRIVATE and await support.forward_to_open_ticket(
        update, context, text
    ):
        return
    matcher = services.matcher
    result = await asyncio.to_thread(matcher.match, text)
    user = update.effective_user
    metrics.QUESTIONS.labels(decision=result.status.value).inc()
    question_id = None
    if result.status is not MatchStatus.SMALLTALK:  # logged first: a failed send loses nothing
        question_id = await _log_question(services, chat_id, text, result)
    handoff = None
    if support.handoff_enabled(services) and result.status is MatchStatus.NONE:
        handoff = support.handoff_button(
            callbacks.handoff_question(question_id)
            if question_id is not None
            else callbacks.HANDOFF_NEW
        )
    reply = reply_for_match(matcher.book, result, user.first_name if user else None, handoff)
    await send_reply(context.bot, chat_id, reply)
    metrics.REPLY_LATENCY.observe(time.monotonic() - started)


async def _log_question(services: Services, chat_id: int, text: str, result) -> int | None:
    """Best effort: with the database down the citizen still gets the answer (the FAQ is in
    memory); the lost log line is counted and logged."""
    try:
        return await run_in_session(
            services.engine,
            citizens.log_question,
            chat_id,
            text,
            result.status.value,
            result.entry_id,
            result.score,
            services.clock(),
        )
    except SQLAlchemyError:
        metrics.DROPPED_WRITES.labels(kind="question").inc()
        log.warning("question of chat %s not logged: database unavailable", chat_id)
        return None


async def on_other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice, locations...: a polite note that only text is understood."""
    message = update.effective_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return
    await send_reply(context.bot, message.chat.id, unsupported_media_reply())


def _chat_id(update: Update) -> int:
    query = update.callback_query
    return update.effective_chat.id if update.effective_chat else query.from_user.id


async def on_navigation(update: Update, context: BotContext) -> None:
    """Menu, category and question buttons."""
    query = update.callback_query
    data = query.data or ""
    reply = navigation_reply(context.services.matcher.book, data)
    if reply is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    if data.startswith("faq:") or query.message is None:
        await send_reply(context.bot, _chat_id(update), reply)
    else:
        await edit_reply(query.message, reply)


async def on_feedback(update: Update, context: BotContext) -> None:
    """👍 / 👎 under an answer; after a 👎 the citizen may hand the question to an official."""
    query = update.callback_query
    services = context.services
    vote = callbacks.parse_feedback(query.data or "")
    if vote is None or vote[0] not in services.matcher.book.entries:
        await query.answer(texts.STALE_BUTTON)
        return
    entry_id, up = vote
    chat_id = _chat_id(update)
    await run_in_session(
        services.engine,
        citizens.record_feedback,
        chat_id,
        entry_id,
        1 if up else -1,
        services.clock(),
    )
    await query.answer(texts.feedback_thanks(up))
    if not up and support.handoff_enabled(services):
        button = support.handoff_button(callbacks.handoff_after_feedback(entry_id))
        await send_reply(context.bot, chat_id, Reply(handoff_texts.HANDOFF_OFFER, ((button,),)))


async def on_subscription_button(update: Update, context: BotContext) -> None:
    """A toggle in /caidat, or "Hủy nhận khuyến mãi" under a promotion."""
    query = update.callback_query
    services = context.services
    parsed = callbacks.parse_subscription(query.data or "")
    topic = parse_topic(parsed[0]) if parsed else None
    if topic is None:
        await query.answer(texts.STALE_BUTTON)
        return
    on, chat_id = parsed[1], _chat_id(update)
    change = citizens.subscribe if on else citizens.unsubscribe
    await run_in_session(services.engine, change, chat_id, topic)
    name = texts.TOPIC_NAMES[topic].lower()
    await query.answer(
        texts.TOPIC_ON.format(name=name) if on else texts.TOPIC_OFF.format(name=name)
    )
    message = query.message
    if message is not None and message.text and message.text.startswith("🔔"):
        topics = await run_in_session(services.engine, citizens.topics_of, chat_id)
        try:
            await message.edit_reply_markup(settings_keyboard(topics))
        except TelegramError:  # the toast already confirmed the change
            log.debug("settings keyboard not refreshed", exc_info=True)


async def on_delete_button(update: Update, context: BotContext) -> None:
    """The confirmation under /xoadulieu."""
    query = update.callback_query
    data = query.data or ""
    if data == callbacks.DELETE_YES:
        chat_id = _chat_id(update)
        counts = await run_in_session(context.services.engine, citizens.delete_user_data, chat_id)
        log.info("deleted data of chat %s: %s", chat_id, counts)
        await query.answer(texts.DELETE_TOAST)
        text = texts.DELETE_DONE
    elif data == callbacks.DELETE_NO:
        await query.answer()
        text = texts.DELETE_KEPT
    else:
        await query.answer(texts.STALE_BUTTON)
        return
    if query.message is not None:
        await query.message.edit_text(text)


async def on_stale_button(update: Update, context: BotContext) -> None:
    """Any other button (an old keyboard, a removed feature): answered, never left spinning."""
    await update.callback_query.answer(texts.STALE_BUTTON)
