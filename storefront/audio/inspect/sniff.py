"""What a file really is, from its first bytes, and whether another file is hidden inside it."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

# kind -> (how to name it in a sentence, family). Families: lossless (accepted containers), lossy,
# audio (audio we do not accept), image, other.
KINDS: dict[str, tuple[str, str]] = {
    "flac": ("a FLAC file", "lossless"),
    "wav": ("a WAV file", "lossless"),
    "aiff": ("an AIFF file", "lossless"),
    "mp4": ("an MPEG-4 audio file", "lossless"),
    "mp3": ("an MP3 file", "lossy"),
    "aac": ("an AAC file", "lossy"),
    "opus": ("an Opus file", "lossy"),
    "vorbis": ("an Ogg Vorbis file", "lossy"),
    "wma": ("a Windows Media file", "lossy"),
    "amr": ("an AMR voice recording", "lossy"),
    "ogg": ("an Ogg file", "audio"),
    "ogg_flac": ("a FLAC stream inside an Ogg file", "audio"),
    "matroska": ("a Matroska or WebM file", "audio"),
    "caf": ("a Core Audio (CAF) file", "audio"),
    "ape": ("a Monkey's Audio file", "audio"),
    "wavpack": ("a WavPack file", "audio"),
    "tta": ("a TTA file", "audio"),
    "dsd": ("a DSD file", "audio"),
    "midi": ("a MIDI file", "audio"),
    "png": ("a PNG image", "image"),
    "jpeg": ("a JPEG image", "image"),
    "gif": ("a GIF image", "image"),
    "webp": ("a WebP image", "image"),
    "heic": ("a HEIC or AVIF image", "image"),
    "tiff": ("a TIFF image", "image"),
    "bmp": ("a BMP image", "image"),
    "svg": ("an SVG drawing", "image"),
    "psd": ("a Photoshop document", "image"),
    "zip": ("a ZIP archive", "other"),
    "gzip": ("a gzip archive", "other"),
    "rar": ("a RAR archive", "other"),
    "7z": ("a 7-Zip archive", "other"),
    "pdf": ("a PDF document", "other"),
    "exe": ("a program", "other"),
    "video": ("a video file", "other"),
    "html": ("a web page", "other"),
    "xml": ("an XML document", "other"),
    "text": ("a text file", "other"),
    "unknown": ("a file we do not recognise", "other"),
}

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"fLaC", "flac"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"%PDF-", "pdf"),
    (b"MZ", "exe"),
    (b"\x7fELF", "exe"),
    (b"\x1aE\xdf\xa3", "matroska"),
    (b"caff", "caf"),
    (b"MAC ", "ape"),
    (b"wvpk", "wavpack"),
    (b"TTA1", "tta"),
    (b"DSD ", "dsd"),
    (b"FRM8", "dsd"),
    (b"MThd", "midi"),
    (b"#!AMR", "amr"),
    (b"0&\xb2u\x8ef\xcf\x11", "wma"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"8BPS", "psd"),
)
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<meta", b"<div", b"<title")
_HEAD_BYTES = 512


@dataclass(frozen=True)
class Sniffed:
    kind: str
    offset: int  # where the recognised content starts (after a leading ID3 tag, say)

    @property
    def label(self) -> str:
        return KINDS[self.kind][0]

    @property
    def family(self) -> str:
        return KINDS[self.kind][1]


def _mpeg_audio(head: bytes) -> str | None:
    """MP3 or ADTS AAC from a frame header, checking the fields that random bytes rarely get right."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    if head[1] & 0xF6 == 0xF0:  # ADTS: twelve sync bits and layer 00
        return "aac" if (head[2] >> 2) & 0x0F < 13 else None
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    # Layer I (0b11) is left out: nobody makes it any more, and a UTF-16 text file starts the same way.
    if version == 1 or layer in (0, 3) or bitrate in (0, 15) or rate == 3:
        return None
    return "mp3"


def _textual(head: bytes) -> str | None:
    sample = head.removeprefix(b"\xef\xbb\xbf")
    if not sample:
        return None
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is still text.
        if exc.start < len(sample) - 3:
            return None
        text = sample[: exc.start].decode("utf-8")
    if any(not (ch.isprintable() or ch in "\r\n\t\f") for ch in text):
        return None
    lowered = sample.lstrip().lower()
    if any(marker in lowered for marker in _HTML_MARKERS):
        return "html"
    if lowered.startswith(b"<?xml") or lowered.startswith(b"<svg"):
        return "svg" if b"<svg" in lowered else "xml"
    return "text"


def classify(head: bytes) -> str:
    """The kind of file whose first bytes are `head` (no tag skipping)."""
    if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64", b"BW64"):
        return {b"WAVE": "wav", b"WEBP": "webp", b"AVI ": "video"}.get(head[8:12], "unknown")
    if len(head) >= 12 and head[:4] == b"FORM":
        return "aiff" if head[8:12] in (b"AIFF", b"AIFC") else "unknown"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"):
            return "heic"
        return "mp4"
    if head[:4] == b"OggS":
        page = head[:_HEAD_BYTES]
        for marker, kind in ((b"OpusHead", "opus"), (b"\x01vorbis", "vorbis"), (b"\x7fFLAC", "ogg_flac")):
            if marker in page:
                return kind
        return "ogg"
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:2] == b"BM" and len(head) >= 14 and struct.unpack_from("<I", head, 2)[0] > 26:
        return "bmp"
    return _mpeg_audio(head) or _textual(head) or "unknown"


def sniff(stream: BinaryIO, size: int) -> Sniffed:
    """Identify a file from its bytes, looking past a leading ID3 tag (MP3 and FLAC files both carry one)."""
    stream.seek(0)
    head = stream.read(_HEAD_BYTES)
    offset = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        tag_size = 10 + sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(head[6:10]))
        if head[5] & 0x10:
            tag_size += 10
        if tag_size >= size:
            return Sniffed("mp3", 0)  # a tag and nothing else: what tagging tools make of an MP3
        stream.seek(tag_size)
        head, offset = stream.read(_HEAD_BYTES), tag_size
        kind = classify(head)
        # Behind an ID3 tag anything unrecognised is most likely MPEG audio with a damaged first frame.
        return Sniffed("mp3" if kind in ("unknown", "text") else kind, offset)
    return Sniffed(classify(head), offset)


def zip_at_end(stream: BinaryIO, size: int) -> bool:
    """True when a ZIP archive's directory sits at the end of the file, where unzip tools look for it."""
    tail_len = min(size, 65535 + 22)
    stream.seek(size - tail_len)
    tail = stream.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    while pos >= 0:
        if pos + 22 <= len(tail):
            comment_len = struct.unpack_from("<H", tail, pos + 20)[0]
            dir_size = struct.unpack_from("<I", tail, pos + 12)[0]
            eocd_at = size - tail_len + pos
            if pos + 22 + comment_len == len(tail) and dir_size <= eocd_at:
                return True
        pos = tail.rfind(b"PK\x05\x06", 0, pos)
    return False


def hidden_kind(stream: BinaryIO, offset: int) -> str | None:
    """The label of a recognisable file starting at `offset`, if there is one."""
    stream.seek(offset)
    kind = classify(stream.read(64))
    # Audio samples can match a short signature, look like text or like an MPEG header by chance.
    if kind in ("unknown", "text", "mp3", "aac", "exe", "gzip", "bmp", "tiff"):
        return None
    return KINDS[kind][0]
