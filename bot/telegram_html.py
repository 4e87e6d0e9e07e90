"""Telegram's HTML subset: validate before sending, and render to plain text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from bot.texts import validation as texts

MAX_MESSAGE_LENGTH = 4096
ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
        "a", "code", "pre", "blockquote", "tg-spoiler", "span", "tg-emoji",
    }
)  # fmt: skip
_VALID_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
# A tag opened at the end of the text and never closed ("... xem <b"): Python's parser takes
# it for text, Telegram refuses the message ("Unclosed start tag").
_UNTERMINATED_TAG = re.compile(r"<[a-zA-Z/][^<>]*\Z")
# Attributes of a start tag as written; an unquoted value must be a name token for Telegram
# (letters, digits, '.', '-'): <a href=https://...> is refused.
_ATTRIBUTE = re.compile(r"""[^\s=>/"']+(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]*))?""")
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.-]*")


class _TelegramHTMLChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(texts.HTML_TAG_UNSUPPORTED.format(tag=tag))
            return
        attributes = dict(attrs)
        if tag == "a" and not (attributes.get("href") or "").strip():
            self.problems.append(texts.HTML_LINK_WITHOUT_HREF)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            self.problems.append(texts.HTML_SPAN_NOT_SPOILER)
        if tag == "tg-emoji" and not (attributes.get("emoji-id") or "").isdigit():
            self.problems.append(texts.HTML_EMOJI_ID_INVALID)
        self._check_unquoted_values(tag)
        self.stack.append(tag)

    def _check_unquoted_values(self, tag: str) -> None:
        written = (self.get_starttag_text() or "")[1 + len(tag) : -1]
        for attribute in _ATTRIBUTE.finditer(written):
            value = attribute.group(1)
            if value and value[0] not in "\"'" and not _NAME_TOKEN.fullmatch(value):
                self.problems.append(texts.HTML_VALUE_UNQUOTED.format(tag=tag, value=value))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(texts.HTML_SELF_CLOSING_UNSUPPORTED.format(tag=tag))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(texts.HTML_END_TAG_UNSUPPORTED.format(tag=tag))
            return
        if not self.stack or self.stack[-1] != tag:
            expected = f"</{self.stack[-1]}>" if self.stack else texts.HTML_NOTHING_OPEN
            self.problems.append(texts.HTML_END_TAG_MISPLACED.format(tag=tag, expected=expected))
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)


def html_problems(text: str, *, max_length: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Why Telegram would reject `text` sent with parse_mode=HTML (empty list if it is fine)."""
    problems: list[str] = []
    # A bare "<" that does not start a tag is a parse error in Telegram.
    for match in re.finditer(r"<(?![a-zA-Z/])", text):
        problems.append(texts.HTML_BARE_LESS_THAN.format(position=match.start()))
    unterminated = _UNTERMINATED_TAG.search(text)
    if unterminated:
        problems.append(texts.HTML_TAG_UNTERMINATED.format(position=unterminated.start()))
    for match in re.finditer(r"&[#a-zA-Z0-9]*;", text):
        if not _valid_entity(match.group()):
            problems.append(texts.HTML_ENTITY_INVALID.format(entity=match.group()))
    checker = _TelegramHTMLChecker()
    checker.feed(text)
    checker.close()
    problems.extend(checker.problems)
    if checker.stack:
        tags = ", ".join(f"<{t}>" for t in checker.stack)
        problems.append(texts.HTML_UNCLOSED.format(tags=tags))
    plain = "".join(checker.text_parts)
    if not plain.strip():
        problems.append(texts.HTML_EMPTY)
    length = utf16_length(plain)
    if length > max_length:
        problems.append(texts.HTML_TOO_LONG.format(length=length, limit=max_length))
    return problems


def _valid_entity(entity: str) -> bool:
    """One of Telegram's four named entities, or a number that is a character (a lone UTF-16
    surrogate such as &#xD83D; is refused by Telegram)."""
    if not _VALID_ENTITY.fullmatch(entity):
        return False
    if not entity.startswith("&#"):
        return True
    number = entity[2:-1]
    code = int(number[1:], 16) if number.startswith("x") else int(number)
    return not 0xD800 <= code <= 0xDFFF


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def html_to_plain(text: str) -> str:
    """Drop tags and unescape entities: the message as a plain-text reader sees it."""
    without_tags = re.sub(r"</?[a-zA-Z][^<>]*>", "", text)
    return html.unescape(without_tags)


def escape(text: str) -> str:
    """Escape user-provided text (names, questions) for an HTML message."""
    return html.escape(text or "", quote=False)
