"""What a master's header declares (length, format, metadata sizes), read without decoding any audio."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

_MAX_CHUNKS = 4096  # a real file has a few dozen; more means a crafted file meant to keep us busy
_AIFC_PCM = {
    b"NONE",
    b"sowt",
    b"twos",
    b"raw ",
    b"in24",
    b"42ni",
    b"in32",
    b"23ni",
    b"fl32",
    b"FL32",
    b"fl64",
    b"FL64",
}
_WAV_TAGS = {
    1: "pcm",
    3: "float",
    2: "adpcm",
    6: "alaw",
    7: "mulaw",
    0x11: "adpcm",
    0x31: "gsm",
    0x50: "mp2",
    0x55: "mp3",
    0xFF: "aac",
    0x1610: "aac",
    0x2000: "ac3",
    0x161: "wma",
    0x162: "wma",
    0x674F: "vorbis",
    0x6750: "vorbis",
    0x6751: "vorbis",
    0x704F: "opus",
}


@dataclass
class Declared:
    """Facts from the header. Values are None where the format leaves them unstated."""

    container: str
    sample_rate: int | None = None
    channels: int | None = None
    bit_depth: int | None = None
    is_float: bool = False
    total_frames: int | None = None  # sample frames the header promises
    available_frames: int | None = None  # how many of those fit in the bytes actually present
    payload_offset: int | None = None  # where the audio data starts
    payload_end: int | None = None  # where the audio (or the whole container) ends, by the header
    text_tag_bytes: int = 0
    picture_bytes: int = 0
    md5: bytes | None = None  # FLAC's checksum of the decoded audio; None when the encoder left it blank
    codec_hint: str | None = None  # the coding the header names (WAV format tag, AIFF-C compression)
    damage: str | None = None  # a sentence fragment when the structure itself is broken
    cut_short: bool = False  # the audio runs past the end of the file


def _chunk_id(raw: bytes) -> bool:
    """RIFF, AIFF and MPEG-4 name their chunks with printable ASCII; anything else is not a chunk."""
    return all(32 <= b < 127 or b == 0xA9 for b in raw)


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    data = stream.read(n)
    return data if len(data) == n else None


def read_flac(stream: BinaryIO, offset: int, size: int) -> Declared:
    d = Declared("flac")
    pos = offset + 4
    for _ in range(_MAX_CHUNKS):
        stream.seek(pos)
        header = _read_exact(stream, 4)
        if header is None:
            d.damage = "its header is incomplete"
            return d
        last, kind = header[0] & 0x80, header[0] & 0x7F
        length = int.from_bytes(header[1:4], "big")
        if pos + 4 + length > size:
            d.damage = "its header is incomplete"
            return d
        if kind == 0:
            info = _read_exact(stream, 34) if length >= 34 else None
            if info is None:
                d.damage = "its format description is damaged"
                return d
            packed = int.from_bytes(info[10:18], "big")
            d.sample_rate = packed >> 44
            d.channels = ((packed >> 41) & 0x7) + 1
            d.bit_depth = ((packed >> 36) & 0x1F) + 1
            d.total_frames = (packed & 0xFFFFFFFFF) or None  # 0 means "not known when encoding began"
            d.md5 = info[18:34] if any(info[18:34]) else None
        elif kind == 6:
            d.picture_bytes += length
        elif kind in (2, 4, 5):  # application data, comments, cue sheet
            d.text_tag_bytes += length
        elif kind == 127:
            d.damage = "its header is damaged"
            return d
        pos += 4 + length
        if last:
            break
    else:
        d.damage = "its header is damaged"
        return d
    if d.sample_rate is None:
        d.damage = "it has no format description"
    d.payload_offset = pos
    return d


def read_wav(stream: BinaryIO, size: int) -> Declared:
    d = Declared("wav")
    head = _read_exact(stream, 12)
    if head is None:
        d.damage = "its header is incomplete"
        return d
    riff_size = struct.unpack_from("<I", head, 4)[0]
    riff64 = head[:4] in (b"RF64", b"BW64")
    data_size64: int | None = None
    block_align = 0
    pos = walked = 12
    for _ in range(_MAX_CHUNKS):
        stream.seek(pos)
        header = _read_exact(stream, 8)
        if header is None or not _chunk_id(header[:4]):
            break
        cid, length = header[:4], struct.unpack_from("<I", header, 4)[0]
        body = pos + 8
        if cid == b"ds64" and length >= 24:
            ds64 = _read_exact(stream, 24) or bytes(24)
            riff_size64, data_size64 = struct.unpack_from("<QQ", ds64, 0)
            riff_size = riff_size64 if riff_size == 0xFFFFFFFF else riff_size
        elif cid == b"fmt ":
            fmt = _read_exact(stream, min(length, 40))
            if fmt is None or length < 16:
                d.damage = "its format description is damaged"
                return d
            tag, d.channels, d.sample_rate, _, block_align, bits = struct.unpack_from("<HHIIHH", fmt, 0)
            if tag == 0xFFFE and len(fmt) >= 26:
                tag = struct.unpack_from("<H", fmt, 24)[0]  # the real coding lives in the sub-format GUID
            d.codec_hint = _WAV_TAGS.get(tag, f"format {tag:#06x}")
            d.is_float = tag == 3
            d.bit_depth = bits
        elif cid == b"data":
            if riff64 and length == 0xFFFFFFFF and data_size64 is not None:
                length = data_size64
            d.payload_offset = body
            d.payload_end = body + length
            if block_align:
                d.total_frames = length // block_align
                d.available_frames = max(0, min(length, size - body)) // block_align
            if body + length >= size:
                break
        elif cid in (b"id3 ", b"ID3 "):
            d.picture_bytes += length  # an ID3 tag is mostly its cover picture, when it has one
        elif cid in (b"LIST", b"bext", b"iXML", b"axml", b"INFO"):
            d.text_tag_bytes += length
        pos = body + length + (length & 1)
        if pos > size:
            break
        walked = pos
    if d.sample_rate is None or d.codec_hint is None:
        d.damage = "it has no format description"
    elif d.payload_offset is None:
        d.damage = "it has no audio data"
    # Whole chunks past the stated RIFF size still count: some taggers append one and leave the size stale.
    d.payload_end = max(d.payload_end or 0, 8 + riff_size + (riff_size & 1), walked)
    return d


def _extended(raw: bytes) -> int:
    """AIFF stores the sample rate as an 80-bit float."""
    exponent = int.from_bytes(raw[:2], "big") & 0x7FFF
    mantissa = int.from_bytes(raw[2:10], "big")
    shift = exponent - 16383 - 63
    if exponent == 0 or shift > 64:
        return 0
    return mantissa << shift if shift >= 0 else mantissa >> -shift


def read_aiff(stream: BinaryIO, size: int) -> Declared:
    d = Declared("aiff")
    head = _read_exact(stream, 12)
    if head is None:
        d.damage = "its header is incomplete"
        return d
    form_size, aifc = struct.unpack_from(">I", head, 4)[0], head[8:12] == b"AIFC"
    d.codec_hint = "pcm"
    pos = walked = 12
    for _ in range(_MAX_CHUNKS):
        stream.seek(pos)
        header = _read_exact(stream, 8)
        if header is None or not _chunk_id(header[:4]):
            break
        cid, length = header[:4], struct.unpack_from(">I", header, 4)[0]
        body = pos + 8
        if cid == b"COMM":
            comm = _read_exact(stream, min(length, 22))
            if comm is None or len(comm) < 18:
                d.damage = "its format description is damaged"
                return d
            d.channels, d.total_frames, d.bit_depth = struct.unpack_from(">hIh", comm, 0)
            d.sample_rate = _extended(comm[8:18])
            if aifc and len(comm) >= 22:
                compression = comm[18:22]
                d.is_float = compression.lower() in (b"fl32", b"fl64")
                d.codec_hint = "pcm" if compression in _AIFC_PCM else compression.decode("latin-1").strip()
        elif cid == b"SSND" and length >= 8:
            data_offset = struct.unpack(">I", _read_exact(stream, 4) or bytes(4))[0]
            d.payload_offset = body + 8 + data_offset
            d.payload_end = body + length
        elif cid in (b"ID3 ", b"id3 "):
            d.picture_bytes += length
        elif cid in (b"NAME", b"AUTH", b"ANNO", b"(c) ", b"COMT"):
            d.text_tag_bytes += length
        pos = body + length + (length & 1)
        if pos > size:
            break
        walked = pos
    if d.sample_rate is None:
        d.damage = "it has no format description"
        return d
    if d.payload_offset is not None and d.total_frames is not None and d.channels and d.bit_depth:
        frame_bytes = d.channels * ((d.bit_depth + 7) // 8)
        present = max(0, min(d.payload_end or 0, size) - d.payload_offset)
        d.available_frames = present // frame_bytes if frame_bytes > 0 else 0
    elif d.total_frames:
        d.damage = "it has no audio data"
    d.payload_end = max(d.payload_end or 0, 8 + form_size + (form_size & 1), walked)
    return d


def _atoms(stream: BinaryIO, start: int, end: int, budget: list[int]) -> list[tuple[bytes, int, int]]:
    """(type, body start, end) of the MPEG-4 boxes between start and end; stops at the first broken box.

    `budget` is shared by every level of the walk, so nesting cannot multiply the work.
    """
    found: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end and budget[0] > 0:
        budget[0] -= 1
        stream.seek(pos)
        header = _read_exact(stream, 8)
        if header is None:
            break
        length, kind = struct.unpack(">I", header[:4])[0], header[4:8]
        body = pos + 8
        if length == 1:
            large = _read_exact(stream, 8)
            if large is None:
                break
            length, body = struct.unpack(">Q", large)[0], pos + 16
        elif length == 0:
            length = end - pos
        if length < body - pos or not _chunk_id(kind):
            break
        found.append((kind, body, pos + length))
        pos += length
    return found


def _children(
    stream: BinaryIO, parents: list[tuple[bytes, int, int]], kind: bytes, skip: int, budget: list[int]
) -> list[tuple[bytes, int, int]]:
    found: list[tuple[bytes, int, int]] = []
    for parent, body, end in parents:
        if parent == kind:
            found.extend(_atoms(stream, body + skip, end, budget))
    return found


def read_mp4(stream: BinaryIO, size: int) -> Declared:
    d = Declared("mp4")
    budget = [_MAX_CHUNKS]
    top = _atoms(stream, 0, size, budget)
    d.payload_end = max((end for _, _, end in top), default=0)
    for kind, body, end in top:
        if kind == b"mdat":
            d.payload_offset = body
            d.cut_short = end > size
    # Tags live in moov/udta/meta/ilst; meta starts with a 4-byte version field before its children.
    inside_moov = _children(stream, [(k, b, min(e, size)) for k, b, e in top], b"moov", 0, budget)
    metas = _children(stream, _children(stream, inside_moov, b"udta", 0, budget), b"meta", 4, budget)
    for item, body, end in _children(stream, metas, b"ilst", 0, budget):
        if item == b"covr":
            d.picture_bytes += end - body
        else:
            d.text_tag_bytes += end - body
    if not any(kind == b"moov" for kind, _, _ in top) and not d.cut_short:
        d.damage = "its index (the moov box) is missing"
    return d
