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

_BATCH = 1000


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
    _fill()


def _fill() -> None:
    """Index the fingerprints already stored, so screening misses nothing from the first upload on."""
    from storefront.screening.copies.upkeep import index_rows
    from storefront.screening.models import ALGORITHM

    bind = op.get_bind()
    prints = sa.table(
        "fingerprints", sa.column("id"), sa.column("upload_id"), sa.column("data"), sa.column("algorithm")
    )
    uploads = sa.table("uploads", sa.column("id"), sa.column("status"))
    entries = sa.table(
        "copy_index_entries", sa.column("fingerprint_id"), sa.column("position"), sa.column("value")
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(prints.c.id, prints.c.data)
            .join(uploads, uploads.c.id == prints.c.upload_id)
            .where(uploads.c.status == "ready", prints.c.algorithm == ALGORITHM, prints.c.id > last)
            .order_by(prints.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        found = [entry for row in rows for entry in index_rows(row.id, row.data)]
        if found:
            bind.execute(entries.insert(), found)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_copy_index_entries_value", table_name="copy_index_entries")
    op.drop_table("copy_index_entries")
