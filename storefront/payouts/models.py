"""Transfers to payees and their reversals, each recorded before the gateway is asked and keyed so a retry
can never pay twice."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.payees.models import PayeeAccount
from ..db import Base, utcnow
from ..orders.models import Order, OrderLine


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=24)


class TransferStatus(enum.StrEnum):
    REQUESTED = "requested"  # on record; the gateway has not confirmed it yet (a job keeps asking)
    SENT = "sent"  # the gateway made the transfer
    HELD = "held"  # the payee cannot receive transfers right now: sent when its account is ready
    FAILED = "failed"  # the gateway refused for good; an admin looks at it


class PayoutTransfer(Base):
    """One transfer per payee per order, of the sum of its lines' shares, from the order's charge."""

    __tablename__ = "payout_transfers"
    __table_args__ = (UniqueConstraint("order_id", "payee_key", name="uq_payout_transfers_order_payee"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    payee_key: Mapped[str] = mapped_column(String(40), index=True)
    payee_account_id: Mapped[int | None] = mapped_column(ForeignKey("payee_accounts.id", ondelete="RESTRICT"))
    amount_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    # Stable for this order and payee: asking again (a retry, `reconcile`) returns the same transfer.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    provider_transfer_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[TransferStatus] = mapped_column(_enum(TransferStatus), default=TransferStatus.REQUESTED)
    reversed_minor: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    order: Mapped[Order] = relationship()
    payee_account: Mapped[PayeeAccount | None] = relationship()


class ReversalStatus(enum.StrEnum):
    REQUESTED = "requested"
    DONE = "done"
    FAILED = "failed"


class TransferReversal(Base):
    """Money taken back from a payee for one line: a refund's share or a lost dispute."""

    __tablename__ = "transfer_reversals"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(
        ForeignKey("payout_transfers.id", ondelete="RESTRICT"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="RESTRICT"), index=True)
    amount_minor: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(40))  # "refund" or "dispute_lost"
    # What caused it (a refund's or dispute's id on our side), so the same cause reverses once.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    provider_reversal_id: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[ReversalStatus] = mapped_column(_enum(ReversalStatus), default=ReversalStatus.REQUESTED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    transfer: Mapped[PayoutTransfer] = relationship()
    line: Mapped[OrderLine] = relationship()
