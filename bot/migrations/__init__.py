"""Alembic environment shipped with the package; run it through `bot.db.upgrade_database`."""
