"""media: renditions, album archives, track analyses and preview policies

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_STATUS = ("waiting", "processing", "ready", "failed")


def _status() -> sa.Enum:
    return sa.Enum(*_STATUS, name="mediastatus", native_enum=False, length=16)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "renditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("status", _status(), nullable=False),
        sa.Column("inputs", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        *_timestamps(),
        _fk("renditions", "release_id", "releases"),
        _fk("renditions", "track_id", "tracks"),
        _fk("renditions", "upload_id", "uploads"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renditions")),
        sa.UniqueConstraint("upload_id", "format", name=op.f("uq_renditions_upload_id_format")),
    )
    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_renditions_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_renditions_track_id"), ["track_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_renditions_upload_id"), ["upload_id"], unique=False)

    op.create_table(
        "album_archives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("status", _status(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        *_timestamps(),
        _fk("album_archives", "release_id", "releases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_album_archives")),
        sa.UniqueConstraint("release_id", "format", name=op.f("uq_album_archives_release_id_format")),
    )
    with op.batch_alter_table("album_archives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_album_archives_release_id"), ["release_id"], unique=False)

    op.create_table(
        "track_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("loudness_lufs", sa.Double(), nullable=True),
        sa.Column("true_peak_dbtp", sa.Double(), nullable=True),
        sa.Column("sample_peak_dbfs", sa.Double(), nullable=True),
        sa.Column("duration_seconds", sa.Double(), nullable=False),
        sa.Column("peaks", sa.JSON(), nullable=False),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        _fk("track_analyses", "track_id", "tracks"),
        _fk("track_analyses", "upload_id", "uploads"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_track_analyses")),
        sa.UniqueConstraint("upload_id", name=op.f("uq_track_analyses_upload_id")),
    )
    with op.batch_alter_table("track_analyses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_track_analyses_track_id"), ["track_id"], unique=False)

    op.create_table(
        "preview_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode", sa.Enum("full", "clip", name="previewmode", native_enum=False, length=16), nullable=False
        ),
        sa.Column("clip_start", sa.Double(), nullable=False),
        sa.Column("clip_length", sa.Double(), nullable=False),
        sa.Column("updated_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        _fk("preview_policies", "release_id", "releases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preview_policies")),
        sa.UniqueConstraint("release_id", name=op.f("uq_preview_policies_release_id")),
    )


def downgrade() -> None:
    op.drop_table("preview_policies")
    with op.batch_alter_table("track_analyses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_track_analyses_track_id"))
    op.drop_table("track_analyses")
    with op.batch_alter_table("album_archives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_album_archives_release_id"))
    op.drop_table("album_archives")
    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_renditions_upload_id"))
        batch_op.drop_index(batch_op.f("ix_renditions_track_id"))
        batch_op.drop_index(batch_op.f("ix_renditions_release_id"))
    op.drop_table("renditions")
