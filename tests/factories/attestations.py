"""Factories for signable releases (checked masters and artwork, every role credited) and the signing form."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, Label, RosterLink
from storefront.attestations.policy import CURRENT_VERSION, POLICIES
from storefront.db import commit, utcnow
from storefront.releases.models import (
    Contributor,
    ContributorRole,
    Release,
    ReleaseStatus,
    Track,
    Upload,
    UploadKind,
    UploadStatus,
)
from tests.factories.releases import cover_bytes, make_release, master_bytes
from tests.factories.screening_results import record_result

_seq = itertools.count(1)
MASTER_INFO = {
    "format": "FLAC",
    "sample_rate": 44100,
    "bit_depth": 16,
    "channels": 2,
    "duration_seconds": 1.0,
}
CREDITS = (
    ("Ana Ruiz", ContributorRole.COMPOSER, ""),
    ("Ana Ruiz", ContributorRole.LYRICIST, ""),
    ("Ana Ruiz", ContributorRole.PERFORMER, "lead vocals"),
    ("Ben Okafor", ContributorRole.PERFORMER, "guitar"),
    ("Ana Ruiz", ContributorRole.PRODUCER, ""),
    ("Mia Chen", ContributorRole.MIXING_ENGINEER, ""),
    ("Mia Chen", ContributorRole.MASTERING_ENGINEER, ""),
    ("Lu Park", ContributorRole.ARTWORK, ""),
)


def _ready(
    session: Session,
    release: Release,
    kind: UploadKind,
    data: bytes,
    track: Track | None,
    *,
    screened: bool = True,
) -> Upload:
    """A checked file as validation leaves it; the one it replaces is marked REPLACED, as validation does.
    `screened` gives it a clean screening result, as the screening job would once it has run."""
    older = select(Upload).where(
        Upload.release_id == release.id, Upload.kind == kind, Upload.status == UploadStatus.READY
    )
    if track is not None:
        older = older.where(Upload.track_id == track.id)
    for upload in session.scalars(older):
        upload.status = UploadStatus.REPLACED
    n = next(_seq)
    name = f"{track.position:02d}.flac" if track is not None else "cover.jpg"
    upload = Upload(
        artist_id=release.artist_id,
        release_id=release.id,
        track_id=track.id if track is not None else None,
        kind=kind,
        status=UploadStatus.READY,
        original_filename=name,
        content_type="audio/flac" if track is not None else "image/jpeg",
        declared_size=len(data),
        staging_key=f"staging/test/{n}",
        final_key=f"releases/test/{n}/{name}",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        info=MASTER_INFO if track is not None else {"width": 1400, "height": 1400, "files": {}},
        validated_at=utcnow(),
    )
    session.add(upload)
    commit(session)
    if screened:
        record_result(session, upload)
    return upload


def replace_master(
    session: Session, release: Release, track: Track, data: bytes, *, screened: bool = True
) -> Upload:
    return _ready(session, release, UploadKind.MASTER, data, track, screened=screened)


def replace_artwork(session: Session, release: Release, data: bytes) -> Upload:
    return _ready(session, release, UploadKind.ARTWORK, data, None)


def signable_release(
    session: Session,
    artist: Artist,
    tmp: Path,
    *,
    tracks: int = 2,
    label: Label | None = None,
    codes: bool = True,
) -> tuple[Release, dict[str, bytes]]:
    """A release ready to sign: masters and artwork checked, every role credited; and its files by name."""
    release = make_release(session, artist, tracks=tracks)
    files: dict[str, bytes] = {}
    if codes:
        release.upc = "036000291452"
        for track in release.tracks:
            track.isrc = f"GBVLV26{release.id % 100:02d}{track.position:03d}"
    if label is not None:
        if not any(link.label_id == label.id for link in artist.roster_links):
            session.add(
                RosterLink(label=label, artist=artist, label_consent_at=utcnow(), artist_consent_at=utcnow())
            )
        release.label_id = label.id
    for name, role, instrument in CREDITS:
        session.add(Contributor(release=release, name=name, role=role, instrument=instrument))
    commit(session)
    for track in release.tracks:
        data = master_bytes(tmp, seed=track.position, seconds=1.0)
        files[f"{track.position:02d}.flac"] = data
        replace_master(session, release, track, data)
    files["cover.jpg"] = cover_bytes(1400)
    replace_artwork(session, release, files["cover.jpg"])
    return release, files


def signature_form(
    legal_name: str = "Ana María Ruiz", *, embodied: bool = False, **changes: Any
) -> dict[str, Any]:
    """The signing form filled in as a person would: every statement ticked; `changes` override fields."""
    policy = POLICIES[CURRENT_VERSION]
    data: dict[str, Any] = {"legal_name": legal_name, "level": "embodied" if embodied else "standard"}
    for statement in policy.statements:
        data[f"statement_{statement.id}"] = "y"
    if embodied:
        data[f"statement_{policy.embodied.id}"] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def attestation_url(artist: Artist, release: Release) -> str:
    return f"/artists/{artist.slug}/releases/{release.id}/attestation"


def approve(session: Session, release_id: int, status: ReleaseStatus = ReleaseStatus.APPROVED) -> Release:
    """What a curator's approval leaves behind (the curation room owns the real decision)."""
    session.rollback()
    release = session.get(Release, release_id)
    assert release is not None
    session.refresh(release)
    release.status = status
    release.approved_at = utcnow()
    commit(session)
    return release
