"""FAQ audit trail and the handled marks of the /hoc queue.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

faqchange: every edit of faq/ made by the bot or the CLI (who, when, what).
taughtquestion: questions of the /hoc queue an admin dealt with (variant, new entry or skip).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "faqchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=256), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=128), nullable=True),
        sa.Column("file", sa.String(length=256), nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faqchange")),
    )
    op.create_index("ix_faqchange_created_at", "faqchange", ["created_at"])
    op.create_index(op.f("ix_faqchange_entry_id"), "faqchange", ["entry_id"])

    op.create_table(
        "taughtquestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answered_entry_id", sa.String(length=128), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=128), nullable=True),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"], ["faqchange.id"], name=op.f("fk_taughtquestion_change_id_faqchange")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taughtquestion")),
        sa.UniqueConstraint("key", name="uq_taughtquestion_key"),
    )


def downgrade() -> None:
    op.drop_table("taughtquestion")
    op.drop_table("faqchange")
