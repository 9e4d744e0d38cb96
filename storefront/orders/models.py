"""Entitlements: who may download what, and why (a purchase, a code, a gift)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, utcnow
from ..releases.models import Release, Track


class EntitlementSource(enum.StrEnum):
    PURCHASE = "purchase"
    CODE = "code"
    GIFT = "gift"


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
    # For purchases: what was paid and the gateway's reference, so a refund can be asked for.
    payment_reference: Mapped[str | None] = mapped_column(String(120))
    amount_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()
    release: Mapped[Release] = relationship()
    track: Mapped[Track | None] = relationship()
