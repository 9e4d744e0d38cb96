"""Signed manifest entries read from the database: by a file's hash across every release, or a release's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ManifestEntry

# A file's bytes are in one release's manifest a handful of times at most (a rendition and its copy in a
# ZIP); the cap only bounds what a hash shared by many could cost.
_MAX_FOUND = 50


class StoredEntries:
    """The platform's own entries, every release's: a file of another release is recognised as such."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_sha256(self, sha256: str) -> list[dict[str, Any]]:
        stmt = select(ManifestEntry).where(ManifestEntry.sha256 == sha256.lower())
        return [e.signed for e in self.session.scalars(stmt.order_by(ManifestEntry.id).limit(_MAX_FOUND))]

    def by_audio(self, md5: str) -> list[dict[str, Any]]:
        stmt = select(ManifestEntry).where(ManifestEntry.audio_md5 == md5.lower())
        return [e.signed for e in self.session.scalars(stmt.order_by(ManifestEntry.id).limit(_MAX_FOUND))]

    def of_release(self, release_id: int) -> list[ManifestEntry]:
        stmt = select(ManifestEntry).where(ManifestEntry.release_id == release_id)
        return list(self.session.scalars(stmt.order_by(ManifestEntry.id)))
