"""Tags written into every downloadable file: credits, cover, human-made certificate, TDM reservation."""

# mutagen ships type hints for only part of its API; its constructors and tag methods are unannotated.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mutagen import File as MutagenFile
from mutagen.aiff import AIFF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, COMM, ID3, TALB, TDRC, TIT2, TPE1, TPE2, TPOS, TPUB, TRCK, TSRC, TXXX, WXXX
from mutagen.mp4 import MP4, AtomDataType, MP4Cover, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import Image

from storefront.audio.formats import Container, get_format

CERTIFICATE_FIELD = "HUMANMADE_CERTIFICATE"
CERTIFICATE_LINK_DESC = "Human-made certificate"
TDM_RESERVATION_FIELD = "TDM_RESERVATION"
TDM_POLICY_FIELD = "TDM_POLICY"
_ITUNES = "----:com.apple.iTunes:"
_FRONT_COVER = 3  # picture type shared by ID3 APIC and FLAC PICTURE


@dataclass(frozen=True)
class TrackTags:
    title: str
    artist: str
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    track_total: int | None = None
    disc_number: int | None = None
    disc_total: int | None = None
    date: str | None = None  # "2024" or "2024-05-31"
    isrc: str | None = None
    label: str | None = None
    comment: str | None = None
    cover_jpeg: bytes | None = None
    certificate_url: str | None = None
    # Unless the artist opted in to text-and-data mining, every file carries the TDMRep reservation.
    tdm_opt_in: bool = False
    tdm_policy_url: str | None = None

    @property
    def tdm_reserved(self) -> bool:
        return not self.tdm_opt_in


def _check_cover(data: bytes) -> tuple[int, int]:
    if not data.startswith(b"\xff\xd8\xff"):
        raise ValueError("cover art must be JPEG")
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def _flac_picture(data: bytes) -> Picture:
    width, height = _check_cover(data)
    picture = Picture()
    picture.type = _FRONT_COVER
    picture.mime = "image/jpeg"
    picture.desc = "Cover"
    picture.width, picture.height, picture.depth = width, height, 24
    picture.data = data
    return picture


def _vorbis_fields(tags: TrackTags) -> dict[str, str]:
    fields: dict[str, object] = {
        "TITLE": tags.title,
        "ARTIST": tags.artist,
        "ALBUM": tags.album,
        "ALBUMARTIST": tags.album_artist,
        "TRACKNUMBER": tags.track_number,
        "TRACKTOTAL": tags.track_total,
        "DISCNUMBER": tags.disc_number,
        "DISCTOTAL": tags.disc_total,
        "DATE": tags.date,
        "ISRC": tags.isrc,
        "LABEL": tags.label,
        "ORGANIZATION": tags.label,
        "COMMENT": tags.comment,
        CERTIFICATE_FIELD: tags.certificate_url,
    }
    if tags.tdm_reserved:
        fields[TDM_RESERVATION_FIELD] = "1"
        fields[TDM_POLICY_FIELD] = tags.tdm_policy_url
    return {key: str(value) for key, value in fields.items() if value is not None}


def _number_pair(number: int | None, total: int | None) -> str | None:
    if number is None:
        return None
    return f"{number}/{total}" if total else str(number)


def _id3(tags: TrackTags) -> ID3:
    id3 = ID3()
    texts: list[tuple[Callable[..., Any], str | None]] = [
        (TIT2, tags.title),
        (TPE1, tags.artist),
        (TALB, tags.album),
        (TPE2, tags.album_artist),
        (TRCK, _number_pair(tags.track_number, tags.track_total)),
        (TPOS, _number_pair(tags.disc_number, tags.disc_total)),
        (TDRC, tags.date),
        (TSRC, tags.isrc),
        (TPUB, tags.label),
    ]
    for frame, value in texts:
        if value is not None:
            id3.add(frame(encoding=3, text=[value]))
    if tags.comment is not None:
        id3.add(COMM(encoding=3, lang="eng", desc="", text=[tags.comment]))
    if tags.certificate_url is not None:
        id3.add(WXXX(encoding=3, desc=CERTIFICATE_LINK_DESC, url=tags.certificate_url))
        id3.add(TXXX(encoding=3, desc=CERTIFICATE_FIELD, text=[tags.certificate_url]))
    if tags.tdm_reserved:
        id3.add(TXXX(encoding=3, desc=TDM_RESERVATION_FIELD, text=["1"]))
        if tags.tdm_policy_url is not None:
            id3.add(TXXX(encoding=3, desc=TDM_POLICY_FIELD, text=[tags.tdm_policy_url]))
    if tags.cover_jpeg is not None:
        _check_cover(tags.cover_jpeg)
        id3.add(APIC(encoding=3, mime="image/jpeg", type=_FRONT_COVER, desc="Cover", data=tags.cover_jpeg))
    return id3


def _cleared_tags(audio: Any) -> Any:
    """The file's tag container, created if missing and emptied (mutagen types it as None)."""
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()
    return audio.tags


def _write_id3_chunk(audio: WAVE | AIFF, tags: TrackTags) -> None:
    chunk = _cleared_tags(audio)
    for frame in _id3(tags).values():
        chunk.add(frame)
    audio.save(v2_version=4)


def _write_mp4(path: str, tags: TrackTags) -> None:
    mp4 = MP4(path)
    atoms = _cleared_tags(mp4)
    plain = {
        "\xa9nam": tags.title,
        "\xa9ART": tags.artist,
        "\xa9alb": tags.album,
        "aART": tags.album_artist,
        "\xa9day": tags.date,
        "\xa9cmt": tags.comment,
    }
    for atom, value in plain.items():
        if value is not None:
            atoms[atom] = [value]
    if tags.track_number is not None:
        atoms["trkn"] = [(tags.track_number, tags.track_total or 0)]
    if tags.disc_number is not None:
        atoms["disk"] = [(tags.disc_number, tags.disc_total or 0)]
    free = {"ISRC": tags.isrc, "LABEL": tags.label, CERTIFICATE_FIELD: tags.certificate_url}
    if tags.tdm_reserved:
        free[TDM_RESERVATION_FIELD] = "1"
        free[TDM_POLICY_FIELD] = tags.tdm_policy_url
    for name, value in free.items():
        if value is not None:
            atoms[_ITUNES + name] = [MP4FreeForm(value.encode(), dataformat=AtomDataType.UTF8)]
    if tags.cover_jpeg is not None:
        _check_cover(tags.cover_jpeg)
        atoms["covr"] = [MP4Cover(tags.cover_jpeg, imageformat=MP4Cover.FORMAT_JPEG)]
    mp4.save()


def _write_flac(path: str, tags: TrackTags) -> None:
    flac = FLAC(path)
    comments = _cleared_tags(flac)
    flac.clear_pictures()
    for key, value in _vorbis_fields(tags).items():
        comments[key] = [value]
    if tags.cover_jpeg is not None:
        flac.add_picture(_flac_picture(tags.cover_jpeg))
    flac.save()


def _write_ogg(audio: OggVorbis | OggOpus, tags: TrackTags) -> None:
    comments = _cleared_tags(audio)
    for key, value in _vorbis_fields(tags).items():
        comments[key] = [value]
    if tags.cover_jpeg is not None:
        block = _flac_picture(tags.cover_jpeg).write()
        comments["METADATA_BLOCK_PICTURE"] = [base64.b64encode(block).decode("ascii")]
    audio.save()


def write_tags(path: str | os.PathLike[str], fmt_key: str, tags: TrackTags) -> None:
    """Replace whatever tags the file has with `tags`. Same file and tags in, same bytes out."""
    path = os.fspath(path)
    container = get_format(fmt_key).container
    if container is Container.FLAC:
        _write_flac(path, tags)
    elif container is Container.MP3:
        _id3(tags).save(path, v2_version=4)
    elif container is Container.WAV:
        _write_id3_chunk(WAVE(path), tags)
    elif container is Container.AIFF:
        _write_id3_chunk(AIFF(path), tags)
    elif container is Container.MP4:
        _write_mp4(path, tags)
    elif container is Container.OGG_VORBIS:
        _write_ogg(OggVorbis(path), tags)
    elif container is Container.OGG_OPUS:
        _write_ogg(OggOpus(path), tags)
    else:  # pragma: no cover - every container is handled above
        raise ValueError(f"cannot tag {fmt_key!r}")


_KEYS = (
    "title",
    "artist",
    "album",
    "album_artist",
    "track_number",
    "track_total",
    "disc_number",
    "disc_total",
    "date",
    "isrc",
    "label",
    "comment",
    "certificate_url",
    "tdm_reservation",
    "tdm_policy_url",
    "cover",
)


def _split_pair(value: str | None) -> tuple[int | None, int | None]:
    if not value:
        return None, None
    number, _, total = value.partition("/")
    return int(number), int(total) if total else None


def _read_id3(id3: ID3) -> dict[str, Any]:
    def text(key: str) -> str | None:
        frame = id3.get(key)
        return str(frame.text[0]) if frame is not None and frame.text else None

    track = _split_pair(text("TRCK"))
    disc = _split_pair(text("TPOS"))
    comments = id3.getall("COMM")
    covers = id3.getall("APIC")
    links = [f.url for f in id3.getall("WXXX") if f.desc == CERTIFICATE_LINK_DESC]
    return {
        "title": text("TIT2"),
        "artist": text("TPE1"),
        "album": text("TALB"),
        "album_artist": text("TPE2"),
        "track_number": track[0],
        "track_total": track[1],
        "disc_number": disc[0],
        "disc_total": disc[1],
        "date": text("TDRC"),
        "isrc": text("TSRC"),
        "label": text("TPUB"),
        "comment": str(comments[0].text[0]) if comments else None,
        "certificate_url": links[0] if links else text(f"TXXX:{CERTIFICATE_FIELD}"),
        "tdm_reservation": text(f"TXXX:{TDM_RESERVATION_FIELD}") == "1",
        "tdm_policy_url": text(f"TXXX:{TDM_POLICY_FIELD}"),
        "cover": covers[0].data if covers else None,
    }


def _read_vorbis(comments: Any, pictures: list[Picture]) -> dict[str, Any]:
    def text(key: str) -> str | None:
        values = comments.get(key) if comments is not None else None
        return str(values[0]) if values else None

    def number(key: str) -> int | None:
        value = text(key)
        return int(value) if value else None

    blocks = comments.get("METADATA_BLOCK_PICTURE", []) if comments is not None else []
    pictures = pictures + [Picture(base64.b64decode(b)) for b in blocks]
    return {
        "title": text("TITLE"),
        "artist": text("ARTIST"),
        "album": text("ALBUM"),
        "album_artist": text("ALBUMARTIST"),
        "track_number": number("TRACKNUMBER"),
        "track_total": number("TRACKTOTAL"),
        "disc_number": number("DISCNUMBER"),
        "disc_total": number("DISCTOTAL"),
        "date": text("DATE"),
        "isrc": text("ISRC"),
        "label": text("LABEL"),
        "comment": text("COMMENT"),
        "certificate_url": text(CERTIFICATE_FIELD),
        "tdm_reservation": text(TDM_RESERVATION_FIELD) == "1",
        "tdm_policy_url": text(TDM_POLICY_FIELD),
        "cover": pictures[0].data if pictures else None,
    }


def _read_mp4(mp4: MP4) -> dict[str, Any]:
    tags: Any = mp4.tags or {}

    def first(key: str) -> Any:
        values = tags.get(key)
        return values[0] if values else None

    def free(name: str) -> str | None:
        value = first(_ITUNES + name)
        return bytes(value).decode() if value is not None else None

    track = first("trkn") or (None, 0)
    disc = first("disk") or (None, 0)
    cover = first("covr")
    return {
        "title": first("\xa9nam"),
        "artist": first("\xa9ART"),
        "album": first("\xa9alb"),
        "album_artist": first("aART"),
        "track_number": track[0],
        "track_total": track[1] or None,
        "disc_number": disc[0],
        "disc_total": disc[1] or None,
        "date": first("\xa9day"),
        "isrc": free("ISRC"),
        "label": free("LABEL"),
        "comment": first("\xa9cmt"),
        "certificate_url": free(CERTIFICATE_FIELD),
        "tdm_reservation": free(TDM_RESERVATION_FIELD) == "1",
        "tdm_policy_url": free(TDM_POLICY_FIELD),
        "cover": bytes(cover) if cover is not None else None,
    }


def read_tags(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The tags of any file write_tags can write, under TrackTags' names (cover as bytes, TDM as a bool)."""
    audio = MutagenFile(os.fspath(path))
    if audio is None:
        raise ValueError(f"not a tagged audio file: {os.fspath(path)}")
    if isinstance(audio, MP4):
        found = _read_mp4(audio)
    elif isinstance(audio, FLAC):
        found = _read_vorbis(audio.tags, list(audio.pictures))
    elif isinstance(audio, OggVorbis | OggOpus):
        found = _read_vorbis(audio.tags, [])
    elif isinstance(audio.tags, ID3):
        found = _read_id3(audio.tags)
    else:
        found = dict.fromkeys(_KEYS)
    return {key: found.get(key) for key in _KEYS}
