"""catalog listings read indexes: public releases newest first, artists newest first

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-11 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.create_index("ix_releases_status_approved", ["status", "approved_at", "id"], unique=False)
    with op.batch_alter_table("artists", schema=None) as batch_op:
        batch_op.create_index("ix_artists_created", ["created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("artists", schema=None) as batch_op:
        batch_op.drop_index("ix_artists_created")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_index("ix_releases_status_approved")
