"""screening results per file and the catalog's acoustic fingerprints

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column(
            "check",
            sa.Enum(
                "c2pa",
                "metadata",
                "fingerprint",
                "content_farm",
                "detector",
                name="screeningcheck",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "verdict",
            sa.Enum(
                "pass",
                "info",
                "note",
                "flag",
                "reject",
                "unavailable",
                name="screeningverdict",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum("none", "low", "medium", "high", name="severity", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_screening_results_artist_id_artists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_screening_results_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["uploads.id"],
            name=op.f("fk_screening_results_upload_id_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_results")),
        sa.UniqueConstraint("upload_id", "check", name=op.f("uq_screening_results_upload_id_check")),
    )
    with op.batch_alter_table("screening_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_results_artist_id"), ["artist_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_screening_results_release_id"), ["release_id"], unique=False)

    op.create_table(
        "fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("algorithm", sa.String(length=40), nullable=False),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artists.id"], name=op.f("fk_fingerprints_artist_id_artists"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_fingerprints_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_fingerprints_track_id_tracks"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["uploads.id"], name=op.f("fk_fingerprints_upload_id_uploads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fingerprints")),
        sa.UniqueConstraint("upload_id", name=op.f("uq_fingerprints_upload_id")),
    )
    with op.batch_alter_table("fingerprints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fingerprints_artist_id"), ["artist_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fingerprints_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fingerprints_track_id"), ["track_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fingerprints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fingerprints_track_id"))
        batch_op.drop_index(batch_op.f("ix_fingerprints_release_id"))
        batch_op.drop_index(batch_op.f("ix_fingerprints_artist_id"))

    op.drop_table("fingerprints")
    with op.batch_alter_table("screening_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_results_release_id"))
        batch_op.drop_index(batch_op.f("ix_screening_results_artist_id"))

    op.drop_table("screening_results")
