"""PostgreSQL advisory-lock plumbing shared by the leader election and the polling guard.

Session and client keepalives, the queries that check and describe a lock's holder, and the
key and connection-string conversions.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from sqlalchemy.engine import make_url

# Server-side keepalives for our own session: PostgreSQL notices a vanished client (power loss,
# network partition: no FIN, no RST) within about 3 + 1 * 3 s and drops the lock with it.
SESSION_SETUP = (
    "SET tcp_keepalives_idle = 3",
    "SET tcp_keepalives_interval = 1",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 6000",
)
# The same on the client side, so a leader cut off from the server notices as well.
CLIENT_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 3,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 6000,
}
HOLDS_LOCK = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid::int8 = %s AND objid::int8 = %s AND objsubid = 1)"
)
LOCK_HOLDER = (
    "SELECT a.pid, a.application_name, host(a.client_addr) FROM pg_locks l"
    " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
    " AND l.classid::int8 = %s AND l.objid::int8 = %s AND l.objsubid = 1 LIMIT 1"
)


def lock_key_parts(key: int) -> tuple[int, int]:
    """How pg_locks shows a bigint advisory key: (classid, objid) = (high, low) 32 bits."""
    if not -(2**63) <= key < 2**63:
        raise ValueError(f"advisory lock key {key} does not fit a signed 64-bit integer")
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF


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
