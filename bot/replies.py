"""What the bot says, independent of Telegram: HTML text plus buttons, for the bot and `dcbot chat`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot import callbacks
from bot.knowledge.faq_files import FaqBook, FaqEntry
from bot.knowledge.match_types import MatchResult, MatchStatus
from bot.knowledge.smalltalk import SmalltalkKind
from bot.telegram_html import escape
from bot.texts import citizens as texts

BUTTON_TEXT_LIMIT = 60
CATEGORY_KEY_BYTES = 60  # "cat:" and the key stay within Telegram's 64 bytes of callback data


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    html: str
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)


def _short(text: str, limit: int = BUTTON_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def category_key(entry: FaqEntry) -> str:
    """Stable short key of an entry's category: its file name without extension, cut short."""
    key = Path(entry.source_file).stem[:40]
    return key.encode()[:CATEGORY_KEY_BYTES].decode("utf-8", "ignore")  # accented names


def categories(book: FaqBook) -> list[tuple[str, str]]:
    """(key, category name) in file order."""
    seen: dict[str, str] = {}
    for entry in book.entries.values():
        seen.setdefault(category_key(entry), entry.category)
    return list(seen.items())


MENU_BUTTON = Button(texts.MENU_BUTTON, callback_data=callbacks.MENU)


def categories_reply(book: FaqBook, intro: str | None = None) -> Reply:
    rows = tuple(
        (Button(name, callback_data=callbacks.category(key)),) for key, name in categories(book)
    )
    text = intro or texts.CATEGORIES_INTRO
    return Reply(text, rows)


def category_reply(book: FaqBook, key: str) -> Reply | None:
    entries = [e for e in book.entries.values() if category_key(e) == key]
    if not entries:
        return None
    rows = [(Button(_short(e.question), callback_data=callbacks.question(e.id)),) for e in entries]
    rows.append((Button(texts.BACK_TO_MENU_BUTTON, callback_data=callbacks.MENU),))
    return Reply(texts.CATEGORY_TITLE.format(category=escape(entries[0].category)), tuple(rows))


def answer_reply(book: FaqBook, entry: FaqEntry) -> Reply:
    parts = [f"<b>{escape(entry.question)}</b>", "", entry.answer]
    if entry.links:
        links = "\n".join(
            f'🔗 <a href="{escape(link.url)}">{escape(link.text)}</a>' for link in entry.links
        )
        parts += ["", links]
    rows: list[tuple[Button, ...]] = []
    for related_id in entry.related:
        related = book.entries.get(related_id)
        if related:
            rows.append(
                (
                    Button(
                        texts.RELATED_BUTTON.format(question=_short(related.question)),
                        callback_data=callbacks.question(related.id),
                    ),
                )
            )
    rows.append(
        (
            Button(texts.HELPFUL_BUTTON, callback_data=callbacks.feedback(entry.id, up=True)),
            Button(texts.NOT_HELPFUL_BUTTON, callback_data=callbacks.feedback(entry.id, up=False)),
        )
    )
    rows.append((MENU_BUTTON,))
    return Reply("\n".join(parts), tuple(rows))


def suggest_reply(book: FaqBook, result: MatchResult) -> Reply:
    rows = [
        (Button(_short(book.entries[c.id].question), callback_data=callbacks.question(c.id)),)
        for c in result.candidates
        if c.id in book.entries
    ]
    rows.append((Button(texts.SUGGEST_NONE_BUTTON, callback_data=callbacks.MENU),))
    return Reply(texts.SUGGEST_INTRO, tuple(rows))


def not_found_reply(book: FaqBook, handoff: Button | None = None) -> Reply:
    menu = categories_reply(book, intro=texts.NOT_FOUND)
    if handoff is None:
        return menu
    return Reply(menu.html, ((handoff,), *menu.buttons))


def smalltalk_reply(kind: SmalltalkKind, first_name: str | None) -> Reply:
    name = escape(first_name) if first_name else texts.DEFAULT_NAME
    rows = ((MENU_BUTTON,),) if kind is SmalltalkKind.GREETING else ()
    return Reply(texts.SMALLTALK[kind].format(name=name), rows)


def reply_for_match(
    book: FaqBook,
    result: MatchResult,
    first_name: str | None = None,
    handoff: Button | None = None,
) -> Reply:
    """The reply to a free-text question, for any of the four decisions.

    `handoff` is the "Gặp cán bộ" button, offered when the bot does not know.
    """
    if result.status is MatchStatus.SMALLTALK and result.smalltalk is not None:
        return smalltalk_reply(result.smalltalk, first_name)
    if result.status is MatchStatus.ANSWER and result.entry_id in book.entries:
        return answer_reply(book, book.entries[result.entry_id])
    if result.status is MatchStatus.SUGGEST and result.candidates:
        return suggest_reply(book, result)
    return not_found_reply(book, handoff)


def empty_text_reply() -> Reply:
    return Reply(texts.EMPTY_TEXT)


def too_long_reply() -> Reply:
    return Reply(texts.TOO_LONG)


def unsupported_media_reply() -> Reply:
    return Reply(texts.UNSUPPORTED_MEDIA, ((MENU_BUTTON,),))


def navigation_reply(book: FaqBook, data: str) -> Reply | None:
    """The reply to a menu/category/question button, or None if the button is stale or unknown."""
    if data == callbacks.MENU:
        return categories_reply(book)
    prefix, _, value = data.partition(":")
    if prefix == "cat":
        return category_reply(book, value)
    if prefix == "faq" and value in book.entries:
        return answer_reply(book, book.entries[value])
    return None
