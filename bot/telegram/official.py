"""Officials' handlers: broadcast with preview and confirmation, progress, cancel, history.

A preview is a draft campaign row (bot/broadcast/drafts.py): the buttons under it carry the
campaign id, so they work after a restart and on any replica.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.broadcast import (
    CampaignReport,
    cancel_campaign,
    recent_campaigns,
    roles,
    set_progress_message,
)
from bot.broadcast import drafts as store
from bot.broadcast.audience import recipients
from bot.broadcast.content import Content, MediaItem, media_of, send_content
from bot.broadcast.csv_report import campaign_csv, csv_name
from bot.broadcast.outcomes import retry_after_seconds
from bot.broadcast.promotion_rules import with_ad_prefix
from bot.broadcast.sender import opt_out_keyboard
from bot.broadcast.when import WhenError, parse_when
from bot.clock import to_local
from bot.models import Topic
from bot.replies import Button, Reply
from bot.telegram.messaging import MAX_REPLY_WAIT_SECONDS, keyboard, send_reply
from bot.telegram.services import Services, services_of
from bot.telegram_html import escape
from bot.texts import admins as admin_texts
from bot.texts import citizens as citizen_texts
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


def citizen_content(topic: Topic, content: Content) -> Content:
    """The promotion label is part of what citizens get (and of the preview)."""
    if topic is Topic.PROMOTIONS:
        return content.with_text(with_ad_prefix(content.text))
    return content


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
        await _say(context.bot, chat_id, t.BAD_TAG.format(tag=escape(parsed.bad_tag)) + t.USAGE)
        return
    content = content_of(context, message, parsed.body)
    if isinstance(content, str):
        await _say(context.bot, chat_id, content)
        return
    if content.is_text and not content.text.strip():
        await _say(context.bot, chat_id, t.USAGE)
        return
    topic = parsed.topic
    if parsed.urgent and topic is Topic.PROMOTIONS:
        await _say(context.bot, chat_id, t.URGENT_NO_PROMOTION)
        return
    if content.is_album and topic is Topic.PROMOTIONS:
        await _say(context.bot, chat_id, t.ALBUM_NO_PROMOTION)
        return
    final = citizen_content(topic, content)
    problems = final.problems()
    if problems:
        template = t.PROBLEMS if final.is_text else t.CAPTION_PROBLEMS
        reasons = "\n".join(f"• {escape(p)}" for p in problems[:10])
        await _say(context.bot, chat_id, template.format(reasons=reasons))
        return
    _, scope = await scope_of(services, update)
    areas = list(parsed.area_tags) or scope
    if scope is not None and not set(areas) <= set(scope):
        await _say(
            context.bot, chat_id, t.AREA_OUT_OF_SCOPE.format(areas=escape(book.names(scope)))
        )
        return
    count = len(await asyncio.to_thread(recipients, services.engine, topic, areas))
    draft = await asyncio.to_thread(
        lambda: store.create_draft(
            services.engine,
            topic=topic,
            content=content,
            created_by=update.effective_user.id,
            now=services.clock(),
            urgent=parsed.urgent,
            areas=areas,
        )
    )
    try:
        await _send_waiting_out_flood(
            lambda: send_content(
                context.bot, chat_id, final, reply_markup=citizen_markup(topic, final)
            )
        )
    except BadRequest as error:  # Telegram is the final judge of its own markup
        await asyncio.to_thread(
            store.discard_draft, services.engine, draft.id, now=services.clock()
        )
        await _say(context.bot, chat_id, t.TELEGRAM_REFUSED.format(error=escape(error.message)))
        return
    # Two messages in a row to one chat: keep Telegram's per-chat pace (about 1 per second).
    await asyncio.sleep(services.settings.per_chat_interval_seconds)
    await send_reply(context.bot, chat_id, preview_reply(draft, count, book))


def _topic_name(topic: Topic, urgent: bool) -> str:
    return t.TOPIC_URGENT if urgent else citizen_texts.TOPIC_NAMES[topic].lower()


def preview_reply(draft: store.Draft, count: int, book) -> Reply:
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
        draft = await asyncio.to_thread(store.load_draft, services.engine, int(raw_id))
    if draft is None or draft.status != store.DRAFT:
        await query.answer(t.DRAFT_GONE, show_alert=True)
        return
    user_id = update.effective_user.id
    if draft.created_by != user_id and not services.settings.is_admin(user_id):
        await query.answer(t.NOT_YOUR_DRAFT, show_alert=True)
        return
    if action == CB_DROP:
        await asyncio.to_thread(
            store.discard_draft, services.engine, draft.id, now=services.clock()
        )
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


async def send_draft_now(
    update: Update, context: ContextTypes.DEFAULT_TYPE, draft: store.Draft
) -> None:
    """Queue the draft with the confirm message as its progress message, in one transaction."""
    query = update.callback_query
    services = services_of(context)
    progress = query.message
    total = await asyncio.to_thread(
        lambda: store.queue_draft(
            services.engine,
            draft.id,
            progress_chat_id=progress.chat.id,
            progress_message_id=progress.message_id,
        )
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


SCHEDULE_PROMPT_RE = re.compile(r"^🕗 Giờ gửi cho bản nháp #(\d+)")


async def ask_for_time(
    update: Update, context: ContextTypes.DEFAULT_TYPE, draft: store.Draft
) -> None:
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
    draft = await asyncio.to_thread(store.load_draft, services.engine, draft_id)
    user_id = update.effective_user.id
    if draft is None or draft.status != store.DRAFT:
        await _say(context.bot, chat_id, t.DRAFT_GONE)
        return
    if draft.created_by != user_id and not services.settings.is_admin(user_id):
        await _say(context.bot, chat_id, t.NOT_YOUR_DRAFT)
        return
    try:
        at = parse_when(typed, now=services.clock(), zone=services.settings.zone)
    except WhenError as error:
        await _say(context.bot, chat_id, t.SCHEDULE_BAD.format(reason=escape(str(error))))
        return
    if not await asyncio.to_thread(lambda: store.schedule_draft(services.engine, draft.id, at=at)):
        await _say(context.bot, chat_id, t.DRAFT_GONE)
        return
    when = to_local(at, services.settings.zone).strftime("%H:%M:%S %d/%m/%Y").replace(":00 ", " ")
    message = await send_reply(
        context.bot,
        chat_id,
        Reply(t.SCHEDULED.format(id=draft.id, when=when, zone=escape(services.settings.tz))),
    )
    # The confirmation becomes the progress message once it fires (a second transaction:
    # losing it in a crash only loses the progress display).
    await asyncio.to_thread(
        set_progress_message, services.engine, draft.id, chat_id, message.message_id
    )
    if services.sender is not None:
        services.sender.wake()


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
    data = await asyncio.to_thread(
        campaign_csv, services.engine, campaign_id, services.settings.zone
    )
    try:
        await _send_waiting_out_flood(
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
        await _say(context.bot, chat_id, t.CANCEL_USAGE)
        return
    if await asyncio.to_thread(cancel_campaign, services.engine, campaign_id):
        text = t.CANCELLED.format(id=campaign_id)
        if services.sender is not None:
            services.sender.wake()
    elif await asyncio.to_thread(
        store.cancel_scheduled, services.engine, campaign_id, now=services.clock()
    ):
        text = t.CANCELLED_SCHEDULED.format(id=campaign_id)
    else:
        text = t.NOT_RUNNING.format(id=campaign_id)
    await _say(context.bot, chat_id, text)


@officials_only
async def list_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/broadcasts: recent campaigns with their numbers, scheduled ones with their time."""
    services = services_of(context)
    reports = await asyncio.to_thread(recent_campaigns, services.engine, 10)
    if not reports:
        await _say(context.bot, update.effective_chat.id, t.NO_CAMPAIGNS)
        return
    zone = services.settings.zone
    lines = [t.RECENT_TITLE.format(zone=escape(services.settings.tz))]
    for r in reports:
        when = to_local(r.created_at, zone).strftime("%d/%m %H:%M")
        status = t.STATUS_NAMES.get(r.status, r.status)
        if r.status == store.SCHEDULED:
            draft = await asyncio.to_thread(store.load_draft, services.engine, r.campaign_id)
            if draft is not None and draft.scheduled_at is not None:
                at = to_local(draft.scheduled_at, zone).strftime("%H:%M %d/%m/%Y")
                status = f"{status} {at} (hủy: /huy {r.campaign_id})"
        lines.append(
            f"#{r.campaign_id} {when} · {escape(r.topic)} · {escape(status)} · "
            f"gửi {r.sent}/{r.total}, không tới {r.unreachable}, lỗi {r.failed}"
        )
    await _say(context.bot, update.effective_chat.id, "\n".join(lines))


async def _send_waiting_out_flood(send: Callable[[], Awaitable[object]]) -> object:
    """A reply to an official: a short per-chat flood wait is waited out once."""
    try:
        return await send()
    except RetryAfter as error:
        delay = retry_after_seconds(error)
        if delay > MAX_REPLY_WAIT_SECONDS:
            raise
        await asyncio.sleep(delay)
        return await send()


async def _say(bot: Bot, chat_id: int, html: str) -> None:
    await send_reply(bot, chat_id, Reply(html))


def register(application: Application) -> None:
    media = filters.ChatType.PRIVATE & (
        filters.PHOTO | filters.VIDEO | filters.Document.ALL | filters.AUDIO | filters.ANIMATION
    )
    application.add_handler(MessageHandler(media, on_media))
    application.add_handler(CommandHandler(["broadcast", "guitin"], broadcast_command))
    application.add_handler(CommandHandler(["huy", "cancel"], cancel_command))
    application.add_handler(CommandHandler(["broadcasts", "chiendich"], list_command))
    application.add_handler(CallbackQueryHandler(on_broadcast_button, pattern=r"^bc:"))
