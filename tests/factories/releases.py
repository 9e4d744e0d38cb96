"""Factories for releases and the files artists upload for them."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist
from storefront.audio.synth import write_master
from storefront.db import commit, utcnow
from storefront.releases.models import Release, Track, Upload, UploadKind, UploadStatus

_seq = itertools.count(1)
_upload_seq = itertools.count(1)


def make_release(session: Session, artist: Artist, *, title: str | None = None, tracks: int = 0) -> Release:
    n = next(_seq)
    release = Release(
        artist=artist,
        title=title or f"Release {n}",
        slug=f"release-{n}",
        tags=[],
        price_minor=700,
        currency="USD",
    )
    for position in range(1, tracks + 1):
        release.tracks.append(Track(title=f"Song {position}", position=position))
    session.add(release)
    commit(session)
    return release


def master_bytes(
    tmp: Path, *, seed: int = 1, seconds: float = 2.0, suffix: str = ".flac", **kwargs: int
) -> bytes:
    path = tmp / f"master-{seed}-{next(_seq)}{suffix}"
    write_master(path, seed=seed, seconds=seconds, **kwargs)
    return path.read_bytes()


def cover_bytes(side: int = 1500, *, fmt: str = "JPEG", height: int | None = None) -> bytes:
    image = Image.new("RGB", (side, height or side), (40, 20, 60))
    for x in range(0, side, 50):
        image.paste((200, 120, 80), (x, 0, x + 10, height or side))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def grainy_cover_bytes(side: int = 3000, *, seed: int = 3) -> bytes:
    """A cover covered in film grain: per-pixel colour noise, the hardest case for a JPEG encoder."""
    import numpy as np

    pixels = np.random.default_rng(seed).integers(0, 256, size=(side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def ready_upload(
    session: Session, release: Release, kind: UploadKind, info: dict[str, Any], track_id: int | None = None
) -> Upload:
    """A file accepted earlier, as a row only (no bytes in storage): for pages that read its info."""
    n = next(_upload_seq)
    upload = Upload(
        artist_id=release.artist_id,
        release_id=release.id,
        track_id=track_id,
        kind=kind,
        status=UploadStatus.READY,
        original_filename=f"file-{n}",
        content_type="image/jpeg" if kind == UploadKind.ARTWORK else "audio/flac",
        declared_size=1,
        staging_key=f"staging/rows/{n}",
        final_key=f"releases/rows/{n}",
        size=1,
        info=info,
        validated_at=utcnow(),
    )
    session.add(upload)
    return upload
