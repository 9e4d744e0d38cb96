"""Reading a master's tags with mutagen once their sizes are known to be sane, capping what we keep."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mutagen
from mutagen.aiff import AIFF
from mutagen.flac import FLAC
from mutagen.mp4 import MP4
from mutagen.wave import WAVE

_READERS: dict[str, Any] = {"flac": FLAC, "wav": WAVE, "aiff": AIFF, "mp4": MP4}
_ID3_NAMES = {
    "TIT2": "title",
    "TPE1": "artist",
    "TALB": "album",
    "TPE2": "albumartist",
    "TRCK": "tracknumber",
    "TPOS": "discnumber",
    "TDRC": "date",
    "TCON": "genre",
    "TSRC": "isrc",
    "TCOM": "composer",
    "TCOP": "copyright",
    "TPUB": "label",
    "TBPM": "bpm",
    "TKEY": "key",
    "TEXT": "lyricist",
}
_MP4_NAMES = {
    "\xa9nam": "title",
    "\xa9ART": "artist",
    "\xa9alb": "album",
    "aART": "albumartist",
    "trkn": "tracknumber",
    "disk": "discnumber",
    "\xa9day": "date",
    "\xa9gen": "genre",
    "\xa9wrt": "composer",
    "cprt": "copyright",
    "tmpo": "bpm",
    "----:com.apple.iTunes:ISRC": "isrc",
}
# Binary payloads (pictures, private blobs, embedded files) are never kept as text.
_BINARY_KEYS = ("APIC", "PRIV", "GEOB", "MCDI", "SYLT", "covr", "metadata_block_picture")


@dataclass(frozen=True)
class TagLimits:
    max_keys: int = 100
    max_values_per_key: int = 20
    max_value_chars: int = 1000
    max_key_chars: int = 64


@dataclass
class TagResult:
    tags: dict[str, list[str]] = field(default_factory=dict)
    truncated: bool = False
    unreadable: bool = False


def _name(container: str, key: str) -> str:
    if container in ("wav", "aiff"):
        return _ID3_NAMES.get(key.split(":")[0], key)
    if container == "mp4":
        return _MP4_NAMES.get(key, key)
    return key.lower()


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple):  # MP4 track and disc numbers are (number, total)
        return "/".join(str(v) for v in value if v)
    return str(value)


def _values(tag: Any) -> list[Any]:
    text = getattr(tag, "text", None)  # ID3 frames keep their values in .text
    if text is not None:
        return list(text)
    if isinstance(tag, list):
        return tag
    return [tag]


def read_tags(path: str, container: str, limits: TagLimits) -> TagResult:
    result = TagResult()
    reader = _READERS.get(container)
    if reader is None:
        return result
    try:
        audio = reader(path)
        if audio.tags is None:
            items = []
        elif container == "flac":
            items = [(key, [value]) for key, value in audio.tags]  # in file order, unlike .items()
        else:
            items = list(audio.tags.items())
    except (mutagen.MutagenError, ValueError, KeyError, IndexError, OverflowError, UnicodeDecodeError):
        result.unreadable = True
        return result
    for key, tag in items:
        key_text = str(key)
        if any(key_text.startswith(binary) for binary in _BINARY_KEYS):
            continue
        name = _name(container, key_text)
        if len(name) > limits.max_key_chars:
            name, result.truncated = name[: limits.max_key_chars], True
        if name not in result.tags and len(result.tags) >= limits.max_keys:
            result.truncated = True
            continue
        kept = result.tags.setdefault(name, [])
        for value in _values(tag):
            text = _text(value)
            if len(kept) >= limits.max_values_per_key:
                result.truncated = True
                break
            if len(text) > limits.max_value_chars:
                text, result.truncated = text[: limits.max_value_chars], True
            kept.append(text)
    return result
