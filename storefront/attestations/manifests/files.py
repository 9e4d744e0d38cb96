"""What a verifier knows of a fan's file: its name, its SHA-256 and, for lossless audio, its samples' MD5."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ...audio.inspect.samples import sample_digest

_CHUNK = 1024 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HASH_LINE = re.compile(
    r"^\s*(?:SHA256 \((?P<bsd>.+)\) = (?P<bsdhash>[0-9a-fA-F]{64})|"
    r"(?P<hash>[0-9a-fA-F]{64})\s+\*?(?P<name>.*?))\s*$"
)


class HashListError(ValueError):
    """A line of pasted hashes is not in a form `sha256sum` prints."""


@dataclass(frozen=True)
class FileDigest:
    name: str
    sha256: str
    # FLAC's MD5 of the decoded samples; None when not computed or not lossless audio.
    audio_md5: str | None = None


def is_sha256(text: str) -> bool:
    return bool(_HEX64.fullmatch(text))


def digest_stream(name: str, stream: IO[bytes], *, audio: bool = False) -> FileDigest:
    """The stream's SHA-256 and, with `audio`, its decoded samples' MD5 (decoding needs a file on disk)."""
    if not audio:
        digest = hashlib.sha256()
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
        return FileDigest(name, digest.hexdigest())
    with tempfile.NamedTemporaryFile(prefix="velvet-verify-") as copy:
        shutil.copyfileobj(stream, copy, _CHUNK)
        copy.flush()
        return digest_path(copy.name, audio=True, name=name)


def digest_path(path: str | Path, *, audio: bool = False, name: str | None = None) -> FileDigest:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    samples = sample_digest(path) if audio else None
    return FileDigest(name or Path(path).name, digest.hexdigest(), samples.md5 if samples else None)


def parse_hash_lines(text: str) -> list[FileDigest]:
    """Lines as `sha256sum` (or `shasum -a 256`, or BSD `sha256 -r`/`openssl`) prints them."""
    digests = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _HASH_LINE.match(line)
        if match is None:
            raise HashListError(f"line {number} is not “HASH  FILENAME” as sha256sum prints it")
        name = match.group("bsd") or match.group("name") or f"line {number}"
        digests.append(FileDigest(name, (match.group("bsdhash") or match.group("hash")).lower()))
    return digests
