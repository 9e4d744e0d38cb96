"""What the media jobs share: their parts, and moving files between storage and a temporary folder."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..audio.inspect.samples import SampleDigest, sample_digest
from ..jobs.runner import JobContext
from ..storage.interfaces import ObjectStorage
from .workshop import Workshop, workshop_for

# Storage faults are retried with the runner's backoff; after this many tries the artist sees "failed".
GIVE_UP_AFTER = 5
_CHUNK = 1024 * 1024
# Files of these types may hold lossless audio, whose decoded samples the rendition manifest also records.
LOSSLESS_TYPES = frozenset({"audio/flac", "audio/wav", "audio/aiff", "audio/mp4"})


@dataclass(frozen=True)
class Made:
    key: str
    size: int
    sha256: str
    # The MD5 of the decoded samples, for lossless audio (a re-tagged copy still matches it).
    audio: SampleDigest | None = None


@dataclass(frozen=True)
class Measured:
    size: int
    sha256: str
    audio: SampleDigest | None


def measure(path: Path, content_type: str) -> Measured:
    """The file's SHA-256 and size, and for lossless audio the digest of its decoded samples."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    audio = sample_digest(path) if content_type in LOSSLESS_TYPES else None
    return Measured(path.stat().st_size, digest.hexdigest(), audio)


def job_services(context: JobContext) -> tuple[ObjectStorage, Workshop, str]:
    platform = context.services
    return platform.storage, workshop_for(platform.settings), platform.settings.base_url


def download(storage: ObjectStorage, key: str, dest: Path) -> None:
    with storage.open(key) as source, dest.open("wb") as out:
        shutil.copyfileobj(source, out, _CHUNK)


def store(storage: ObjectStorage, path: Path, key: str, content_type: str) -> Made:
    found = measure(path, content_type)
    with path.open("rb") as fh:
        storage.put(key, fh, content_type=content_type)
    return Made(key, found.size, found.sha256, found.audio)
