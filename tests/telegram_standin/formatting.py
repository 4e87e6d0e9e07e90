"""Text handling around the HTML parser: Markdown parse modes, Telegram's trimming of message
text, and the entities Telegram detects by itself (commands, mentions, hashtags, links).

Everything counts in UTF-16 code units, as the Bot API does.
"""

from __future__ import annotations

import re

from .html_entities import EntityParseError, check_link, utf16_len

__all__ = [
    "detect_entities",
    "merge_detected",
    "parse_markdown",
    "parse_markdown_v2",
    "trim_text",
]

# What Telegram strips from both ends of a message text or caption.
_TRIM = " \t\n\r\v\f"


def trim_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Strip leading/trailing whitespace like Telegram, moving and clipping the entities."""
    stripped_left = text.lstrip(_TRIM)
    shift = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip(_TRIM)
    size = utf16_len(result)
    fixed = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, size)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return result, fixed


_DETECTORS = [
    # (entity type, regex). Group "e" is the entity when present.
    (
        "bot_command",
        re.compile(
            r"(?:^|(?<=[\s(]))(?P<e>/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)(?![A-Za-z0-9_@/])"
        ),
    ),
    (
        "email",
        re.compile(
            r"(?<![\w.+-])(?P<e>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
        ),
    ),
    (
        "url",
        re.compile(
            r"(?<![\w@/.])(?P<e>(?:https?://|www\.)[^\s<>\"]+|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|org|net|vn|gov\.vn|io|me|ru|info|edu|app|dev)(?:/[^\s<>\"]*)?)"
        ),
    ),
    ("mention", re.compile(r"(?<![\w@])(?P<e>@[A-Za-z0-9_]{3,32})(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])(?P<e>#\w*[^\W\d]\w*)")),
    ("cashtag", re.compile(r"(?<![\w$])(?P<e>\$[A-Z]{3,8})(?![\w$])")),
]


def detect_entities(text: str) -> list[dict]:
    """The entities Telegram finds in plain text by itself (an approximation of TDLib's
    ``find_entities``): bot commands, e-mail addresses, URLs, mentions, hashtags, cashtags."""
    found: list[tuple[int, int, str]] = []  # code point spans
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DETECTORS:
        for m in pattern.finditer(text):
            start, end = m.span("e")
            if kind == "url":
                while end > start and text[end - 1] in ".,;:!?)'":
                    end -= 1
            if end <= start or any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append((start, end, kind))
    found.sort()
    return [
        {"type": kind, "offset": utf16_len(text[:s]), "length": utf16_len(text[s:e])}
        for s, e, kind in found
    ]


_NO_DETECTION_INSIDE = {"code", "pre", "text_link", "url", "email", "text_mention", "custom_emoji"}


def merge_detected(text: str, entities: list[dict]) -> list[dict]:
    """Add auto-detected entities that don't collide with code, pre or links."""
    blockers = [
        (e["offset"], e["offset"] + e["length"])
        for e in entities
        if e["type"] in _NO_DETECTION_INSIDE
    ]
    merged = list(entities)
    for entity in detect_entities(text):
        start, end = entity["offset"], entity["offset"] + entity["length"]
        if not any(s < end and start < e for s, e in blockers):
            merged.append(entity)
    merged.sort(key=lambda e: (e["offset"], -e["length"]))
    return merged


# --------------------------------------------------------------------------- Markdown (legacy)


def parse_markdown(text: str) -> tuple[str, list[dict]]:
    """Legacy ``Markdown``: *bold*, _italic_, `code`, ```pre```, [text](url); ``\\`` escapes
    the four markup characters. Unclosed markup fails like Telegram:
    "Can't find end of the entity starting at byte offset N"."""
    data = text.encode("utf-8", "surrogatepass")
    n = len(data)
    out = bytearray()
    entities: list[dict] = []
    utf16 = 0

    def put(byte: int) -> None:
        nonlocal utf16
        if byte & 0xC0 != 0x80:
            utf16 += 2 if byte >= 0xF0 else 1
        out.append(byte)

    i = 0
    while i < n:
        c = data[i]
        if c == ord("\\") and i + 1 < n and data[i + 1] in b"_*`[":
            put(data[i + 1])
            i += 2
            continue
        if c not in b"_*`[":
            put(c)
            i += 1
            continue
        begin = i
        end_char = ord("]") if c == ord("[") else c
        is_pre = c == ord("`") and data[i + 1 : i + 3] == b"``"
        language = ""
        i += 3 if is_pre else 1
        if is_pre:
            m = re.match(rb"([^\s`]+)\n", data[i:])
            if m:
                language = m.group(1).decode("utf-8", "replace")
                i += m.end()
        offset = utf16
        while i < n and not (data[i] == end_char and (not is_pre or data[i : i + 3] == b"```")):
            put(data[i])
            i += 1
        if i >= n:
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {begin}")
        length = utf16 - offset
        if is_pre:
            i += 3
        else:
            i += 1
        if c == ord("["):
            url = ""
            if i < n and data[i] == ord("("):
                close = data.find(b")", i)
                if close != -1:
                    url = data[i + 1 : close].decode("utf-8", "replace")
                    i = close + 1
            checked = check_link(url) if url else None
            if length and checked:
                entities.append(
                    {"type": "text_link", "offset": offset, "length": length, "url": checked}
                )
            continue
        if not length:
            continue
        kind = {ord("*"): "bold", ord("_"): "italic", ord("`"): "code"}[c]
        if is_pre:
            entity = {"type": "pre", "offset": offset, "length": length}
            if language:
                entity["language"] = language
            entities.append(entity)
        else:
            entities.append({"type": kind, "offset": offset, "length": length})
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.decode("utf-8", "replace"), entities


# ------------------------------------------------------------------------------- MarkdownV2

_RESERVED_V2 = "_*[]()~`>#+-=|{}.!"
_V2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
    "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict]]:
    """``MarkdownV2`` as Telegram documents it, including its strictness: every reserved
    character outside markup must be escaped with ``\\`` ("Character '.' is reserved and must
    be escaped with the preceding '\\'"), unclosed markup fails with
    "Can't find end of Bold entity at byte offset N". Block quotes (``>`` at line start) are
    accepted."""
    data = text.encode("utf-8", "surrogatepass")
    n = len(data)
    out = bytearray()
    entities: list[dict] = []
    stack: list[dict] = []  # {"type", "offset", "byte", "argument"}
    utf16 = 0
    quote_start: int | None = None

    def put(byte: int) -> None:
        nonlocal utf16
        if byte & 0xC0 != 0x80:
            utf16 += 2 if byte >= 0xF0 else 1
        out.append(byte)

    def at(k: int) -> int:
        return data[k] if k < n else 0

    i = 0
    while i < n:
        c = data[i]
        line_start = i == 0 or data[i - 1] == ord("\n")
        if line_start and not stack:
            if c == ord(">"):
                if quote_start is None:
                    quote_start = utf16
                i += 1
                if at(i) == ord(" "):
                    i += 1
                continue
            if quote_start is not None and i > 0:
                # the quote ended with the previous line (its '\n' isn't part of it)
                end = utf16 - 1
                if end > quote_start:
                    entities.append(
                        {"type": "blockquote", "offset": quote_start, "length": end - quote_start}
                    )
                quote_start = None
        if c == ord("\\") and 0 < at(i + 1) <= 126:
            put(data[i + 1])
            i += 2
            continue
        top = stack[-1] if stack else None
        in_code = top is not None and top["type"] in ("code", "pre")
        reserved = "`" if in_code else _RESERVED_V2
        if chr(c) not in reserved or c > 126:
            put(c)
            i += 1
            continue

        # end of the innermost entity?
        if top is not None:
            kind = top["type"]
            closes = (
                (kind == "bold" and c == ord("*"))
                or (kind == "italic" and c == ord("_") and at(i + 1) != ord("_"))
                or (
                    kind == "italic"
                    and c == ord("_")
                    and at(i + 1) == ord("_")
                    and at(i + 2) == ord("_")
                )
                or (kind == "underline" and c == ord("_") and at(i + 1) == ord("_"))
                or (kind == "strikethrough" and c == ord("~"))
                or (kind == "spoiler" and c == ord("|") and at(i + 1) == ord("|"))
                or (kind in ("text_link", "custom_emoji") and c == ord("]"))
                or (kind == "code" and c == ord("`"))
                or (kind == "pre" and data[i : i + 3] == b"```")
            )
            if closes:
                stack.pop()
                i += {"underline": 2, "spoiler": 2, "pre": 3}.get(kind, 1)
                argument = top["argument"]
                if kind in ("text_link", "custom_emoji"):
                    url = ""
                    if at(i) == ord("("):
                        j = i + 1
                        raw = bytearray()
                        while j < n and data[j] != ord(")"):
                            if data[j] == ord("\\") and 0 < at(j + 1) <= 126:
                                j += 1
                            raw.append(data[j])
                            j += 1
                        if j >= n:
                            raise EntityParseError(
                                f"Can't find end of a url at byte offset {i + 1}"
                            )
                        url = raw.decode("utf-8", "replace")
                        i = j + 1
                    argument = url
                length = utf16 - top["offset"]
                if length <= 0:
                    continue
                entity: dict = {"type": kind, "offset": top["offset"], "length": length}
                if kind == "text_link":
                    checked = check_link(argument or out[top["out"] :].decode("utf-8", "replace"))
                    if checked is None:
                        continue
                    entity["url"] = checked
                elif kind == "custom_emoji":
                    m = re.fullmatch(r"tg://emoji\?id=(\d+)", argument)
                    if not m:
                        raise EntityParseError("Custom emoji URL must have an emoji identifier")
                    entity["custom_emoji_id"] = m.group(1)
                elif kind == "pre" and argument:
                    entity["language"] = argument
                entities.append(entity)
                continue

        # start of an entity
        begin = i
        argument = ""
        if c == ord("_"):
            kind = "underline" if at(i + 1) == ord("_") else "italic"
            i += 2 if kind == "underline" else 1
        elif c == ord("*"):
            kind, i = "bold", i + 1
        elif c == ord("~"):
            kind, i = "strikethrough", i + 1
        elif c == ord("|") and at(i + 1) == ord("|"):
            kind, i = "spoiler", i + 2
        elif c == ord("["):
            kind, i = "text_link", i + 1
        elif c == ord("!") and at(i + 1) == ord("["):
            kind, i = "custom_emoji", i + 2
        elif c == ord("`"):
            if data[i : i + 3] == b"```":
                kind = "pre"
                i += 3
                m = re.match(rb"([^\s`]+)\n", data[i:])
                if m:
                    argument = m.group(1).decode("utf-8", "replace")
                    i += m.end()
                elif at(i) == ord("\n"):
                    i += 1
            else:
                kind, i = "code", i + 1
        else:
            raise EntityParseError(
                f"Character '{chr(c)}' is reserved and must be escaped with the preceding '\\'"
            )
        stack.append(
            {"type": kind, "offset": utf16, "byte": begin, "argument": argument, "out": len(out)}
        )

    if stack:
        top = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_V2_NAMES[top['type']]} entity at byte offset {top['byte']}"
        )
    if quote_start is not None and utf16 > quote_start:
        entities.append(
            {"type": "blockquote", "offset": quote_start, "length": utf16 - quote_start}
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.decode("utf-8", "replace"), entities
