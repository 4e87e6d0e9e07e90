"""Migrations: idempotent, in step with the models, safe when processes start at once."""

from __future__ import annotations

import threading

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel, select

from bot.db import (
    alembic_config,
    create_db_engine,
    database_revision,
    session_scope,
    upgrade_database,
)
from bot.models import Campaign, Delivery, DeliveryStatus, User


def head_revision(engine) -> str:
    with engine.connect() as connection:
        return ScriptDirectory.from_config(alembic_config(connection)).get_current_head()


def test_upgrade_is_idempotent_and_reports_revision(database_url):
    engine = create_db_engine(database_url)
    assert database_revision(engine) is None
    upgrade_database(engine)
    upgrade_database(engine)
    assert database_revision(engine) == head_revision(engine) is not None
    assert set(inspect(engine).get_table_names()) >= set(SQLModel.metadata.tables)
    engine.dispose()


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_downgrade_then_upgrade_again(engine):
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert database_revision(engine) is None
    assert "user" not in inspect(engine).get_table_names()
    upgrade_database(engine)
    assert database_revision(engine) == head_revision(engine)


def test_constraints_are_named(engine):
    inspector = inspect(engine)
    assert inspector.get_foreign_keys("delivery")[0]["name"] == "fk_delivery_campaign_id_campaign"
    unique_names = {uc["name"] for uc in inspector.get_unique_constraints("feedback")}
    assert unique_names == {"uq_feedback_chat_entry"}
    if engine.dialect.name == "postgresql":  # SQLite does not report primary key names
        assert inspector.get_pk_constraint("user")["name"] == "pk_user"


def test_chat_ids_beyond_32_bits_and_enum_defaults(engine):
    supergroup = -1001234567890
    with session_scope(engine) as session:
        session.add(User(chat_id=supergroup, first_name="Nhóm"))
        campaign = Campaign(topic="events", text="x")
        session.add(campaign)
        session.flush()
        session.add(Delivery(campaign_id=campaign.id, chat_id=supergroup))
    with session_scope(engine) as session:
        assert session.get(User, supergroup).first_name == "Nhóm"
        delivery = session.exec(select(Delivery)).one()
        assert delivery.chat_id == supergroup
        assert delivery.status == DeliveryStatus.PENDING.value


def test_concurrent_upgrades_do_not_collide(database_url):
    """Two processes starting at once: one migrates, the other waits and finds it done."""
    engines = [create_db_engine(database_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def start(engine) -> None:
        barrier.wait()
        try:
            upgrade_database(engine)
        except BaseException as error:  # reported below, with the thread's traceback lost
            errors.append(error)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert database_revision(engines[0]) == head_revision(engines[0])
    for engine in engines:
        engine.dispose()
