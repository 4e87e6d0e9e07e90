"""Alembic revisions (alembic skips this file when it scans the folder)."""
