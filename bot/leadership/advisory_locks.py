"""PostgreSQL advisory-lock plumbing shared by the leader election and the polling guard.

Client keepalives, the connection string, the application name a holder shows and how a holder
is described; the lock queries themselves are in bot/storage/locks.py.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from sqlalchemy.engine import make_url

# Client-side keepalives (the server side is set by bot/storage/locks.py's prepare_session),
# so a leader cut off from the server notices as well.
CLIENT_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 3,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 6000,
}


def postgres_conninfo(database_url: str) -> str | None:
    """The libpq URI for a SQLAlchemy PostgreSQL URL, or None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def application_name(role: str) -> str:
    # NAMEDATALEN: PostgreSQL keeps 63 bytes of application_name.
    return f"{role} pid={os.getpid()} host={socket.gethostname()}"[:63]


def describe_holder(row: tuple[Any, ...] | None) -> str:
    if row is None:
        return "holder not visible"
    pid, application_name, client_addr = row
    parts = [f"backend pid {pid}"]
    if application_name:
        parts.append(f"application {application_name!r}")
    if client_addr:
        parts.append(f"from {client_addr}")
    return ", ".join(parts)


class LeadershipLost(RuntimeError):
    """The session is alive but no longer holds the advisory lock."""
