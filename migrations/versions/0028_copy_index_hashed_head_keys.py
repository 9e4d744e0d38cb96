"""screening: copy index keys start with the hashed head, so each stride's keys lie in a range of their own

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from storefront.screening.copies.rebuild import fill

    op.execute(sa.text("DELETE FROM copy_index_entries"))
    fill(op.get_bind())


def downgrade() -> None:
    # As in 0027: the earlier keys are not kept, the index is left empty, and `flask copy-index` run with
    # the earlier revision's code fills it again.
    op.execute(sa.text("DELETE FROM copy_index_entries"))
