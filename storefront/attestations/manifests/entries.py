"""Rendition manifest entries: what each delivered file is, signed by the platform, appended once per file.

An entry names the file by the SHA-256 of its exact bytes (and, for lossless audio, the MD5 of its decoded
samples), says which track and format it is, and names its sources: the master or artwork SHA-256 that the
human-made attestation binds. That chain (file -> source -> attestation) holds whichever attestation is in
force, so entries recorded before the artist signed, or before a re-signing, stay valid; a file made again
with other bytes gets an entry of its own beside the old one.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...audio.formats import DOWNLOAD_FORMATS, PREVIEW_FORMATS
from ...audio.inspect.samples import SampleDigest
from ...db import utcnow
from ..canonical import canonical_sha256, canonical_text
from ..documents import iso_time
from ..signing.platform import PlatformKey
from .models import ManifestEntry

ENTRY_TYPE = "velvet.rendition-manifest-entry/1"


class FileKind(enum.StrEnum):
    RENDITION = "rendition"  # one track in one format (a download or the streaming preview)
    ARCHIVE = "archive"  # the album ZIP in one format
    ARCHIVE_MEMBER = "archive-member"  # a file inside an album ZIP
    COVER = "cover"  # the cover picture the platform made from the artwork


@dataclass(frozen=True)
class Source:
    """What a file was made from: a track's master, or (track None) the release's artwork."""

    sha256: str
    track: int | None = None

    def to_json(self) -> dict[str, Any]:
        if self.track is None:
            return {"artwork_sha256": self.sha256}
        return {"track": self.track, "master_sha256": self.sha256}


@dataclass(frozen=True)
class DeliveredFile:
    kind: FileKind
    sha256: str
    size: int
    name: str  # as a fan sees it: the download name, the path inside the ZIP, "cover-1200.jpg"
    sources: tuple[Source, ...]
    format: str | None = None
    track: int | None = None
    title: str | None = None
    audio: SampleDigest | None = None
    archive_sha256: str | None = None  # the ZIP a member was delivered in


def format_label(key: str | None) -> str | None:
    if key is None:
        return None
    found = DOWNLOAD_FORMATS.get(key) or PREVIEW_FORMATS.get(key)
    return found.label if found is not None else key


def _claims(release_id: int, delivered: DeliveredFile) -> dict[str, Any]:
    """Everything the entry states about the file, without who said it when."""
    claims: dict[str, Any] = {
        "type": ENTRY_TYPE,
        "release_id": release_id,
        "file": {
            "kind": delivered.kind.value,
            "name": delivered.name,
            "sha256": delivered.sha256,
            "size": delivered.size,
            "format": delivered.format,
            "format_label": format_label(delivered.format),
        },
        "track": {"position": delivered.track, "title": delivered.title} if delivered.track else None,
        "sources": [s.to_json() for s in delivered.sources],
        "audio": delivered.audio.to_json() if delivered.audio is not None else None,
    }
    if delivered.archive_sha256 is not None:
        claims["archive_sha256"] = delivered.archive_sha256
    return claims


def entry_document(
    release_id: int, delivered: DeliveredFile, *, issuer: str, at: dt.datetime
) -> dict[str, Any]:
    return {**_claims(release_id, delivered), "issuer": issuer, "recorded_at": iso_time(at)}


class ManifestRecorder:
    """Appends signed entries for the files a job just made, in the job's own transaction."""

    def __init__(self, session: Session, *, key: PlatformKey, issuer: str) -> None:
        self.session = session
        self.key = key
        self.issuer = issuer

    def record(self, release_id: int, files: Sequence[DeliveredFile]) -> list[ManifestEntry]:
        """The entries added; a file already recorded with the same claims adds nothing."""
        wanted = {canonical_sha256(_claims(release_id, f)): f for f in files}
        if not wanted:
            return []
        known = set(
            self.session.scalars(
                select(ManifestEntry.identity).where(
                    ManifestEntry.release_id == release_id, ManifestEntry.identity.in_(list(wanted))
                )
            )
        )
        added = []
        now = utcnow()
        for identity, delivered in wanted.items():
            if identity in known:
                continue
            document = entry_document(release_id, delivered, issuer=self.issuer, at=now)
            signature = self.key.sign(document)
            entry = ManifestEntry(
                release_id=release_id,
                identity=identity,
                kind=delivered.kind.value,
                format=delivered.format,
                track_position=delivered.track,
                sha256=delivered.sha256,
                size=delivered.size,
                audio_md5=delivered.audio.md5 if delivered.audio is not None else None,
                document_json=canonical_text(document),
                signature_alg=signature.alg,
                signature_kid=signature.kid,
                signature_value=signature.value_b64url,
                recorded_at=now,
            )
            try:
                with self.session.begin_nested():
                    self.session.add(entry)
            except IntegrityError:
                continue  # another job recorded the same file meanwhile
            added.append(entry)
        return added

    def has_cover_of(self, release_id: int, artwork_sha256: str) -> bool:
        """Whether the covers made from this artwork are recorded already (they are read once per artwork)."""
        found = self.session.scalars(
            select(ManifestEntry.document_json).where(
                ManifestEntry.release_id == release_id, ManifestEntry.kind == FileKind.COVER.value
            )
        )
        return any(Source(artwork_sha256) in entry_sources(json.loads(text)) for text in found)


def entry_sources(document: Mapping[str, Any]) -> list[Source]:
    """The sources an entry document names; malformed ones are left out (and fail the binding check)."""
    found = []
    for item in document.get("sources") or []:
        if not isinstance(item, Mapping):
            continue
        if isinstance(item.get("artwork_sha256"), str):
            found.append(Source(item["artwork_sha256"].lower()))
        elif isinstance(item.get("master_sha256"), str) and isinstance(item.get("track"), int):
            found.append(Source(item["master_sha256"].lower(), item["track"]))
    return found
