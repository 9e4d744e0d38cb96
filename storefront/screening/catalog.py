"""Screening against what Velvet already holds: the Chromaprint fingerprinter and catalog fingerprints."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from ..accounts.models import Artist
from ..releases.models import Release, Track, Upload
from . import fingerprint as fp
from .checks.base import Subject
from .copies.lookup import CANDIDATES, find_candidates
from .copies.upkeep import in_force
from .models import ALGORITHM, Fingerprint

log = logging.getLogger(__name__)
__all__ = [
    "ALGORITHM",
    "CatalogSearch",
    "ChromaprintFingerprinter",
    "Printed",
    "scan_catalog",
    "search_catalog",
]


class ChromaprintFingerprinter:
    """libchromaprint through ctypes, audio decoded by PyAV. `candidates` names library files to load
    instead of the usual ones: a deployment's private copy, or a missing one in tests."""

    def __init__(self, candidates: Sequence[str] | None = None) -> None:
        self.candidates = list(candidates) if candidates is not None else None
        self._library: fp.Chromaprint | None = None

    def library(self) -> fp.Chromaprint:
        if self.candidates is None:
            return fp.default_library()
        if self._library is None:
            self._library = fp.Chromaprint.load(self.candidates)
        return self._library

    def fingerprints(self, path: Path) -> fp.QueryPrints:
        return fp.query_prints(path, library=self.library())

    def status(self) -> tuple[bool, str]:
        try:
            return True, f"libchromaprint {self.library().version}"
        except fp.FingerprintUnavailable as exc:
            return False, f"fingerprints {exc}"


@dataclass(frozen=True)
class CatalogSearch:
    matches: list[dict[str, Any]]
    compared: int  # catalog fingerprints aligned with the query
    last_id: int  # the newest fingerprint seen, so a second look needs only the ones stored since


@dataclass(frozen=True)
class Printed:
    """The fingerprints computed for the file and what the catalog held when it was compared."""

    prints: fp.QueryPrints
    search: CatalogSearch
    duration: float

    @property
    def query(self) -> fp.Fingerprint:
        """The file's own fingerprint: the one stored and aligned."""
        return self.prints.own

    def joined(self, later: CatalogSearch) -> Printed:
        """With the matches among fingerprints stored since the first search."""
        search = CatalogSearch(
            self.search.matches + later.matches, self.search.compared + later.compared, later.last_id
        )
        return Printed(self.prints, search, self.duration)


def search_catalog(
    session: Session,
    subject: Subject,
    query: fp.Fingerprint,
    *,
    shifted: fp.Fingerprint | None = None,
    after_id: int = 0,
) -> CatalogSearch:
    """Compare `query` with the catalog through the copy index: the few fingerprints in force that share
    sub-values with it (or with `shifted`, the same audio begun half an item later) at one offset are
    aligned with `query` by the bit-error matcher; the rest are never read. Only fingerprints newer than
    `after_id` are looked at, and never this upload's own."""
    # One candidate more than are aligned: on a second run the upload's own fingerprint is among them.
    lookup = find_candidates(session, query, shifted=shifted, after_id=after_id, limit=CANDIDATES + 1)
    rank = {candidate.fingerprint_id: n for n, candidate in enumerate(lookup.candidates)}
    rows = session.execute(_in_force(subject).where(Fingerprint.id.in_(rank))).all() if rank else []
    best = sorted(rows, key=lambda row: rank[row.id])[:CANDIDATES]
    return _aligned(session, subject, query, best, lookup.newest_id)


def scan_catalog(
    session: Session, subject: Subject, query: fp.Fingerprint, *, after_id: int = 0
) -> CatalogSearch:
    """Compare `query` with every fingerprint in force, one by one: what the index is measured against."""
    rows = session.execute(_in_force(subject).where(Fingerprint.id > after_id)).all()
    return _aligned(session, subject, query, rows, max((row.id for row in rows), default=after_id))


def _in_force(subject: Subject) -> Select[int, int, str]:
    return (
        select(Fingerprint.id, Fingerprint.upload_id, Fingerprint.data)
        .join(Upload, Upload.id == Fingerprint.upload_id)
        .where(in_force(), Fingerprint.upload_id != subject.upload_id)
    )


def _aligned(
    session: Session,
    subject: Subject,
    query: fp.Fingerprint,
    rows: Sequence[Row[int, int, str]],
    last_id: int,
) -> CatalogSearch:
    index = fp.FingerprintIndex()
    for row in rows:
        try:
            index.add(str(row.upload_id), row.data)
        except fp.FingerprintError:
            log.warning("stored fingerprint of upload %s is unreadable; skipped", row.upload_id)
    found = index.search(query) if len(index) else []
    about = _describe(session, [int(key) for key, _ in found])
    matches = [
        about[int(key)]
        | {
            "same_artist": about[int(key)]["artist_id"] == subject.artist_id,
            "ber": round(match.ber, 4),
            "offset_seconds": round(match.offset_seconds, 2),
            "overlap_seconds": round(match.overlap * fp.ITEM_SECONDS, 1),
        }
        for key, match in found
    ]
    return CatalogSearch(matches, len(index), last_id)


def _describe(session: Session, upload_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not upload_ids:
        return {}
    rows = session.execute(
        select(
            Upload.id,
            Upload.track_id,
            Upload.release_id,
            Upload.artist_id,
            Upload.original_filename,
            Track.title,
            Release.title,
            Artist.name,
        )
        .join(Release, Release.id == Upload.release_id)
        .join(Artist, Artist.id == Upload.artist_id)
        .outerjoin(Track, Track.id == Upload.track_id)
        .where(Upload.id.in_(upload_ids))
    ).all()
    keys = (
        "upload_id",
        "track_id",
        "release_id",
        "artist_id",
        "filename",
        "track_title",
        "release_title",
        "artist_name",
    )
    return {row[0]: dict(zip(keys, row, strict=True)) for row in rows}
