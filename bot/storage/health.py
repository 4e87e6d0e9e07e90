"""The readiness probe's one query."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


def ping(session: Session) -> None:
    """`SELECT 1`: the database answers."""
    session.execute(text("SELECT 1"))
