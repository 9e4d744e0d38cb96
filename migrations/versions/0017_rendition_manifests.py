"""signed rendition manifest entries: one per file the platform delivers

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-14 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manifest_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=True),
        sa.Column("track_position", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("audio_md5", sa.String(length=32), nullable=True),
        sa.Column("document_json", sa.Text(), nullable=False),
        sa.Column("signature_alg", sa.String(length=16), nullable=False),
        sa.Column("signature_kid", sa.String(length=32), nullable=False),
        sa.Column("signature_value", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_manifest_entries_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifest_entries")),
        sa.UniqueConstraint("release_id", "identity", name=op.f("uq_manifest_entries_release_id_identity")),
    )
    op.create_index(op.f("ix_manifest_entries_sha256"), "manifest_entries", ["sha256"], unique=False)
    op.create_index(op.f("ix_manifest_entries_audio_md5"), "manifest_entries", ["audio_md5"], unique=False)
    op.create_index("ix_manifest_entries_release_id_id", "manifest_entries", ["release_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_manifest_entries_release_id_id", table_name="manifest_entries")
    op.drop_index(op.f("ix_manifest_entries_audio_md5"), table_name="manifest_entries")
    op.drop_index(op.f("ix_manifest_entries_sha256"), table_name="manifest_entries")
    op.drop_table("manifest_entries")
