"""Album ZIPs: safe names, stored entries, streamed contents, the same bytes every time."""

from __future__ import annotations

import hashlib
import tracemalloc
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from storefront.audio.archive import (
    AlbumTrack,
    album_folder_name,
    build_album_zip,
    safe_name,
    track_file_name,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AC/DC", "AC-DC"),
        ("Title: Subtitle", "Title - Subtitle"),
        ("What?", "What"),
        ('Say "hi" <now> | *', "Say 'hi' (now) - _"),
        ("../../etc/passwd", "-..-etc-passwd"),
        ("..", "Untitled"),
        ("  ...  ", "Untitled"),
        ("", "Untitled"),
        (".hidden", "hidden"),
        ("trailing dots...", "trailing dots"),
        ("tabs\tand\nnewlines", "tabs and newlines"),
        ("bell\x07null\x00", "bellnull"),
        ("evil\u202egnp.exe", "evilgnp.exe"),  # right-to-left override could disguise the extension
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1", "_com1"),
        ("LPT9 ", "_LPT9"),
        ("Console", "Console"),
        ("Björk — Jóga", "Björk — Jóga"),
        ("坂本龍一", "坂本龍一"),
        ("Café", "Café"),  # decomposed input comes out composed
        ("👩\u200d🎤 singer", "👩\u200d🎤 singer"),
    ],
)
def test_safe_name(raw: str, expected: str) -> None:
    assert safe_name(raw) == expected


def test_safe_name_caps_length_without_leaving_a_trailing_dot_or_space() -> None:
    assert safe_name("x" * 300) == "x" * 80
    assert safe_name("a" * 79 + " b") == "a" * 79
    assert safe_name("a" * 79 + ".b") == "a" * 79
    assert len(safe_name("é" * 300, max_chars=20)) == 20


def test_folder_and_file_names() -> None:
    assert album_folder_name("Ada Example", "Small Hours", "FLAC") == "Ada Example - Small Hours (FLAC)"
    assert album_folder_name("", "", "") == "Unknown Artist - Untitled (Audio)"
    assert album_folder_name("AC/DC", "Live: 1991", "MP3 320 kbps") == "AC-DC - Live - 1991 (MP3 320 kbps)"
    assert track_file_name(AlbumTrack("x", 1, "Intro"), "flac") == "01 Intro.flac"
    assert track_file_name(AlbumTrack("x", 4, "Song", disc=2), "mp3") == "2-04 Song.mp3"
    assert track_file_name(AlbumTrack("x", 12, "B/W", artist="Guest"), "ogg") == "12 Guest - B-W.ogg"


@pytest.fixture
def album(tmp_path: Path) -> tuple[list[AlbumTrack], Path]:
    sources = tmp_path / "src"
    sources.mkdir()
    tracks = []
    for number, title in enumerate(["Intro", "CON", "intro", "../../escape", "Ünïcode ♫"], start=1):
        path = sources / f"{number}.flac"
        path.write_bytes(bytes([number]) * (1000 + number))
        tracks.append(AlbumTrack(path, number if number != 3 else 1, title))
    cover = sources / "cover.jpg"
    cover.write_bytes(b"\xff\xd8\xff" + bytes(500))
    return tracks, cover


def test_album_zip_layout_and_contents(album: tuple[list[AlbumTrack], Path], tmp_path: Path) -> None:
    tracks, cover = album
    dest = tmp_path / "album.zip"
    names = build_album_zip(
        dest, tracks, artist="Ada/Example", album="Small Hours", fmt_key="flac", cover=cover
    )
    folder = "Ada-Example - Small Hours (FLAC)"
    assert names == [
        f"{folder}/01 Intro.flac",
        f"{folder}/02 _CON.flac",
        f"{folder}/01 intro (2).flac",
        f"{folder}/04 -..-escape.flac",
        f"{folder}/05 Ünïcode ♫.flac",
        f"{folder}/cover.jpg",
    ]
    with zipfile.ZipFile(dest) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == names
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            path = PurePosixPath(info.filename)
            assert not path.is_absolute() and ".." not in path.parts
        for track, name in zip(tracks, names, strict=False):
            assert archive.read(name) == Path(track.source).read_bytes()
        assert archive.read(names[-1]) == cover.read_bytes()
    assert not list(tmp_path.glob("*.part"))


def test_same_files_give_the_same_archive(album: tuple[list[AlbumTrack], Path], tmp_path: Path) -> None:
    tracks, cover = album
    digests = set()
    for name in ("a.zip", "b.zip"):
        build_album_zip(tmp_path / name, tracks, artist="A", album="B", fmt_key="mp3-320", cover=cover)
        digests.add(hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
    assert len(digests) == 1


def test_format_label_names_the_folder(album: tuple[list[AlbumTrack], Path], tmp_path: Path) -> None:
    tracks, _ = album
    names = build_album_zip(tmp_path / "v0.zip", tracks[:1], artist="A", album="B", fmt_key="mp3-v0")
    assert names == ["A - B (MP3 V0)/01 Intro.mp3"]


def test_contents_are_streamed_not_read_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.wav"
    with big.open("wb") as fh:
        for _ in range(32):
            fh.write(bytes(2**20))
    tracemalloc.start()
    try:
        build_album_zip(
            tmp_path / "big.zip", [AlbumTrack(big, 1, "Long")], artist="A", album="B", fmt_key="wav"
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20
    with zipfile.ZipFile(tmp_path / "big.zip") as archive:
        assert archive.getinfo("A - B (WAV)/01 Long.wav").file_size == 32 * 2**20


def test_a_failed_build_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        build_album_zip(
            tmp_path / "x.zip",
            [AlbumTrack(tmp_path / "missing.flac", 1, "Gone")],
            artist="A",
            album="B",
            fmt_key="flac",
        )
    assert list(tmp_path.iterdir()) == []
