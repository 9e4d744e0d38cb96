"""Carts, orders and their lines, the money ledger, and entitlements: who may download what, and why.

Money is integer minor units of `currency`. An order is one checkout in one currency; its lines are what
the fan bought. The ledger is append-only: every sale, fee, tax, transfer, refund, reversal and dispute
is a row carrying the provider's id, and every report sums those rows rather than trusting a total kept
on an order.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Artist, Label, User
from ..db import Base, utcnow
from ..releases.models import Release, Track


def _enum(cls: type[enum.Enum], length: int = 24) -> Enum:
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=length)


class EntitlementSource(enum.StrEnum):
    PURCHASE = "purchase"
    CODE = "code"
    GIFT = "gift"


class Cart(Base):
    """A fan's cart. A guest's is found by `token` (kept in the browser's session) and merges into the
    account's cart on sign-in."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartItem.id"
    )


class CartItem(Base):
    """A whole release (track_id None) or one track, at the price the fan chose (pay-what-you-want) or the
    artist's price, in the release's currency."""

    __tablename__ = "cart_items"
    __table_args__ = (UniqueConstraint("cart_id", "release_id", "track_id", name="uq_cart_items_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"))
    amount_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="items")
    release: Mapped[Release] = relationship()
    track: Mapped[Track | None] = relationship()


class OrderStatus(enum.StrEnum):
    PENDING = "pending"  # a checkout session is open; nothing is owed to anyone yet
    PROCESSING = "processing"  # paid by a method that settles later (bank debit): waiting for the money
    PAID = "paid"  # the money arrived and the order is fulfilled: entitlements, ledger, transfers asked for
    FAILED = "failed"  # the delayed payment failed
    EXPIRED = "expired"  # the session expired or the fan abandoned it
    # Refunds and disputes are per line; an order stays PAID and its lines say what was given back.


# The order's lifecycle; `orders.fulfilment.move` refuses anything else, so a late or repeated event can
# never take a paid order back to pending or expire it.
ORDER_MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.PROCESSING, OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.EXPIRED}
    ),
    OrderStatus.PROCESSING: frozenset({OrderStatus.PAID, OrderStatus.FAILED}),
    OrderStatus.PAID: frozenset(),
    OrderStatus.FAILED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public and unguessable: client_reference_id, the confirmation page's address and the receipt's.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Where the receipt goes; a guest's purchases are claimed by the account that verifies this address.
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column()
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus), default=OrderStatus.PENDING)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    gateway: Mapped[str] = mapped_column(String(16))  # "stripe" or "sandbox": which gateway holds it
    checkout_session_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(120))
    charge_id: Mapped[str | None] = mapped_column(String(120), index=True)
    # As read from the gateway at fulfilment: what was charged, of which tax, and the processing fee.
    amount_total_minor: Mapped[int | None] = mapped_column()
    tax_minor: Mapped[int] = mapped_column(default=0)
    processing_fee_minor: Mapped[int | None] = mapped_column()
    platform_fee_bps: Mapped[int] = mapped_column(default=0)  # the setting when the order was made
    transfer_group: Mapped[str] = mapped_column(String(60))
    free: Mapped[bool] = mapped_column(default=False)  # nothing to pay: fulfilled without a gateway
    # The cart it was paid from: its items leave that cart once the order is paid.
    cart_id: Mapped[int | None] = mapped_column(ForeignKey("carts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column()
    receipt_sent_at: Mapped[datetime | None] = mapped_column()

    buyer: Mapped[User | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )


class LineStatus(enum.StrEnum):
    OPEN = "open"  # bought (or being paid for)
    REFUNDED = "refunded"  # wholly given back; the download right has ended
    DISPUTED = "disputed"  # the fan's bank opened a dispute: frozen, nothing more moves until it closes
    CHARGED_BACK = "charged_back"  # the dispute was lost


class OrderLine(Base):
    """One thing bought. The payee (the artist, or the label that sells for it) is fixed when the order
    is made; the split into payee share, processing fee and platform fee is fixed at fulfilment."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "release_id", "track_id", name="uq_order_lines_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="RESTRICT"), index=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="SET NULL"))
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="RESTRICT"), index=True)
    # Exactly one of these is the payee.
    payee_artist_id: Mapped[int | None] = mapped_column(ForeignKey("artists.id", ondelete="RESTRICT"))
    payee_label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(300))  # as shown when bought
    amount_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    processing_fee_minor: Mapped[int | None] = mapped_column()
    platform_fee_minor: Mapped[int | None] = mapped_column()
    payee_amount_minor: Mapped[int | None] = mapped_column()
    status: Mapped[LineStatus] = mapped_column(_enum(LineStatus), default=LineStatus.OPEN)
    refunded_minor: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    release: Mapped[Release] = relationship()
    track: Mapped[Track | None] = relationship()
    artist: Mapped[Artist] = relationship(foreign_keys=[artist_id])
    payee_artist: Mapped[Artist | None] = relationship(foreign_keys=[payee_artist_id])
    payee_label: Mapped[Label | None] = relationship(foreign_keys=[payee_label_id])

    @property
    def payee_key(self) -> str:
        return f"artist:{self.payee_artist_id}" if self.payee_artist_id else f"label:{self.payee_label_id}"


class LedgerKind(enum.StrEnum):
    SALE = "sale"  # + the line's amount, paid by the fan
    TAX = "tax"  # + tax collected on the order, held by the platform to remit
    PROCESSING_FEE = "processing_fee"  # - the line's share of the processing fee
    PLATFORM_FEE = "platform_fee"  # - the platform's share
    TRANSFER = "transfer"  # - the payee's share sent to its account
    REFUND = "refund"  # - given back to the fan
    REVERSAL = "reversal"  # + taken back from the payee's account
    DISPUTE = "dispute"  # - held by the fan's bank while a dispute is open
    DISPUTE_RELEASED = "dispute_released"  # + returned when a dispute is won


class LedgerEntry(Base):
    """One movement of money. `key` names what it records (e.g. "sale:<line>", "transfer:<tr_id>:<line>")
    and is unique, so recording the same thing twice (a retried job, a duplicated webhook) adds nothing."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_payee_at", "payee_key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[LedgerKind] = mapped_column(_enum(LedgerKind))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id", ondelete="RESTRICT"))
    # "artist:<id>" or "label:<id>" for money that is a payee's; "" for the platform's own (tax).
    payee_key: Mapped[str] = mapped_column(String(40), default="")
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id", ondelete="SET NULL"))
    amount_minor: Mapped[int] = mapped_column()  # signed, as the comments on LedgerKind say
    currency: Mapped[str] = mapped_column(String(3))
    provider_id: Mapped[str] = mapped_column(String(120), default="")  # ch_, tr_, trr_, re_, dp_ …
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RefundStatus(enum.StrEnum):
    REQUESTED = "requested"  # on record; a job asks the gateway until it answers
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class LineRefund(Base):
    """Money given back for one line, whole or in part, by the artist, an admin or a takedown."""

    __tablename__ = "line_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="RESTRICT"), index=True)
    amount_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(300))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    provider_refund_id: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[RefundStatus] = mapped_column(_enum(RefundStatus), default=RefundStatus.REQUESTED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column()

    line: Mapped[OrderLine] = relationship()


class Dispute(Base):
    """A chargeback opened by the fan's bank on an order's charge."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_dispute_id: Mapped[str] = mapped_column(String(120), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    amount_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(40))  # the gateway's word: needs_response, won, lost …
    reason: Mapped[str] = mapped_column(String(80), default="")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()

    order: Mapped[Order] = relationship()


class Entitlement(Base):
    """A right to download a release (track_id None) or one track. Members of the artist and curators need
    no row: their right follows from their role. Revoking keeps the row, for the record."""

    __tablename__ = "entitlements"
    __table_args__ = (
        Index("ix_entitlements_user_release", "user_id", "release_id"),
        Index(
            "uq_entitlements_purchase",
            "user_id",
            "release_id",
            "track_id",
            "source",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"))
    source: Mapped[EntitlementSource] = mapped_column(
        Enum(EntitlementSource, values_callable=lambda e: [m.value for m in e], native_enum=False, length=16)
    )
    # For purchases: the line it came from, what was paid and the gateway's reference.
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_lines.id", ondelete="SET NULL"), index=True
    )
    payment_reference: Mapped[str | None] = mapped_column(String(120))
    amount_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()
    release: Mapped[Release] = relationship()
    track: Mapped[Track | None] = relationship()
