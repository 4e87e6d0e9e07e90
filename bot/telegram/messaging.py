"""Turn domain replies into Telegram messages; fall back to plain text when Telegram rejects HTML.

HTML parse mode and no link previews are the Application's `Defaults`; the bot given here must
be the Application's own.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.error import BadRequest, RetryAfter

from bot.replies import Reply
from bot.telegram_html import MAX_MESSAGE_LENGTH, html_to_plain

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
MAX_REPLY_WAIT_SECONDS = 10.0


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, url=b.url)
                if b.url
                else InlineKeyboardButton(b.text, callback_data=b.callback_data)
                for b in row
            ]
            for row in reply.buttons
        ]
    )


def _is_markup_error(error: BadRequest) -> bool:
    text = error.message.lower()
    return "can't parse entities" in text or "message is too long" in text


def plain_fallback(html: str) -> str:
    text = html_to_plain(html)
    return text if len(text) <= MAX_MESSAGE_LENGTH else text[: MAX_MESSAGE_LENGTH - 1] + "…"


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> Message:
    """Send `reply`; a per-chat flood limit is waited out once (replies are never dropped)."""
    try:
        return await _send_reply_once(bot, chat_id, reply)
    except RetryAfter as error:
        delay = _seconds(error.retry_after)
        if delay > MAX_REPLY_WAIT_SECONDS:
            raise
        log.info("flood limit for chat %s: reply waits %.1f s", chat_id, delay)
        await asyncio.sleep(delay)
        return await _send_reply_once(bot, chat_id, reply)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _send_reply_once(bot: Bot, chat_id: int, reply: Reply) -> Message:
    """Send `reply` as HTML; if Telegram cannot parse it, send it again as plain text."""
    markup = keyboard(reply)
    try:
        return await bot.send_message(chat_id, reply.html, reply_markup=markup)
    except BadRequest as error:
        if not _is_markup_error(error):
            raise
        log.warning(
            "HTML rejected by Telegram (%s); sending plain text to %s", error.message, chat_id
        )
        return await bot.send_message(
            chat_id, plain_fallback(reply.html), parse_mode=None, reply_markup=markup
        )


async def edit_reply(message: Message, reply: Reply) -> None:
    """Replace a bot message (menu navigation); identical content is not an error."""
    markup = keyboard(reply)
    try:
        await message.edit_text(reply.html, reply_markup=markup)
    except BadRequest as error:
        if "message is not modified" in error.message.lower():
            return
        if _is_markup_error(error):
            await message.edit_text(
                plain_fallback(reply.html), parse_mode=None, reply_markup=markup
            )
            return
        raise
