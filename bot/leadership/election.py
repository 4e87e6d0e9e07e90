"""One leader across replicas.

`LeaderElection` decides which replica runs the outbox sender and the notice scheduler. On
PostgreSQL it holds a session-level advisory lock on a dedicated connection: followers try to
take it every `retry_interval` seconds, the leader checks on every `heartbeat_interval` (and as
soon as its socket becomes readable, which is how a terminated session announces itself) that
it still holds it. When the connection dies the leader demotes itself at once; PostgreSQL drops
the lock with the session (kill -9 of the process closes the socket), so a follower takes over
within about one retry interval. On SQLite there is one process, and it always leads.

The advisory lock needs a real session: point DATABASE_URL at PostgreSQL itself, or at a
pooler in session mode, never at a transaction-mode pooler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import psycopg

from bot.config import DEFAULT_LEADER_LOCK_KEY
from bot.leadership.advisory_locks import (
    CLIENT_KEEPALIVES,
    LeadershipLost,
    application_name,
    postgres_conninfo,
)
from bot.storage import locks

log = logging.getLogger(__name__)
T = TypeVar("T")

Callback = Callable[[], Awaitable[None]]


class LeaderElection:
    """Elect one leader among the replicas sharing a database.

    Timing: a leader cut off from the server (no FIN, no RST) stops being the leader within
    heartbeat_interval + query_timeout (2 + 3 s by default): is_leader turns False, then
    on_demoted runs. The server's keepalives drop that session after about 6 s of silence, and
    only then can a follower take the lock.

    `on_elected` runs once this replica becomes the leader (start the sender and scheduler),
    `on_demoted` once it stops being one (stop them): both are awaited, in order, from the
    election task. `start()` returns at once; `stop()` demotes (awaiting `on_demoted`) and
    releases the lock, so a follower can take over immediately.
    """

    def __init__(
        self,
        database_url: str,
        *,
        key: int = DEFAULT_LEADER_LOCK_KEY,
        on_elected: Callback | None = None,
        on_demoted: Callback | None = None,
        retry_interval: float = 2.0,
        heartbeat_interval: float = 2.0,
        query_timeout: float = 3.0,
        connect_timeout: int = 5,
    ) -> None:
        self._conninfo = postgres_conninfo(database_url)
        self.key = key
        locks.lock_key_parts(key)  # refused at once if pg_locks cannot show it
        self.on_elected = on_elected
        self.on_demoted = on_demoted
        self.retry_interval = retry_interval
        self.heartbeat_interval = heartbeat_interval
        self.query_timeout = query_timeout
        self.connect_timeout = connect_timeout
        self._leader = False
        self._stopping = False
        self._wake = asyncio.Event()
        self._started = False
        self._task: asyncio.Task[None] | None = None
        self._conn: psycopg.AsyncConnection | None = None
        self._cleanups: set[asyncio.Task[None]] = set()
        self._failing = False

    @property
    def is_leader(self) -> bool:
        return self._leader

    @property
    def uses_postgres(self) -> bool:
        return self._conninfo is not None

    async def start(self) -> None:
        if self._started:
            raise RuntimeError("LeaderElection.start() called twice")
        self._started = True
        self._stopping = False
        if self._conninfo is None:
            await self._promote()  # SQLite: one process, always the leader
            return
        self._task = asyncio.create_task(self._run(), name="leader-election")

    async def stop(self, timeout: float = 15.0) -> None:
        """Demote (awaiting on_demoted), release the lock and close the connection."""
        if not self._started:
            return
        self._started = False
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is None:  # SQLite
            await self._demote("stopping")
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            log.warning("leader election did not stop within %.0f s; cancelling it", timeout)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self._demote("stopping")
            await self._close()

    # -- the election loop (PostgreSQL) -------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._stopping:
                try:
                    await self._step()
                    if self._failing:
                        log.info("leader election: database reachable again")
                        self._failing = False
                except Exception as error:  # connection trouble: start over on a new connection
                    await self._connection_lost(error)
                if self._stopping:
                    break
                if self._leader:
                    await self._sleep(self.heartbeat_interval, watch=True)
                else:
                    await self._sleep(self.retry_interval, watch=False)
        finally:
            await self._shutdown()

    async def _step(self) -> None:
        conn = self._conn
        if conn is None or conn.closed:
            conn = self._conn = await self._connect()
        if not self._leader:
            if await self._bounded(conn, locks.try_lock_async(conn, self.key)):
                log.info("elected leader (advisory lock %d)", self.key)
                if not await self._promote():
                    await self._unlock()
        elif not await self._bounded(conn, locks.holds_lock_async(conn, self.key)):
            raise LeadershipLost(f"advisory lock {self.key} is no longer held by this session")

    async def _connect(self) -> psycopg.AsyncConnection:
        assert self._conninfo is not None
        conn = await asyncio.wait_for(
            psycopg.AsyncConnection.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=self.connect_timeout,
                application_name=application_name("dcbot-leader"),
                **CLIENT_KEEPALIVES,
            ),
            self.connect_timeout + self.query_timeout,
        )
        self._conn = conn
        await self._bounded(conn, locks.prepare_session_async(conn))
        return conn

    async def _bounded(self, conn: psycopg.AsyncConnection, query: Coroutine[Any, Any, T]) -> T:
        """Await a query on `conn` (a coroutine of bot/storage/locks.py), at most
        `query_timeout` seconds.

        On a timeout the connection is abandoned at once: cancelling psycopg's query makes it
        send a cancel request and wait for it, which over a dead link takes far longer than
        we may wait before demoting. That clean-up finishes in the background.
        """
        task = asyncio.create_task(query)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.query_timeout)
        except asyncio.CancelledError:
            self._abandon(conn, task)
            raise
        if task in done:
            return task.result()
        self._abandon(conn, task)
        raise TimeoutError(f"no answer from the database within {self.query_timeout:g} s")

    def _abandon(self, conn: psycopg.AsyncConnection, task: asyncio.Task[Any]) -> None:
        if self._conn is conn:
            self._conn = None

        async def discard() -> None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            with contextlib.suppress(Exception):
                await conn.close()

        cleanup = asyncio.create_task(discard(), name="leader-connection-cleanup")
        self._cleanups.add(cleanup)
        cleanup.add_done_callback(self._cleanups.discard)

    async def _connection_lost(self, error: BaseException) -> None:
        reason = f"{type(error).__name__}: {error}".strip()
        await self._close()
        if self._leader:
            log.warning("leader connection lost, demoting: %s", reason)
            await self._demote(reason)
        elif not self._failing:
            log.warning("leader election: database unavailable, retrying: %s", reason)
        else:
            log.debug("leader election: still unavailable: %s", reason)
        self._failing = True

    async def _sleep(self, seconds: float, *, watch: bool) -> None:
        """Wait `seconds`, or less if stop() is called or (leader) the socket turns readable.

        psycopg registers its own reader while a query runs, so ours is only there between
        queries: a FATAL message or EOF from the server then wakes the heartbeat at once.
        """
        if self._stopping:
            return
        self._wake.clear()
        loop = asyncio.get_running_loop()
        fd: int | None = None
        if watch and self._conn is not None and not self._conn.closed:
            try:
                fd = self._conn.fileno()
                loop.add_reader(fd, self._wake.set)
            except (NotImplementedError, ValueError, OSError, psycopg.Error):
                fd = None
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), seconds)
        finally:
            if fd is not None:
                loop.remove_reader(fd)

    async def _unlock(self) -> None:
        conn = self._conn
        if conn is None or conn.closed:
            return
        try:
            await self._bounded(conn, locks.unlock_async(conn, self.key))
        except Exception as error:
            log.debug("could not release advisory lock %d: %s", self.key, error)
            await self._close()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _shutdown(self) -> None:
        if self._leader:
            await self._demote("stopping")
        await self._unlock()
        await self._close()
        for cleanup in list(self._cleanups):
            cleanup.cancel()
        await asyncio.gather(*self._cleanups, return_exceptions=True)

    # -- state changes ------------------------------------------------------------------------

    async def _promote(self) -> bool:
        self._leader = True
        if self.on_elected is None:
            return True
        try:
            await self.on_elected()
            return True
        except Exception:
            log.exception("on_elected failed; giving leadership up")
            await self._demote("on_elected failed")
            return False

    async def _demote(self, reason: str) -> None:
        if not self._leader:
            return
        self._leader = False  # first: nothing may treat us as leader while on_demoted runs
        log.info("no longer leader (%s)", reason)
        if self.on_demoted is None:
            return
        try:
            await self.on_demoted()
        except Exception:
            log.exception("on_demoted failed")
