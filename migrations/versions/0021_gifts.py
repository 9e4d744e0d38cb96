"""gifts: cart lines bought for someone else, and the gifts of paid order lines with their claim links

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cart_gifts",
        sa.Column("cart_item_id", sa.Integer(), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["cart_item_id"],
            ["cart_items.id"],
            name=op.f("fk_cart_gifts_cart_item_id_cart_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cart_item_id", name=op.f("pk_cart_gifts")),
    )
    op.create_table(
        "gifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=True),
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sent",
                "claimed",
                "refunded",
                "withdrawn",
                name="giftstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("times_sent", sa.Integer(), nullable=False),
        sa.Column("sent_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("entitlement_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"], ["users.id"], name=op.f("fk_gifts_claimed_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_gifts_entitlement_id_entitlements"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["giver_id"], ["users.id"], name=op.f("fk_gifts_giver_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_gifts_order_line_id_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gifts")),
        sa.UniqueConstraint("order_line_id", name=op.f("uq_gifts_order_line_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_gifts_token_hash")),
    )
    with op.batch_alter_table("gifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gifts_giver_id"), ["giver_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gifts_giver_id"))

    op.drop_table("gifts")
    op.drop_table("cart_gifts")
