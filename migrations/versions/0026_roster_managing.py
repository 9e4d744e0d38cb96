"""accounts: a label's staff manage a roster artist's releases once the artist agrees

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roster_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("label_manages", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("manage_proposed_at", storefront.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("roster_links", schema=None) as batch_op:
        batch_op.drop_column("manage_proposed_at")
        batch_op.drop_column("label_manages")
