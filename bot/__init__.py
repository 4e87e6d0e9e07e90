"""Công Dân Số Bot: FAQ matching, Telegram bot, broadcasts and scheduled notices."""

__version__ = "0.1.0"
