"""Checking uploaded covers; an accepted one is re-encoded by `cover_jpeg` as the JPEGs we serve."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image, ImageOps

from storefront.audio.inspect.sniff import KINDS, classify, hidden_kind, zip_at_end
from storefront.audio.problems import Problem, display_name, format_bytes

from .cover_jpeg import EncodingFailed, NormalisedArtwork, encode_cover

__all__ = [
    "ArtworkLimits",
    "ArtworkReport",
    "ArtworkResult",
    "EncodingFailed",
    "NormalisedArtwork",
    "Problem",
    "inspect_artwork",
    "normalise_artwork",
]

_UNSUPPORTED = {"gif", "webp", "heic", "tiff", "bmp", "svg", "psd"}
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_MAX_SEGMENTS = 100_000


@dataclass(frozen=True)
class ArtworkLimits:
    min_side: int = 1400
    max_side: int = 10_000
    # Checked from the header before any pixel is decoded: a small file can declare a huge canvas.
    max_pixels: int = 64_000_000
    max_bytes: int = 25_000_000
    max_aspect_deviation: float = 0.01  # 1%: a few pixels off square is cropped away, more is refused
    master_side: int = 3000
    master_quality: int = 90
    derivative_sizes: tuple[int, ...] = (1200, 700, 350, 100)
    derivative_quality: int = 85


@dataclass
class ArtworkReport:
    filename: str
    size: int
    sha256: str = ""  # of the bytes as uploaded
    format: str | None = None  # "JPEG" or "PNG"
    width: int | None = None
    height: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]


@dataclass(frozen=True)
class ArtworkResult:
    report: ArtworkReport
    artwork: NormalisedArtwork | None  # None when the report has problems


def _q(name: str) -> str:
    return f"“{name}”"


_ADVICE_EXPORT = "Export the cover again from your design software as a JPEG or PNG and upload that."
_ADVICE_SIZE = "Export a square image of 3000 x 3000 pixels (at least 1400 x 1400) as a JPEG or PNG."


@dataclass
class _Header:
    width: int = 0
    height: int = 0
    animated: bool = False
    end: int | None = None  # where the image data ends; anything after it was added to the file
    damage: str | None = None


def _png_header(data: bytes) -> _Header:
    head = _Header()
    pos = 8
    for _ in range(_MAX_SEGMENTS):
        if pos + 12 > len(data):
            head.damage = "the file is cut short"
            return head
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data):
            head.damage = "the file is cut short"
            return head
        stored_crc = struct.unpack_from(">I", data, pos + 8 + length)[0]
        if zlib.crc32(data[pos + 4 : pos + 8 + length]) != stored_crc:
            head.damage = "part of the picture data is corrupted"
            return head
        if kind == b"IHDR" and length >= 8:
            head.width, head.height = struct.unpack_from(">II", data, pos + 8)
        elif kind == b"acTL":
            head.animated = True
        elif kind == b"IEND":
            head.end = end
            return head
        pos = end
    head.damage = "its structure is damaged"
    return head


def _jpeg_header(data: bytes) -> _Header:
    head = _Header()
    pos = 2
    for _ in range(_MAX_SEGMENTS):
        while pos < len(data) and data[pos] == 0xFF and pos + 1 < len(data) and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes between segments are allowed
        if pos + 4 > len(data) or data[pos] != 0xFF:
            head.damage = "the file is cut short" if pos + 4 > len(data) else "its structure is damaged"
            return head
        marker = data[pos + 1]
        if marker in (0x01, *range(0xD0, 0xD8)):
            pos += 2
            continue
        length = struct.unpack_from(">H", data, pos + 2)[0]
        if marker in _SOF and pos + 9 <= len(data):
            height, width = struct.unpack_from(">HH", data, pos + 5)
            # Keep the largest frame declared: that is what a decoder may try to allocate.
            head.width, head.height = max(head.width, width), max(head.height, height)
        if marker == 0xDA:
            eoi = data.find(b"\xff\xd9", pos + 2 + length)
            head.end = eoi + 2 if eoi >= 0 else None
            if eoi < 0:
                head.damage = "the file is cut short"
            return head
        pos += 2 + length
    head.damage = "its structure is damaged"
    return head


def _read_upload(source: str | os.PathLike[str] | BinaryIO, limit: int) -> tuple[bytes, int]:
    """The upload's bytes (never more than `limit` + 1 of them) and its full size."""
    if isinstance(source, (str, os.PathLike)):
        size = os.stat(source).st_size
        if size > limit:
            return b"", size
        with open(source, "rb") as f:
            return f.read(limit + 1), size
    data = source.read(limit + 1)
    return data, len(data)


class _Rejected(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code)
        self.problem = problem


def _check(data: bytes, name: str, limits: ArtworkLimits, report: ArtworkReport) -> None:
    """Everything that can be decided from the bytes and the header, before decoding a single pixel."""
    kind = classify(data[:512])
    if kind in _UNSUPPORTED:
        raise _Rejected(
            Problem(
                "unsupported_image",
                f"{_q(name)} is {KINDS[kind][0]}; we accept JPEG and PNG.",
                _ADVICE_EXPORT,
            )
        )
    if kind not in ("jpeg", "png"):
        raise _Rejected(
            Problem(
                "not_image",
                f"{_q(name)} is not a picture: it is {KINDS[kind][0]}.",
                "Check that you picked the cover image, saved as a JPEG or PNG.",
            )
        )
    report.format = kind.upper()
    head = _png_header(data) if kind == "png" else _jpeg_header(data)
    report.width, report.height = head.width, head.height
    w, h = head.width, head.height
    if w > limits.max_side or h > limits.max_side or w * h > limits.max_pixels:
        raise _Rejected(
            Problem(
                "too_many_pixels",
                f"{_q(name)} is {w} x {h} pixels; the largest we accept is {limits.max_side} "
                f"pixels on a side and {limits.max_pixels // 1_000_000} million pixels in "
                "all.",
                _ADVICE_SIZE,
            )
        )
    if head.damage is not None or w == 0 or h == 0:
        raise _Rejected(
            Problem("corrupt", f"{_q(name)} is damaged: {head.damage or 'it has no size'}.", _ADVICE_EXPORT)
        )
    if head.animated:
        # A cover is one still picture; which frame an APNG shows first differs between viewers.
        raise _Rejected(
            Problem(
                "animated",
                f"{_q(name)} is an animated PNG; the cover must be a still image.",
                "Export a single still frame as a JPEG or PNG.",
            )
        )
    stream = io.BytesIO(data)
    hidden = hidden_kind(stream, head.end) if head.end is not None and head.end < len(data) else None
    if hidden == KINDS["jpeg"][0]:
        hidden = None  # phones store extra JPEGs (depth maps, previews) after the main one
    # Unrecognised bytes after the image are let through: re-encoding leaves them behind.
    if hidden is None and zip_at_end(stream, len(data)):
        hidden = KINDS["zip"][0]
    if hidden is not None:
        raise _Rejected(
            Problem(
                "hidden_file",
                f"{_q(name)} has {hidden} hidden inside it.",
                "Export the cover again directly from your design software and upload that.",
            )
        )
    if min(w, h) < limits.min_side:
        raise _Rejected(
            Problem(
                "too_small",
                f"{_q(name)} is {w} x {h} pixels; covers must be at least "
                f"{limits.min_side} x {limits.min_side}.",
                _ADVICE_SIZE,
            )
        )
    if abs(w - h) > limits.max_aspect_deviation * max(w, h):
        raise _Rejected(
            Problem(
                "not_square",
                f"{_q(name)} is {w} x {h} pixels; covers must be square.",
                "Crop the cover to a square and export it again.",
            )
        )


def _decode(data: bytes, name: str, limits: ArtworkLimits) -> Image.Image:
    corrupt = Problem("corrupt", f"{_q(name)} is damaged and cannot be opened.", _ADVICE_EXPORT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The header check above already refused huge canvases; this turns Pillow's own guard into a refusal
        # too, rather than a warning that lets the decode go ahead. It matters when max_pixels is set above
        # Pillow's limit, or if a decoder ever reads a size our header parser did not see.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
            if image.format in ("JPEG", "MPO"):
                image.draft(image.mode, (limits.master_side, limits.master_side))
            image.load()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise _Rejected(
                Problem("too_many_pixels", f"{_q(name)} has too many pixels to open safely.", _ADVICE_SIZE)
            ) from exc
        except Exception as exc:
            # Decoders fed hostile bytes fail in many ways (OSError, SyntaxError, ValueError, zlib.error,
            # struct.error, ...); every one of them means the same thing to the artist.
            raise _Rejected(corrupt) from exc
        try:
            return ImageOps.exif_transpose(image) or image
        except Exception:
            return image  # a broken orientation tag is not worth refusing a cover over


def _run(
    source: str | os.PathLike[str] | BinaryIO, filename: str, limits: ArtworkLimits, normalise: bool
) -> ArtworkResult:
    name = display_name(filename)
    data, size = _read_upload(source, limits.max_bytes)
    report = ArtworkReport(filename=name, size=size)
    try:
        if size == 0:
            raise _Rejected(
                Problem("empty", f"{_q(name)} is empty (0 bytes).", "The upload did not finish. Try again.")
            )
        if size > limits.max_bytes:
            shown = format_bytes(size)
            shown = f"just over {shown}" if shown == format_bytes(limits.max_bytes) else shown
            raise _Rejected(
                Problem(
                    "too_large",
                    f"{_q(name)} is {shown}; the largest cover we accept is "
                    f"{format_bytes(limits.max_bytes)}.",
                    "Save it as a JPEG at high quality; 3000 x 3000 pixels is plenty for "
                    "every shop and player.",
                )
            )
        report.sha256 = hashlib.sha256(data).hexdigest()
        _check(data, name, limits, report)
        image = _decode(data, name, limits)
        if not normalise:
            return ArtworkResult(report, None)
        try:
            artwork = encode_cover(
                image,
                master_side=limits.master_side,
                master_quality=limits.master_quality,
                derivative_sizes=limits.derivative_sizes,
                derivative_quality=limits.derivative_quality,
            )
            return ArtworkResult(report, artwork)
        except EncodingFailed as exc:
            # The file passed every check and decoded: our conversion failed, not the file nor storage.
            raise _Rejected(
                Problem(
                    "processing_failed",
                    f"{_q(name)} is a valid picture, but our image encoder failed to convert it.",
                    "This is a fault on our side. Export it again as a 3000 x 3000 JPEG or PNG and upload "
                    "that; if it happens again, tell us.",
                )
            ) from exc
    except _Rejected as rejected:
        report.problems.append(rejected.problem)
        return ArtworkResult(report, None)


def inspect_artwork(
    source: str | os.PathLike[str] | BinaryIO, *, filename: str, limits: ArtworkLimits = ArtworkLimits()
) -> ArtworkReport:
    """Check an uploaded cover (decoding it fully). Bad input never raises: problems go in the report."""
    return _run(source, filename, limits, normalise=False).report


def normalise_artwork(
    source: str | os.PathLike[str] | BinaryIO, *, filename: str, limits: ArtworkLimits = ArtworkLimits()
) -> ArtworkResult:
    """Check an uploaded cover and, if it passes, make the master and derivative JPEGs we store."""
    return _run(source, filename, limits, normalise=True)
