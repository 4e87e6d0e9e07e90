"""Broadcast v2: drafts, media, urgent lane, schedules, recall and edit, areas and officials.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Self-contained: new tables, plus one column on `delivery` (`priority`, default 0) so the
sender can claim urgent rows first without a join.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "campaignextra",
        sa.Column("campaign_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("media", sa.Text(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("areas", sa.String(length=2048), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaignextra_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaignextra")),
    )
    op.create_index(op.f("ix_campaignextra_scheduled_at"), "campaignextra", ["scheduled_at"])

    op.create_table(
        "deliveryextra",
        sa.Column("delivery_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("message_ids", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_deliveryextra_delivery_id_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_deliveryextra")),
    )

    op.create_table(
        "campaignaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("unique_key", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("progress_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_campaignaction_campaign_id_campaign")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaignaction")),
    )
    op.create_index(op.f("ix_campaignaction_campaign_id"), "campaignaction", ["campaign_id"])
    op.create_index(op.f("ix_campaignaction_status"), "campaignaction", ["status"])
    op.create_index(
        op.f("ix_campaignaction_unique_key"), "campaignaction", ["unique_key"], unique=True
    )

    op.create_table(
        "actionitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_ids", sa.String(length=512), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["campaignaction.id"],
            name=op.f("fk_actionitem_action_id_campaignaction"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["delivery.id"], name=op.f("fk_actionitem_delivery_id_delivery")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actionitem")),
        sa.UniqueConstraint("action_id", "delivery_id", name="uq_actionitem_action_delivery"),
    )
    op.create_index(op.f("ix_actionitem_action_id"), "actionitem", ["action_id"])
    op.create_index("ix_actionitem_status_not_before", "actionitem", ["status", "not_before"])

    op.create_table(
        "official",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("areas", sa.String(length=2048), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_official")),
    )

    op.create_table(
        "citizenarea",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("area_code", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["user.chat_id"],
            name=op.f("fk_citizenarea_chat_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_citizenarea")),
    )
    op.create_index(op.f("ix_citizenarea_area_code"), "citizenarea", ["area_code"])


def downgrade() -> None:
    for table in (
        "citizenarea",
        "official",
        "actionitem",
        "campaignaction",
        "deliveryextra",
        "campaignextra",
    ):
        op.drop_table(table)
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("priority")
