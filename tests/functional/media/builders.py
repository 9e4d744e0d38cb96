"""Releases whose masters are already accepted, put straight into the database and storage."""

# The upload flow itself is exercised in test_processing; the other media tests start from its outcome.

from __future__ import annotations

import hashlib
import io
import itertools
from pathlib import Path

from sqlalchemy.orm import Session

from storefront.accounts.models import Artist
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.jobs.interfaces import JobQueue
from storefront.releases.models import Release, ReleaseStatus, Track, Upload, UploadKind, UploadStatus
from storefront.releases.uploads.pipeline import PROCESS_JOB
from tests.factories.releases import cover_bytes, make_release, master_bytes

_seq = itertools.count(1)


def _upload(
    db: Session,
    release: Release,
    kind: UploadKind,
    data: bytes,
    name: str,
    content_type: str,
    track: Track | None = None,
) -> Upload:
    upload = Upload(
        artist_id=release.artist_id,
        release_id=release.id,
        track_id=track.id if track else None,
        kind=kind,
        status=UploadStatus.READY,
        original_filename=name,
        content_type=content_type,
        declared_size=len(data),
        staging_key=f"staging/test/{next(_seq)}",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        validated_at=utcnow(),
    )
    db.add(upload)
    db.flush()
    return upload


def add_cover(db: Session, platform: Platform, release: Release) -> Upload:
    data = cover_bytes(1400)
    upload = _upload(db, release, UploadKind.ARTWORK, data, "cover.jpg", "image/jpeg")
    prefix = f"releases/{release.artist_id}/{release.id}/artwork/{upload.id}"
    files = {"cover.jpg": f"{prefix}/cover.jpg", "cover-1200.jpg": f"{prefix}/cover-1200.jpg"}
    for key in files.values():
        platform.storage.put(key, io.BytesIO(data), content_type="image/jpeg")
    upload.final_key = files["cover.jpg"]
    upload.info = {"files": files, "keys": list(files.values()), "width": 1400, "height": 1400}
    commit(db)
    return upload


def add_master(
    db: Session, platform: Platform, track: Track, tmp: Path, *, seed: int, seconds: float = 3.0
) -> Upload:
    """A checked master in force for `track`; its processing job runs (eagerly in tests) on commit."""
    data = master_bytes(tmp, seed=seed, seconds=seconds)
    upload = _upload(db, track.release, UploadKind.MASTER, data, f"{track.title}.flac", "audio/flac", track)
    prefix = f"releases/{track.release.artist_id}/{track.release_id}/masters/{upload.id}"
    upload.final_key = f"{prefix}/master.flac"
    platform.storage.put(upload.final_key, io.BytesIO(data), content_type="audio/flac")
    upload.info = {
        "format": "FLAC",
        "sample_rate": 44100,
        "bit_depth": 16,
        "channels": 2,
        "duration_seconds": seconds,
        "keys": [upload.final_key],
    }
    JobQueue(db, platform.jobs).enqueue(PROCESS_JOB, {"upload_id": upload.id}, dedupe_key=f"t:{upload.id}")
    commit(db)
    return upload


def on_sale_release(
    db: Session,
    platform: Platform,
    artist: Artist,
    tmp: Path,
    *,
    tracks: int = 2,
    title: str | None = None,
    seconds: float = 3.0,
) -> Release:
    release = make_release(db, artist, title=title, tracks=tracks)
    add_cover(db, platform, release)
    for n, track in enumerate(release.tracks, start=1):
        add_master(db, platform, track, tmp, seed=n, seconds=seconds)
    release.status = ReleaseStatus.APPROVED
    release.approved_at = utcnow()
    commit(db)
    return release
