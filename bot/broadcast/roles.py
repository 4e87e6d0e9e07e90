"""Officials managed from Telegram and the area each citizen picked.

OFFICIAL_IDS and ADMIN_IDS stay as the bootstrap: they are province-level officials. An
official added with /quanlycanbo may be scoped to areas and then reaches only their citizens.
Each function is one transaction; the rows are read and written in bot/storage/officials.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.db import in_session
from bot.storage import officials as store

PROVINCE = None  # the scope of a province-level official: every citizen


def official_scope(
    engine: Engine, settings: Settings, user_id: int | None
) -> tuple[bool, list[str] | None]:
    """(is an official, areas they reach; None = the whole province)."""
    if user_id is None:
        return False, None
    if settings.is_official(user_id):
        return True, PROVINCE
    codes = in_session(engine, store.official_areas, user_id)
    if codes is None:
        return False, None
    return True, (codes or PROVINCE)


def add_official(
    engine: Engine, user_id: int, areas: list[str], *, added_by: int | None, now: datetime
) -> None:
    in_session(engine, store.add_official, user_id, areas, added_by=added_by, now=now)


def remove_official(engine: Engine, user_id: int) -> bool:
    return in_session(engine, store.remove_official, user_id)


def list_officials(engine: Engine) -> list[tuple[int, list[str]]]:
    return in_session(engine, store.list_officials)


def set_citizen_area(engine: Engine, chat_id: int, code: str, *, now: datetime) -> None:
    in_session(engine, store.set_citizen_area, chat_id, code, now=now)


def citizen_area(engine: Engine, chat_id: int) -> str | None:
    return in_session(engine, store.citizen_area, chat_id)
