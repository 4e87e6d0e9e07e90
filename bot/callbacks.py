"""Callback data of every inline button, built and parsed only here.

Short (Telegram allows 64 bytes), and led by a prefix that names the kind of button, which
is also what each `CallbackQueryHandler` pattern matches.
"""

from __future__ import annotations

# Patterns, one per kind of button (and one per handler).
NAVIGATION = r"^(menu|cat|faq):"
FEEDBACK = r"^fb:"
SUBSCRIPTION = r"^sub:"
DELETE = r"^del:"
HANDOFF = r"^hand:"
TICKET = r"^tk:close:"
TEACH = r"^hoc:"

MENU = "menu:cats"
DELETE_YES = "del:yes"
DELETE_NO = "del:no"
HANDOFF_NEW = "hand:new"


def category(key: str) -> str:
    return f"cat:{key}"


def question(entry_id: str) -> str:
    return f"faq:{entry_id}"


def feedback(entry_id: str, up: bool) -> str:
    return f"fb:{entry_id}:{'up' if up else 'down'}"


def parse_feedback(data: str) -> tuple[str, bool] | None:
    """(entry id, up) of a 👍/👎 button, or None."""
    kind, _, rest = data.partition(":")
    entry_id, _, vote = rest.rpartition(":")
    if kind != "fb" or not entry_id or vote not in ("up", "down"):
        return None
    return entry_id, vote == "up"


def subscription(topic: str, on: bool) -> str:
    return f"sub:{'on' if on else 'off'}:{topic}"


def parse_subscription(data: str) -> tuple[str, bool] | None:
    """(topic word, on) of a settings toggle or an opt-out button, or None."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != "sub" or parts[1] not in ("on", "off"):
        return None
    return parts[2], parts[1] == "on"


def handoff_question(question_id: int) -> str:
    return f"hand:q:{question_id}"


def handoff_after_feedback(entry_id: str) -> str:
    return f"hand:fb:{entry_id}"


def handoff_end(ticket_id: int) -> str:
    return f"hand:end:{ticket_id}"


def ticket_close(ticket_id: int) -> str:
    return f"tk:close:{ticket_id}"


def teach_variant(key: str, candidate: int) -> str:
    return f"hoc:v:{key}:{candidate}"


def teach_new(key: str) -> str:
    return f"hoc:n:{key}"


def teach_category(key: str, category_index: int) -> str:
    return f"hoc:c:{key}:{category_index}"


def teach_skip(key: str) -> str:
    return f"hoc:s:{key}"
