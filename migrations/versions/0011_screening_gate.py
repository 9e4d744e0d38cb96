"""screening state gates submission and approval

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("curator_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("upload_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_screening_overrides_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["curator_id"],
            ["users.id"],
            name=op.f("fk_screening_overrides_curator_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_overrides")),
    )
    op.create_index(
        op.f("ix_screening_overrides_release_id"), "screening_overrides", ["release_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_screening_overrides_release_id"), table_name="screening_overrides")
    op.drop_table("screening_overrides")
