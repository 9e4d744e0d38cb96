"""Files made from masters (renditions, previews, album archives), loudness and peaks, preview policies."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow
from ..releases.models import Release, Track, Upload


class MediaStatus(enum.StrEnum):
    WAITING = "waiting"  # asked for; a job will make it
    PROCESSING = "processing"  # a job is making it
    READY = "ready"
    FAILED = "failed"  # `error` says why; the artist can retry


class PreviewMode(enum.StrEnum):
    FULL = "full"
    CLIP = "clip"


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=16)


class Rendition(Base):
    """One master in one format: a download format, or the streaming preview."""

    __tablename__ = "renditions"
    __table_args__ = (UniqueConstraint("upload_id", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(32))
    status: Mapped[MediaStatus] = mapped_column(_enum(MediaStatus), default=MediaStatus.WAITING)
    # A digest of everything the file is made from (master, tags, cover, preview window): when the release
    # changes, the file is out of date and is made again on the next request.
    inputs: Mapped[str] = mapped_column(String(64), default="")
    # Bumped each time the file is asked for again (retry, out of date), so a new job is not deduplicated
    # against the finished one.
    generation: Mapped[int] = mapped_column(default=0)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    key: Mapped[str | None] = mapped_column(String(300))
    size: Mapped[int | None] = mapped_column()
    sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    upload: Mapped[Upload] = relationship()
    track: Mapped[Track] = relationship()


class AlbumArchive(Base):
    """A ZIP of the whole release in one format; a new fingerprint (the release changed) means a new file."""

    __tablename__ = "album_archives"
    __table_args__ = (UniqueConstraint("release_id", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(32))
    status: Mapped[MediaStatus] = mapped_column(_enum(MediaStatus), default=MediaStatus.WAITING)
    fingerprint: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(default=0)
    key: Mapped[str | None] = mapped_column(String(300))
    size: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    release: Mapped[Release] = relationship()


class TrackAnalysis(Base):
    """Loudness (EBU R128 integrated), peaks and the player's waveform of one master."""

    __tablename__ = "track_analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), unique=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    # None: silent, or too short to measure.
    loudness_lufs: Mapped[float | None] = mapped_column()
    true_peak_dbtp: Mapped[float | None] = mapped_column()
    sample_peak_dbfs: Mapped[float | None] = mapped_column()
    duration_seconds: Mapped[float] = mapped_column()
    # Interleaved min, max per bucket, -127..127.
    peaks: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PreviewPolicy(Base):
    """What the public may stream of a release: every track in full, or a clip of each."""

    __tablename__ = "preview_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), unique=True)
    mode: Mapped[PreviewMode] = mapped_column(_enum(PreviewMode), default=PreviewMode.FULL)
    clip_start: Mapped[float] = mapped_column(default=0.0)
    clip_length: Mapped[float] = mapped_column(default=30.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
