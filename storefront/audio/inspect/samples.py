"""The MD5 of a lossless file's decoded samples as FLAC's STREAMINFO defines it, for FLAC, WAV, AIFF, ALAC.

FLAC stores the MD5 of the unencoded samples (interleaved, signed little-endian, in whole bytes of the bit
depth). The same definition applied to the other lossless containers means a file whose tags were changed,
or whose audio was re-wrapped in another lossless container at the same depth, has the same digest as the
file it came from. The digest is always computed by decoding; a header's stored MD5 is never read.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import BinaryIO

from .containers import Declared, read_aiff, read_flac, read_mp4, read_wav
from .decode import decode, probe
from .sniff import sniff

# Named in signed documents so a reader knows exactly what was hashed.
METHOD = "pcm-md5"
DEFINITION = (
    "MD5 of the decoded samples, interleaved, signed little-endian, in whole bytes of the bit depth "
    "(the FLAC STREAMINFO definition)"
)
_DEMUXERS = {"flac": "flac", "wav": "wav", "aiff": "aiff", "mp4": "mov"}
_BIT_DEPTHS = (16, 24, 32)
# Four hours at 192 kHz: longer than any master we accept.
_MAX_FRAMES = 4 * 3600 * 192_000


@dataclass(frozen=True)
class SampleDigest:
    md5: str  # hex
    bits: int
    channels: int
    sample_rate: int
    frames: int

    def to_json(self) -> dict[str, object]:
        return {
            "method": METHOD,
            "md5": self.md5,
            "bits": self.bits,
            "channels": self.channels,
            "sample_rate": self.sample_rate,
            "frames": self.frames,
        }


def _declared(kind: str, stream: BinaryIO, offset: int, size: int) -> Declared:
    if kind == "flac":
        return read_flac(stream, offset, size)
    readers = {"wav": read_wav, "aiff": read_aiff, "mp4": read_mp4}
    stream.seek(0)
    return readers[kind](stream, size)


def sample_digest(path: str | os.PathLike[str], *, timeout: float = 300.0) -> SampleDigest | None:
    """The digest of a lossless file's audio; None when the file is not integer lossless audio we can
    decode whole (lossy or float audio, another kind of file, damage, or a decode past `timeout`)."""
    size = os.path.getsize(path)
    with open(path, "rb") as stream:
        sniffed = sniff(stream, size)
        if sniffed.kind not in _DEMUXERS:
            return None
        try:
            declared = _declared(sniffed.kind, stream, sniffed.offset, size)
        except (ValueError, IndexError, OSError):
            return None
        found = probe(stream, _DEMUXERS[sniffed.kind])
        if found is None or found.lossy or declared.is_float:
            return None
        if sniffed.kind == "mp4" and found.codec != "alac":
            return None
        if sniffed.kind in ("wav", "aiff") and not found.codec.startswith("pcm_s"):
            return None
        bits = declared.bit_depth or found.alac_bits
        if bits not in _BIT_DEPTHS or not found.channels or not found.sample_rate:
            return None
        decoded = decode(
            stream,
            _DEMUXERS[sniffed.kind],
            md5_bits=bits,
            deadline=time.monotonic() + timeout,
            max_frames=_MAX_FRAMES,
        )
    if decoded.error or decoded.timed_out or decoded.capped or not decoded.frames or decoded.md5 is None:
        return None
    return SampleDigest(
        md5=decoded.md5.hex(),
        bits=bits,
        channels=found.channels,
        sample_rate=found.sample_rate,
        frames=decoded.frames,
    )
