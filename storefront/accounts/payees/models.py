"""A seller's connected account at the payment gateway, and what the gateway last said about it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...db import Base, utcnow
from ..models import Artist, Label


class PayeeAccount(Base):
    """Belongs to exactly one artist or one label. `transfers_enabled` and `details_needed` are copied from
    the gateway whenever it tells us the account changed (and when the owner comes back from onboarding);
    a release goes on sale only while its payee's account can receive transfers."""

    __tablename__ = "payee_accounts"
    __table_args__ = (
        CheckConstraint("(artist_id IS NULL) <> (label_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int | None] = mapped_column(ForeignKey("artists.id", ondelete="RESTRICT"), unique=True)
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id", ondelete="RESTRICT"), unique=True)
    gateway: Mapped[str] = mapped_column(String(16))
    provider_account_id: Mapped[str] = mapped_column(String(120), unique=True)
    transfers_enabled: Mapped[bool] = mapped_column(default=False)
    details_needed: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    artist: Mapped[Artist | None] = relationship()
    label: Mapped[Label | None] = relationship()

    @property
    def payee_key(self) -> str:
        return f"artist:{self.artist_id}" if self.artist_id else f"label:{self.label_id}"
