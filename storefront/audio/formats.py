"""The catalogue of audio formats fans can download, and of the formats used for streaming previews."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Container(Enum):
    """How a file is laid out on disk; decides how it is encoded and how it is tagged."""

    FLAC = "flac"
    WAV = "wav"
    AIFF = "aiff"
    MP3 = "mp3"
    MP4 = "mp4"
    OGG_VORBIS = "ogg-vorbis"
    OGG_OPUS = "ogg-opus"


@dataclass(frozen=True)
class AudioFormat:
    key: str
    label: str
    extension: str
    mime_type: str
    container: Container
    lossless: bool
    # Precomputed formats are made as soon as a release is published; the others on a fan's first request.
    precomputed: bool
    # Fixed output sample rate and bit depth; None keeps the master's (lossless) or lets the codec choose.
    sample_rate: int | None = None
    bit_depth: int | None = None
    bit_rate: int | None = None
    # Two runs over the same master give the same bytes (true for all of ours on one build of the codecs).
    deterministic: bool = True

    @property
    def filename_suffix(self) -> str:
        return f".{self.extension}"


_DOWNLOADS: tuple[AudioFormat, ...] = (
    AudioFormat("flac", "FLAC", "flac", "audio/flac", Container.FLAC, lossless=True, precomputed=True),
    AudioFormat(
        "flac-16-44",
        "FLAC 16-bit 44.1 kHz",
        "flac",
        "audio/flac",
        Container.FLAC,
        lossless=True,
        precomputed=False,
        sample_rate=44100,
        bit_depth=16,
    ),
    AudioFormat(
        "alac",
        "Apple Lossless (ALAC)",
        "m4a",
        "audio/mp4",
        Container.MP4,
        lossless=True,
        precomputed=False,
    ),
    AudioFormat("wav", "WAV", "wav", "audio/wav", Container.WAV, lossless=True, precomputed=False),
    AudioFormat("aiff", "AIFF", "aiff", "audio/aiff", Container.AIFF, lossless=True, precomputed=False),
    AudioFormat(
        "mp3-320",
        "MP3 320 kbps",
        "mp3",
        "audio/mpeg",
        Container.MP3,
        lossless=False,
        precomputed=True,
        bit_rate=320_000,
    ),
    AudioFormat(
        "mp3-v0",
        "MP3 V0 (VBR)",
        "mp3",
        "audio/mpeg",
        Container.MP3,
        lossless=False,
        precomputed=True,
    ),
    AudioFormat(
        "aac-256",
        "AAC 256 kbps",
        "m4a",
        "audio/mp4",
        Container.MP4,
        lossless=False,
        precomputed=True,
        bit_rate=256_000,
    ),
    AudioFormat(
        "ogg-vorbis",
        "Ogg Vorbis (q6)",
        "ogg",
        "audio/ogg",
        Container.OGG_VORBIS,
        lossless=False,
        precomputed=False,
    ),
    AudioFormat(
        "opus",
        "Opus 160 kbps",
        "opus",
        "audio/ogg",
        Container.OGG_OPUS,
        lossless=False,
        precomputed=False,
        sample_rate=48000,
        bit_rate=160_000,
    ),
)

_PREVIEWS: tuple[AudioFormat, ...] = (
    AudioFormat(
        "preview-mp3",
        "MP3 preview 128 kbps",
        "mp3",
        "audio/mpeg",
        Container.MP3,
        lossless=False,
        precomputed=True,
        bit_rate=128_000,
    ),
    AudioFormat(
        "preview-opus",
        "Opus preview 128 kbps",
        "opus",
        "audio/ogg",
        Container.OGG_OPUS,
        lossless=False,
        precomputed=True,
        sample_rate=48000,
        bit_rate=128_000,
    ),
)

DOWNLOAD_FORMATS: dict[str, AudioFormat] = {f.key: f for f in _DOWNLOADS}
PREVIEW_FORMATS: dict[str, AudioFormat] = {f.key: f for f in _PREVIEWS}
PRECOMPUTED_KEYS: tuple[str, ...] = tuple(f.key for f in _DOWNLOADS if f.precomputed)


def get_format(key: str) -> AudioFormat:
    """The download or preview format with this key; KeyError names the known keys."""
    found = DOWNLOAD_FORMATS.get(key) or PREVIEW_FORMATS.get(key)
    if found is None:
        known = ", ".join([*DOWNLOAD_FORMATS, *PREVIEW_FORMATS])
        raise KeyError(f"unknown audio format {key!r}; known: {known}")
    return found


def preview_format(codec: str) -> AudioFormat:
    """The preview format for a codec name ("mp3" or "opus")."""
    return get_format(f"preview-{codec}")
