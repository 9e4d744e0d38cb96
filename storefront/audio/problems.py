"""Problems found in uploaded files, worded for artists, and the small formatting helpers they share."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

_MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class Problem:
    """One reason an upload cannot be accepted (or, among notes, something we changed)."""

    code: str  # stable machine code, e.g. "truncated"; the web page may key help links on it
    message: str  # what is wrong, naming the file
    advice: str  # what the artist should do about it


def format_duration(seconds: float) -> str:
    """ "2:41" or "1:02:03"; rounds down, because "ends at 2:41" must not claim audio that is missing."""
    if not math.isfinite(seconds) or seconds < 0:
        seconds = 0.0
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_length(seconds: float) -> str:
    """A length for a sentence: "0.5 seconds" below a minute, "3:30" above."""
    if math.isfinite(seconds) and 0 <= seconds < 60:
        text = f"{seconds:.1f}".rstrip("0").rstrip(".")
        return f"{text} second" if text == "1" else f"{text} seconds"
    return format_duration(seconds)


def format_bytes(size: int) -> str:
    """Sizes as artists see them in their file browser (decimal units)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{size} bytes"


def display_name(filename: str) -> str:
    """The upload's name made safe to show: last path part only, no control or direction-override characters.

    The name comes from the uploader's browser and is never used as a path; this only keeps messages readable
    and stops tricks such as a right-to-left override making "evil\u202egalf.wav" look like "evilvaw.flag".
    """
    name = re.split(r"[\\/]", filename)[-1]
    name = unicodedata.normalize("NFC", name)
    # Control characters (newlines, NUL) become spaces; invisible formatting characters simply go.
    name = "".join(
        " " if unicodedata.category(ch) == "Cc" else ch
        for ch in name
        if unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn")
    )
    name = " ".join(name.split())
    if len(name) > _MAX_NAME_CHARS:
        _, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        name = name[: _MAX_NAME_CHARS - len(keep) - 2] + "…" + ("." + keep if keep else "")
    return name or "your file"


def extension_of(name: str) -> str:
    """The lower-case extension with its dot (".flac"), or "" when the name has none."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not ext or len(ext) > 10:
        return ""
    return "." + ext.lower()
