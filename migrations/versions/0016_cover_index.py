"""a partial index of ready artwork, for the catalog listings' cover check

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-12 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_READY_ARTWORK = "kind = 'artwork' AND status = 'ready'"


def upgrade() -> None:
    op.create_index(
        "ix_uploads_ready_artwork",
        "uploads",
        ["release_id"],
        postgresql_where=sa.text(_READY_ARTWORK),
        sqlite_where=sa.text(_READY_ARTWORK),
    )


def downgrade() -> None:
    op.drop_index("ix_uploads_ready_artwork", table_name="uploads")
