"""The keys of an FAQ entry and their canonical plain values: what an edit compares and writes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from bot.faq_admin.edit_outcomes import FaqEditError
from bot.knowledge.faq_files import FaqLink
from bot.texts import validation as texts

# Canonical key order of an entry; new keys are placed by it.
ENTRY_KEYS = (
    "id",
    "question",
    "variants",
    "keywords",
    "answer",
    "links",
    "related",
    "sources",
    "checked",
)
EDITABLE_KEYS = frozenset(ENTRY_KEYS) - {"id"}
STRING_LISTS = frozenset({"variants", "keywords", "related", "sources"})
FLOW_LISTS = frozenset({"keywords", "related"})  # written [a, b] like the curated files
MAX_VARIANT_LENGTH = 300
# Words left out of generated ids: they say nothing about the topic.
ID_FILLER = frozenset(
    "lam sao the nao de toi minh co khong gi la va thi duoc nhu muon hoi cho em anh chi a oi "
    "nhe vay ha roi nhi voi bi ak ah".split()
)
_DAY_PATTERN = re.compile(r"^(\d{4}-\d{2})-\d{2}$")


# --- plain values -------------------------------------------------------------------------


def clean_line(text: Any) -> str:
    """One line of text with collapsed whitespace (a citizen's question as a variant)."""
    return " ".join(str(text or "").split())


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def text_value(value: Any) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def canonical_checked(value: Any) -> str | None:
    """`checked` as YYYY-MM when it is a date or a day; other text as is (the loader judges it)."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return f"{value:%Y-%m}"
    text = str(value).strip()
    day = _DAY_PATTERN.match(text)
    return day.group(1) if day else (text or None)


def _link(value: Any) -> FaqLink:
    if isinstance(value, FaqLink):
        return FaqLink(text_value(value.text), text_value(value.url))
    if isinstance(value, Mapping):
        return FaqLink(text_value(value.get("text")), text_value(value.get("url")))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return FaqLink(text_value(value[0]), text_value(value[1]))
    return FaqLink(text_value(value), "")


def canonical_value(key: str, value: Any) -> Any:
    """The form two values of `key` are compared in: what the bot would make of them."""
    if key in STRING_LISTS:
        return [text for text in (text_value(item) for item in _as_list(value)) if text]
    if key == "links":
        return [_link(item) for item in _as_list(value)]
    if key == "checked":
        return canonical_checked(value)
    return text_value(value)


def normalize_fields(fields: Mapping[str, Any], *, allow_id: bool = False) -> dict[str, Any]:
    allowed = EDITABLE_KEYS | ({"id"} if allow_id else set())
    unknown = set(fields) - allowed
    if unknown:
        raise FaqEditError(texts.EDIT_FIELDS_UNKNOWN.format(fields=", ".join(sorted(unknown))))
    return {key: canonical_value(key, value) for key, value in fields.items()}
