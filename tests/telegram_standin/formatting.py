"""Text handling around the HTML parser: Telegram's trimming of message text, and the entities
Telegram detects by itself (commands, mentions, hashtags, links). The bot sends HTML only, so
the Markdown parse modes are not modelled (the stand-in answers "unsupported parse_mode").

Everything counts in UTF-16 code units, as the Bot API does.
"""

from __future__ import annotations

import re

from .html_entities import utf16_len

__all__ = [
    "detect_entities",
    "merge_detected",
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
