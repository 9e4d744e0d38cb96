"""Gifts: a release bought for someone else, named by their email address.

A cart line marked as a gift carries a `CartGift` (whom it is for, a short message). At checkout each
marked line's order line gets a `Gift`; once the order is paid the recipient is mailed a claim link, and
the download right goes to whichever account opens the link and claims it (the link is the secret; only a
hash of its token is kept). The money is an ordinary sale of the line: the payee is paid as for any line,
and refunding the gift is refunding the line.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import User
from ...db import Base, utcnow
from ..models import CartItem, Entitlement, OrderLine


class GiftState(enum.StrEnum):
    PENDING = "pending"  # the order is not paid yet: nothing was sent
    SENT = "sent"  # the recipient was mailed a claim link
    CLAIMED = "claimed"  # an account claimed it and holds the download right
    REFUNDED = "refunded"  # the giver took it back unclaimed: the link no longer works
    WITHDRAWN = "withdrawn"  # the release was taken down before it was claimed: refunded to the giver


class CartGift(Base):
    """A cart line the fan is buying for someone else."""

    __tablename__ = "cart_gifts"

    cart_item_id: Mapped[int] = mapped_column(
        ForeignKey("cart_items.id", ondelete="CASCADE"), primary_key=True
    )
    recipient_email: Mapped[str] = mapped_column(String(320))
    message: Mapped[str] = mapped_column(String(500), default="")

    item: Mapped[CartItem] = relationship()


class Gift(Base):
    __tablename__ = "gifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="RESTRICT"), unique=True)
    giver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    recipient_email: Mapped[str] = mapped_column(String(320))
    message: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[GiftState] = mapped_column(
        Enum(GiftState, values_callable=lambda e: [m.value for m in e], native_enum=False, length=16),
        default=GiftState.PENDING,
    )
    # SHA-256 of the claim link's token; replaced when a fresh link is sent, cleared once claimed.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    times_sent: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column()
    claimed_at: Mapped[datetime | None] = mapped_column()
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entitlement_id: Mapped[int | None] = mapped_column(ForeignKey("entitlements.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None] = mapped_column()  # refunded or withdrawn
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    line: Mapped[OrderLine] = relationship()
    giver: Mapped[User | None] = relationship(foreign_keys=[giver_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    entitlement: Mapped[Entitlement | None] = relationship()
