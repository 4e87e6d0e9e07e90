"""Officials added from Telegram and the area each citizen picked: the rows, in the caller's session."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.models import CitizenArea, Official


def _insert(session: Session, model):
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def official_areas(session: Session, user_id: int) -> list[str] | None:
    """The area codes of an official added from Telegram ([] = the whole province); None if the
    user is not one."""
    areas = session.execute(select(Official.areas).where(Official.user_id == user_id)).scalar()
    if areas is None:
        return None
    return json.loads(areas) if areas else []


def add_official(
    session: Session, user_id: int, areas: list[str], *, added_by: int | None, now: datetime
) -> None:
    value = json.dumps(sorted(set(areas))) if areas else ""
    session.execute(
        _insert(session, Official)
        .values(user_id=user_id, areas=value, added_by=added_by, created_at=now)
        .on_conflict_do_update(index_elements=["user_id"], set_={"areas": value})
    )


def remove_official(session: Session, user_id: int) -> bool:
    return session.execute(delete(Official).where(Official.user_id == user_id)).rowcount > 0


def list_officials(session: Session) -> list[tuple[int, list[str]]]:
    rows = session.execute(select(Official.user_id, Official.areas).order_by(Official.user_id))
    return [(user_id, json.loads(areas) if areas else []) for user_id, areas in rows]


def set_citizen_area(session: Session, chat_id: int, code: str, *, now: datetime) -> None:
    session.execute(
        _insert(session, CitizenArea)
        .values(chat_id=chat_id, area_code=code, updated_at=now)
        .on_conflict_do_update(
            index_elements=["chat_id"], set_={"area_code": code, "updated_at": now}
        )
    )


def citizen_area(session: Session, chat_id: int) -> str | None:
    return session.execute(
        select(CitizenArea.area_code).where(CitizenArea.chat_id == chat_id)
    ).scalar()
