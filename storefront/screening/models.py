"""Screening results per uploaded file, with their evidence, and the catalog's acoustic fingerprints."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow
from ..releases.models import Upload


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


# The fingerprints compared with each other; a stored fingerprint of another algorithm is not in force.
ALGORITHM = "chromaprint-test2"


class ScreeningCheck(enum.StrEnum):
    C2PA = "c2pa"
    METADATA = "metadata"
    FINGERPRINT = "fingerprint"
    CONTENT_FARM = "content_farm"
    DETECTOR = "detector"


class ScreeningVerdict(enum.StrEnum):
    PASS = "pass"  # noqa: S105 (a verdict, not a secret) the check ran and found nothing
    INFO = "info"  # something for curators to read, not a concern (e.g. human content credentials)
    NOTE = "note"  # worth knowing, expected in honest use (the artist's own earlier upload)
    FLAG = "flag"  # a signal a curator must weigh
    REJECT = "reject"  # the file was refused automatically (declared AI content)
    UNAVAILABLE = "unavailable"  # the check could not run; the summary says why


class Severity(enum.StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


SEVERITY_ORDER = {Severity.NONE: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}


class ScreeningResult(Base):
    """The outcome of one check on one file. A re-run replaces the row, so there is one per (file, check)."""

    __tablename__ = "screening_results"
    __table_args__ = (UniqueConstraint("upload_id", "check"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (upload_id, check) constraint's index serves lookups by upload.
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"))
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    check: Mapped[ScreeningCheck] = mapped_column(_enum(ScreeningCheck))
    verdict: Mapped[ScreeningVerdict] = mapped_column(_enum(ScreeningVerdict))
    severity: Mapped[Severity] = mapped_column(_enum(Severity), default=Severity.NONE)
    summary: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    upload: Mapped[Upload] = relationship()


class Fingerprint(Base):
    """A master's Chromaprint fingerprint (base64 of its raw items), kept to compare later uploads with."""

    __tablename__ = "fingerprints"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), unique=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="SET NULL"), index=True)
    data: Mapped[str] = mapped_column(Text)
    # The master's length in seconds; the fingerprint itself covers at most its first two minutes.
    duration: Mapped[float] = mapped_column()
    # Fingerprints of different algorithms cannot be compared: a change of algorithm means recomputing.
    algorithm: Mapped[str] = mapped_column(String(40), default=ALGORITHM)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScreeningOverride(Base):
    """A curator's word that named files may go ahead without a screening result, and why.

    It covers only the files it names: a file uploaded later needs its own result or another override."""

    __tablename__ = "screening_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    curator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    upload_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
