"""A private listening link: one release, a note of who it is for, an expiry, and the digest of its token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...db import Base, utcnow
from ...releases.models import Release

NOTE_LENGTH = 120


class ListeningLink(Base):
    __tablename__ = "listening_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    # Who the link is for, in the artist's words: “Pitchfork — J. Doe”.
    note: Mapped[str] = mapped_column(String(NOTE_LENGTH))
    lookup: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    # How many times someone pressed “Listen”: a count, nothing about who.
    opened: Mapped[int] = mapped_column(default=0)

    release: Mapped[Release] = relationship()
