"""One long-polling process per database.

`SingleInstanceGuard` refuses a second long-polling process on the same database (Telegram
would answer both with 409 Conflict): an advisory lock on PostgreSQL, an fcntl lock file next to
the database file on SQLite.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from pathlib import Path
from typing import IO

import psycopg
from sqlalchemy.engine import make_url

from bot.config import POLLING_LOCK_KEY
from bot.leadership.advisory_locks import (
    CLIENT_KEEPALIVES,
    LeadershipLost,
    application_name,
    describe_holder,
    postgres_conninfo,
)
from bot.storage import locks

log = logging.getLogger(__name__)


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
        locks.lock_key_parts(key)  # refused at once if pg_locks cannot show it
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
                    locks.unlock(self._conn, self.key)
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
            application_name=application_name("dcbot-polling"),
            **CLIENT_KEEPALIVES,
        )
        locks.prepare_session(conn)
        return conn

    def _try_lock(self, conn: psycopg.Connection) -> str | None:
        """Take the lock on `conn`; None on success, else a description of the holder."""
        if locks.try_lock(conn, self.key):
            return None
        return describe_holder(locks.lock_holder(conn, self.key))

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
                        if not locks.holds_lock(self._conn, self.key):
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
