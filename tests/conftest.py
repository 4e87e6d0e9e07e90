"""Shared fixtures: every database test runs on SQLite and on a throwaway PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from bot.db import create_db_engine, upgrade_database

from pg_cluster import POSTGRES_ADMIN_URL, PrivateCluster, private_cluster_running
from telegram_standin import BotApiStandin


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the admin database; skips when PostgreSQL is not running."""
    url = make_url(POSTGRES_ADMIN_URL)
    admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect():
            pass
    except OperationalError as error:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {url.host}:{url.port or 5432}: {error}")
    yield admin
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """URL of an empty database: a SQLite file, or a fresh PostgreSQL database dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dcbot.sqlite3'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = f"dcbot_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head."""
    engine = create_db_engine(database_url)
    upgrade_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    """A fresh Bot API stand-in on a free local port."""
    server = BotApiStandin()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    """A private PostgreSQL cluster (tests/pg_cluster.py) that a test may stop and start."""
    with private_cluster_running() as cluster:
        yield cluster
