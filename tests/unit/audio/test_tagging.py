"""Tags in every container, read back with mutagen: credits, cover, certificate URL, TDM reservation."""

# mutagen ships type hints for only part of its API; its constructors and tag methods are unannotated.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import base64
import hashlib
import io
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import pytest
from mutagen import File as MutagenFile
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode
from mutagen.mp4 import MP4
from PIL import Image

from storefront.audio.formats import DOWNLOAD_FORMATS, PREVIEW_FORMATS, get_format
from storefront.audio.synth import write_master
from storefront.audio.tagging import TrackTags, read_tags, write_tags
from storefront.audio.transcode.encode import make_preview, transcode_many

CERTIFICATE = "https://velvet.example/certificates/7f3a"
ID3_FORMATS = {"mp3-320", "mp3-v0", "wav", "aiff"}
VORBIS_FORMATS = {"flac", "flac-16-44", "ogg-vorbis", "opus"}
MP4_FORMATS = {"alac", "aac-256"}


def jpeg(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 40, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


TAGS = TrackTags(
    title="Nüit “blanche” — 夜",
    artist="Ada Example",
    album="Small Hours",
    album_artist="Ada Example & Friends",
    track_number=3,
    track_total=11,
    disc_number=1,
    disc_total=2,
    date="2024-05-31",
    isrc="GBXYZ2400003",
    label="Quiet Label",
    comment="Recorded live to tape.",
    cover_jpeg=jpeg(),
    certificate_url=CERTIFICATE,
    tdm_policy_url="https://velvet.example/tdm-policy",
)


@pytest.fixture(scope="module")
def untagged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("untagged")
    master = out / "master.flac"
    write_master(master, seed=31, seconds=2.0)
    outputs = {key: out / f"{key}.{fmt.extension}" for key, fmt in DOWNLOAD_FORMATS.items()}
    transcode_many(master, outputs)
    make_preview(master, out / "preview-mp3.mp3", codec="mp3")
    make_preview(master, out / "preview-opus.opus", codec="opus")
    return {**outputs, "preview-mp3": out / "preview-mp3.mp3", "preview-opus": out / "preview-opus.opus"}


def tagged_copy(untagged: dict[str, Path], key: str, tmp_path: Path, tags: TrackTags = TAGS) -> Path:
    path = tmp_path / untagged[key].name
    shutil.copy(untagged[key], path)
    write_tags(path, key, tags)
    return path


def decoded_samples(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(frame.samples for frame in container.decode(audio=0))


ALL_KEYS = sorted([*DOWNLOAD_FORMATS, *PREVIEW_FORMATS])


@pytest.mark.parametrize("key", ALL_KEYS)
def test_tags_read_back(key: str, untagged: dict[str, Path], tmp_path: Path) -> None:
    found = read_tags(tagged_copy(untagged, key, tmp_path))
    assert found == {
        "title": TAGS.title,
        "artist": TAGS.artist,
        "album": TAGS.album,
        "album_artist": TAGS.album_artist,
        "track_number": 3,
        "track_total": 11,
        "disc_number": 1,
        "disc_total": 2,
        "date": "2024-05-31",
        "isrc": "GBXYZ2400003",
        "label": "Quiet Label",
        "comment": "Recorded live to tape.",
        "certificate_url": CERTIFICATE,
        "tdm_reservation": True,
        "tdm_policy_url": "https://velvet.example/tdm-policy",
        "cover": TAGS.cover_jpeg,
    }


@pytest.mark.parametrize("key", ALL_KEYS)
def test_tagging_leaves_the_audio_intact(key: str, untagged: dict[str, Path], tmp_path: Path) -> None:
    assert decoded_samples(tagged_copy(untagged, key, tmp_path)) == decoded_samples(untagged[key])


@pytest.mark.parametrize("key", sorted(ID3_FORMATS))
def test_id3_frames(key: str, untagged: dict[str, Path], tmp_path: Path) -> None:
    audio = MutagenFile(tagged_copy(untagged, key, tmp_path))
    id3 = audio.tags
    assert isinstance(id3, ID3) and id3.version[:2] == (2, 4)
    links = id3.getall("WXXX")
    assert [(f.desc, f.url) for f in links] == [("Human-made certificate", CERTIFICATE)]
    assert str(id3["TXXX:TDM_RESERVATION"]) == "1"
    assert str(id3["TRCK"]) == "3/11" and str(id3["TPOS"]) == "1/2" and str(id3["TSRC"]) == "GBXYZ2400003"
    (cover,) = id3.getall("APIC")
    assert (cover.type, cover.mime, cover.data) == (3, "image/jpeg", TAGS.cover_jpeg)


@pytest.mark.parametrize("key", sorted(VORBIS_FORMATS))
def test_vorbis_comments(key: str, untagged: dict[str, Path], tmp_path: Path) -> None:
    audio = MutagenFile(tagged_copy(untagged, key, tmp_path))
    assert audio.tags["HUMANMADE_CERTIFICATE"] == [CERTIFICATE]
    assert audio.tags["TDM_RESERVATION"] == ["1"]
    assert audio.tags["TRACKNUMBER"] == ["3"] and audio.tags["TRACKTOTAL"] == ["11"]
    if isinstance(audio, FLAC):
        (picture,) = audio.pictures
    else:
        (block,) = audio.tags["METADATA_BLOCK_PICTURE"]
        picture = Picture(base64.b64decode(block))
    assert (picture.type, picture.mime, picture.width, picture.height) == (3, "image/jpeg", 40, 30)
    assert picture.data == TAGS.cover_jpeg


@pytest.mark.parametrize("key", sorted(MP4_FORMATS))
def test_mp4_atoms(key: str, untagged: dict[str, Path], tmp_path: Path) -> None:
    mp4: Any = MP4(tagged_copy(untagged, key, tmp_path))
    assert mp4.tags["trkn"] == [(3, 11)] and mp4.tags["disk"] == [(1, 2)]
    assert bytes(mp4.tags["----:com.apple.iTunes:HUMANMADE_CERTIFICATE"][0]).decode() == CERTIFICATE
    assert bytes(mp4.tags["covr"][0]) == TAGS.cover_jpeg


def test_mp3_stays_vbr_after_tagging(untagged: dict[str, Path], tmp_path: Path) -> None:
    v0: Any = MP3(tagged_copy(untagged, "mp3-v0", tmp_path))
    cbr: Any = MP3(tagged_copy(untagged, "mp3-320", tmp_path))
    assert v0.info.bitrate_mode is BitrateMode.VBR and cbr.info.bitrate_mode is BitrateMode.CBR


@pytest.mark.parametrize("key", ALL_KEYS)
def test_opting_in_to_mining_drops_the_reservation(
    key: str, untagged: dict[str, Path], tmp_path: Path
) -> None:
    path = tagged_copy(untagged, key, tmp_path)
    write_tags(path, key, replace(TAGS, tdm_opt_in=True, label=None, cover_jpeg=None))
    found = read_tags(path)
    # Rewriting replaces every tag: nothing of the first set survives.
    assert (found["tdm_reservation"], found["tdm_policy_url"], found["label"], found["cover"]) == (
        False,
        None,
        None,
        None,
    )
    assert found["title"] == TAGS.title


@pytest.mark.parametrize("key", ALL_KEYS)
def test_tagging_is_deterministic(key: str, untagged: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = tagged_copy(untagged, key, tmp_path / "a")
    second = tagged_copy(untagged, key, tmp_path / "b")
    write_tags(second, key, TAGS)  # tagging again changes nothing
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()


def test_minimal_tags(untagged: dict[str, Path], tmp_path: Path) -> None:
    path = tagged_copy(untagged, "mp3-320", tmp_path, TrackTags(title="T", artist="A"))
    found = read_tags(path)
    assert (found["title"], found["artist"]) == ("T", "A")
    assert (found["track_number"], found["certificate_url"]) == (None, None)
    assert found["tdm_reservation"] is True


def test_cover_must_be_jpeg(untagged: dict[str, Path], tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    for key in ("flac", "mp3-320", "aac-256", "opus"):
        with pytest.raises(ValueError, match="JPEG"):
            tagged_copy(untagged, key, tmp_path, replace(TAGS, cover_jpeg=buffer.getvalue()))


def test_format_key_decides_the_container() -> None:
    assert get_format("wav").container.value == "wav"
    with pytest.raises(KeyError):
        write_tags("nowhere.xyz", "xyz", TAGS)
