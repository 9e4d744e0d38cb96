"""fans: download codes in batches, wishlists, follows, mail preferences, new-release notices, and
extra header fields on outbound mail (List-Unsubscribe)

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fan_mail_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("new_releases", sa.Boolean(), nullable=False),
        sa.Column("changed_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_fan_mail_preferences_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_fan_mail_preferences")),
    )
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=True),
        sa.Column("label_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(artist_id IS NULL) <> (label_id IS NULL)", name=op.f("ck_follows_one_subject")),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artists.id"], name=op.f("fk_follows_artist_id_artists"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["label_id"], ["labels.id"], name=op.f("fk_follows_label_id_labels"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("user_id", "artist_id", name=op.f("uq_follows_user_id_artist_id")),
        sa.UniqueConstraint("user_id", "label_id", name=op.f("uq_follows_user_id_label_id")),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index("ix_follows_artist_user", ["artist_id", "user_id"], unique=False)
        batch_op.create_index("ix_follows_label_user", ["label_id", "user_id"], unique=False)

    op.create_table(
        "code_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_code_batches_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_code_batches_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_batches")),
    )
    with op.batch_alter_table("code_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_code_batches_release_id"), ["release_id"], unique=False)

    op.create_table(
        "release_announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_announcements_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_release_announcements_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_announcements")),
        sa.UniqueConstraint(
            "release_id", "user_id", name=op.f("uq_release_announcements_release_id_user_id")
        ),
    )
    with op.batch_alter_table("release_announcements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_release_announcements_user_id"), ["user_id"], unique=False)

    op.create_table(
        "wishlist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("added_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_wishlist_items_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_wishlist_items_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wishlist_items")),
        sa.UniqueConstraint("user_id", "release_id", name=op.f("uq_wishlist_items_user_id_release_id")),
    )
    with op.batch_alter_table("wishlist_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wishlist_items_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wishlist_items_user_id"), ["user_id"], unique=False)

    op.create_table(
        "download_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("lookup", sa.String(length=64), nullable=False),
        sa.Column("redeemed_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("redeemed_by_id", sa.Integer(), nullable=True),
        sa.Column("entitlement_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["code_batches.id"],
            name=op.f("fk_download_codes_batch_id_code_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_download_codes_entitlement_id_entitlements"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["redeemed_by_id"],
            ["users.id"],
            name=op.f("fk_download_codes_redeemed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_download_codes")),
        sa.UniqueConstraint("lookup", name=op.f("uq_download_codes_lookup")),
    )
    with op.batch_alter_table("download_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_download_codes_batch_id"), ["batch_id"], unique=False)

    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_column("headers")
    # Indexes go with their tables.
    for table in (
        "download_codes",
        "wishlist_items",
        "release_announcements",
        "code_batches",
        "follows",
        "fan_mail_preferences",
    ):
        op.drop_table(table)
