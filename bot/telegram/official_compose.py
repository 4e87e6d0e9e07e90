"""Officials' shared pieces: the /broadcast command line (topic, #khancap, areas), the officials-only
guard, albums collected as they arrive, and what a citizen's copy looks like."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import RetryAfter
from telegram.ext import (
    ContextTypes,
)

from bot.broadcast import (
    roles,
)
from bot.broadcast.content import Content, MediaItem, media_of
from bot.broadcast.outcomes import retry_after_seconds
from bot.broadcast.prepare import PreparedBroadcast, Refusal
from bot.broadcast.sender import opt_out_keyboard
from bot.models import Topic
from bot.replies import Reply
from bot.telegram.messaging import MAX_REPLY_WAIT_SECONDS, send_reply
from bot.telegram.services import Services, services_of
from bot.telegram_html import escape
from bot.texts import admins as admin_texts
from bot.texts import officials as t
from bot.topics import parse_topic

log = logging.getLogger(__name__)
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
ALBUMS_KEY = "official_albums"
MAX_ALBUMS = 200
URGENT_TAG = "khancap"
FORMATTING = {
    MessageEntity.BOLD, MessageEntity.ITALIC, MessageEntity.UNDERLINE,
    MessageEntity.STRIKETHROUGH, MessageEntity.CODE, MessageEntity.PRE,
    MessageEntity.TEXT_LINK, MessageEntity.SPOILER, MessageEntity.BLOCKQUOTE,
}  # fmt: skip

# Callback data: "bc:<action>:<campaign id>"
CB_SEND, CB_LATER, CB_DROP = "send", "later", "drop"


def callback(action: str, campaign_id: int) -> str:
    return f"bc:{action}:{campaign_id}"


def html_of(message: Message) -> str:
    """Formatting made with Telegram's editor becomes HTML; otherwise the text is taken as typed HTML."""
    entities = message.entities or message.caption_entities or ()
    if any(e.type in FORMATTING for e in entities):
        return message.text_html or message.caption_html or ""
    return message.text or message.caption or ""


@dataclass(frozen=True)
class Parsed:
    """A /broadcast command: topic, tags, and the body typed after them (HTML)."""

    topic: Topic | None
    urgent: bool
    area_tags: tuple[str, ...]
    body: str
    bad_tag: str | None = None


def parse_command(message: Message, known_areas: Callable[[str], str | None]) -> Parsed:
    """Leading #tags: a topic word, #khancap, or an area; the rest is the body."""
    raw = html_of(message)
    parts = raw.split(maxsplit=1)
    body = parts[1] if len(parts) > 1 else ""
    topic, urgent, areas = Topic.ANNOUNCEMENTS, False, []
    while True:
        first, _, rest = body.strip().partition(" ")
        head, _, tail = first.partition("\n")  # a tag may be followed by a new line
        if not head.startswith("#") or len(head) < 2:
            break
        word = head[1:]
        body = (tail + " " + rest) if tail else rest
        if parse_topic(word) is not None:
            topic = parse_topic(word)
        elif parse_topic(word) is None and _fold(word) == URGENT_TAG:
            urgent = True
        elif (code := known_areas(word)) is not None:
            areas.append(code)
        else:
            return Parsed(None, urgent, tuple(areas), body.strip(), bad_tag=head)
    return Parsed(topic, urgent, tuple(dict.fromkeys(areas)), body.strip())


def _fold(word: str) -> str:
    from bot.knowledge.normalize import tokenize

    return "".join(tokenize(word))


def _is_official(services: Services, update: Update) -> bool:
    """OFFICIAL_IDS and ADMIN_IDS only (no database): for the cheap per-message checks."""
    user = update.effective_user
    return services.settings.is_official(user.id if user else None)


async def scope_of(services: Services, update: Update) -> tuple[bool, list[str] | None]:
    """(is an official, areas they reach; None = the whole province), env or database."""
    user = update.effective_user
    if _is_official(services, update):
        return True, None
    return await asyncio.to_thread(
        roles.official_scope, services.engine, services.settings, user.id if user else None
    )


def officials_only(handler: Handler) -> Handler:
    """Commands for officials (env bootstrap or added by an admin); others get "không có quyền"."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        allowed, _ = await scope_of(services_of(context), update)
        if allowed:
            await handler(update, context)
        elif update.callback_query is not None:
            await update.callback_query.answer(admin_texts.NO_PERMISSION, show_alert=True)
        else:
            await send_reply(
                context.bot, update.effective_chat.id, Reply(admin_texts.NO_PERMISSION)
            )

    return guarded


def citizen_markup(topic: Topic, content: Content) -> InlineKeyboardMarkup | None:
    """What goes under a citizen's copy: the opt-out button for promotions."""
    if topic is Topic.PROMOTIONS and not content.is_album:
        return opt_out_keyboard()
    return None


def refusal_text(prepared: PreparedBroadcast) -> str:
    """Why /broadcast will not send this, in the official's words."""
    if prepared.refusal is Refusal.EMPTY:
        return t.USAGE
    if prepared.refusal is Refusal.URGENT_PROMOTION:
        return t.URGENT_NO_PROMOTION
    if prepared.refusal is Refusal.ALBUM_PROMOTION:
        return t.ALBUM_NO_PROMOTION
    template = t.PROBLEMS if prepared.final.is_text else t.CAPTION_PROBLEMS
    return template.format(reasons="\n".join(f"• {escape(p)}" for p in prepared.problems[:10]))


# -- albums --------------------------------------------------------------------------------
async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, video, document or audio: an official is preparing a broadcast; a citizen
    gets the usual answer to a non-text message.

    The bot stays silent to officials here, so the preview that follows is not held back by
    Telegram's per-chat limit. Album items are remembered, so a /broadcast reply to one of
    them sends the whole album.
    """
    if not (await scope_of(services_of(context), update))[0]:
        from bot.telegram import citizen

        await citizen.on_other_message(update, context)
        return
    remember_album_item(update, context)


def remember_album_item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram delivers an album as separate messages sharing a media_group_id; only this
    process's memory holds them (see README: an album is captured by the replica receiving it).
    """
    message = update.effective_message
    if message is None or message.media_group_id is None:
        return
    item = media_of(message)
    if item is None:
        return
    albums: dict = context.bot_data.setdefault(ALBUMS_KEY, {})
    key = (message.chat_id, message.media_group_id)
    group = albums.pop(key, {})
    group[message.message_id] = (item, html_of(message))
    albums[key] = group  # most recent last
    while len(albums) > MAX_ALBUMS:
        albums.pop(next(iter(albums)))


def _album_of(context: ContextTypes.DEFAULT_TYPE, message: Message) -> list[tuple[MediaItem, str]]:
    group = context.bot_data.get(ALBUMS_KEY, {}).get((message.chat_id, message.media_group_id), {})
    own = {message.message_id: (media_of(message), html_of(message))} if media_of(message) else {}
    merged = {**group, **own}
    return [merged[key] for key in sorted(merged)]


def content_of(context: ContextTypes.DEFAULT_TYPE, message: Message, body: str) -> Content | str:
    """What the official wants sent, or the text explaining why it cannot be."""
    replied = message.reply_to_message
    if replied is None:
        return Content(text=body)
    item = media_of(replied)
    if item is None:
        if replied.text:
            return Content(text=body or html_of(replied))
        return t.MEDIA_UNSUPPORTED
    if replied.media_group_id is not None:
        album = _album_of(context, replied)
        if len(album) < 2:
            return t.ALBUM_UNKNOWN
        captions = [caption for _, caption in album if caption.strip()]
        caption = body or (captions[0] if captions else "")
        return Content(text=caption, kind="album", items=tuple(i for i, _ in album[:10]))
    return Content(text=body or html_of(replied), kind=item.type, items=(item,))


async def send_waiting_out_flood(send: Callable[[], Awaitable[object]]) -> object:
    """A reply to an official: a short per-chat flood wait is waited out once."""
    try:
        return await send()
    except RetryAfter as error:
        delay = retry_after_seconds(error)
        if delay > MAX_REPLY_WAIT_SECONDS:
            raise
        await asyncio.sleep(delay)
        return await send()


async def say(bot: Bot, chat_id: int, html: str) -> None:
    await send_reply(bot, chat_id, Reply(html))


def prompt_pattern(template: str) -> re.Pattern[str]:
    """The regex that finds the campaign id in a prompt the bot sent from `template` (which has
    `{id}`): built from the text itself, so the two cannot drift apart."""
    return re.compile("^" + re.escape(template.split("{id}", 1)[0]) + r"(\d+)")
