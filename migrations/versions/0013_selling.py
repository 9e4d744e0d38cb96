"""selling: carts, orders, ledger, payees, transfers, payment events

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=120), nullable=False),
        sa.Column("gateway", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("object_id", sa.String(length=120), nullable=False),
        sa.Column("account", sa.String(length=120), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("received_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_payment_events_event_id")),
    )
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_events_object_id"), ["object_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_events_type"), ["type"], unique=False)

    op.create_table(
        "sandbox_objects",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=160), nullable=True),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_objects")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sandbox_objects_idempotency_key")),
    )
    with op.batch_alter_table("sandbox_objects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sandbox_objects_kind"), ["kind"], unique=False)

    op.create_table(
        "carts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_carts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts")),
        sa.UniqueConstraint("token", name=op.f("uq_carts_token")),
        sa.UniqueConstraint("user_id", name=op.f("uq_carts_user_id")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_minor", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "processing",
                "paid",
                "failed",
                "expired",
                name="orderstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("status_changed_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("gateway", sa.String(length=16), nullable=False),
        sa.Column("checkout_session_id", sa.String(length=120), nullable=True),
        sa.Column("payment_intent_id", sa.String(length=120), nullable=True),
        sa.Column("charge_id", sa.String(length=120), nullable=True),
        sa.Column("amount_total_minor", sa.Integer(), nullable=True),
        sa.Column("tax_minor", sa.Integer(), nullable=False),
        sa.Column("processing_fee_minor", sa.Integer(), nullable=True),
        sa.Column("platform_fee_bps", sa.Integer(), nullable=False),
        sa.Column("transfer_group", sa.String(length=60), nullable=False),
        sa.Column("free", sa.Boolean(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("receipt_sent_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"], name=op.f("fk_orders_buyer_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_orders_cart_id_carts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("checkout_session_id", name=op.f("uq_orders_checkout_session_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_orders_reference")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_charge_id"), ["charge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_email"), ["email"], unique=False)

    op.create_table(
        "payee_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=True),
        sa.Column("label_id", sa.Integer(), nullable=True),
        sa.Column("gateway", sa.String(length=16), nullable=False),
        sa.Column("provider_account_id", sa.String(length=120), nullable=False),
        sa.Column("transfers_enabled", sa.Boolean(), nullable=False),
        sa.Column("details_needed", sa.JSON(), nullable=False),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(artist_id IS NULL) <> (label_id IS NULL)", name=op.f("ck_payee_accounts_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_payee_accounts_artist_id_artists"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["label_id"], ["labels.id"], name=op.f("fk_payee_accounts_label_id_labels"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payee_accounts")),
        sa.UniqueConstraint("artist_id", name=op.f("uq_payee_accounts_artist_id")),
        sa.UniqueConstraint("label_id", name=op.f("uq_payee_accounts_label_id")),
        sa.UniqueConstraint("provider_account_id", name=op.f("uq_payee_accounts_provider_account_id")),
    )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_dispute_id", sa.String(length=120), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("opened_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_disputes_order_id_orders"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("provider_dispute_id", name=op.f("uq_disputes_provider_dispute_id")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_order_id"), ["order_id"], unique=False)

    op.create_table(
        "payout_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("payee_key", sa.String(length=40), nullable=False),
        sa.Column("payee_account_id", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("provider_transfer_id", sa.String(length=120), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "requested", "sent", "held", "failed", name="transferstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("reversed_minor", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payout_transfers_order_id_orders"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["payee_account_id"],
            ["payee_accounts.id"],
            name=op.f("fk_payout_transfers_payee_account_id_payee_accounts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_transfers")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payout_transfers_idempotency_key")),
        sa.UniqueConstraint("order_id", "payee_key", name="uq_payout_transfers_order_payee"),
        sa.UniqueConstraint("provider_transfer_id", name=op.f("uq_payout_transfers_provider_transfer_id")),
    )
    with op.batch_alter_table("payout_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_transfers_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payout_transfers_payee_key"), ["payee_key"], unique=False)

    op.create_table(
        "cart_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("added_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_cart_items_cart_id_carts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_cart_items_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_cart_items_track_id_tracks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_items")),
        sa.UniqueConstraint("cart_id", "release_id", "track_id", name="uq_cart_items_item"),
    )
    with op.batch_alter_table("cart_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cart_items_cart_id"), ["cart_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column("payee_artist_id", sa.Integer(), nullable=True),
        sa.Column("payee_label_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("processing_fee_minor", sa.Integer(), nullable=True),
        sa.Column("platform_fee_minor", sa.Integer(), nullable=True),
        sa.Column("payee_amount_minor", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "refunded",
                "disputed",
                "charged_back",
                name="linestatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("refunded_minor", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artists.id"], name=op.f("fk_order_lines_artist_id_artists"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payee_artist_id"],
            ["artists.id"],
            name=op.f("fk_order_lines_payee_artist_id_artists"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payee_label_id"],
            ["labels.id"],
            name=op.f("fk_order_lines_payee_label_id_labels"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_order_lines_release_id_releases"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_order_lines_track_id_tracks"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "release_id", "track_id", name="uq_order_lines_item"),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_artist_id"), ["artist_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_lines_release_id"), ["release_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "sale",
                "tax",
                "processing_fee",
                "platform_fee",
                "transfer",
                "refund",
                "reversal",
                "dispute",
                "dispute_released",
                name="ledgerkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("payee_key", sa.String(length=40), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider_id", sa.String(length=120), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_ledger_entries_order_id_orders"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_ledger_entries_order_line_id_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_ledger_entries_release_id_releases"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_entries_key")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_ledger_entries_payee_at", ["payee_key", "at"], unique=False)

    op.create_table(
        "line_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=120), nullable=True),
        sa.Column(
            "status",
            sa.Enum("requested", "succeeded", "failed", name="refundstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_line_refunds_order_line_id_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_line_refunds_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_line_refunds_idempotency_key")),
    )
    with op.batch_alter_table("line_refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_refunds_order_line_id"), ["order_line_id"], unique=False)

    op.create_table(
        "transfer_reversals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("provider_reversal_id", sa.String(length=120), nullable=True),
        sa.Column(
            "status",
            sa.Enum("requested", "done", "failed", name="reversalstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_transfer_reversals_order_line_id_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["payout_transfers.id"],
            name=op.f("fk_transfer_reversals_transfer_id_payout_transfers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_reversals")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_transfer_reversals_idempotency_key")),
    )
    with op.batch_alter_table("transfer_reversals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_reversals_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transfer_reversals_transfer_id"), ["transfer_id"], unique=False)

    with op.batch_alter_table("entitlements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_line_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_entitlements_order_line_id"), ["order_line_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_entitlements_order_line_id_order_lines"),
            "order_lines",
            ["order_line_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("roster_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("label_collects", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("collect_proposed_at", storefront.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("roster_links", schema=None) as batch_op:
        batch_op.drop_column("collect_proposed_at")
        batch_op.drop_column("label_collects")

    with op.batch_alter_table("entitlements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_entitlements_order_line_id_order_lines"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_entitlements_order_line_id"))
        batch_op.drop_column("order_line_id")

    with op.batch_alter_table("transfer_reversals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_reversals_transfer_id"))
        batch_op.drop_index(batch_op.f("ix_transfer_reversals_order_line_id"))

    op.drop_table("transfer_reversals")
    with op.batch_alter_table("line_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_refunds_order_line_id"))

    op.drop_table("line_refunds")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_payee_at")
        batch_op.drop_index(batch_op.f("ix_ledger_entries_order_id"))

    op.drop_table("ledger_entries")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_release_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_order_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_artist_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("cart_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cart_items_cart_id"))

    op.drop_table("cart_items")
    with op.batch_alter_table("payout_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_transfers_payee_key"))
        batch_op.drop_index(batch_op.f("ix_payout_transfers_order_id"))

    op.drop_table("payout_transfers")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_order_id"))

    op.drop_table("disputes")
    op.drop_table("payee_accounts")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_email"))
        batch_op.drop_index(batch_op.f("ix_orders_charge_id"))
        batch_op.drop_index(batch_op.f("ix_orders_buyer_id"))

    op.drop_table("orders")
    op.drop_table("carts")
    with op.batch_alter_table("sandbox_objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_objects_kind"))

    op.drop_table("sandbox_objects")
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_events_type"))
        batch_op.drop_index(batch_op.f("ix_payment_events_object_id"))

    op.drop_table("payment_events")
