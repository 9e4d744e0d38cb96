"""artists' dashboard and fan mailing: plays per track per day, artists' messages to fans and their
deliveries, and the fans' choice of artists' messages

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "track_play_days",
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_track_play_days_track_id_tracks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("track_id", "day", name=op.f("pk_track_play_days")),
    )
    op.create_table(
        "artist_mailings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_artist_mailings_artist_id_artists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_artist_mailings_author_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artist_mailings")),
    )
    with op.batch_alter_table("artist_mailings", schema=None) as batch_op:
        batch_op.create_index("ix_artist_mailings_artist_created", ["artist_id", "created_at"], unique=False)

    op.create_table(
        "artist_mailing_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailing_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mailing_id"],
            ["artist_mailings.id"],
            name=op.f("fk_artist_mailing_deliveries_mailing_id_artist_mailings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_artist_mailing_deliveries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artist_mailing_deliveries")),
        sa.UniqueConstraint(
            "mailing_id", "user_id", name=op.f("uq_artist_mailing_deliveries_mailing_id_user_id")
        ),
    )
    with op.batch_alter_table("artist_mailing_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_artist_mailing_deliveries_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("fan_mail_preferences", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("artist_messages", sa.Boolean(), server_default=sa.text("true"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("fan_mail_preferences", schema=None) as batch_op:
        batch_op.drop_column("artist_messages")
    # Indexes go with their tables.
    for table in ("artist_mailing_deliveries", "artist_mailings", "track_play_days"):
        op.drop_table(table)
