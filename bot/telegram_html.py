"""Telegram's HTML subset: validate before sending, and render to plain text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

MAX_MESSAGE_LENGTH = 4096
ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
        "a", "code", "pre", "blockquote", "tg-spoiler", "span", "tg-emoji",
    }
)  # fmt: skip
_VALID_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class _TelegramHTMLChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"thẻ <{tag}> không được Telegram hỗ trợ")
            return
        attributes = dict(attrs)
        if tag == "a" and not (attributes.get("href") or "").strip():
            self.problems.append("thẻ <a> thiếu href")
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            self.problems.append('thẻ <span> chỉ dùng được với class="tg-spoiler"')
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"thẻ <{tag}/> không được Telegram hỗ trợ")

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"thẻ đóng </{tag}> không được Telegram hỗ trợ")
            return
        if not self.stack or self.stack[-1] != tag:
            expected = f"</{self.stack[-1]}>" if self.stack else "không có thẻ nào đang mở"
            self.problems.append(f"thẻ đóng </{tag}> sai chỗ (đang chờ {expected})")
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
        problems.append(f"ký tự '<' ở vị trí {match.start()} phải viết là &lt;")
    for match in re.finditer(r"&[#a-zA-Z0-9]*;", text):
        if not _VALID_ENTITY.fullmatch(match.group()):
            problems.append(f"thực thể HTML không hợp lệ: {match.group()}")
    checker = _TelegramHTMLChecker()
    checker.feed(text)
    checker.close()
    problems.extend(checker.problems)
    if checker.stack:
        problems.append("thẻ chưa đóng: " + ", ".join(f"<{t}>" for t in checker.stack))
    plain = "".join(checker.text_parts)
    if not plain.strip():
        problems.append("nội dung trống")
    length = utf16_length(plain)
    if length > max_length:
        problems.append(f"dài {length} ký tự, vượt giới hạn {max_length} của Telegram")
    return problems


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
