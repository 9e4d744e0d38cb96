"""Users, artist and label profiles, memberships, invitations and roster links."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Enum, ForeignKey, Index, String, Text, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=24)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    email_verified_at: Mapped[datetime | None] = mapped_column()
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Bumped when the password changes or the account is deleted: every older login and reset link dies.
    auth_version: Mapped[int] = mapped_column(default=1)
    # Bumped by every email-change request and confirmation: only the latest link can change the address.
    email_change_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()
    # Set by an admin: the account cannot log in, and its sessions ended, until an admin enables it again.
    disabled_at: Mapped[datetime | None] = mapped_column()

    artist_memberships: Mapped[list[ArtistMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    label_memberships: Mapped[list[LabelStaff]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None and self.disabled_at is None


class ProfileMixin:
    """What artist and label profiles share: a public name, a unique address, and a short biography."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(120), default="")
    links: Mapped[list[Any]] = mapped_column(default=list)
    avatar_key: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class Artist(ProfileMixin, Base):
    __tablename__ = "artists"
    __table_args__ = (Index("ix_artists_created", "created_at", "id"),)

    # Identity: vouched for by a label of its roster, or proven by a token on the artist's own website.
    verified_at: Mapped[datetime | None] = mapped_column()
    verified_by: Mapped[str | None] = mapped_column(String(20))
    verified_detail: Mapped[str] = mapped_column(String(300), default="")
    website_url: Mapped[str] = mapped_column(String(300), default="")
    website_token: Mapped[str | None] = mapped_column(String(64))
    # Set when the name is close to a verified artist's; releases wait until an admin clears it.
    hold_reason: Mapped[str | None] = mapped_column(String(300))

    members: Mapped[list[ArtistMember]] = relationship(back_populates="artist", cascade="all, delete-orphan")
    roster_links: Mapped[list[RosterLink]] = relationship(
        back_populates="artist", cascade="all, delete-orphan"
    )


class ArtistMember(Base):
    __tablename__ = "artist_members"
    __table_args__ = (UniqueConstraint("artist_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(_enum(MemberRole), default=MemberRole.MEMBER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    artist: Mapped[Artist] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="artist_memberships")


class Label(ProfileMixin, Base):
    __tablename__ = "labels"

    # Set by a platform admin only. A label vouches for artists only while verified, and its staff's approval
    # makes the platform sign a certificate only while it is both verified and trusted to approve.
    verified_at: Mapped[datetime | None] = mapped_column()
    trusted_to_approve: Mapped[bool] = mapped_column(default=False)

    staff: Mapped[list[LabelStaff]] = relationship(back_populates="label", cascade="all, delete-orphan")
    roster_links: Mapped[list[RosterLink]] = relationship(
        back_populates="label", cascade="all, delete-orphan"
    )


class LabelStaff(Base):
    __tablename__ = "label_staff"
    __table_args__ = (UniqueConstraint("label_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(_enum(MemberRole), default=MemberRole.MEMBER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    label: Mapped[Label] = relationship(back_populates="staff")
    user: Mapped[User] = relationship(back_populates="label_memberships")


class InvitationKind(enum.StrEnum):
    ARTIST_MEMBER = "artist_member"
    LABEL_STAFF = "label_staff"


class Invitation(Base):
    """An emailed invitation to join an artist or a label's staff; only the token's hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvitationKind] = mapped_column(_enum(InvitationKind))
    artist_id: Mapped[int | None] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column()

    artist: Mapped[Artist | None] = relationship()
    label: Mapped[Label | None] = relationship()

    @property
    def target_name(self) -> str:
        target = self.artist or self.label
        return target.name if target is not None else "(removed)"

    def is_open(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class RosterStatus(enum.StrEnum):
    AWAITING_ARTIST = "awaiting_artist"
    AWAITING_LABEL = "awaiting_label"
    ACTIVE = "active"
    ENDED = "ended"


class RosterLink(Base):
    """An artist on a label's roster: active only once both the label and the artist have agreed."""

    __tablename__ = "roster_links"
    __table_args__ = (UniqueConstraint("label_id", "artist_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    label_consent_at: Mapped[datetime | None] = mapped_column()
    artist_consent_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # By their agreement the label sells this artist's releases on the label and is paid for them; both
    # sides must have agreed to the link while this is set (setting it asks the artist's consent again).
    label_collects: Mapped[bool] = mapped_column(default=False)
    # The label has asked to collect and waits for the artist's answer; the artist's yes sets label_collects.
    collect_proposed_at: Mapped[datetime | None] = mapped_column()
    # By the artist's agreement the label's staff manage its releases: drafts, details, tracks, files,
    # previews, windows and submission. Signing the attestation stays the artist's own act.
    label_manages: Mapped[bool] = mapped_column(default=False)
    # The label has asked to manage and waits for the artist's answer; the artist's yes sets label_manages.
    manage_proposed_at: Mapped[datetime | None] = mapped_column()

    label: Mapped[Label] = relationship(back_populates="roster_links")
    artist: Mapped[Artist] = relationship(back_populates="roster_links")

    @property
    def status(self) -> RosterStatus:
        if self.ended_at is not None:
            return RosterStatus.ENDED
        if self.label_consent_at and self.artist_consent_at:
            return RosterStatus.ACTIVE
        return RosterStatus.AWAITING_ARTIST if self.label_consent_at else RosterStatus.AWAITING_LABEL

    @classmethod
    def active_clause(cls) -> ColumnElement[bool]:
        """SQL twin of `status == ACTIVE`: both sides agreed and neither ended the link."""
        return and_(
            cls.ended_at.is_(None), cls.label_consent_at.is_not(None), cls.artist_consent_at.is_not(None)
        )

    @property
    def manages(self) -> bool:
        """Whether the label's staff may manage the artist's releases right now."""
        return self.label_manages and self.status == RosterStatus.ACTIVE
