"""Compatibility names for official.py and background.py until the broadcast branch lands.

The texts themselves live in bot/texts/; delete this module once nothing imports it.
"""

from __future__ import annotations

from bot.texts.admins import NO_PERMISSION, SCHEDULE_EDIT_REJECTED
from bot.texts.citizens import TOPIC_NAMES

__all__ = ["NO_PERMISSION", "SCHEDULE_EDIT_REJECTED", "TOPIC_NAMES"]
