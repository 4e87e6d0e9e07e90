"""A local stand-in for the Telegram Bot API, for driving the real PTB Application in tests.

Import it as ``from telegram_standin import BotApiStandin`` (pytest puts ``tests/`` on
``sys.path`` because ``tests/`` has no ``__init__.py``).
"""

from .html_entities import EntityParseError, parse_html, utf16_len
from .server import DEFAULT_TOKEN, ApiError, BotApiStandin, Call

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotApiStandin",
    "Call",
    "EntityParseError",
    "parse_html",
    "utf16_len",
]
