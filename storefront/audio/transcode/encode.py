"""Transcoding of lossless masters into download formats and streaming previews, as streams."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from storefront.audio.formats import AudioFormat, Container, get_format, preview_format
from storefront.audio.transcode.sinks import (
    Block,
    DitheredPcmSink,
    EncoderSink,
    PcmSink,
    Sink,
    VorbisSink,
    as_float,
)

BLOCK_FRAMES = 65536
VORBIS_QUALITY = 6.0
MP3_VBR_QUALITY = 0.0  # LAME's V0
_BIT_DEPTHS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24}


@dataclass(frozen=True)
class TranscodeResult:
    fmt_key: str
    path: str
    sample_rate: int
    channels: int
    bit_depth: int | None  # None for lossy formats
    source_frames: int  # frames of the master that went in
    duration: float  # seconds of the master that went in
    size_bytes: int


@dataclass(frozen=True)
class PreviewResult(TranscodeResult):
    start: float  # where the clip starts in the master, after clamping, in seconds


class Master:
    """A lossless master read block by block as int32 (full scale), shape (frames, channels)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._file = sf.SoundFile(self.path)
        self.sample_rate: int = self._file.samplerate
        self.channels: int = self._file.channels
        self.frames: int = self._file.frames
        # 32-bit and float masters are delivered at 24 bits, the most any lossless format here carries.
        self.bit_depth: int = _BIT_DEPTHS.get(self._file.subtype, 24)
        self.delivered_depth = 16 if self.bit_depth <= 16 else 24

    def blocks(self, start: int = 0, count: int | None = None) -> Iterator[Block]:
        remaining = self.frames - start if count is None else count
        self._file.seek(start)
        while remaining > 0:
            block = self._file.read(min(BLOCK_FRAMES, remaining), dtype="int32", always_2d=True)
            if block.shape[0] == 0:
                return
            remaining -= block.shape[0]
            yield block

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Master:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def lossy_rate(source_rate: int) -> int:
    """MP3, AAC and Vorbis at 48 kHz for masters of the 48k family, else at 44.1 kHz."""
    return 48000 if source_rate % 48000 == 0 else 44100


def _lossy_channels(channels: int) -> int:
    return 1 if channels == 1 else 2


def output_shape(fmt: AudioFormat, master: Master) -> tuple[int, int, int | None]:
    """(sample rate, channels, bit depth or None) that a format has when made from this master."""
    if fmt.lossless:
        depth = fmt.bit_depth or master.delivered_depth
        return (fmt.sample_rate or master.sample_rate, master.channels, depth)
    return (fmt.sample_rate or lossy_rate(master.sample_rate), _lossy_channels(master.channels), None)


def open_sink(fmt: AudioFormat, master: Master, dest: str | os.PathLike[str]) -> Sink:
    """The encoder that writes this format from this master's blocks."""
    rate, channels, depth = output_shape(fmt, master)
    src = master.sample_rate
    lossy = {"src_rate": src, "rate": rate, "channels": master.channels, "out_channels": channels}
    if fmt.container in (Container.FLAC, Container.WAV, Container.AIFF):
        assert depth is not None
        container = fmt.container.name
        if rate == src and depth == master.delivered_depth:
            return PcmSink(dest, container=container, rate=rate, channels=channels, bit_depth=depth)
        return DitheredPcmSink(
            dest,
            container=container,
            src_rate=src,
            rate=rate,
            channels=channels,
            src_bit_depth=master.bit_depth,
        )
    if fmt.key == "alac":
        return EncoderSink(
            dest,
            muxer="ipod",
            codec="alac",
            src_rate=src,
            rate=rate,
            channels=channels,
            out_channels=channels,
            sample_format="s16p" if depth == 16 else "s32p",
        )
    if fmt.container is Container.MP3:
        if fmt.bit_rate is None:
            return EncoderSink(
                dest,
                muxer="mp3",
                codec="libmp3lame",
                sample_format="s32p",
                vbr_quality=MP3_VBR_QUALITY,
                **lossy,
            )
        return EncoderSink(
            dest, muxer="mp3", codec="libmp3lame", sample_format="s32p", bit_rate=fmt.bit_rate, **lossy
        )
    if fmt.container is Container.MP4:
        return EncoderSink(
            dest, muxer="ipod", codec="aac", sample_format="fltp", bit_rate=fmt.bit_rate, **lossy
        )
    if fmt.container is Container.OGG_OPUS:
        return EncoderSink(
            dest, muxer="opus", codec="libopus", sample_format="flt", bit_rate=fmt.bit_rate, **lossy
        )
    if fmt.container is Container.OGG_VORBIS:
        return VorbisSink(dest, src_rate=src, rate=rate, channels=channels, quality=VORBIS_QUALITY)
    raise ValueError(f"no encoder for {fmt.key!r}")


def _result(fmt: AudioFormat, master: Master, dest: str, frames: int) -> TranscodeResult:
    rate, channels, depth = output_shape(fmt, master)
    return TranscodeResult(
        fmt_key=fmt.key,
        path=dest,
        sample_rate=rate,
        channels=channels,
        bit_depth=depth,
        source_frames=frames,
        duration=frames / master.sample_rate,
        size_bytes=os.path.getsize(dest),
    )


def transcode_many(
    src_path: str | os.PathLike[str],
    outputs: Mapping[str, str | os.PathLike[str]],
) -> dict[str, TranscodeResult]:
    """Decode the master once and encode it into every format in `outputs` (format key -> destination).

    Each output appears under its final name only when complete; on failure none of the unfinished ones do.
    """
    formats = {key: get_format(key) for key in outputs}
    with Master(src_path) as master:
        sinks: dict[str, Sink] = {}
        try:
            for key, dest in outputs.items():
                sinks[key] = open_sink(formats[key], master, dest)
            frames = 0
            for block in master.blocks():
                frames += block.shape[0]
                for sink in sinks.values():
                    sink.write(block)
            for key in list(sinks):
                sinks.pop(key).close()
        except BaseException:
            for sink in sinks.values():
                sink.abort()
            raise
        return {key: _result(formats[key], master, os.fspath(dest), frames) for key, dest in outputs.items()}


def transcode(
    src_path: str | os.PathLike[str],
    dest_path: str | os.PathLike[str],
    fmt_key: str,
) -> TranscodeResult:
    """Encode one master into one download format."""
    return transcode_many(src_path, {fmt_key: dest_path})[fmt_key]


def clip_window(duration: float, start: float, length: float | None) -> tuple[float, float]:
    """Clamp a preview window into the track: a window that would run past the end is moved back so it
    keeps its length where the track is long enough, and shortened where it is not."""
    if start < 0 or (length is not None and length <= 0):
        raise ValueError("a preview starts at or after 0 and lasts more than 0 seconds")
    if length is None:
        start = min(start, duration)
        return start, duration - start
    length = min(length, duration)
    return min(start, duration - length), length


def _fade_gain(pos: np.ndarray, total: int, fade_in: int, fade_out: int) -> np.ndarray:
    """Quarter-sine fades: smooth at both ends, no click where the clip is cut."""
    gain = np.ones(pos.shape[0], dtype=np.float32)
    if fade_in:
        gain *= np.sin(0.5 * np.pi * np.clip(pos / fade_in, 0.0, 1.0)).astype(np.float32)
    if fade_out:
        gain *= np.sin(0.5 * np.pi * np.clip((total - pos) / fade_out, 0.0, 1.0)).astype(np.float32)
    return gain


def make_preview(
    src_path: str | os.PathLike[str],
    dest_path: str | os.PathLike[str],
    *,
    start: float = 0.0,
    length: float | None = None,
    codec: str = "mp3",
    fade: float = 1.0,
) -> PreviewResult:
    """A streaming preview: the whole track, or a clip of `length` seconds from `start` with short fades
    where the clip cuts into the music (fade-in only if it starts after 0, fade-out only if it ends early)."""
    fmt = preview_format(codec)
    with Master(src_path) as master:
        rate = master.sample_rate
        start, length = clip_window(master.frames / rate, start, length)
        first = round(start * rate)
        count = min(round(length * rate), master.frames - first)
        fade_frames = round(min(fade, length / 4) * rate)
        fade_in = fade_frames if first > 0 else 0
        fade_out = fade_frames if first + count < master.frames else 0
        sink = open_sink(fmt, master, dest_path)
        done = 0
        try:
            for block in master.blocks(first, count):
                if fade_in or fade_out:
                    pos = np.arange(done, done + block.shape[0], dtype=np.float64)
                    block = as_float(block) * _fade_gain(pos, count, fade_in, fade_out)[:, None]
                sink.write(block)
                done += block.shape[0]
            sink.close()
        except BaseException:
            sink.abort()
            raise
        base = _result(fmt, master, os.fspath(dest_path), done)
        return PreviewResult(**vars(base), start=first / rate)
