"""A local stand-in for the Telegram Bot API, spoken over real HTTP.

Point python-telegram-bot at it with ``base_url``/``base_file_url`` and it answers like
api.telegram.org: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
"description": "...", "parameters": {...}}`` with the matching HTTP status, Telegram's
validation and error texts, long polling, webhooks, and optional flood limits.

Tests drive it from the side: ``push_*`` inject updates from users, ``calls`` /
``messages_to`` / ``wait_for`` observe what the bot did, and the knobs (``blocked_chats``,
``global_rate_limit``, ``fail_next``, ...) make Telegram misbehave on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import inspect
import itertools
import json
import math
import re
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from .formatting import (
    detect_entities,
    merge_detected,
    trim_text,
)
from .html_entities import EntityParseError, check_link, parse_html, utf16_len

__all__ = ["DEFAULT_TOKEN", "ApiError", "BotApiStandin", "Call"]

DEFAULT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
DELETE_WINDOW = 48 * 3600  # a bot can delete its messages for everyone for 48 hours
PAID_BROADCAST_LIMIT = 1000  # msg/s with allow_paid_broadcast (paid in Stars)
_CANT_DELETE = "message can't be deleted for everyone"
CALLBACK_QUERY_TTL = 15 * 60

# Update kinds Telegram sends when allowed_updates is empty / never set.
DEFAULT_UPDATE_KINDS = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# Methods whose successful calls count against flood limits.
_NOT_RATE_LIMITED = frozenset({"sendchataction"})

# How form-encoded values are typed (PTB sends every non-string value JSON-encoded).
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "timeout",
        "max_connections",
        "cache_time",
        "user_id",
        "duration",
        "width",
        "height",
        "live_period",
    }
)
_FLOAT_FIELDS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "show_alert",
        "drop_pending_updates",
        "has_spoiler",
        "show_caption_above_media",
        "allow_paid_broadcast",
        "disable_content_type_detection",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
        "menu_button",
        "message_ids",
    }
)
_JSON_FIELD_ERRORS = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "caption_entities": "can't parse entities JSON object",
}

_WELL_FORMED_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BOT_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)

_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_MEDIA_KINDS = {
    # method -> (field, default file name, mime type)
    "sendPhoto": ("photo", "photo.jpg", "image/jpeg"),
    "sendDocument": ("document", "document.bin", "application/octet-stream"),
    "sendAudio": ("audio", "audio.mp3", "audio/mpeg"),
    "sendVideo": ("video", "video.mp4", "video/mp4"),
    "sendAnimation": ("animation", "animation.mp4", "video/mp4"),
    "sendVoice": ("voice", "voice.ogg", "audio/ogg"),
    "sendSticker": ("sticker", "sticker.webp", "image/webp"),
}


_COPYABLE_MEDIA = ("photo", "video", "document", "audio", "animation", "voice", "sticker")


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _flood(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


@dataclass
class Call:
    """One request the bot made. Iterates as ``(method, params, outcome, time)`` where
    ``outcome`` is ``"ok"`` or the error code; ``time`` is :func:`time.monotonic`."""

    method: str
    params: dict
    ok: bool
    error_code: int | None
    description: str | None
    result: Any
    time: float
    retry_after: int | None = None
    # The client had already gone when this was answered (e.g. a long poll PTB abandoned
    # while stopping); such calls are not counted by rejected_calls().
    abandoned: bool = False

    @property
    def outcome(self) -> str | int:
        return "ok" if self.ok else (self.error_code or 0)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.method, self.params, self.outcome, self.time))

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params.items() if not isinstance(v, bytes)}
        text = json.dumps(shown, ensure_ascii=False, default=str)
        if len(text) > 300:
            text = text[:297] + "..."
        outcome = "ok" if self.ok else f"{self.error_code} {self.description}"
        return f"{self.method}({text}) -> {outcome}"


@dataclass
class _Chat:
    id: int
    type: str
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    title: str | None = None
    next_message_id: int = 1
    messages: dict[int, dict] = field(default_factory=dict)  # API Message objects
    deleted: set[int] = field(default_factory=set)

    def as_json(self) -> dict:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.first_name or "User"
            if self.last_name:
                chat["last_name"] = self.last_name
        else:
            chat["title"] = self.title or f"Chat {self.id}"
        if self.username:
            chat["username"] = self.username
        return chat

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


class _RateWindow:
    """A sliding window: at most ``limit`` successes per second, then a retry window."""

    def __init__(self) -> None:
        self.events: deque[float] = deque()
        self.blocked_until = 0.0

    def check(self, limit: float, now: float) -> int | None:
        """Seconds to wait (an int >= 1) if one more success would exceed ``limit``."""
        if now < self.blocked_until:
            return max(1, math.ceil(self.blocked_until - now))
        window = max(1.0, 1.0 / limit)
        allowed = max(1, round(limit * window))
        while self.events and self.events[0] <= now - window:
            self.events.popleft()
        if len(self.events) < allowed:
            return None
        retry_after = max(1, math.ceil(self.events[0] + window - now))
        self.blocked_until = now + retry_after
        return retry_after

    def add(self, now: float) -> None:
        self.events.append(now)


@dataclass
class _Injected:
    error_code: int
    description: str
    retry_after: int | None
    remaining: int


class BotApiStandin:
    """Local Telegram Bot API on ``127.0.0.1`` (random free port).

    >>> standin = BotApiStandin()
    >>> await standin.start()
    >>> app = (Application.builder().token(standin.token).base_url(standin.base_url)
    ...        .base_file_url(standin.base_file_url).build())
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_first_name: str = "Công Dân Số Bot",
        bot_username: str = "cong_dan_so_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }

        # --- behaviour knobs -------------------------------------------------------------
        self.blocked_chats: set[int] = set()
        self.deactivated_chats: set[int] = set()
        self.kicked_chats: set[int] = set()
        self.unknown_chats: set[int] = set()
        self.global_rate_limit: float | None = None
        self.per_chat_rate_limit: float | None = None
        self.latency: float = 0.0  # seconds before each API call is answered
        # requests with allow_paid_broadcast open at once, now and at most (the paid window)
        self.paid_open_requests = 0
        self.max_paid_open_requests = 0
        # Telegram requires https on ports 443/80/88/8443; off by default so tests can use
        # plain http receivers on random ports.
        self.strict_webhook_urls = False
        self.webhook_retries = 3  # extra attempts after a failed webhook delivery
        self.webhook_retry_delay = 0.05  # seconds, doubled on each retry
        self.callback_query_ttl: float = CALLBACK_QUERY_TTL
        # Unix time of messages' "date" and of the 48-hour delete rule; tests move it.
        self.clock: Callable[[], float] = time.time
        # allow_paid_broadcast: these messages ignore global_rate_limit and are held to this
        # one instead (Telegram: up to 1000/s, 0.1 Star each); None = no limit.
        self.paid_rate_limit: float | None = PAID_BROADCAST_LIMIT
        self.paid_messages = 0  # messages sent with allow_paid_broadcast (Stars spent / 0.1)

        # --- observation ---------------------------------------------------------------
        self.calls: list[Call] = []
        self.answered_callbacks: list[str] = []
        self.callback_answers: dict[str, dict] = {}
        self.pushed_updates: list[dict] = []
        self.dropped_updates: list[dict] = []  # not in allowed_updates, never delivered
        self.webhook_deliveries: list[dict] = []  # every webhook POST attempt
        self.undelivered_updates: list[dict] = []  # webhook gave up after the retries
        self.internal_errors: list[str] = []  # bugs in the stand-in itself

        # --- state -----------------------------------------------------------------------
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, dict] = {}
        self._sent: list[dict] = []
        self._updates: list[dict] = []  # not yet confirmed
        self._fetched_ids: set[int] = set()
        self._update_ids = itertools.count(700_000_001)
        self._callback_ids = itertools.count(4_382_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._files: dict[str, dict] = {}
        self._callbacks: dict[str, dict] = {}
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_KINDS
        self._webhook: dict[str, Any] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._webhook_task: asyncio.Task | None = None
        self._injected: dict[str, deque[_Injected]] = {}
        self._global_window = _RateWindow()
        self._paid_window = _RateWindow()
        self._chat_windows: dict[int, _RateWindow] = {}
        self._poll_generation = 0
        self._waiters: set[asyncio.Future] = set()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._handlers: dict[str, Callable[[dict, web.Request | None], Awaitable[Any]]] = {
            name.lower(): getattr(self, f"_api_{name}")
            for name in (
                "getMe",
                "logOut",
                "close",
                "getUpdates",
                "setWebhook",
                "deleteWebhook",
                "getWebhookInfo",
                "setMyCommands",
                "getMyCommands",
                "deleteMyCommands",
                "sendMessage",
                "sendMediaGroup",
                "copyMessage",
                "copyMessages",
                "editMessageText",
                "editMessageCaption",
                "editMessageReplyMarkup",
                "deleteMessage",
                "answerCallbackQuery",
                "sendChatAction",
                "getFile",
                "setMyDescription",
                "setMyShortDescription",
                "setMyName",
                "setChatMenuButton",
            )
        }
        for media_method in _MEDIA_KINDS:
            self._handlers[media_method.lower()] = functools.partial(
                self._api_send_media, media_method
            )

    # ================================================================== lifecycle

    async def start(self) -> BotApiStandin:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._closing = False
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def __aenter__(self) -> BotApiStandin:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder.base_url`` / ``Bot(base_url=...)`` (the token is appended)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ================================================================== PTB clients

    def bot(self, **kwargs: Any) -> Any:
        """A PTB ``Bot`` pointed at this stand-in (not initialized: use ``async with``).
        Its HTTP clients share one SSL context, which makes creating them ~100x cheaper."""
        from telegram import Bot

        kwargs.setdefault("request", _fast_request())
        kwargs.setdefault("get_updates_request", _fast_request())
        return Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url, **kwargs)

    def application_builder(self) -> Any:
        """``Application.builder()`` with token, base_url and base_file_url set (and the
        cheap HTTP clients of :meth:`bot`); add handlers and ``.build()``."""
        from telegram.ext import Application

        return (
            Application.builder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
            .request(_fast_request())
            .get_updates_request(_fast_request())
        )

    # ================================================================== injecting updates

    def push_update(self, kind: str, payload: dict) -> dict:
        """Queue a raw update ``{"update_id": ..., kind: payload}``; returns it. It is left out
        (and listed in ``dropped_updates``) if ``kind`` isn't in the bot's allowed_updates."""
        update = {"update_id": next(self._update_ids), kind: copy.deepcopy(payload)}
        self.pushed_updates.append(update)
        if kind not in self._allowed_updates:
            self.dropped_updates.append(update)
        else:
            self._updates.append(update)
        self._notify()
        return update

    def push_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "An",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        chat_type: str = "private",
        title: str | None = None,
        reply_to: int | None = None,
        entities: list[dict] | None = None,
    ) -> dict:
        """A user writes ``text``. Entities default to what Telegram would detect itself
        (``/commands``, ``@mentions``, ``#hashtags``, links). Returns the update."""
        found = detect_entities(text) if entities is None else entities
        content: dict[str, Any] = {"text": text}
        if found:
            content["entities"] = found
        message = self._incoming_message(
            chat_id,
            content,
            user_id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            chat_type=chat_type,
            title=title,
            reply_to=reply_to,
        )
        return self.push_update("message", message)

    def push_command(self, chat_id: int, command: str, **kwargs: Any) -> dict:
        """A user sends a command, e.g. ``push_command(1, "/start")`` or
        ``push_command(1, "start ref42")``; the ``bot_command`` entity covers the command."""
        text = command if command.startswith("/") else f"/{command}"
        head = text.split(maxsplit=1)[0]
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(head)}]
        if kwargs.get("entities"):
            entities += kwargs.pop("entities")
        kwargs.pop("entities", None)
        return self.push_text(chat_id, text, entities=entities, **kwargs)

    def push_callback(
        self,
        chat_id: int,
        data: str | None,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
        first_name: str = "An",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> str:
        """A user presses an inline button with ``data``. The query's ``message`` is the stored
        message ``message_id``, else the bot's latest message in the chat that has an inline
        keyboard (else its latest message; else an inaccessible message). Returns the query id.
        """
        chat = self._chat(chat_id)
        if message_id is not None:
            message = chat.messages.get(message_id)
            if message is None:
                raise ValueError(f"chat {chat_id} has no message {message_id}")
        else:
            own = [m for m in self._sent if m["chat_id"] == chat_id and not m["deleted"]]
            with_keyboard = [m for m in own if m["reply_markup"] is not None]
            chosen = (with_keyboard or own or [None])[-1]
            message = (
                chosen["message"]
                if chosen
                else {
                    "chat": chat.as_json(),
                    "message_id": 1,
                    "date": 0,
                }
            )
        user = self._user(
            user_id if user_id is not None else self._default_user_id(chat),
            first_name,
            last_name,
            username,
            language_code,
        )
        query_id = str(next(self._callback_ids))
        query: dict[str, Any] = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": str(-(abs(chat_id) * 7919 + 1_234_567) % 10**19),
        }
        if data is not None:
            query["data"] = data
        self._callbacks[query_id] = {"created": time.monotonic(), "answered": False}
        self.push_update("callback_query", query)
        return query_id

    def expire_callback(self, query_id: str) -> None:
        """Make a pushed callback query older than Telegram's 15 minutes."""
        self._callbacks[query_id]["created"] -= self.callback_query_ttl + 1

    def push_sticker(self, chat_id: int, *, emoji: str = "👍", **kwargs: Any) -> dict:
        file = self._new_file("stickers", b"RIFF....WEBP", "webp")
        sticker = {
            **self._file_ref(file),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._push_content(chat_id, {"sticker": sticker}, kwargs)

    def push_photo(
        self,
        chat_id: int,
        *,
        caption: str | None = None,
        caption_entities: list[dict] | None = None,
        media_group_id: str | None = None,
        **kwargs: Any,
    ) -> dict:
        content: dict[str, Any] = {"photo": self._photo_sizes(b"\xff\xd8\xff\xe0 photo")}
        if caption is not None:
            content["caption"] = caption
        if caption_entities:
            content["caption_entities"] = caption_entities
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self._push_content(chat_id, content, kwargs)

    def push_video(
        self,
        chat_id: int,
        *,
        caption: str | None = None,
        media_group_id: str | None = None,
        **kwargs: Any,
    ) -> dict:
        file = self._new_file("videos", b"\x00\x00\x00 ftypmp42 video", "mp4")
        video = {
            **self._file_ref(file),
            "width": 640,
            "height": 360,
            "duration": 5,
            "mime_type": "video/mp4",
            "file_name": "video.mp4",
        }
        content: dict[str, Any] = {"video": video}
        if caption is not None:
            content["caption"] = caption
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self._push_content(chat_id, content, kwargs)

    def push_album(
        self, chat_id: int, kinds: list[str], *, caption: str | None = None, **kwargs: Any
    ) -> list[dict]:
        """A user sends an album: one update per item ("photo" or "video"), sharing a
        media_group_id, the caption on the first item (as Telegram delivers it)."""
        group = f"1{next(self._file_ids):05d}77"
        updates = []
        for index, kind in enumerate(kinds):
            push = self.push_photo if kind == "photo" else self.push_video
            updates.append(
                push(
                    chat_id,
                    caption=caption if index == 0 else None,
                    media_group_id=group,
                    **kwargs,
                )
            )
        return updates

    def push_voice(self, chat_id: int, *, duration: int = 3, **kwargs: Any) -> dict:
        file = self._new_file("voice", b"OggS voice", "oga")
        voice = {**self._file_ref(file), "duration": duration, "mime_type": "audio/ogg"}
        return self._push_content(chat_id, {"voice": voice}, kwargs)

    def push_document(
        self,
        chat_id: int,
        *,
        file_name: str = "giay_to.pdf",
        mime_type: str = "application/pdf",
        content: bytes = b"%PDF-1.4 test",
        caption: str | None = None,
        **kwargs: Any,
    ) -> dict:
        file = self._new_file("documents", content, file_name.rsplit(".", 1)[-1])
        document = {**self._file_ref(file), "file_name": file_name, "mime_type": mime_type}
        fields: dict[str, Any] = {"document": document}
        if caption is not None:
            fields["caption"] = caption
        return self._push_content(chat_id, fields, kwargs)

    def push_location(
        self,
        chat_id: int,
        *,
        latitude: float = 21.028511,
        longitude: float = 105.804817,
        **kwargs: Any,
    ) -> dict:
        location = {"latitude": latitude, "longitude": longitude}
        return self._push_content(chat_id, {"location": location}, kwargs)

    def user_deletes(self, chat_id: int, message_id: int) -> None:
        """The user deletes a message in their chat (no update is sent to the bot)."""
        chat = self._chat(chat_id)
        chat.deleted.add(message_id)
        for record in self._sent:
            if record["chat_id"] == chat_id and record["message_id"] == message_id:
                record["deleted"] = True

    def _push_content(self, chat_id: int, content: dict, kwargs: dict) -> dict:
        message = self._incoming_message(chat_id, content, **kwargs)
        return self.push_update("message", message)

    # ================================================================== observing

    def messages_to(self, chat_id: int, *, include_deleted: bool = False) -> list[dict]:
        """The bot's delivered messages in ``chat_id``, oldest first. Each is a live record:
        ``message_id, chat_id, date, method, text, source_text, parse_mode, entities,
        reply_markup, caption, media, edit_date, deleted, edits`` (earlier versions) and
        ``message`` (the Telegram Message object as returned to the bot)."""
        return [
            m
            for m in self._sent
            if m["chat_id"] == chat_id and (include_deleted or not m["deleted"])
        ]

    @property
    def sent_messages(self) -> list[dict]:
        """All messages the bot delivered, in every chat, oldest first (deleted included)."""
        return list(self._sent)

    def calls_to(self, method: str) -> list[Call]:
        name = method.lower()
        return [c for c in self.calls if c.method.lower() == name]

    def rejected_calls(self) -> list[Call]:
        """Calls answered with ``ok: false`` (except abandoned long polls)."""
        return [c for c in self.calls if not c.ok and not c.abandoned]

    def clear_calls(self) -> None:
        self.calls.clear()

    @property
    def pending_updates(self) -> list[dict]:
        """Updates not yet confirmed by the bot (getUpdates offset) or delivered (webhook)."""
        return list(self._updates)

    @property
    def webhook(self) -> dict | None:
        """The webhook as set (``url``, ``secret_token``, ...) or ``None``."""
        return None if self._webhook is None else dict(self._webhook)

    async def wait_for(
        self,
        predicate: Callable[[BotApiStandin], Any],
        timeout: float = 5.0,
        *,
        message: str | None = None,
    ) -> Any:
        """Wait until ``predicate(self)`` is truthy (it may be async) and return its value.
        On timeout raise AssertionError with a dump of calls, messages and updates."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate(self)
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                what = message or getattr(predicate, "__name__", "condition")
                raise AssertionError(f"{what} not met within {timeout}s\n{self.dump()}")
            await self._wait_change(min(remaining, 0.05))

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 5.0) -> list[dict]:
        """Wait until the bot has delivered at least ``count`` messages to ``chat_id``."""
        await self.wait_for(
            lambda s: len(s.messages_to(chat_id)) >= count,
            timeout,
            message=f"{count} message(s) to chat {chat_id}",
        )
        return self.messages_to(chat_id)

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``method`` has been called at least ``count`` times (any outcome)."""
        await self.wait_for(
            lambda s: len(s.calls_to(method)) >= count,
            timeout,
            message=f"{count} call(s) to {method}",
        )
        return self.calls_to(method)

    async def wait_for_delivery(self, timeout: float = 5.0) -> None:
        """Wait until every queued update was handed to the bot (returned by getUpdates or
        accepted by the webhook). Handlers may still be running."""
        await self.wait_for(
            lambda s: all(u["update_id"] in s._fetched_ids for u in s._updates),
            timeout,
            message="delivery of all pushed updates",
        )

    def dump(self, last_calls: int = 40) -> str:
        lines = [f"--- Bot API stand-in at {self.url} ---"]
        lines.append(f"calls ({len(self.calls)}, last {last_calls}):")
        lines += [f"  {call}" for call in self.calls[-last_calls:]]
        lines.append("messages delivered:")
        for record in self._sent:
            flags = " [deleted]" if record["deleted"] else ""
            shown = record["text"] if record["text"] is not None else f"<{record['media']}>"
            lines.append(
                f"  chat {record['chat_id']} #{record['message_id']}{flags}: {shown!r}"
                + (
                    f" markup={json.dumps(record['reply_markup'], ensure_ascii=False)}"
                    if record["reply_markup"]
                    else ""
                )
            )
        lines.append(
            "pending updates: "
            + ", ".join(
                f"{u['update_id']}{'*' if u['update_id'] in self._fetched_ids else ''}"
                for u in self._updates
            )
            + " (* = fetched, not yet confirmed)"
        )
        if self._webhook:
            lines.append(f"webhook: {self._webhook['url']} last error: {self._webhook_error}")
        if self.undelivered_updates:
            lines.append(f"undelivered webhook updates: {len(self.undelivered_updates)}")
        for error in self.internal_errors:
            lines.append(f"STAND-IN INTERNAL ERROR:\n{error}")
        return "\n".join(lines)

    # ================================================================== behaviour knobs

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (``"*"``: any method but getUpdates)
        with this error. ``description`` defaults to Telegram's usual text for the code."""
        if description is None:
            description = {
                400: "Bad Request",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: "Conflict",
                429: f"Too Many Requests: retry after {retry_after or 1}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(error_code, "Error")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        self._injected.setdefault(method.lower(), deque()).append(
            _Injected(error_code, description, retry_after, count)
        )

    # ================================================================== HTTP plumbing

    async def _handle_not_found(self, request: web.Request) -> web.Response:
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        path = request.match_info["path"]
        for file in self._files.values():
            if file["file_path"] == path:
                return web.Response(body=file["content"], content_type="application/octet-stream")
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except ApiError as error:
            self._record(method, {}, error)
            return web.json_response(error.payload(), status=error.code)
        paid = bool(params.get("allow_paid_broadcast"))
        self.paid_open_requests += paid
        self.max_paid_open_requests = max(self.max_paid_open_requests, self.paid_open_requests)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            status, body = await self._execute(
                method, params, request, token=request.match_info["token"]
            )
        finally:
            self.paid_open_requests -= paid
        return web.json_response(body, status=status, dumps=_dumps)

    async def _read_params(self, request: web.Request) -> dict:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad("can't parse JSON encoded request body") from None
                if not isinstance(body, dict):
                    raise _bad("JSON object expected as request body")
                raw.update(body)
            else:
                form = await request.post()
                for key in form:
                    raw[key] = form[key]
        return {key: _coerce(key, value) for key, value in raw.items()}

    async def _execute(
        self,
        method: str,
        params: dict,
        request: web.Request | None,
        *,
        token: str | None = None,
    ) -> tuple[int, dict]:
        """Run one API call; returns (HTTP status, JSON body) and records it in ``calls``."""
        try:
            if token is not None and token != self.token:
                if _WELL_FORMED_TOKEN.match(token):
                    raise ApiError(401, "Unauthorized")
                raise ApiError(404, "Not Found")
            handler = self._handlers.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            self._raise_injected(method)
            result = await handler(params, request)
        except ApiError as error:
            abandoned = bool(
                request is not None
                and error.code == 409
                and (request.transport is None or request.transport.is_closing())
            )
            self._record(method, params, error, abandoned=abandoned)
            return error.code, error.payload()
        except Exception:
            self.internal_errors.append(traceback.format_exc())
            error = ApiError(500, "Internal Server Error")
            self._record(method, params, error)
            return 500, error.payload()
        body: dict[str, Any] = {"ok": True, "result": result}
        if isinstance(result, _Described):
            body = {"ok": True, "result": result.value, "description": result.description}
            result = result.value
        self._record(method, params, None, result)
        return 200, body

    def _raise_injected(self, method: str) -> None:
        for key in (method.lower(), "*"):
            if key == "*" and method.lower() == "getupdates":
                continue
            queue = self._injected.get(key)
            if queue:
                failure = queue[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    queue.popleft()
                parameters = {"retry_after": failure.retry_after} if failure.retry_after else None
                raise ApiError(failure.error_code, failure.description, parameters)

    def _record(
        self,
        method: str,
        params: dict,
        error: ApiError | None,
        result: Any = None,
        *,
        abandoned: bool = False,
    ) -> None:
        self.calls.append(
            Call(
                method=method,
                params=params,
                ok=error is None,
                error_code=None if error is None else error.code,
                description=None if error is None else error.description,
                result=result,
                time=time.monotonic(),
                retry_after=(error.parameters or {}).get("retry_after") if error else None,
                abandoned=abandoned,
            )
        )
        self._notify()

    def _notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def _wait_change(self, timeout: float) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)

    # ================================================================== shared helpers

    def _chat(self, chat_id: int, chat_type: str | None = None) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type is None:
                if chat_id > 0:
                    chat_type = "private"
                elif chat_id < -1_000_000_000_000:
                    chat_type = "supergroup"
                else:
                    chat_type = "group"
            chat = _Chat(id=chat_id, type=chat_type)
            if chat_type == "private":
                user = self._users.get(chat_id)
                chat.first_name = user["first_name"] if user else "User"
            self._chats[chat_id] = chat
        elif chat_type is not None:
            chat.type = chat_type
        return chat

    def _default_user_id(self, chat: _Chat) -> int:
        return chat.id if chat.type == "private" else 10_001

    def _user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> dict:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def _incoming_message(
        self,
        chat_id: int,
        content: dict,
        *,
        user_id: int | None = None,
        first_name: str = "An",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        chat_type: str = "private",
        title: str | None = None,
        reply_to: int | None = None,
    ) -> dict:
        chat = self._chat(chat_id, chat_type)
        if chat_type == "private":
            chat.first_name, chat.last_name, chat.username = first_name, last_name, username
        elif title:
            chat.title = title
        uid = user_id if user_id is not None else self._default_user_id(chat)
        user = self._user(uid, first_name, last_name, username, language_code)
        message: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": user,
            "chat": chat.as_json(),
            "date": int(self.clock()),
        }
        if reply_to is not None:
            replied = chat.messages.get(reply_to)
            if replied is None:
                raise ValueError(f"chat {chat_id} has no message {reply_to}")
            message["reply_to_message"] = {
                k: v for k, v in replied.items() if k != "reply_to_message"
            }
        message.update(content)
        chat.messages[message["message_id"]] = message
        return message

    def _new_file(self, folder: str, content: bytes, extension: str) -> dict:
        number = next(self._file_ids)
        file = {
            "file_id": f"AgACAgIAAxkBAAI{number:06d}standin",
            "file_unique_id": f"AQAD{number:06d}",
            "file_size": len(content),
            "file_path": f"{folder}/file_{number}.{extension}",
            "content": content,
        }
        self._files[file["file_id"]] = file
        return file

    @staticmethod
    def _file_ref(file: dict) -> dict:
        return {k: file[k] for k in ("file_id", "file_unique_id", "file_size")}

    def _photo_sizes(self, content: bytes) -> list[dict]:
        sizes = []
        for width, height in ((90, 67), (800, 600)):
            file = self._new_file("photos", content, "jpg")
            sizes.append({**self._file_ref(file), "width": width, "height": height})
        return sizes

    def _target_chat(self, params: dict) -> _Chat:
        """The chat a method acts on: chat_id present, known, and the bot can reach it."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                for chat in self._chats.values():
                    if chat.username and chat.username.lower() == chat_id[1:].lower():
                        chat_id = chat.id
                        break
                else:
                    raise _bad("chat not found")
            else:
                raise _bad("chat not found")
        if not isinstance(chat_id, int) or chat_id == 0 or chat_id in self.unknown_chats:
            raise _bad("chat not found")
        return self._chat(chat_id)

    def _check_reachable(self, chat: _Chat) -> None:
        if chat.id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.id in self.deactivated_chats:
            raise ApiError(403, "Forbidden: user is deactivated")
        if chat.id in self.kicked_chats:
            kind = "supergroup" if chat.type == "supergroup" else "group"
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")

    def _check_rate(self, method: str, chat: _Chat, paid: bool = False) -> float | None:
        """Raise 429 if one more message would exceed a flood limit; returns ``now``.

        A paid broadcast message is held to ``paid_rate_limit`` instead of the global limit."""
        if method.lower() in _NOT_RATE_LIMITED:
            return None
        now = time.monotonic()
        if paid:
            if self.paid_rate_limit:
                retry_after = self._paid_window.check(self.paid_rate_limit, now)
                if retry_after:
                    raise _flood(retry_after)
        elif self.global_rate_limit:
            retry_after = self._global_window.check(self.global_rate_limit, now)
            if retry_after:
                raise _flood(retry_after)
        if self.per_chat_rate_limit:
            window = self._chat_windows.setdefault(chat.id, _RateWindow())
            retry_after = window.check(self.per_chat_rate_limit, now)
            if retry_after:
                raise _flood(retry_after)
        return now

    def _count_success(self, chat: _Chat, now: float | None, paid: bool = False) -> None:
        if now is None:
            return
        if paid:
            self._paid_window.add(now)
            self.paid_messages += 1
        else:
            self._global_window.add(now)
        self._chat_windows.setdefault(chat.id, _RateWindow()).add(now)

    @staticmethod
    def _format(
        text: str,
        parse_mode: Any,
        entities: Any,
    ) -> tuple[str, list[dict]]:
        """Apply the parse mode, Telegram's trimming and its automatic entities."""
        if not isinstance(text, str):
            text = str(text)
        mode = (parse_mode or "").strip() if isinstance(parse_mode, str) else ""
        try:
            if not mode:
                plain, found = text, _explicit_entities(entities)
            elif mode.lower() == "html":
                plain, found = parse_html(text)
            else:  # the bot sends HTML only; the Markdown modes are not modelled
                raise _bad("unsupported parse_mode")
        except EntityParseError as error:
            raise _bad(f"can't parse entities: {error}") from None
        plain = plain.replace("\r", "")
        plain, found = trim_text(plain, found)
        return plain, merge_detected(plain, found)

    def _format_text(self, params: dict) -> tuple[str, list[dict]]:
        text = params.get("text")
        if text is None or text == "":
            raise _bad("message text is empty")
        plain, entities = self._format(text, params.get("parse_mode"), params.get("entities"))
        if not plain:
            raise _bad("message text is empty")
        if utf16_len(plain) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        return plain, entities

    def _reply_to(self, chat: _Chat, params: dict) -> dict | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.get("reply_to_message_id")
            allow_missing = bool(params.get("allow_sending_without_reply"))
        if not message_id:
            return None
        replied = chat.messages.get(message_id) if message_id not in chat.deleted else None
        if replied is None:
            if allow_missing:
                return None
            raise _bad("message to be replied not found")
        return {k: v for k, v in replied.items() if k != "reply_to_message"}

    def _deliver(
        self,
        method: str,
        chat: _Chat,
        params: dict,
        content: dict,
        record: dict,
        markup: dict | None,
        checked_rate: float | None = None,
    ) -> dict:
        """Check reachability and flood limits, then store and return the bot's message.

        ``checked_rate``: the caller already checked the flood limits (an album, all at once)."""
        self._check_reachable(chat)
        reply_to = self._reply_to(chat, params)
        paid = bool(params.get("allow_paid_broadcast"))
        now = self._check_rate(method, chat, paid) if checked_rate is None else checked_rate
        message: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": dict(self.bot_user),
            "chat": chat.as_json(),
            "date": int(self.clock()),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(content)
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        chat.messages[message["message_id"]] = message
        self._count_success(chat, now, paid)
        self._sent.append(
            {
                "message_id": message["message_id"],
                "chat_id": chat.id,
                "date": message["date"],
                "method": method,
                "text": None,
                "source_text": None,
                "parse_mode": params.get("parse_mode"),
                "entities": [],
                "reply_markup": markup,
                "caption": None,
                "media": None,
                "reply_to_message_id": None if reply_to is None else reply_to["message_id"],
                "edit_date": None,
                "deleted": False,
                "edits": [],
                **record,
                "message": message,
            }
        )
        return message

    def _own_message(self, chat: _Chat, params: dict, action: str) -> tuple[dict, dict | None]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        message_id = params.get("message_id")
        if not message_id:
            raise _bad("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None or message_id in chat.deleted:
            raise _bad(f"message to {action} not found")
        record = next(
            (r for r in self._sent if r["chat_id"] == chat.id and r["message_id"] == message_id),
            None,
        )
        return message, record

    # ================================================================== API methods

    async def _api_getMe(self, params: dict, request: web.Request | None) -> dict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_logOut(self, params: dict, request: web.Request | None) -> bool:
        return True

    async def _api_close(self, params: dict, request: web.Request | None) -> bool:
        return True

    async def _api_setMyDescription(self, params: dict, request: web.Request | None) -> bool:
        if len(params.get("description") or "") > 512:
            raise _bad("BOT_DESCRIPTION_INVALID")
        return True

    async def _api_setMyShortDescription(self, params: dict, request: web.Request | None) -> bool:
        if len(params.get("short_description") or "") > 120:
            raise _bad("BOT_DESCRIPTION_INVALID")
        return True

    async def _api_setMyName(self, params: dict, request: web.Request | None) -> bool:
        if len(params.get("name") or "") > 64:
            raise _bad("BOT_TITLE_INVALID")
        return True

    async def _api_setChatMenuButton(self, params: dict, request: web.Request | None) -> bool:
        return True

    # ---------------------------------------------------------------- updates

    async def _api_getUpdates(self, params: dict, request: web.Request | None) -> list[dict]:
        if self._webhook is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = params.get("offset")
        limit = params.get("limit")
        limit = 100 if not isinstance(limit, int) or limit <= 0 else min(limit, 100)
        timeout = params.get("timeout")
        timeout = max(0.0, min(float(timeout), 50.0)) if isinstance(timeout, int | float) else 0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_KINDS

        if isinstance(offset, int) and offset != 0:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._notify()

        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll still waiting is terminated by this one
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._closing:
                return []
            if self._webhook is not None:
                raise ApiError(409, _WEBHOOK_CONFLICT)
            if generation != self._poll_generation:
                await asyncio.sleep(0.05)  # let a disconnect of the abandoned poll show
                raise ApiError(409, _POLL_CONFLICT)
            batch = self._updates[:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                self._fetched_ids.update(u["update_id"] for u in batch)
                self._notify()
                return batch
            await self._wait_change(remaining)

    async def _api_setWebhook(self, params: dict, request: web.Request | None) -> _Described:
        url = params.get("url") or ""
        if not url:
            return await self._api_deleteWebhook(params, request)
        if not isinstance(url, str):
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        parsed = re.match(r"^(https?)://([^/:?#]+)(?::(\d+))?", url, re.IGNORECASE)
        if parsed is None:
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if self.strict_webhook_urls:
            if parsed.group(1).lower() != "https":
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            if parsed.group(3) and parsed.group(3) not in ("443", "80", "88", "8443"):
                raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret not in (None, "") and not _SECRET_TOKEN.match(str(secret)):
            raise _bad("secret token contains unallowed characters")
        max_connections = params.get("max_connections")
        if max_connections is not None and not (
            isinstance(max_connections, int) and 1 <= max_connections <= 100
        ):
            raise _bad("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_KINDS
        if params.get("drop_pending_updates"):
            self._updates.clear()
        same = self._webhook is not None and self._webhook["url"] == url
        self._webhook = {
            "url": url,
            "secret_token": secret or None,
            "max_connections": max_connections or 40,
            "ip_address": params.get("ip_address"),
        }
        self._webhook_error = None
        self._poll_generation += 1  # pending long polls end with a conflict
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())
        self._notify()
        return _Described(True, "Webhook is already set" if same else "Webhook was set")

    async def _api_deleteWebhook(self, params: dict, request: web.Request | None) -> _Described:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        existed = self._webhook is not None
        self._webhook = None
        self._webhook_error = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        self._notify()
        return _Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def _api_getWebhookInfo(self, params: dict, request: web.Request | None) -> dict:
        pending = len(self._updates)
        if self._webhook is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
        info: dict[str, Any] = {
            "url": self._webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": pending,
            "max_connections": self._webhook["max_connections"],
        }
        if self._webhook["ip_address"]:
            info["ip_address"] = self._webhook["ip_address"]
        if self._allowed_updates != DEFAULT_UPDATE_KINDS:
            info["allowed_updates"] = sorted(self._allowed_updates)
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _webhook_loop(self) -> None:
        while not self._closing and self._webhook is not None:
            if not self._updates:
                await self._wait_change(1.0)
                continue
            update = self._updates[0]
            delivered = await self._post_update(update)
            if self._updates and self._updates[0] is update:
                self._updates.pop(0)
            if not delivered:
                self.undelivered_updates.append(update)
            self._notify()

    async def _post_update(self, update: dict) -> bool:
        webhook = self._webhook
        assert webhook is not None and self._client is not None
        headers = {"Content-Type": "application/json"}
        if webhook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        delay = self.webhook_retry_delay
        for attempt in range(1 + self.webhook_retries):
            if attempt:
                await asyncio.sleep(delay)
                delay *= 2
            error: str | None = None
            status: int | None = None
            reply: Any = None
            try:
                async with self._client.post(
                    webhook["url"], data=_dumps(update), headers=headers
                ) as response:
                    status = response.status
                    if 200 <= status < 300:
                        if response.content_type == "application/json":
                            try:
                                reply = await response.json()
                            except ValueError:
                                reply = None
                    else:
                        error = f"Wrong response from the webhook: {status} {response.reason}"
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                error = _connection_error_text(exc)
            self._fetched_ids.add(update["update_id"])
            self.webhook_deliveries.append(
                {
                    "update_id": update["update_id"],
                    "attempt": attempt + 1,
                    "status": status,
                    "error": error,
                    "headers": dict(headers),
                }
            )
            if error is None:
                if isinstance(reply, dict) and isinstance(reply.get("method"), str):
                    # Telegram executes a method given in the webhook's answer.
                    params = {k: _coerce(k, v) for k, v in reply.items() if k != "method"}
                    await self._execute(reply["method"], params, None)
                return True
            self._webhook_error = (int(time.time()), error)
            self._notify()
        return False

    # ---------------------------------------------------------------- commands

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) and scope else {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    async def _api_setMyCommands(self, params: dict, request: web.Request | None) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand: BotCommand must be an Object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str):
                raise _bad("can't parse BotCommand: Can't find field \"command\"")
            if not isinstance(description, str):
                raise _bad("can't parse BotCommand: Can't find field \"description\"")
            if not _BOT_COMMAND.match(name.lstrip("/").lower()):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name.lstrip("/").lower(), "description": description})
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = cleaned
        return True

    async def _api_getMyCommands(self, params: dict, request: web.Request | None) -> list[dict]:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        return list(self._commands.get(key, []))

    async def _api_deleteMyCommands(self, params: dict, request: web.Request | None) -> bool:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands.pop(key, None)
        return True

    # ---------------------------------------------------------------- messages

    async def _api_sendMessage(self, params: dict, request: web.Request | None) -> dict:
        chat = self._target_chat(params)
        text, entities = self._format_text(params)
        markup = _validate_reply_markup(params.get("reply_markup"))
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        record = {"text": text, "source_text": params.get("text"), "entities": entities}
        return self._deliver("sendMessage", chat, params, content, record, markup)

    async def _api_send_media(self, method: str, params: dict, request: web.Request | None) -> dict:
        field_name = _MEDIA_KINDS[method][0]
        chat = self._target_chat(params)
        value = params.get(field_name)
        if value is None or value == "":
            raise _bad(f"there is no {field_name} in the request")
        media = self._media_value(method, value, params)
        caption, caption_entities = self._caption(params)
        markup = _validate_reply_markup(params.get("reply_markup"))
        content: dict[str, Any] = {field_name: media}
        if caption:
            content["caption"] = caption
            if caption_entities:
                content["caption_entities"] = caption_entities
        record = {"caption": caption or None, "media": field_name, "entities": caption_entities}
        return self._deliver(method, chat, params, content, record, markup)

    def _media_value(self, method: str, value: Any, params: dict) -> Any:
        """The Message field for a file given by upload, file_id or URL."""
        field_name, default_name, mime = _MEDIA_KINDS[method]
        if isinstance(value, web.FileField):
            data = value.file.read()
            file = self._new_file(
                f"{field_name}s", data, (value.filename or default_name).rsplit(".", 1)[-1]
            )
            file_name = value.filename or default_name
            if value.content_type and value.content_type != "application/octet-stream":
                mime = value.content_type
        elif isinstance(value, str) and value in self._files:
            file = self._files[value]
            file_name = default_name
        elif isinstance(value, str) and re.match(r"^https?://", value):
            file = self._new_file(f"{field_name}s", b"downloaded " + value.encode(), "bin")
            file_name = value.rsplit("/", 1)[-1] or default_name
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        if field_name == "photo":
            return self._photo_sizes(file["content"])
        media = self._file_ref(file)
        if field_name in ("document", "audio", "video", "animation"):
            media.update(file_name=file_name, mime_type=mime)
        if field_name in ("audio", "video", "animation", "voice"):
            media["duration"] = params.get("duration") or 1
        if field_name in ("video", "animation"):
            media.update(width=params.get("width") or 640, height=params.get("height") or 360)
        if field_name == "voice":
            media["mime_type"] = mime
        if field_name == "sticker":
            media.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
        return media

    def _caption(self, params: dict) -> tuple[str | None, list[dict]]:
        if not params.get("caption"):
            return None, []
        caption, entities = self._format(
            params["caption"], params.get("parse_mode"), params.get("caption_entities")
        )
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        return caption or None, entities

    async def _api_sendMediaGroup(self, params: dict, request: web.Request | None) -> list[dict]:
        chat = self._target_chat(params)
        items = params.get("media")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise _bad("can't parse media JSON object")
        if not 2 <= len(items) <= 10:
            raise _bad("wrong number of media specified: must include 2-10 items")
        kinds = [item.get("type") for item in items]
        for kind in kinds:
            if kind not in ("photo", "video", "document", "audio"):
                raise _bad(f"unsupported media type {kind!r} in a media group")
        for alone in ("document", "audio"):
            if alone in kinds and set(kinds) != {alone}:
                raise _bad(f"{alone} can't be mixed with other media types")
        contents = []
        for item, kind in zip(items, kinds, strict=True):
            value = item.get("media")
            if isinstance(value, str) and value.startswith("attach://"):
                value = params.get(value[len("attach://") :])
            if value is None or value == "":
                raise _bad(f"there is no {kind} in the request")
            method = "send" + kind.capitalize()
            caption, entities = self._caption(
                {
                    "caption": item.get("caption"),
                    "parse_mode": item.get("parse_mode"),
                    "caption_entities": item.get("caption_entities"),
                }
            )
            contents.append((kind, self._media_value(method, value, item), caption, entities))
        self._check_reachable(chat)
        now = self._check_rate("sendMediaGroup", chat, bool(params.get("allow_paid_broadcast")))
        group = f"{next(self._file_ids):06d}{chat.id % 1000:03d}"
        messages = []
        for kind, media, caption, entities in contents:
            content: dict[str, Any] = {kind: media, "media_group_id": group}
            if caption:
                content["caption"] = caption
                if entities:
                    content["caption_entities"] = entities
            record = {
                "caption": caption,
                "media": kind,
                "entities": entities,
                "media_group_id": group,
            }
            messages.append(
                self._deliver("sendMediaGroup", chat, params, content, record, None, now)
            )
        return messages

    def _source_message(self, params: dict, message_id: Any) -> dict | None:
        source_chat = self._target_chat({"chat_id": params.get("from_chat_id")})
        if not isinstance(message_id, int) or message_id in source_chat.deleted:
            return None
        return source_chat.messages.get(message_id)

    def _copied_content(self, source: dict, params: dict) -> tuple[dict, dict]:
        kept = ("text", "entities", "caption", "caption_entities", *_COPYABLE_MEDIA)
        content = {k: copy.deepcopy(v) for k, v in source.items() if k in kept}
        media = next((k for k in _COPYABLE_MEDIA if k in content), None)
        if media is not None and "caption" in params:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            caption, entities = self._caption(params)
            if caption:
                content["caption"] = caption
                if entities:
                    content["caption_entities"] = entities
        record = {
            "text": content.get("text"),
            "source_text": content.get("text"),
            "entities": content.get("entities") or content.get("caption_entities") or [],
            "caption": content.get("caption"),
            "media": media,
        }
        return content, record

    async def _api_copyMessage(self, params: dict, request: web.Request | None) -> dict:
        chat = self._target_chat(params)
        source = self._source_message(params, params.get("message_id"))
        if source is None:
            raise _bad("message to copy not found")
        if not any(k in source for k in ("text", *_COPYABLE_MEDIA)):
            raise _bad("message can't be copied")
        content, record = self._copied_content(source, params)
        markup = _validate_reply_markup(params.get("reply_markup"))
        message = self._deliver("copyMessage", chat, params, content, record, markup)
        return {"message_id": message["message_id"]}

    async def _api_copyMessages(self, params: dict, request: web.Request | None) -> list[dict]:
        chat = self._target_chat(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message_ids must be a list of 1-100 message identifiers")
        if any(not isinstance(i, int) for i in ids) or ids != sorted(set(ids)):
            raise _bad("message identifiers must be specified in strictly increasing order")
        sources = [m for m in (self._source_message(params, i) for i in ids) if m is not None]
        sources = [m for m in sources if any(k in m for k in ("text", *_COPYABLE_MEDIA))]
        if not sources:
            raise _bad("there are no messages to copy")
        self._check_reachable(chat)
        now = self._check_rate("copyMessages", chat, bool(params.get("allow_paid_broadcast")))
        groups: dict[str, str] = {}
        copied = []
        for source in sources:
            content, record = self._copied_content(source, {})
            if source.get("media_group_id"):
                group = groups.setdefault(
                    source["media_group_id"], f"{next(self._file_ids):06d}{chat.id % 1000:03d}"
                )
                content["media_group_id"] = record["media_group_id"] = group
            message = self._deliver("copyMessages", chat, params, content, record, None, now)
            copied.append({"message_id": message["message_id"]})
        return copied

    async def _api_editMessageText(self, params: dict, request: web.Request | None) -> dict:
        chat = self._target_chat(params)
        message, record = self._own_message(chat, params, "edit")
        text, entities = self._format_text(params)
        markup = _validate_reply_markup(params.get("reply_markup"))
        if not message.get("from", {}).get("is_bot") or record is None:
            raise _bad("message can't be edited")
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        self._check_reachable(chat)
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        if (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == inline
        ):
            raise _bad(_NOT_MODIFIED[len("Bad Request: ") :])
        record["edits"].append(
            {
                "text": record["text"],
                "entities": record["entities"],
                "reply_markup": record["reply_markup"],
                "parse_mode": record["parse_mode"],
            }
        )
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        message.pop("reply_markup", None)
        if inline is not None:
            message["reply_markup"] = inline
        message["edit_date"] = int(time.time())
        record.update(
            text=text,
            source_text=params.get("text"),
            entities=entities,
            parse_mode=params.get("parse_mode"),
            reply_markup=inline,
            edit_date=message["edit_date"],
        )
        return message

    async def _api_editMessageCaption(self, params: dict, request: web.Request | None) -> dict:
        chat = self._target_chat(params)
        message, record = self._own_message(chat, params, "edit")
        markup = _validate_reply_markup(params.get("reply_markup"))
        if not message.get("from", {}).get("is_bot") or record is None:
            raise _bad("message can't be edited")
        if "text" in message:
            raise _bad("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        self._check_reachable(chat)
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        if (
            message.get("caption") == caption
            and message.get("caption_entities", []) == entities
            and message.get("reply_markup") == inline
        ):
            raise _bad(_NOT_MODIFIED[len("Bad Request: ") :])
        record["edits"].append(
            {
                "caption": record["caption"],
                "entities": record["entities"],
                "reply_markup": record["reply_markup"],
                "parse_mode": record["parse_mode"],
            }
        )
        for key in ("caption", "caption_entities", "reply_markup"):
            message.pop(key, None)
        if caption:
            message["caption"] = caption
            if entities:
                message["caption_entities"] = entities
        if inline is not None:
            message["reply_markup"] = inline
        message["edit_date"] = int(self.clock())
        record.update(
            caption=caption,
            entities=entities,
            parse_mode=params.get("parse_mode"),
            reply_markup=inline,
            edit_date=message["edit_date"],
        )
        return message

    async def _api_editMessageReplyMarkup(self, params: dict, request: web.Request | None) -> dict:
        chat = self._target_chat(params)
        message, record = self._own_message(chat, params, "edit")
        markup = _validate_reply_markup(params.get("reply_markup"))
        if not message.get("from", {}).get("is_bot") or record is None:
            raise _bad("message can't be edited")
        self._check_reachable(chat)
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        if message.get("reply_markup") == inline:
            raise _bad(_NOT_MODIFIED[len("Bad Request: ") :])
        record["edits"].append(
            {
                "text": record["text"],
                "entities": record["entities"],
                "reply_markup": record["reply_markup"],
                "parse_mode": record["parse_mode"],
            }
        )
        message.pop("reply_markup", None)
        if inline is not None:
            message["reply_markup"] = inline
        message["edit_date"] = int(time.time())
        record.update(reply_markup=inline, edit_date=message["edit_date"])
        return message

    async def _api_deleteMessage(self, params: dict, request: web.Request | None) -> bool:
        chat = self._target_chat(params)
        message, _ = self._own_message(chat, params, "delete")
        if self.clock() - message.get("date", 0) > DELETE_WINDOW:
            raise _bad(_CANT_DELETE)
        chat.deleted.add(params["message_id"])
        for record in self._sent:
            if record["chat_id"] == chat.id and record["message_id"] == params["message_id"]:
                record["deleted"] = True
        return True

    async def _api_answerCallbackQuery(self, params: dict, request: web.Request | None) -> bool:
        query_id = params.get("callback_query_id")
        query = self._callbacks.get(str(query_id)) if query_id is not None else None
        if (
            query is None
            or query["answered"]
            or time.monotonic() - query["created"] > self.callback_query_ttl
        ):
            raise _bad(_QUERY_TOO_OLD[len("Bad Request: ") :])
        text = params.get("text")
        if isinstance(text, str) and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        url = params.get("url")
        if url and check_link(str(url)) is None:
            raise _bad("URL_INVALID")
        query["answered"] = True
        self.answered_callbacks.append(str(query_id))
        self.callback_answers[str(query_id)] = dict(params)
        return True

    async def _api_sendChatAction(self, params: dict, request: web.Request | None) -> bool:
        chat = self._target_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self._check_reachable(chat)
        return True

    async def _api_getFile(self, params: dict, request: web.Request | None) -> dict:
        file = self._files.get(str(params.get("file_id") or ""))
        if file is None:
            raise _bad("invalid file_id")
        return {k: file[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}


# ====================================================================== module helpers


@dataclass
class _Described:
    """A successful result that Telegram answers with a ``description`` too."""

    value: Any
    description: str


_SSL_CONTEXT: Any = None


def _fast_request() -> Any:
    """A PTB HTTPXRequest that reuses one SSL context (building one costs ~0.1 s)."""
    global _SSL_CONTEXT
    import ssl

    from telegram.request import HTTPXRequest

    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = ssl.create_default_context()
    return HTTPXRequest(httpx_kwargs={"verify": _SSL_CONTEXT})


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _coerce(name: str, value: Any) -> Any:
    """Type a parameter the way the Bot API reads it (form values are all strings)."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(_JSON_FIELD_ERRORS.get(name, f"can't parse {name} JSON object")) from None
    stripped = value.strip()
    if name in _INT_FIELDS and re.fullmatch(r"[+-]?\d{1,19}", stripped):
        return int(stripped)
    if name in _FLOAT_FIELDS:
        try:
            return float(stripped)
        except ValueError:
            return value
    if name in _BOOL_FIELDS:
        return stripped.lower() in ("true", "1")
    return value


def _explicit_entities(entities: Any) -> list[dict]:
    if entities is None:
        return []
    if not isinstance(entities, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("offset"), int)
        and isinstance(e.get("length"), int)
        and isinstance(e.get("type"), str)
        for e in entities
    ):
        raise _bad("can't parse entities JSON object")
    return [dict(e) for e in entities]


def _connection_error_text(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "Read timeout expired"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "Connection refused"
    return f"Connection error: {exc.__class__.__name__}"


def _validate_reply_markup(markup: Any) -> dict | None:
    """Telegram's checks of ``reply_markup``; returns it (a dict) or None."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        total = 0
        for row in rows:
            for button in row:
                total += 1
                _validate_inline_button(button)
        if total > 100:
            raise _bad("reply markup is too long")
        return markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
        for row in rows:
            for button in row:
                text = (
                    button
                    if isinstance(button, str)
                    else (button.get("text") if isinstance(button, dict) else None)
                )
                if not isinstance(text, str):
                    raise _bad("can't parse keyboard button: Can't find field \"text\"")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise _bad("can't parse reply keyboard markup JSON object")


def _validate_inline_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise _bad(prefix + "InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise _bad(prefix + 'Can\'t find field "text"')
    for key in (
        "text",
        "url",
        "callback_data",
        "switch_inline_query",
        "switch_inline_query_current_chat",
    ):
        if key in button and not isinstance(button[key], str):
            raise _bad(prefix + f'Field "{key}" must be of type String')
    actions = [
        key
        for key in _INLINE_BUTTON_ACTIONS
        if key in button
        and button[key] not in ("", None)
        or (
            key in ("switch_inline_query", "switch_inline_query_current_chat")
            and button.get(key) == ""
        )
    ]
    if not actions:
        raise _bad(prefix + "Text buttons are unallowed in the inline keyboard")
    if not button["text"].strip():
        raise _bad("BUTTON_TEXT_INVALID")
    data = button.get("callback_data")
    if isinstance(data, str) and data and len(data.encode("utf-8")) > 64:
        raise _bad("BUTTON_DATA_INVALID")
    url = button.get("url")
    if isinstance(url, str) and url:
        scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", url)
        if scheme and scheme.group(1).lower() not in ("http", "https", "tg", "ton"):
            raise _bad(f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol")
        if check_link(url) is None or (scheme is None and "." not in url.split("/")[0]):
            raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
