"""screening: copy index keys carry the following item's top bits, so the index is built again

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from storefront.screening.copies.rebuild import fill

    op.execute(sa.text("DELETE FROM copy_index_entries"))
    fill(op.get_bind())


def downgrade() -> None:
    # The keys of the earlier revision are not kept here: its index is left empty, and
    # `flask copy-index` run with that revision's code fills it again.
    op.execute(sa.text("DELETE FROM copy_index_entries"))
