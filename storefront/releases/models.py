"""Releases, their tracks and credits, and the files uploaded for them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint, and_, event, inspect, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Artist, Label
from ..db import Base, utcnow

if TYPE_CHECKING:
    from .uploads.pipeline import Whereabouts


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


class ReleaseType(enum.StrEnum):
    ALBUM = "album"
    EP = "ep"
    SINGLE = "single"


class License(enum.StrEnum):
    ALL_RIGHTS_RESERVED = "all-rights-reserved"
    CC_BY = "cc-by"
    CC_BY_SA = "cc-by-sa"
    CC_BY_ND = "cc-by-nd"
    CC_BY_NC = "cc-by-nc"
    CC_BY_NC_SA = "cc-by-nc-sa"
    CC_BY_NC_ND = "cc-by-nc-nd"
    CC0 = "cc0"


class ReleaseStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    TAKEN_DOWN = "taken_down"


class ContributorRole(enum.StrEnum):
    COMPOSER = "composer"
    LYRICIST = "lyricist"
    PERFORMER = "performer"
    PRODUCER = "producer"
    MIXING_ENGINEER = "mixing_engineer"
    MASTERING_ENGINEER = "mastering_engineer"
    ARTWORK = "artwork"


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (
        UniqueConstraint("artist_id", "slug"),
        Index("ix_releases_status_changed", "status", "status_changed_at"),
        # Public listings, newest first, read in keyset pages: (status, approved_at, id).
        Index("ix_releases_status_approved", "status", "approved_at", "id"),
        # Genre and location pages read these in the same keyset order.
        Index("ix_releases_status_genre_approved", "status", "genre", "approved_at", "id"),
        Index("ix_releases_status_location_approved", "status", "location", "approved_at", "id"),
        # An artist's discography and a label's releases, newest first.
        Index("ix_releases_artist_status_approved", "artist_id", "status", "approved_at", "id"),
        Index("ix_releases_label_status_approved", "label_id", "status", "approved_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="RESTRICT"), index=True)
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    release_type: Mapped[ReleaseType] = mapped_column(_enum(ReleaseType), default=ReleaseType.ALBUM)
    release_date: Mapped[date | None] = mapped_column()
    description: Mapped[str] = mapped_column(Text, default="")
    genre: Mapped[str] = mapped_column(String(60), default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    location: Mapped[str] = mapped_column(String(120), default="")
    license: Mapped[License] = mapped_column(_enum(License), default=License.ALL_RIGHTS_RESERVED)
    upc: Mapped[str | None] = mapped_column(String(14))
    # Money in integer minor units of `currency` (cents for USD, yen for JPY).
    price_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    pay_what_you_want: Mapped[bool] = mapped_column(default=False)
    minimum_price_minor: Mapped[int] = mapped_column(default=0)
    status: Mapped[ReleaseStatus] = mapped_column(_enum(ReleaseStatus), default=ReleaseStatus.DRAFT)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    # When a curator approved the release as it stands; the certificate shows it.
    approved_at: Mapped[datetime | None] = mapped_column()
    # Text-and-data mining, AI training included, is reserved unless the artist opts in, on their terms.
    ai_training_opt_in: Mapped[bool] = mapped_column(default=False)
    ai_training_terms: Mapped[str] = mapped_column(Text, default="")
    # Sold here first: the last day (UTC) of the window in which this store is the only place to buy it.
    first_window_until: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    artist: Mapped[Artist] = relationship()
    label: Mapped[Label | None] = relationship()
    tracks: Mapped[list[Track]] = relationship(
        back_populates="release", order_by="Track.position", cascade="all, delete-orphan"
    )
    contributors: Mapped[list[Contributor]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="Contributor.id"
    )
    # The artwork in force is the one ready upload of that kind; older ones are marked replaced.
    artwork: Mapped[Upload | None] = relationship(
        primaryjoin=lambda: and_(
            Upload.release_id == Release.id,
            Upload.kind == UploadKind.ARTWORK,
            Upload.status == UploadStatus.READY,
        ),
        viewonly=True,
        uselist=False,
    )
    uploads: Mapped[list[Upload]] = relationship(
        primaryjoin=lambda: Upload.release_id == Release.id, viewonly=True, order_by=lambda: Upload.id.desc()
    )

    @property
    def is_free(self) -> bool:
        return self.pay_what_you_want and self.minimum_price_minor == 0


@event.listens_for(Release, "before_update")
def _status_dated(_mapper: Any, _connection: Any, release: Release) -> None:
    """Every change of status is dated, even by a writer that only set the status: review queues are ordered
    by the date, and public pages' validators read it to see releases come and go."""
    state = inspect(release)
    if state.attrs.status.history.has_changes() and not state.attrs.status_changed_at.history.has_changes():
        release.status_changed_at = utcnow()


class Track(Base):
    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    isrc: Mapped[str | None] = mapped_column(String(12))
    lyrics: Mapped[str] = mapped_column(Text, default="")
    explicit: Mapped[bool] = mapped_column(default=False)
    # On a pre-order, a track its buyers may download at once; the others wait for the release date.
    instant_grat: Mapped[bool] = mapped_column(default=False)
    # None: sold only as part of the release.
    price_minor: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    release: Mapped[Release] = relationship(back_populates="tracks")
    master: Mapped[Upload | None] = relationship(
        primaryjoin=lambda: and_(
            Upload.track_id == Track.id, Upload.kind == UploadKind.MASTER, Upload.status == UploadStatus.READY
        ),
        viewonly=True,
        uselist=False,
    )
    contributors: Mapped[list[Contributor]] = relationship(back_populates="track", order_by="Contributor.id")


class Contributor(Base):
    """A credit: a person and a role, for the whole release (track_id None) or one track."""

    __tablename__ = "contributors"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[ContributorRole] = mapped_column(_enum(ContributorRole))
    instrument: Mapped[str] = mapped_column(String(80), default="")

    release: Mapped[Release] = relationship(back_populates="contributors")
    track: Mapped[Track | None] = relationship(back_populates="contributors")


class UploadKind(enum.StrEnum):
    MASTER = "master"
    ARTWORK = "artwork"
    # Stems, session files, photos of the recording: shown to reviewers only, never published.
    EVIDENCE = "evidence"


class UploadStatus(enum.StrEnum):
    AWAITING = "awaiting"  # a ticket was issued; the browser is sending the bytes to storage
    VALIDATING = "validating"  # the object is in staging; a job is checking it
    READY = "ready"  # passed and moved to its final key
    REJECTED = "rejected"  # the file is not acceptable; `problems` says why; the object is deleted
    FAILED = "failed"  # the check could not run (storage fault); it can be retried
    REPLACED = "replaced"  # a newer file took its place


class Upload(Base):
    __tablename__ = "uploads"
    __table_args__ = (
        Index("ix_uploads_artist_created", "artist_id", "created_at"),
        # Catalog listings ask of every card whether its cover is ready: a small index of ready artwork
        # answers that without PostgreSQL hashing every upload of the catalog.
        Index(
            "ix_uploads_ready_artwork",
            "release_id",
            postgresql_where=text("kind = 'artwork' AND status = 'ready'"),
            sqlite_where=text("kind = 'artwork' AND status = 'ready'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="SET NULL"), index=True)
    kind: Mapped[UploadKind] = mapped_column(_enum(UploadKind))
    status: Mapped[UploadStatus] = mapped_column(_enum(UploadStatus), default=UploadStatus.AWAITING)
    original_filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    declared_size: Mapped[int] = mapped_column()
    staging_key: Mapped[str] = mapped_column(String(300), unique=True)
    final_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    multipart_id: Mapped[str | None] = mapped_column(String(300))
    size: Mapped[int | None] = mapped_column()
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    problems: Mapped[list[Any]] = mapped_column(default=list)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finalized_at: Mapped[datetime | None] = mapped_column()
    validated_at: Mapped[datetime | None] = mapped_column()

    release: Mapped[Release] = relationship()
    track: Mapped[Track | None] = relationship()
    # Every change of `status`, oldest first: written only by `uploads.pipeline.move`.
    transitions: Mapped[list[UploadTransition]] = relationship(
        order_by=lambda: [UploadTransition.at, UploadTransition.id],
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def whereabouts(self) -> Whereabouts:
        """Where the file is and why, as the artist's page, the curator's page and the sweep read it."""
        from .uploads.pipeline import whereabouts

        return whereabouts(self)


class UploadTransition(Base):
    """One move of an upload from one state to another, with the reason and the moment."""

    __tablename__ = "upload_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), index=True)
    # None for the first row: the upload was created in `to_status`.
    from_status: Mapped[UploadStatus | None] = mapped_column(_enum(UploadStatus))
    to_status: Mapped[UploadStatus] = mapped_column(_enum(UploadStatus))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
