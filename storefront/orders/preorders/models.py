"""What the release-day pass has done: releases it handled, and buyers it told."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ...db import Base, utcnow


class ReleaseDayNotice(Base):
    """One buyer told that a pre-ordered release is out: an account, or a guest's order (by its address).
    Written in the transaction that composes the mail, and unique, so a second run (or two at once) never
    mails the same buyer twice for the same release."""

    __tablename__ = "release_day_notices"
    __table_args__ = (UniqueConstraint("release_id", "user_id"), UniqueConstraint("release_id", "order_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReleaseDayRun(Base):
    """A release whose day was handled, for the date it was handled for: a date moved later is handled
    again on the new day (its buyers already told are not told twice)."""

    __tablename__ = "release_day_runs"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    release_date: Mapped[date] = mapped_column()
    buyers_told: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
