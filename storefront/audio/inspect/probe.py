"""Checking uploaded masters: lossless, whole, undamaged, within limits, with reasons artists can act on."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from typing import BinaryIO

from storefront.audio.inspect import messages as say
from storefront.audio.inspect.containers import Declared, read_aiff, read_flac, read_mp4, read_wav
from storefront.audio.inspect.decode import CRC_BLOCK_FRAMES, Decoded, Probe, decode, flac_crc_failure, probe
from storefront.audio.inspect.sniff import KINDS, Sniffed, hidden_kind, sniff, zip_at_end
from storefront.audio.inspect.tags import TagLimits, read_tags
from storefront.audio.problems import Problem, display_name, extension_of, format_duration

__all__ = ["MasterLimits", "MasterReport", "Problem", "format_duration", "inspect_master"]

_EXTENSIONS = {
    "flac": (".flac", ".fla"),
    "wav": (".wav", ".wave", ".bwf"),
    "aiff": (".aiff", ".aif", ".aifc"),
    "mp4": (".m4a", ".mp4", ".alac"),
}
_DEMUXERS = {"flac": "flac", "wav": "wav", "aiff": "aiff", "mp4": "mov"}
_CODECS = {"flac": ("flac",), "mp4": ("alac",)}  # WAV and AIFF: any pcm_* codec
_FORMAT_NAMES = {"flac": "FLAC", "wav": "WAV", "aiff": "AIFF", "mp4": "ALAC"}
_LOSSY_NAMES = {
    "mp3": "MP3",
    "aac": "AAC",
    "opus": "Opus",
    "vorbis": "Ogg Vorbis",
    "wma": "Windows Media",
    "amr": "AMR",
}
_MiB = 1024 * 1024


@dataclass(frozen=True)
class MasterLimits:
    # The standard studio rates only: anything else is a sign of a resampled or damaged file.
    sample_rates: tuple[int, ...] = (44100, 48000, 88200, 96000, 176400, 192000)
    bit_depths: tuple[int, ...] = (16, 24, 32)
    min_channels: int = 1
    # Releases are sold and streamed as stereo; a surround master needs its own downmix and player support.
    max_channels: int = 2
    min_seconds: float = 1.0
    max_seconds: float = 2 * 3600.0
    max_bytes: int = 2_000_000_000
    max_text_tag_bytes: int = 1_000_000
    max_picture_bytes: int = 16_000_000
    max_decode_seconds: float = 300.0
    # About -90 dBFS: quieter than the dither of a 16-bit export, so only true silence falls below.
    silence_peak: float = 3.2e-5
    tags: TagLimits = field(default_factory=TagLimits)


@dataclass
class MasterReport:
    filename: str  # the uploaded name, made safe to show
    size: int
    sha256: str = ""
    format: str | None = None  # "FLAC", "WAV", "AIFF" or "ALAC"
    codec: str | None = None  # FFmpeg's codec name, e.g. "pcm_s24le"
    sample_rate: int | None = None
    bit_depth: int | None = None
    channels: int | None = None
    duration_seconds: float | None = None
    frames: int | None = None
    tags: dict[str, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # things we changed or ignored; they do not block

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(_MiB):
        digest.update(chunk)
    return digest.hexdigest()


def inspect_master(
    path: str | os.PathLike[str], *, filename: str, limits: MasterLimits = MasterLimits()
) -> MasterReport:
    """Check one uploaded master. Bad input never raises: every failure is a Problem in the report.

    `path` is where the upload was stored; `filename` is the name the artist gave it and is only shown,
    never used to open anything.
    """
    name = display_name(filename)
    fs_path = os.fspath(path)
    size = os.stat(fs_path).st_size
    report = MasterReport(filename=name, size=size)
    if size == 0:
        report.problems.append(say.empty(name))
        return report
    if size > limits.max_bytes:
        report.problems.append(say.too_large(name, size, limits.max_bytes))
        return report
    deadline = time.monotonic() + limits.max_decode_seconds
    with open(fs_path, "rb") as stream:
        report.sha256 = _sha256(stream)
        _Inspection(stream, fs_path, report, limits, deadline).run()
    return report


class _Inspection:
    def __init__(
        self, stream: BinaryIO, path: str, report: MasterReport, limits: MasterLimits, deadline: float
    ) -> None:
        self.stream, self.path, self.report, self.limits = stream, path, report, limits
        self.deadline = deadline
        self.name = report.filename
        self.ext = extension_of(report.filename)

    def problem(self, problem: Problem) -> None:
        self.report.problems.append(problem)

    def run(self) -> None:
        sniffed = sniff(self.stream, self.report.size)
        if sniffed.family != "lossless":
            self.refuse_foreign(sniffed)
            return
        kind = sniffed.kind
        declared = self.read_header(sniffed)
        if declared.damage is not None:
            self.problem(say.corrupt(self.name, declared.damage))
            return
        # FFmpeg and mutagen both load embedded pictures whole: their sizes are checked before either runs.
        if not self.check_tag_sizes(declared):
            return
        found = probe(self.stream, _DEMUXERS[kind])
        if found is None:
            cut = say.truncated(self.name, None, None) if declared.cut_short else None
            self.problem(cut or say.no_audio(self.name))
            return
        if not self.accept_codec(kind, found):
            return
        if self.ext and self.ext not in _EXTENSIONS[kind]:
            label = "an ALAC file" if kind == "mp4" else KINDS[kind][0]
            self.problem(say.extension_mismatch(self.name, label, self.ext, _EXTENSIONS[kind][0]))
        self.describe(kind, declared, found)
        if self.check_hidden(declared) and self.check_limits(declared):
            self.read_tags(kind)
            self.check_audio(kind, declared, found)

    def refuse_foreign(self, sniffed: Sniffed) -> None:
        if sniffed.kind == "unknown":
            found = probe(self.stream, None)  # FFmpeg knows more audio formats than our signature table
            if found is not None and found.lossy:
                self.problem(say.lossy(self.name, found.codec_label, f"is a {found.codec_label} file"))
            elif found is not None:
                self.problem(say.unsupported(self.name, f"a {found.codec_label} file"))
            else:
                self.problem(say.not_audio(self.name, sniffed.label))
        elif sniffed.family == "lossy":
            codec = _LOSSY_NAMES[sniffed.kind]
            renamed = any(self.ext in exts for exts in _EXTENSIONS.values())
            what = f"is {sniffed.label} renamed to {self.ext}" if renamed else f"is {sniffed.label}"
            self.problem(say.lossy(self.name, codec, what))
        elif sniffed.family == "audio":
            self.problem(say.unsupported(self.name, sniffed.label))
        else:
            self.problem(say.not_audio(self.name, sniffed.label))

    def read_header(self, sniffed: Sniffed) -> Declared:
        readers = {"wav": read_wav, "aiff": read_aiff, "mp4": read_mp4}
        self.stream.seek(0)
        if sniffed.kind == "flac":
            return read_flac(self.stream, sniffed.offset, self.report.size)
        return readers[sniffed.kind](self.stream, self.report.size)

    def accept_codec(self, kind: str, found: Probe) -> bool:
        allowed = _CODECS.get(kind)
        fits = found.codec in allowed if allowed else found.codec.startswith("pcm_") and not found.lossy
        if fits:
            return True
        container = "an MPEG-4 file" if kind == "mp4" else KINDS[kind][0]
        if found.lossy:
            self.problem(
                say.lossy(
                    self.name, found.codec_label, f"is {container} that holds {found.codec_label} audio"
                )
            )
        else:
            self.problem(say.unsupported(self.name, f"{container} that holds {found.codec_label} audio"))
        return False

    def describe(self, kind: str, declared: Declared, found: Probe) -> None:
        r = self.report
        r.format, r.codec = _FORMAT_NAMES[kind], found.codec
        r.sample_rate = declared.sample_rate or found.sample_rate or None
        r.channels = declared.channels or found.channels or None
        r.bit_depth = declared.bit_depth or found.alac_bits

    def check_hidden(self, declared: Declared) -> bool:
        size = self.report.size
        if declared.payload_offset is not None and declared.payload_offset < size:
            label = hidden_kind(self.stream, declared.payload_offset)
            if label is not None:
                self.problem(say.hidden_file(self.name, label))
                return False
        if declared.payload_end is not None and declared.payload_end < size:
            label = hidden_kind(self.stream, declared.payload_end)
            self.stream.seek(declared.payload_end)
            extra = self.stream.read(64 * 1024)
            if label is not None:
                self.problem(say.hidden_file(self.name, label))
                return False
            harmless = extra.startswith((b"TAG", b"ID3", b"APETAGEX")) or not any(extra)
            if not harmless or size - declared.payload_end > len(extra):
                self.problem(say.trailing_data(self.name, size - declared.payload_end))
                return False
        if zip_at_end(self.stream, size):
            self.problem(say.hidden_file(self.name, KINDS["zip"][0]))
            return False
        return True

    def check_limits(self, declared: Declared) -> bool:
        r, lim = self.report, self.limits
        before = len(r.problems)
        if r.sample_rate is None or r.channels is None or r.bit_depth is None:
            self.problem(say.corrupt(self.name, "its format description is incomplete"))
            return False
        if r.sample_rate not in lim.sample_rates:
            self.problem(say.sample_rate(self.name, r.sample_rate, lim.sample_rates))
        depth_ok = r.bit_depth in lim.bit_depths and (not declared.is_float or r.bit_depth == 32)
        if not depth_ok:
            self.problem(say.bit_depth(self.name, r.bit_depth, declared.is_float, lim.bit_depths))
        if not lim.min_channels <= r.channels <= lim.max_channels:
            self.problem(say.channels(self.name, r.channels, lim.min_channels, lim.max_channels))
        present = declared.available_frames
        if present == 0 and not declared.total_frames and len(r.problems) == before:
            self.problem(say.no_audio(self.name))
        elif present is not None and present > lim.max_seconds * r.sample_rate:
            self.problem(say.too_long(self.name, present / r.sample_rate, lim.max_seconds))
        return len(r.problems) == before

    def check_tag_sizes(self, declared: Declared) -> bool:
        lim = self.limits
        if declared.picture_bytes > lim.max_picture_bytes:
            self.problem(
                say.tags_too_large(
                    self.name, "embedded pictures", declared.picture_bytes, lim.max_picture_bytes
                )
            )
        elif declared.text_tag_bytes > lim.max_text_tag_bytes:
            self.problem(
                say.tags_too_large(
                    self.name, "tags and notes", declared.text_tag_bytes, lim.max_text_tag_bytes
                )
            )
        return not self.report.problems

    def read_tags(self, kind: str) -> None:
        tags = read_tags(self.path, kind, self.limits.tags)
        self.report.tags = tags.tags
        if tags.truncated:
            self.report.notes.append(say.tags_truncated(self.name))
        if tags.unreadable:
            self.report.notes.append(say.tags_unreadable(self.name))

    def check_flac(self, declared: Declared, decoded: Decoded, total: int | None, rate: int) -> None:
        # FLAC frames carry their position: audio that stops before the promised end was cut off, while
        # frames missing in the middle (FFmpeg drops some with a bad checksum) are damage.
        if total is not None and decoded.end < total:
            self.problem(say.truncated(self.name, decoded.end / rate, total / rate))
            return
        md5_matches = declared.md5 is not None and decoded.md5 == declared.md5
        if md5_matches and decoded.frames == total:
            return  # every sample is as the encoder saw it; nothing left for frame checksums to find
        crc_at = flac_crc_failure(
            self.path, frames=min(total or decoded.frames, decoded.frames), deadline=self.deadline
        )
        if total is None and crc_at is not None and crc_at >= decoded.frames - CRC_BLOCK_FRAMES:
            crc_at = None  # with no stated length libsndfile fails on its last read; the MD5 still counts
        if crc_at is not None:
            self.problem(say.crc_error(self.name, crc_at / rate))
        elif (total is not None and decoded.frames < total) or (declared.md5 is not None and not md5_matches):
            self.problem(say.crc_error(self.name, None))

    def check_audio(self, kind: str, declared: Declared, found: Probe) -> None:
        r, lim = self.report, self.limits
        rate = r.sample_rate or 1
        total = declared.total_frames if kind != "mp4" else found.duration_frames
        present = declared.available_frames
        if total is not None and present is not None and present < total:
            # WAV and AIFF state their length in bytes: a shortfall is known before decoding anything.
            self.problem(say.truncated(self.name, present / rate, total / rate))
            return
        md5_bits = r.bit_depth if kind == "flac" and declared.md5 is not None else None
        decoded = decode(
            self.stream,
            _DEMUXERS[kind],
            md5_bits=md5_bits,
            deadline=self.deadline,
            max_frames=int(lim.max_seconds * rate) + rate,
        )
        r.frames, r.duration_seconds = decoded.frames, decoded.frames / rate
        if decoded.timed_out:
            self.problem(say.decode_timeout(self.name))
            return
        if decoded.capped:
            self.problem(say.too_long(self.name, None, lim.max_seconds))
            return
        if declared.cut_short:  # an MPEG-4 file whose audio box runs past the end of the file
            self.problem(say.truncated(self.name, decoded.frames / rate, total / rate if total else None))
            return
        short = total is not None and decoded.frames < total
        if kind == "flac":
            before = len(r.problems)
            self.check_flac(declared, decoded, total, rate)
            if len(r.problems) > before:
                return
        elif short and decoded.error is not None:
            self.problem(
                say.corrupt(
                    self.name,
                    f"the audio cannot be decoded after {format_duration((decoded.error_at or 0) / rate)}",
                )
            )
            return
        elif short and total is not None and decoded.frames < total - rate // 10:
            self.problem(say.truncated(self.name, decoded.frames / rate, total / rate))
            return
        if decoded.frames == 0:
            self.problem(say.no_audio(self.name))
            return
        if r.duration_seconds < lim.min_seconds:
            self.problem(say.too_short(self.name, r.duration_seconds, lim.min_seconds))
        elif r.duration_seconds > lim.max_seconds:
            self.problem(say.too_long(self.name, r.duration_seconds, lim.max_seconds))
        if decoded.peak <= lim.silence_peak:
            self.problem(say.silence_only(self.name))
