"""PostgreSQL session-level advisory locks on a dedicated psycopg connection (autocommit).

The leader election holds its lock on an asyncio connection, the polling guard on a blocking
one, each for the process lifetime: the `*_async` functions take a `psycopg.AsyncConnection`,
the others a `psycopg.Connection`. Each function is one round trip.
"""

from __future__ import annotations

from typing import Any

import psycopg

# Server-side keepalives for our own session: PostgreSQL notices a vanished client (power loss,
# network partition: no FIN, no RST) within about 3 + 1 * 3 s and drops the lock with it.
_SESSION_SETUP = (
    "SET tcp_keepalives_idle = 3; SET tcp_keepalives_interval = 1;"
    " SET tcp_keepalives_count = 3; SET tcp_user_timeout = 6000"
)
_TRY_LOCK = "SELECT pg_try_advisory_lock(%s)"
_UNLOCK = "SELECT pg_advisory_unlock(%s)"
_HOLDS_LOCK = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid::int8 = %s AND objid::int8 = %s AND objsubid = 1)"
)
_LOCK_HOLDER = (
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


def _flag(row: tuple[Any, ...] | None) -> bool:
    return bool(row and row[0])


# -- blocking connection (the polling guard) ---------------------------------------------------


def prepare_session(conn: psycopg.Connection) -> None:
    """Server-side keepalives, so the server drops a vanished holder's lock within seconds."""
    conn.execute(_SESSION_SETUP)


def try_lock(conn: psycopg.Connection, key: int) -> bool:
    """Take the lock for this session if no other session holds it."""
    return _flag(conn.execute(_TRY_LOCK, (key,)).fetchone())


def holds_lock(conn: psycopg.Connection, key: int) -> bool:
    """This session still holds the lock (pg_locks, not our own bookkeeping)."""
    return _flag(conn.execute(_HOLDS_LOCK, lock_key_parts(key)).fetchone())


def lock_holder(conn: psycopg.Connection, key: int) -> tuple[Any, ...] | None:
    """(backend pid, application name, client address) of the session holding the lock."""
    return conn.execute(_LOCK_HOLDER, lock_key_parts(key)).fetchone()


def unlock(conn: psycopg.Connection, key: int) -> bool:
    return _flag(conn.execute(_UNLOCK, (key,)).fetchone())


# -- asyncio connection (the leader election) --------------------------------------------------


async def prepare_session_async(conn: psycopg.AsyncConnection) -> None:
    await conn.execute(_SESSION_SETUP)


async def try_lock_async(conn: psycopg.AsyncConnection, key: int) -> bool:
    cursor = await conn.execute(_TRY_LOCK, (key,))
    return _flag(await cursor.fetchone())


async def holds_lock_async(conn: psycopg.AsyncConnection, key: int) -> bool:
    cursor = await conn.execute(_HOLDS_LOCK, lock_key_parts(key))
    return _flag(await cursor.fetchone())


async def unlock_async(conn: psycopg.AsyncConnection, key: int) -> bool:
    cursor = await conn.execute(_UNLOCK, (key,))
    return _flag(await cursor.fetchone())
