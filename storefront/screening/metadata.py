"""Screening of audio tags for traces AI music generators leave: their names, prompts and self-labels."""

from __future__ import annotations

import contextlib
import enum
import os
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import mutagen
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp4 import MP4Cover


class FieldKind(enum.StrEnum):
    SOFTWARE = "software"  # encoder / tool fields: written by programs, a generator name here is decisive
    COMMENT = "comment"  # comments, custom and private fields
    DESCRIPTIVE = "descriptive"  # title, artist, album, lyrics: people's words, where names can collide


@dataclass(frozen=True)
class TagField:
    container: str
    name: str
    value: str
    kind: FieldKind


@dataclass(frozen=True)
class MetadataFinding:
    rule: str  # "generator-name", "prompt-field" or "ai-declaration"
    field: str
    excerpt: str
    generator: str | None = None
    container: str = ""
    severity: str = "high"


@dataclass
class MetadataScan:
    findings: list[MetadataFinding] = field(default_factory=list)
    fields_scanned: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.findings)


# (display name, pattern, ambiguous). Ambiguous names are also ordinary words or given names ("boomy bass",
# "Jukebox", an artist called Aiva): they count only in software fields or in an unmistakable form.
_GENERATORS: tuple[tuple[str, str, bool], ...] = (
    ("Suno", r"suno", False),
    ("Udio", r"udio", False),
    ("Riffusion", r"riffusion", False),
    ("ElevenLabs", r"eleven\s*labs", False),
    ("MusicGen", r"music\s*gen", False),
    ("Stable Audio", r"stable\s*audio", False),
    ("Mubert", r"mubert", False),
    ("Soundraw", r"soundraw", False),
    ("Beatoven", r"beatoven", False),
    ("MusicLM", r"music\s*lm", False),
    ("Sonauto", r"sonauto", False),
    ("AIVA", r"aiva", True),
    ("Boomy", r"boomy", True),
    ("Soundful", r"soundful", True),
    ("Loudly", r"loudly", True),
    ("Amper", r"amper", True),
    ("Jukebox", r"jukebox", True),
    ("Lyria", r"lyria", True),
)
# Word edges are letters and digits only, so "udio" never matches inside "audio" or "studio", nor "suno"
# inside "Sunol", while "SUNO_PROMPT" and "suno.com" still do.
_EDGE_L, _EDGE_R = r"(?<![a-z0-9])", r"(?![a-z0-9])"
_PLAIN = {
    name: re.compile(rf"{_EDGE_L}(?:{pat})(?:[\s_-]?ai)?{_EDGE_R}", re.I) for name, pat, _ in _GENERATORS
}
_STRONG = {
    name: re.compile(
        rf"{_EDGE_L}(?:{pat})(?:\s*\.(?:ai|com|io|app)|[\s_-]?ai){_EDGE_R}"
        rf"|(?:made|created|generated|produced|composed|written)\s+(?:with|by|using|in|on)\s+(?:{pat}){_EDGE_R}",
        re.I,
    )
    for name, pat, _ in _GENERATORS
}
_AMBIGUOUS = {name for name, _, ambiguous in _GENERATORS if ambiguous}
_AI_DECLARATION = re.compile(
    rf"{_EDGE_L}(?:ai|a\.i\.)[\s-]?generated{_EDGE_R}"
    rf"|(?:made|created|generated|composed|produced|written)\s+(?:with|by|using)\s+(?:an?\s+)?"
    rf"(?:ai|a\.i\.|artificial intelligence|generative ai){_EDGE_R}"
    r"|text[\s-]to[\s-](?:music|song|audio)",
    re.I,
)
_NEGATION = re.compile(r"\b(?:no|not|non|without|zero|never|free of)[\s-]*$", re.I)
_PROMPT_KEY = re.compile(
    r"PROMPT|(?:^|_)(?:GENERATOR|GENERATED_BY|AI_GENERATED|AI_MODEL|MADE_WITH|CREATED_WITH)(?:_|$)"
)
_SOFTWARE_KEYS = {
    "TSSE",
    "TENC",
    "ENCODER",
    "ENCODED_BY",
    "ENCODEDBY",
    "ENCODER_SETTINGS",
    "ENCODING",
    "SOFTWARE",
    "TOOL",
    "TOOL_NAME",
    "TOOL_VERSION",
    "TOO",
    "ENC",
    "ISFT",
    "APPL",
    "WM_TOOLNAME",
    "WM_ENCODINGSETTINGS",
    "LAME",
}
_DESCRIPTIVE_KEYS = {
    "TIT1",
    "TIT2",
    "TIT3",
    "TPE1",
    "TPE2",
    "TPE3",
    "TPE4",
    "TALB",
    "TCOM",
    "TEXT",
    "TCON",
    "TOPE",
    "TOLY",
    "USLT",
    "TITLE",
    "ARTIST",
    "ALBUM",
    "ALBUMARTIST",
    "ALBUM_ARTIST",
    "COMPOSER",
    "LYRICIST",
    "GENRE",
    "LYRICS",
    "UNSYNCEDLYRICS",
    "PERFORMER",
    "NAM",
    "ART",
    "AART",
    "ALB",
    "WRT",
    "GEN",
    "LYR",
    "GRP",
    "INAM",
    "IART",
    "IPRD",
    "IGNR",
    "NAME",
    "AUTH",
}
_RIFF_INFO_NAMES = {
    "INAM",
    "IART",
    "IPRD",
    "IGNR",
    "ICMT",
    "ISFT",
    "ICRD",
    "IENG",
    "ITCH",
    "ISBJ",
    "IKEY",
    "ISRC",
    "ICOP",
    "IPRT",
    "ITRK",
}
_AIFF_TEXT_CHUNKS = {"NAME", "AUTH", "(c) ", "ANNO", "APPL"}


_ID3_READER: Any = ID3  # mutagen's constructor is untyped


def _norm_key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


def _kind(name: str) -> FieldKind:
    key = _norm_key(name)
    parts = [p for p in key.split("_") if p]
    if key in _SOFTWARE_KEYS or (parts and parts[0] in _SOFTWARE_KEYS):
        return FieldKind.SOFTWARE
    if parts and parts[0] == "TXXX" and parts[1:] and "_".join(parts[1:]) in _SOFTWARE_KEYS:
        return FieldKind.SOFTWARE
    if key in _DESCRIPTIVE_KEYS or (parts and parts[0] in {"USLT", "TIT2", "TPE1", "TALB"}):
        return FieldKind.DESCRIPTIVE
    return FieldKind.COMMENT


def _excerpt(text: str, start: int, end: int, width: int = 60) -> str:
    snippet = text[max(0, start - width) : end + width]
    snippet = " ".join(snippet.split())
    return snippet if len(snippet) <= 160 else snippet[:157] + "..."


def scan_fields(fields: Iterable[TagField]) -> MetadataScan:
    """Apply the generator, prompt and self-declaration rules to tag fields from any container.

    A bare generator name counts in software fields (any name) and in comment or custom fields
    (unambiguous names only); in titles, artists and lyrics it takes an unmistakable form such as
    "suno.com" or "made with Udio", so a Hindi title "Suno Na" or a singer called Aiva is not flagged.
    """
    scan = MetadataScan()
    for tag in fields:
        scan.fields_scanned += 1
        scan.findings.extend(_scan_field(tag))
    return scan


def _scan_field(tag: TagField) -> Iterator[MetadataFinding]:
    label = tag.name
    key = _norm_key(tag.name.split(":", 1)[-1] if tag.name.startswith(("TXXX:", "----:")) else tag.name)
    if _PROMPT_KEY.search(key):
        excerpt = _excerpt(tag.value, 0, 0) or "(empty)"
        yield MetadataFinding("prompt-field", label, excerpt, None, tag.container)
    seen: set[str] = set()
    for name, pattern in _PLAIN.items():
        if name not in _AMBIGUOUS and pattern.search(tag.name):
            seen.add(name)
            yield MetadataFinding("generator-name", label, f"field name {tag.name!r}", name, tag.container)
    for name, strong in _STRONG.items():
        if name in seen:
            continue
        match = strong.search(tag.value)
        if match is None and (
            tag.kind is FieldKind.SOFTWARE or (tag.kind is FieldKind.COMMENT and name not in _AMBIGUOUS)
        ):
            match = _PLAIN[name].search(tag.value)
        if match is not None:
            seen.add(name)
            yield MetadataFinding(
                "generator-name", label, _excerpt(tag.value, match.start(), match.end()), name, tag.container
            )
    for match in _AI_DECLARATION.finditer(tag.value):
        if not _NEGATION.search(tag.value[max(0, match.start() - 20) : match.start()]):
            yield MetadataFinding(
                "ai-declaration", label, _excerpt(tag.value, match.start(), match.end()), None, tag.container
            )
            break


def scan_file(path: str | os.PathLike[str]) -> MetadataScan:
    """Read every tag the container holds and screen it."""
    fields: list[TagField] = []
    notes: list[str] = []
    try:
        fields.extend(_mutagen_fields(path))
    except mutagen.MutagenError as exc:
        notes.append(f"tags unreadable: {exc}")
    try:
        fields.extend(_chunk_fields(path))
    except (OSError, struct.error, ValueError) as exc:
        notes.append(f"container chunks unreadable: {exc}")
    scan = scan_fields(fields)
    scan.notes.extend(notes)
    return scan


def _text(value: object) -> str | None:
    if isinstance(value, MP4Cover):
        return None  # cover art
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        parts = [t for t in (_text(v) for v in value) if t is not None]
        return " / ".join(parts)
    if getattr(value, "kind", None) == 1:  # a binary APEv2 value
        return None
    return str(value)


def _mutagen_fields(path: str | os.PathLike[str]) -> Iterator[TagField]:
    audio = mutagen.File(os.fspath(path))
    if audio is None:
        return
    container = type(audio).__name__
    encoder = getattr(audio.info, "encoder_info", "")
    if encoder:
        yield TagField(container, "encoder_info", str(encoder), FieldKind.SOFTWARE)
    if isinstance(audio, FLAC):
        # FLAC files may carry a leading ID3 tag (C2PA writers put their manifest there); mutagen skips it.
        with contextlib.suppress(mutagen.MutagenError):
            yield from _id3_fields(_ID3_READER(os.fspath(path)), "FLAC ID3")
    tags = audio.tags
    if tags is None:
        return
    if isinstance(tags, ID3):
        yield from _id3_fields(tags, container)
        return
    for key, values in tags.items():
        text = _text(values)
        if text is not None:
            yield TagField(container, str(key), text, _kind(str(key).split(":")[-1]))


def _id3_fields(tags: Any, container: str) -> Iterator[TagField]:
    for frame in tags.values():
        fid = frame.FrameID
        if fid in ("APIC", "GEOB"):
            value = " ".join(str(getattr(frame, a, "")) for a in ("desc", "filename", "mime"))
        elif fid == "PRIV":
            value = f"{frame.owner} {frame.data[:200].decode('utf-8', errors='replace')}"
        elif hasattr(frame, "url"):
            value = str(frame.url)
        elif hasattr(frame, "text"):
            texts = frame.text if isinstance(frame.text, list) else [frame.text]
            value = " / ".join(str(t) for t in texts)
        else:
            value = str(frame)
        name = f"{fid}:{frame.desc}" if fid in ("TXXX", "COMM", "USLT", "WXXX") else frame.HashKey
        kind = _kind(frame.desc) if fid == "TXXX" and _kind(frame.desc) is FieldKind.SOFTWARE else _kind(fid)
        yield TagField(container, name, value, kind)


def _chunk_fields(path: str | os.PathLike[str]) -> Iterator[TagField]:
    """RIFF INFO (WAV) and AIFF text chunks, which mutagen does not expose."""
    with open(path, "rb") as handle:
        head = handle.read(12)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            for cid, data in _chunks(handle, "<", 12):
                if cid == b"LIST" and data[:4] == b"INFO":
                    for sub, text in _subchunks(data[4:], "<"):
                        if sub in _RIFF_INFO_NAMES:
                            yield TagField("RIFF INFO", sub, text, _kind(sub))
        elif head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            for cid, data in _chunks(handle, ">", 12):
                name = cid.decode("latin-1")
                if name in _AIFF_TEXT_CHUNKS:
                    yield TagField("AIFF", name, _decode_text(data), _kind(name))


def _chunks(handle: BinaryIO, order: str, offset: int) -> Iterator[tuple[bytes, bytes]]:
    # Only small chunks are read into memory: audio data chunks are skipped with a seek.
    handle.seek(offset)
    while True:
        header = handle.read(8)
        if len(header) < 8:
            return
        cid, size = header[:4], struct.unpack(order + "I", header[4:])[0]
        if cid in (b"LIST", b"NAME", b"AUTH", b"(c) ", b"ANNO", b"APPL") and size <= 1 << 20:
            yield cid, handle.read(size)
        else:
            handle.seek(size, 1)
        if size % 2:
            handle.seek(1, 1)


def _subchunks(data: bytes, order: str) -> Iterator[tuple[str, str]]:
    pos = 0
    while pos + 8 <= len(data):
        cid = data[pos : pos + 4].decode("latin-1")
        size = struct.unpack(order + "I", data[pos + 4 : pos + 8])[0]
        yield cid, _decode_text(data[pos + 8 : pos + 8 + size])
        pos += 8 + size + (size % 2)


def _decode_text(data: bytes) -> str:
    data = data.split(b"\x00", 1)[0]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
