"""curation records, entitlements, artist identity, and the AI-training choice of each release

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_at", storefront.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("verified_by", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("verified_detail", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("website_url", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("website_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hold_reason", sa.String(length=300), nullable=True))
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ai_training_opt_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("ai_training_terms", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "refund_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("payment_reference", sa.String(length=120), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum("requested", "refunded", "failed", name="refundstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("gateway_reference", sa.String(length=120), nullable=True),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"], name=op.f("fk_refund_requests_buyer_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_refund_requests_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_requests")),
    )
    with op.batch_alter_table("refund_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refund_requests_release_id"), ["release_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "generative_ai",
                "not_own_work",
                "impersonation",
                "metadata",
                "audio_quality",
                "other",
                name="reasoncode",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "resolved", "dismissed", name="reportstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_reports_release_id_releases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name=op.f("fk_reports_reporter_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_reports_resolved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_reporter_id"), ["reporter_id"], unique=False)

    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "approve",
                "request_changes",
                "reject",
                "take_down",
                "reinstate",
                name="decision",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Enum(
                "generative_ai",
                "not_own_work",
                "impersonation",
                "metadata",
                "audio_quality",
                "other",
                name="reasoncode",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_review_decisions_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_review_decisions_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
    )
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_decisions_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_review_decisions_release_created", ["release_id", "created_at"], unique=False
        )

    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("appellant_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "upheld", "overturned", name="appealstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appellant_id"], ["users.id"], name=op.f("fk_appeals_appellant_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_appeals_decided_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["review_decisions.id"],
            name=op.f("fk_appeals_decision_id_review_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_appeals_release_id_releases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_release_id"), ["release_id"], unique=False)

    op.create_table(
        "entitlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column(
            "source",
            sa.Enum("purchase", "code", "gift", name="entitlementsource", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("payment_reference", sa.String(length=120), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_entitlements_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_entitlements_track_id_tracks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_entitlements_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlements")),
    )
    with op.batch_alter_table("entitlements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entitlements_release_id"), ["release_id"], unique=False)
        batch_op.create_index("ix_entitlements_user_release", ["user_id", "release_id"], unique=False)
        batch_op.create_index(
            "uq_entitlements_purchase",
            ["user_id", "release_id", "track_id", "source"],
            unique=True,
            postgresql_where=sa.text("revoked_at IS NULL"),
            sqlite_where=sa.text("revoked_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("artists", schema=None) as batch_op:
        for column in (
            "hold_reason",
            "website_token",
            "website_url",
            "verified_detail",
            "verified_by",
            "verified_at",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_column("ai_training_terms")
        batch_op.drop_column("ai_training_opt_in")
    with op.batch_alter_table("entitlements", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_entitlements_purchase",
            postgresql_where=sa.text("revoked_at IS NULL"),
            sqlite_where=sa.text("revoked_at IS NULL"),
        )
        batch_op.drop_index("ix_entitlements_user_release")
        batch_op.drop_index(batch_op.f("ix_entitlements_release_id"))

    op.drop_table("entitlements")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_release_id"))

    op.drop_table("appeals")
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_review_decisions_release_created")
        batch_op.drop_index(batch_op.f("ix_review_decisions_created_at"))

    op.drop_table("review_decisions")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_reports_release_id"))

    op.drop_table("reports")
    with op.batch_alter_table("refund_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refund_requests_release_id"))

    op.drop_table("refund_requests")
