"""Alembic environment: runs on the connection that `bot.db` hands over (no alembic.ini).

A new revision is written the same way, e.g.
    with engine.begin() as connection:
        command.revision(alembic_config(connection), "add x", autogenerate=True)
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from bot import models  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if context.is_offline_mode() or connection is None:
    raise RuntimeError("Migrations run on a live connection: use bot.db.upgrade_database()")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite cannot ALTER most things; batch mode recreates the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
