"""first windows on releases, and fans' choice to show their collection

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_window_until", sa.Date(), nullable=True))

    op.create_table(
        "collection_sharing",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("changed_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_collection_sharing_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_collection_sharing")),
        sa.UniqueConstraint("slug", name=op.f("uq_collection_sharing_slug")),
    )


def downgrade() -> None:
    op.drop_table("collection_sharing")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_column("first_window_until")
