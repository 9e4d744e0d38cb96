"""The audio functions the media jobs call, behind one object so a deployment or a test can replace it.

It lives in `audio`, which depends on nothing of ours, so the settings can name a Workshop of their own
without importing the rooms that use it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from .analysis import AudioAnalysis, analyse
from .archive import AlbumTrack, build_album_zip
from .tagging import TrackTags, write_tags
from .transcode.batch import transcode_track
from .transcode.encode import make_preview


class Workshop(Protocol):
    def analyse(self, master: Path) -> AudioAnalysis: ...

    def render(self, master: Path, outputs: Mapping[str, Path], tags: TrackTags) -> None:
        """Encode the master into each format of `outputs` (format key -> path) and tag every file."""
        ...

    def preview(
        self, master: Path, dest: Path, fmt_key: str, *, start: float, length: float | None, tags: TrackTags
    ) -> None: ...

    def album(
        self,
        dest: Path,
        tracks: Sequence[AlbumTrack],
        *,
        artist: str,
        album: str,
        fmt_key: str,
        cover: Path | None,
    ) -> list[str]: ...


class AudioWorkshop:
    """The real thing: the pure functions of `storefront.audio`."""

    def __init__(self, max_workers: int | None = None) -> None:
        # Encoders release the GIL; more threads than cores only adds contention.
        self.max_workers = max_workers or min(4, os.cpu_count() or 1)

    def analyse(self, master: Path) -> AudioAnalysis:
        return analyse(master)

    def render(self, master: Path, outputs: Mapping[str, Path], tags: TrackTags) -> None:
        transcode_track(master, outputs, tags=tags, max_workers=self.max_workers)

    def preview(
        self, master: Path, dest: Path, fmt_key: str, *, start: float, length: float | None, tags: TrackTags
    ) -> None:
        codec = fmt_key.removeprefix("preview-")
        make_preview(master, dest, start=start, length=length, codec=codec)
        # A preview is streamed, not kept: the cover would only make every play heavier.
        write_tags(dest, fmt_key, replace(tags, cover_jpeg=None))

    def album(
        self,
        dest: Path,
        tracks: Sequence[AlbumTrack],
        *,
        artist: str,
        album: str,
        fmt_key: str,
        cover: Path | None,
    ) -> list[str]:
        return build_album_zip(dest, tracks, artist=artist, album=album, fmt_key=fmt_key, cover=cover)
