"""pre-orders: tracks available at once, and the release-day pass's record of releases handled and buyers
(accounts or guests' orders) told

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("instant_grat", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    op.create_table(
        "release_day_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_release_day_notices_message_id_outbound_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_release_day_notices_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_day_notices_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_release_day_notices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_day_notices")),
        sa.UniqueConstraint(
            "release_id", "order_id", name=op.f("uq_release_day_notices_release_id_order_id")
        ),
        sa.UniqueConstraint("release_id", "user_id", name=op.f("uq_release_day_notices_release_id_user_id")),
    )
    with op.batch_alter_table("release_day_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_release_day_notices_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_release_day_notices_user_id"), ["user_id"], unique=False)

    op.create_table(
        "release_day_runs",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=False),
        sa.Column("buyers_told", sa.Integer(), nullable=False),
        sa.Column("done_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_day_runs_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_release_day_runs")),
    )


def downgrade() -> None:
    op.drop_table("release_day_runs")
    with op.batch_alter_table("release_day_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_day_notices_user_id"))
        batch_op.drop_index(batch_op.f("ix_release_day_notices_order_id"))
    op.drop_table("release_day_notices")
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.drop_column("instant_grat")
