"""human-made attestations and labels' attestation requirements

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_attestation_requirements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("require_embodied", sa.Boolean(), nullable=False),
        sa.Column("updated_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["labels.id"],
            name=op.f("fk_label_attestation_requirements_label_id_labels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_label_attestation_requirements_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_attestation_requirements")),
        sa.UniqueConstraint("label_id", name=op.f("uq_label_attestation_requirements_label_id")),
    )
    op.create_table(
        "attestations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("document_json", sa.Text(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("signature_alg", sa.String(length=16), nullable=False),
        sa.Column("signature_kid", sa.String(length=32), nullable=False),
        sa.Column("signature_value", sa.String(length=128), nullable=False),
        sa.Column("signer_user_id", sa.Integer(), nullable=True),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("private_salt", sa.String(length=32), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=True),
        sa.Column("label_countersigner_id", sa.Integer(), nullable=True),
        sa.Column("label_countersigned_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("label_countersignature", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["label_countersigner_id"],
            ["users.id"],
            name=op.f("fk_attestations_label_countersigner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["label_id"], ["labels.id"], name=op.f("fk_attestations_label_id_labels"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_attestations_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signer_user_id"],
            ["users.id"],
            name=op.f("fk_attestations_signer_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestations")),
        sa.UniqueConstraint("document_sha256", name=op.f("uq_attestations_document_sha256")),
    )
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attestations_label_id"), ["label_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attestations_release_id"), ["release_id"], unique=False)
        batch_op.create_index("ix_attestations_release_signed", ["release_id", "signed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.drop_index("ix_attestations_release_signed")
        batch_op.drop_index(batch_op.f("ix_attestations_release_id"))
        batch_op.drop_index(batch_op.f("ix_attestations_label_id"))
    op.drop_table("attestations")
    op.drop_table("label_attestation_requirements")
