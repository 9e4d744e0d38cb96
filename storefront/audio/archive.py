"""ZIP archives of a whole album in one format, with safe and readable folder and file names."""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storefront.audio.formats import get_format

COPY_CHUNK = 1 << 20
MAX_COMPONENT_CHARS = 80
# DOS device names stay reserved on Windows with any extension ("CON.flac"), so they are guarded whole.
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CLOCK$",
    "CONIN$",
    "CONOUT$",
    *(f"{dev}{i}" for dev in ("COM", "LPT") for i in (*"123456789", "¹", "²", "³")),
}
_REPLACEMENTS = {"/": "-", "\\": "-", "|": "-", ":": " -", "*": "_", "?": "", '"': "'", "<": "(", ">": ")"}
# Control and format characters (incl. bidirectional overrides that disguise extensions), surrogates,
# private-use and unassigned code points, line and paragraph separators.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# Keep the joiner that holds emoji sequences together.
_KEPT_FORMAT_CHARS = {"\u200d"}
# A fixed timestamp makes the archive the same bytes every time it is built from the same files.
DEFAULT_DATE_TIME = (1980, 1, 1, 0, 0, 0)


def safe_name(text: str, *, fallback: str = "Untitled", max_chars: int = MAX_COMPONENT_CHARS) -> str:
    """One path component that every common file system accepts and that cannot climb out of its folder."""
    text = unicodedata.normalize("NFC", text)
    chars = []
    for ch in text:
        if ch in _REPLACEMENTS:
            chars.append(_REPLACEMENTS[ch])
        elif ch.isspace():
            chars.append(" ")
        elif unicodedata.category(ch) not in _DROPPED_CATEGORIES or ch in _KEPT_FORMAT_CHARS:
            chars.append(ch)
    name = re.sub(r" {2,}", " ", "".join(chars))
    name = name[:max_chars]
    # Windows drops trailing dots and spaces; leading dots hide files elsewhere and "." / ".." climb.
    name = name.strip(" .")
    if not name:
        return fallback
    if name.split(".")[0].upper().rstrip(" ") in _RESERVED:
        name = f"_{name}"
    return name


def album_folder_name(artist: str, album: str, format_label: str) -> str:
    """The archive's top folder, e.g. "Artist - Album (FLAC)"."""
    label = safe_name(format_label, fallback="Audio", max_chars=30)
    base = (
        f"{safe_name(artist, fallback='Unknown Artist', max_chars=60)} - "
        f"{safe_name(album, fallback='Untitled', max_chars=80)}"
    )
    return safe_name(f"{base} ({label})", max_chars=150)


@dataclass(frozen=True)
class AlbumTrack:
    source: str | os.PathLike[str]  # the file to put in the archive, already encoded and tagged
    number: int
    title: str
    disc: int | None = None  # given on multi-disc albums: "1-01 Title"
    artist: str | None = None  # given on compilations: "01 Artist - Title"


def track_file_name(track: AlbumTrack, extension: str, *, number_width: int = 2) -> str:
    number = f"{track.number:0{number_width}d}"
    if track.disc is not None:
        number = f"{track.disc}-{number}"
    title = track.title if track.artist is None else f"{track.artist} - {track.title}"
    return f"{number} {safe_name(title, max_chars=MAX_COMPONENT_CHARS)}.{extension}"


def _unique(name: str, taken: set[str]) -> str:
    """Names compared without case, as on Windows and macOS, so no file overwrites another on extraction."""
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate.casefold() in taken:
        candidate = f"{stem} ({n}){dot}{ext}"
        n += 1
    taken.add(candidate.casefold())
    return candidate


def _add_file(
    archive: zipfile.ZipFile,
    arcname: str,
    source: str | os.PathLike[str],
    date_time: tuple[int, int, int, int, int, int],
) -> None:
    info = zipfile.ZipInfo(arcname, date_time=date_time)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o100644 << 16
    # Knowing the size up front lets zipfile use ZIP64 records only for entries that need them (> 4 GiB).
    info.file_size = os.path.getsize(source)
    with open(source, "rb") as src, archive.open(info, "w") as dest:
        shutil.copyfileobj(src, dest, COPY_CHUNK)


def build_album_zip(
    dest: str | os.PathLike[str],
    tracks: Sequence[AlbumTrack],
    *,
    artist: str,
    album: str,
    fmt_key: str,
    cover: str | os.PathLike[str] | None = None,
    date_time: tuple[int, int, int, int, int, int] = DEFAULT_DATE_TIME,
) -> list[str]:
    """Write the album as a ZIP: "Artist - Album (FLAC)/01 Title.flac" ..., plus cover.jpg (or .png).

    Audio and images are already compressed, so entries are stored, not deflated; files are copied in
    chunks, never read whole. The archive is written next to `dest` and moved into place when complete.
    Returns the names inside the archive, in order.
    """
    fmt = get_format(fmt_key)
    folder = album_folder_name(artist, album, fmt.label.split(" (")[0])
    width = max(2, len(str(max((t.number for t in tracks), default=0))))
    taken: set[str] = set()
    names = [
        f"{folder}/{_unique(track_file_name(t, fmt.extension, number_width=width), taken)}" for t in tracks
    ]
    cover_name = None
    if cover is not None:
        ext = Path(cover).suffix.lower().lstrip(".") or "jpg"
        cover_name = f"{folder}/{_unique(f'cover.{ext}', taken)}"
    temp = f"{os.fspath(dest)}.part"
    try:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for track, name in zip(tracks, names, strict=True):
                _add_file(archive, name, track.source, date_time)
            if cover is not None and cover_name is not None:
                _add_file(archive, cover_name, cover, date_time)
        os.replace(temp, dest)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise
    return [*names, *([cover_name] if cover_name else [])]
