"""who may approve; verification held on rename

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("labels") as batch:
        batch.add_column(sa.Column("verified_at", storefront.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("trusted_to_approve", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("labels") as batch:
        batch.drop_column("trusted_to_approve")
        batch.drop_column("verified_at")
