"""What fans keep and hear: download codes, wishlists, follows, mail preferences and new-release notices.

A download code is single-use and belongs to a batch an artist (or its label) made for one release; it is
found by the SHA-256 of its normalised text, so a lookup never compares the secret itself. The text is kept
as well, because the artist downloads the batch again to print or send it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, delete, event, true
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from ..accounts.models import Artist, Label, User
from ..db import Base, utcnow
from ..orders.models import Entitlement
from ..releases.models import Release


class CodeBatch(Base):
    __tablename__ = "code_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # After this moment its unused codes no longer work; None: they never expire.
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    release: Mapped[Release] = relationship()
    codes: Mapped[list[DownloadCode]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="DownloadCode.id"
    )


class DownloadCode(Base):
    __tablename__ = "download_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))  # as printed, e.g. "7KQM-X3TA-PW9C"
    lookup: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the code without dashes
    redeemed_at: Mapped[datetime | None] = mapped_column()
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entitlement_id: Mapped[int | None] = mapped_column(ForeignKey("entitlements.id", ondelete="SET NULL"))

    batch: Mapped[CodeBatch] = relationship(back_populates="codes")
    redeemed_by: Mapped[User | None] = relationship()


class WishlistItem(Base):
    __tablename__ = "wishlist_items"
    __table_args__ = (UniqueConstraint("user_id", "release_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    release: Mapped[Release] = relationship()


class Follow(Base):
    """A fan following one artist or one label (exactly one of the two)."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "artist_id"),
        UniqueConstraint("user_id", "label_id"),
        CheckConstraint("(artist_id IS NULL) <> (label_id IS NULL)", name="one_subject"),
        Index("ix_follows_artist_user", "artist_id", "user_id"),
        Index("ix_follows_label_user", "label_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    artist_id: Mapped[int | None] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"))
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    artist: Mapped[Artist | None] = relationship()
    label: Mapped[Label | None] = relationship()


class FanMailPreference(Base):
    """A fan's choices of mail; a fan without a row gets the defaults (new-release mail on)."""

    __tablename__ = "fan_mail_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    new_releases: Mapped[bool] = mapped_column(default=True)
    # Messages an artist writes to its followers and buyers; on by default, like new-release mail.
    artist_messages: Mapped[bool] = mapped_column(default=True, server_default=true())
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReleaseAnnouncement(Base):
    """One follower told of one new release: written with the mail, so a job run again skips them."""

    __tablename__ = "release_announcements"
    __table_args__ = (UniqueConstraint("release_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArtistMailing(Base):
    """A message an artist's owner wrote to its fans; the job mails it and sets `finished_at`."""

    __tablename__ = "artist_mailings"
    __table_args__ = (Index("ix_artist_mailings_artist_created", "artist_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    artist: Mapped[Artist] = relationship()


class MailingDelivery(Base):
    """One fan mailed one mailing: written with the message, so a job run again skips them."""

    __tablename__ = "artist_mailing_deliveries"
    __table_args__ = (UniqueConstraint("mailing_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("artist_mailings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(Entitlement, "after_insert")
def _owned_leaves_wishlist(mapper: Mapper[Entitlement], connection: Connection, right: Entitlement) -> None:
    # Whatever gave the right to the whole release (a purchase, a code, a gift), it is no longer wished for.
    if right.track_id is not None:
        return
    connection.execute(
        delete(WishlistItem).where(
            WishlistItem.user_id == right.user_id, WishlistItem.release_id == right.release_id
        )
    )


class CollectionSharing(Base):
    """A fan's choice to show their collection; no row means private. The slug is made when the fan first
    makes it public, random so that a collection cannot be found by counting, and kept if they hide it
    again, so that a link they shared works again when they show it once more."""

    __tablename__ = "collection_sharing"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    public: Mapped[bool] = mapped_column(default=False)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
