"""every change of an upload's state, with its reason and time

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_STATES = ("awaiting", "validating", "ready", "rejected", "failed", "replaced")


def upgrade() -> None:
    op.create_table(
        "upload_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(*_STATES, name="uploadstatus", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(*_STATES, name="uploadstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["uploads.id"],
            name=op.f("fk_upload_transitions_upload_id_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_transitions")),
    )
    op.create_index(
        op.f("ix_upload_transitions_upload_id"), "upload_transitions", ["upload_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_upload_transitions_upload_id"), table_name="upload_transitions")
    op.drop_table("upload_transitions")
