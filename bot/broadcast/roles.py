"""Officials managed from Telegram and the area each citizen picked (storage).

OFFICIAL_IDS and ADMIN_IDS stay as the bootstrap: they are province-level officials. An
official added with /quanlycanbo may be scoped to areas and then reaches only their citizens.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.models import CitizenArea, Official

PROVINCE = None  # the scope of a province-level official: every citizen


def _insert(engine: Engine, model):
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(model)


def official_scope(
    engine: Engine, settings: Settings, user_id: int | None
) -> tuple[bool, list[str] | None]:
    """(is an official, areas they reach; None = the whole province)."""
    if user_id is None:
        return False, None
    if settings.is_official(user_id):
        return True, PROVINCE
    with engine.connect() as connection:
        areas = connection.execute(
            select(Official.areas).where(Official.user_id == user_id)
        ).scalar()
    if areas is None:
        return False, None
    codes = json.loads(areas) if areas else []
    return True, (codes or PROVINCE)


def add_official(
    engine: Engine, user_id: int, areas: list[str], *, added_by: int | None, now: datetime
) -> None:
    value = json.dumps(sorted(set(areas))) if areas else ""
    with engine.begin() as connection:
        connection.execute(
            _insert(engine, Official)
            .values(user_id=user_id, areas=value, added_by=added_by, created_at=now)
            .on_conflict_do_update(index_elements=["user_id"], set_={"areas": value})
        )


def remove_official(engine: Engine, user_id: int) -> bool:
    with engine.begin() as connection:
        return connection.execute(delete(Official).where(Official.user_id == user_id)).rowcount > 0


def list_officials(engine: Engine) -> list[tuple[int, list[str]]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Official.user_id, Official.areas).order_by(Official.user_id)
        )
        return [(user_id, json.loads(areas) if areas else []) for user_id, areas in rows]


def set_citizen_area(engine: Engine, chat_id: int, code: str, *, now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            _insert(engine, CitizenArea)
            .values(chat_id=chat_id, area_code=code, updated_at=now)
            .on_conflict_do_update(
                index_elements=["chat_id"], set_={"area_code": code, "updated_at": now}
            )
        )


def citizen_area(engine: Engine, chat_id: int) -> str | None:
    with engine.connect() as connection:
        return connection.execute(
            select(CitizenArea.area_code).where(CitizenArea.chat_id == chat_id)
        ).scalar()
