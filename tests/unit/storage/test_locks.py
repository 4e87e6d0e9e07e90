"""Advisory-lock queries on a real PostgreSQL: one holder per key, seen in pg_locks, released."""

from __future__ import annotations

import psycopg
import pytest

from bot.config import DEFAULT_LEADER_LOCK_KEY, POLLING_LOCK_KEY
from bot.db import MIGRATION_LOCK_KEY
from bot.leadership.advisory_locks import application_name, postgres_conninfo
from bot.storage import locks

postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
KEY = -0x1234_5678_9ABC  # negative: the high half shows as an unsigned classid


def test_lock_keys_are_distinct_and_map_to_pg_locks_columns() -> None:
    assert len({DEFAULT_LEADER_LOCK_KEY, POLLING_LOCK_KEY, MIGRATION_LOCK_KEY}) == 3
    assert locks.lock_key_parts(0x0000000500000007) == (5, 7)
    assert locks.lock_key_parts(-1) == (0xFFFFFFFF, 0xFFFFFFFF)
    with pytest.raises(ValueError):
        locks.lock_key_parts(2**63)


def connect(database_url: str, role: str) -> psycopg.Connection:
    return psycopg.connect(
        postgres_conninfo(database_url), autocommit=True, application_name=application_name(role)
    )


@postgres_only
def test_one_session_holds_a_key_and_the_other_sees_who(database_url: str) -> None:
    with connect(database_url, "first") as first, connect(database_url, "second") as second:
        locks.prepare_session(first)
        assert first.execute("SHOW tcp_keepalives_idle").fetchone()[0] == "3"
        assert first.execute("SHOW tcp_user_timeout").fetchone()[0] == "6000"
        assert locks.lock_holder(second, KEY) is None
        assert locks.try_lock(first, KEY)
        assert locks.holds_lock(first, KEY)
        assert not locks.try_lock(second, KEY)
        assert not locks.holds_lock(second, KEY)
        pid, name, _address = locks.lock_holder(second, KEY)
        assert pid == first.info.backend_pid and name.startswith("first pid=")
        assert not locks.unlock(second, KEY)  # not its lock
        assert locks.unlock(first, KEY)
        assert not locks.holds_lock(first, KEY)
        assert locks.try_lock(second, KEY)
        assert locks.unlock(second, KEY)


@postgres_only
async def test_the_asyncio_queries_do_the_same(database_url: str) -> None:
    conninfo = postgres_conninfo(database_url)
    async with (
        await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as first,
        await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as second,
    ):
        await locks.prepare_session_async(first)
        cursor = await first.execute("SHOW tcp_keepalives_count")
        assert (await cursor.fetchone())[0] == "3"
        assert await locks.try_lock_async(first, KEY)
        assert await locks.holds_lock_async(first, KEY)
        assert not await locks.try_lock_async(second, KEY)
        assert not await locks.holds_lock_async(second, KEY)
        assert await locks.unlock_async(first, KEY)
        assert await locks.try_lock_async(second, KEY)
        assert await locks.unlock_async(second, KEY)
