"""Replica load: messages per second each replica sends outside the outbox sender.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "replicaload",
        sa.Column("replica_id", sa.String(length=64), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("replica_id", name=op.f("pk_replicaload")),
    )
    op.create_index(op.f("ix_replicaload_updated_at"), "replicaload", ["updated_at"])


def downgrade() -> None:
    op.drop_table("replicaload")
