"""typed settings; no schema change

The untyped settings side channel and the unused table of settings were Python code (storefront/config.py),
never database tables, so this revision changes nothing in the schema. It stays in the chain because later
revisions follow it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
