"""One leader across replicas, and one polling process per database.

`LeaderElection` decides which replica runs the outbox sender and the notice scheduler. On
PostgreSQL it holds a session-level advisory lock on a dedicated connection: followers try to
take it every `retry_interval` seconds, the leader checks on every `heartbeat_interval` (and as
soon as its socket becomes readable, which is how a terminated session announces itself) that
it still holds it. When the connection dies the leader demotes itself at once; PostgreSQL drops
the lock with the session (kill -9 of the process closes the socket), so a follower takes over
within about one retry interval. On SQLite there is one process, and it always leads.

The advisory lock needs a real session: point DATABASE_URL at PostgreSQL itself, or at a
pooler in session mode, never at a transaction-mode pooler.

`SingleInstanceGuard` refuses a second long-polling process on the same database (Telegram
would answer both with 409 Conflict): an advisory lock on PostgreSQL, an fcntl lock file next to
the database file on SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

import psycopg
from sqlalchemy.engine import make_url

from bot.config import DEFAULT_LEADER_LOCK_KEY, POLLING_LOCK_KEY

log = logging.getLogger(__name__)

Callback = Callable[[], Awaitable[None]]

# Server-side keepalives for our own session: PostgreSQL notices a vanished client (power loss,
# network partition: no FIN, no RST) within about 3 + 1 * 3 s and drops the lock with it.
_SESSION_SETUP = (
    "SET tcp_keepalives_idle = 3",
    "SET tcp_keepalives_interval = 1",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 6000",
)
# The same on the client side, so a leader cut off from the server notices as well.
_CLIENT_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 3,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 6000,
}
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


def postgres_conninfo(database_url: str) -> str | None:
    """The libpq URI for a SQLAlchemy PostgreSQL URL, or None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _application_name(role: str) -> str:
    # NAMEDATALEN: PostgreSQL keeps 63 bytes of application_name.
    return f"{role} pid={os.getpid()} host={socket.gethostname()}"[:63]


def _describe_holder(row: tuple[Any, ...] | None) -> str:
    if row is None:
        return "holder not visible"
    pid, application_name, client_addr = row
    parts = [f"backend pid {pid}"]
    if application_name:
        parts.append(f"application {application_name!r}")
    if client_addr:
        parts.append(f"from {client_addr}")
    return ", ".join(parts)


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
        self._key_parts = lock_key_parts(key)
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
            if await self._query_bool(conn, "SELECT pg_try_advisory_lock(%s)", (self.key,)):
                log.info("elected leader (advisory lock %d)", self.key)
                if not await self._promote():
                    await self._unlock()
        elif not await self._query_bool(conn, _HOLDS_LOCK, self._key_parts):
            raise LeadershipLost(f"advisory lock {self.key} is no longer held by this session")

    async def _connect(self) -> psycopg.AsyncConnection:
        assert self._conninfo is not None
        conn = await asyncio.wait_for(
            psycopg.AsyncConnection.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=self.connect_timeout,
                application_name=_application_name("dcbot-leader"),
                **_CLIENT_KEEPALIVES,
            ),
            self.connect_timeout + self.query_timeout,
        )
        self._conn = conn
        for statement in _SESSION_SETUP:
            await self._query_bool(conn, statement)
        return conn

    async def _query_bool(
        self, conn: psycopg.AsyncConnection, sql: str, params: tuple[Any, ...] | None = None
    ) -> bool:
        """Run a one-value query, at most `query_timeout` seconds.

        On a timeout the connection is abandoned at once: cancelling psycopg's query makes it
        send a cancel request and wait for it, which over a dead link takes far longer than
        we may wait before demoting. That clean-up finishes in the background.
        """

        async def run() -> bool:
            cursor = await conn.execute(sql, params)
            if cursor.description is None:  # SET and the like
                return True
            row = await cursor.fetchone()
            return bool(row and row[0])

        task = asyncio.create_task(run())
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
            await self._query_bool(conn, "SELECT pg_advisory_unlock(%s)", (self.key,))
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


class LeadershipLost(RuntimeError):
    """The session is alive but no longer holds the advisory lock."""


class AlreadyRunningError(RuntimeError):
    """Another process already polls Telegram with this database; the message says which."""


class SingleInstanceGuard:
    """Refuse a second long-polling process on the same database.

    `acquire()` raises AlreadyRunningError (English message, fit to print) when another
    process holds the guard. Connection errors from PostgreSQL propagate unchanged
    (psycopg.OperationalError). On PostgreSQL a daemon thread checks the lock every
    `keepalive_interval` seconds and takes it again after the database comes back.
    """

    def __init__(
        self,
        database_url: str,
        *,
        key: int = POLLING_LOCK_KEY,
        lock_path: Path | None = None,
        keepalive_interval: float = 5.0,
        connect_timeout: int = 5,
    ) -> None:
        self.database_url = database_url
        self.key = key
        self._key_parts = lock_key_parts(key)
        self._conninfo = postgres_conninfo(database_url)
        self.lock_path = lock_path if lock_path is not None else self._default_lock_path()
        self.keepalive_interval = keepalive_interval
        self.connect_timeout = connect_timeout
        self._conn: psycopg.Connection | None = None
        self._file: IO[str] | None = None
        self._held = False
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None
        self._mutex = threading.Lock()

    def _default_lock_path(self) -> Path | None:
        if self._conninfo is not None:
            return None
        database = make_url(self.database_url).database
        if not database or database == ":memory:":
            return None
        path = Path(database)
        return path.with_name(path.name + ".polling.lock")

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self) -> None:
        if self._held:
            return
        if self._conninfo is not None:
            self._acquire_postgres()
        elif self.lock_path is not None:
            self._acquire_file(self.lock_path)
        else:
            log.debug("in-memory SQLite: no other process can share it, no polling guard needed")
        self._held = True

    def release(self) -> None:
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join(self.keepalive_interval + self.connect_timeout + 5)
            self._keeper = None
        with self._mutex:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None
            if self._file is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
                self._file.close()
                self._file = None
        self._held = False

    def __enter__(self) -> SingleInstanceGuard:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    # -- PostgreSQL ---------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection:
        assert self._conninfo is not None
        conn = psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=self.connect_timeout,
            application_name=_application_name("dcbot-polling"),
            **_CLIENT_KEEPALIVES,
        )
        for statement in _SESSION_SETUP:
            conn.execute(statement)
        return conn

    def _try_lock(self, conn: psycopg.Connection) -> str | None:
        """Take the lock on `conn`; None on success, else a description of the holder."""
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if row and row[0]:
            return None
        return _describe_holder(conn.execute(_LOCK_HOLDER, self._key_parts).fetchone())

    def _conflict(self, where: str, holder: str) -> AlreadyRunningError:
        message = (
            f"Another dcbot process is already polling Telegram with this database ({where}; "
            f"{holder}). Telegram allows one getUpdates consumer per bot, so a second one would "
            "fail with 409 Conflict. Stop the other process, or run several replicas in webhook "
            "mode (set WEBHOOK_URL)."
        )
        log.error("%s", message)
        return AlreadyRunningError(message)

    def _where(self) -> str:
        url = make_url(self.database_url)
        return f"PostgreSQL {url.host or 'localhost'}:{url.port or 5432}/{url.database}, advisory lock {self.key}"

    def _acquire_postgres(self) -> None:
        conn = self._connect()
        try:
            holder = self._try_lock(conn)
        except BaseException:
            conn.close()
            raise
        if holder is not None:
            conn.close()
            raise self._conflict(self._where(), holder)
        self._conn = conn
        self._stop.clear()
        self._keeper = threading.Thread(target=self._keep, name="polling-guard", daemon=True)
        self._keeper.start()
        log.info("polling guard held (%s)", self._where())

    def _pause(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when asked to stop.

        Short sleeps, not Event.wait(timeout): a timed wait on a lock never wakes when the
        process runs under libfaketime (as CI does), while sleep does.
        """
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(left, 0.05))
        return True

    def _keep(self) -> None:
        """Check the lock now and then; after a database outage take it again."""
        lost = False
        while not self._pause(self.keepalive_interval):
            with self._mutex:
                if self._stop.is_set():
                    return
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = self._connect()
                        holder = self._try_lock(self._conn)
                        if holder is not None:
                            log.error(
                                "polling guard: another process took the lock while the "
                                "database was unavailable (%s); two pollers may now conflict",
                                holder,
                            )
                            self._conn.close()
                            self._conn = None
                            continue
                        log.info("polling guard held again after the database came back")
                        lost = False
                    else:
                        row = self._conn.execute(_HOLDS_LOCK, self._key_parts).fetchone()
                        if not (row and row[0]):
                            raise LeadershipLost("polling lock no longer held")
                except Exception as error:
                    if not lost:
                        log.warning("polling guard lost its database session: %s", error)
                        lost = True
                    if self._conn is not None:
                        with contextlib.suppress(Exception):
                            self._conn.close()
                        self._conn = None

    # -- SQLite -------------------------------------------------------------------------------

    def _acquire_file(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip()
            handle.close()
            holder = f"pid {pid}" if pid else "pid unknown"
            raise self._conflict(f"lock file {path}", holder) from None
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        log.info("polling guard held (lock file %s)", path)
