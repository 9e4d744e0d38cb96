"""the copy index: fingerprint sub-values of the masters in force, filled from the stored fingerprints

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-14 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "copy_index_entries",
        sa.Column("fingerprint_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fingerprint_id"],
            ["fingerprints.id"],
            name=op.f("fk_copy_index_entries_fingerprint_id_fingerprints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fingerprint_id", "position", name=op.f("pk_copy_index_entries")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_copy_index_entries_value", "copy_index_entries", ["value", "fingerprint_id", "position"]
    )
    # The fingerprints already stored, so screening misses nothing from the first upload on.
    from storefront.screening.copies.rebuild import fill

    fill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_copy_index_entries_value", table_name="copy_index_entries")
    op.drop_table("copy_index_entries")
