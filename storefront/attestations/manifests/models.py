"""Signed rendition manifest entries: one per delivered file, added when it is made, never rewritten."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from ...db import Base, utcnow


class ManifestEntryImmutable(RuntimeError):
    """Code tried to change or delete a signed manifest entry; entries are only ever added."""


class ManifestEntry(Base):
    """The platform's signed statement that one file (by its SHA-256) is a file it delivered for a release."""

    __tablename__ = "manifest_entries"
    __table_args__ = (
        # What the entry says, without when: recording the same file again adds nothing.
        UniqueConstraint("release_id", "identity"),
        Index("ix_manifest_entries_release_id_id", "release_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    identity: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str | None] = mapped_column(String(32))
    track_position: Mapped[int | None] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    # FLAC's MD5 of the decoded samples, for lossless audio: how a re-tagged file is still recognised.
    audio_md5: Mapped[str | None] = mapped_column(String(32), index=True)
    # The canonical JSON text itself, so the signed bytes are kept exactly as they were signed.
    document_json: Mapped[str] = mapped_column(Text)
    signature_alg: Mapped[str] = mapped_column(String(16))
    signature_kid: Mapped[str] = mapped_column(String(32))
    signature_value: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.document_json)
        return parsed

    @property
    def signed(self) -> dict[str, Any]:
        """The entry as it is published: the document and the signature over its canonical form."""
        return {
            "document": self.document,
            "signature": {
                "alg": self.signature_alg,
                "kid": self.signature_kid,
                "value": self.signature_value,
            },
        }


@event.listens_for(ManifestEntry, "before_update")
def _refuse_rewrites(mapper: Mapper[ManifestEntry], connection: Connection, target: ManifestEntry) -> None:
    raise ManifestEntryImmutable(f"manifest entry {target.id} is append-only; it cannot be changed")


@event.listens_for(ManifestEntry, "before_delete")
def _refuse_deletes(mapper: Mapper[ManifestEntry], connection: Connection, target: ManifestEntry) -> None:
    raise ManifestEntryImmutable(f"manifest entry {target.id} is append-only; it cannot be deleted")
