"""Engine, sessions and migrations: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlmodel import Session, create_engine

T = TypeVar("T")
log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# pg_advisory_xact_lock key shared by every process of the bot ("dcbot" in ASCII).
MIGRATION_LOCK_KEY = 0x6463626F74


SQLITE_BUSY_TIMEOUT_MS = 30_000


def _ensure_wal(cursor) -> None:
    """Switch the file to WAL (persistent, so once per file) and wait out a concurrent switch.

    Changing the journal mode needs an exclusive lock and SQLite answers "database is locked"
    at once, without the busy handler, when another connection holds one: retry instead.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def create_db_engine(database_url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and its parent directory created."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_pre_ping=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            _ensure_wal(cursor)
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


async def run_in_session(
    engine: Engine, work: Callable[..., T], /, *args: object, **kwargs: object
) -> T:
    """Run `work(session, *args, **kwargs)` in one transaction, in a worker thread, so the
    event loop (replies to citizens) never waits on the database."""

    return await asyncio.to_thread(in_session, engine, work, *args, **kwargs)


def in_session(engine: Engine, work: Callable[..., T], /, *args: object, **kwargs: object) -> T:
    """`work(session, *args, **kwargs)` in one transaction (CLI, tests, worker threads)."""
    with session_scope(engine) as session:
        return work(session, *args, **kwargs)


def database_unavailable(error: BaseException) -> bool:
    """The database could not be reached or dropped the connection (worth retrying)."""
    if isinstance(error, DisconnectionError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error.orig, sqlite3.Error):  # SQLite calls nearly everything OperationalError
        message = str(error.orig).lower()
        return any(part in message for part in ("locked", "busy", "unable to open", "disk i/o"))
    # psycopg: OperationalError is the server gone or refusing; SQL mistakes are other classes
    return type(error.orig).__name__ in ("OperationalError", "InterfaceError")


async def retry_while_unavailable(
    function: Callable[..., T],
    /,
    *args: object,
    first_delay: float = 0.5,
    max_delay: float = 5.0,
    **kwargs: object,
) -> T:
    """`function(*args, **kwargs)` in a worker thread, retried until the database answers.

    For a write that must not be lost, e.g. that Telegram accepted a message. Only errors that
    mean "database unavailable" are retried; anything else propagates, and so does
    cancellation.
    """
    delay = first_delay
    failures = 0
    while True:
        try:
            result = await asyncio.to_thread(function, *args, **kwargs)
        except Exception as error:
            if not database_unavailable(error):
                raise
            failures += 1
            if failures == 1:
                log.warning(
                    "%s: database unavailable, retrying until it answers: %s",
                    getattr(function, "__name__", "write"),
                    str(error).strip().splitlines()[0] if str(error).strip() else error,
                )
            await asyncio.sleep(delay)
            delay = min(max_delay, delay * 2)
            continue
        if failures:
            log.info(
                "%s succeeded after %d attempts", getattr(function, "__name__", "write"), failures
            )
        return result


def alembic_config(connection: Connection) -> Config:
    """An alembic config for the packaged migrations, running on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_database(engine: Engine) -> None:
    """Apply every alembic migration up to head in one transaction (idempotent).

    Processes starting at once queue on a lock, so only the first one migrates.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Released by the commit below; alembic reads the version only once we hold it.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        elif is_sqlite(engine):
            # pysqlite opens no transaction before DDL: take the write lock ourselves.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        command.upgrade(alembic_config(connection), "head")
        connection.commit()


def database_revision(engine: Engine) -> str | None:
    """The alembic revision the database is at, or None if it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
