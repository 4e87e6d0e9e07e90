"""What a campaign sends: a text, one media file with a caption, or an album.

The outbox stores it as JSON (`campaignextra.media`) beside the campaign's HTML text, which is
the message text or the caption. `send_content` is the one place that turns it into Bot API
calls, used for the official's preview and for every citizen, so the preview is exactly what
citizens get.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import ParseMode

from bot.telegram_html import MAX_MESSAGE_LENGTH, html_problems

MAX_CAPTION_LENGTH = 1024
MAX_ALBUM_ITEMS = 10
TEXT = "text"
ALBUM = "album"
SINGLE_MEDIA = ("photo", "video", "document", "animation", "audio")
ALBUM_MEDIA = {
    "photo": InputMediaPhoto,
    "video": InputMediaVideo,
    "document": InputMediaDocument,
    "audio": InputMediaAudio,
}
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class ContentError(ValueError):
    """Stored media that cannot be read back (a corrupt row)."""


@dataclass(frozen=True)
class MediaItem:
    type: str  # photo | video | document | animation | audio
    file_id: str


@dataclass(frozen=True)
class Content:
    """`text` is HTML: the message text, or the caption (may be empty for media)."""

    text: str
    kind: str = TEXT  # text | photo | video | document | animation | audio | album
    items: tuple[MediaItem, ...] = field(default_factory=tuple)

    @property
    def is_text(self) -> bool:
        return self.kind == TEXT

    @property
    def is_album(self) -> bool:
        return self.kind == ALBUM

    @property
    def limit(self) -> int:
        return MAX_MESSAGE_LENGTH if self.is_text else MAX_CAPTION_LENGTH

    def with_text(self, text: str) -> Content:
        return Content(text=text, kind=self.kind, items=self.items)

    def media_json(self) -> str | None:
        """The media part for storage; None for a text."""
        if self.is_text:
            return None
        return json.dumps(
            {"kind": self.kind, "items": [[i.type, i.file_id] for i in self.items]},
            ensure_ascii=False,
        )

    @classmethod
    def from_storage(cls, text: str, media: str | None) -> Content:
        if not media:
            return cls(text=text)
        try:
            data = json.loads(media)
            items = tuple(MediaItem(str(t), str(f)) for t, f in data["items"])
            kind = str(data["kind"])
        except (ValueError, KeyError, TypeError) as error:
            raise ContentError(f"unreadable media: {error}") from error
        if kind not in (*SINGLE_MEDIA, ALBUM) or not items:
            raise ContentError(f"unknown media kind {kind!r}")
        return cls(text=text, kind=kind, items=items)

    def problems(self) -> list[str]:
        """Why Telegram would refuse it: the HTML checks with the text or caption limit."""
        if not self.is_text and not self.text.strip():
            return []  # media without a caption is fine
        return html_problems(self.text, max_length=self.limit)


def media_of(message: Message) -> MediaItem | None:
    """The file of a photo, video, document, animation or audio message (None otherwise)."""
    if message.photo:
        return MediaItem("photo", message.photo[-1].file_id)
    if message.animation:  # an animation message also carries `document`: check it first
        return MediaItem("animation", message.animation.file_id)
    for kind in ("video", "document", "audio"):
        attachment = getattr(message, kind)
        if attachment is not None:
            return MediaItem(kind, attachment.file_id)
    return None


async def send_content(
    bot: Bot,
    chat_id: int,
    content: Content,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    paid: bool = False,
) -> list[int]:
    """Send `content` to `chat_id`; the message ids (several for an album), first one first."""
    paid_kwargs = {"allow_paid_broadcast": True} if paid else {}
    caption = content.text or None
    if content.is_text:
        message = await bot.send_message(
            chat_id,
            content.text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=reply_markup,
            **paid_kwargs,
        )
        return [message.message_id]
    if content.is_album:
        media = [
            ALBUM_MEDIA[item.type](
                media=item.file_id,
                caption=caption if index == 0 else None,
                parse_mode=ParseMode.HTML if index == 0 and caption else None,
            )
            for index, item in enumerate(content.items)
        ]
        messages = await bot.send_media_group(chat_id, media, **paid_kwargs)
        return [message.message_id for message in messages]
    item = content.items[0]
    send = getattr(bot, f"send_{item.type}")
    message = await send(
        chat_id,
        item.file_id,
        caption=caption,
        parse_mode=ParseMode.HTML if caption else None,
        reply_markup=reply_markup,
        **paid_kwargs,
    )
    return [message.message_id]


async def edit_content(
    bot: Bot,
    chat_id: int,
    message_id: int,
    content: Content,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Replace the text (or the caption) of one delivered copy; keeps `reply_markup`."""
    if content.is_text:
        await bot.edit_message_text(
            content.text,
            chat_id,
            message_id,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=reply_markup,
        )
    else:
        await bot.edit_message_caption(
            chat_id,
            message_id,
            caption=content.text,
            parse_mode=ParseMode.HTML,
            reply_markup=reply_markup,
        )
