"""media: private listening links, expiring and revocable, found by the SHA-256 of their token

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listening_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=120), nullable=False),
        sa.Column("lookup", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_listening_links_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_listening_links_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_links")),
        sa.UniqueConstraint("lookup", name=op.f("uq_listening_links_lookup")),
    )
    with op.batch_alter_table("listening_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listening_links_release_id"), ["release_id"], unique=False)


def downgrade() -> None:
    op.drop_table("listening_links")
