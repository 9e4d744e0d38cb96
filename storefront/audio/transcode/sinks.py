"""Streaming encoders: each takes blocks of samples in order and writes one output file."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from fractions import Fraction
from typing import Any, Protocol

import av
import numpy as np
import numpy.typing as npt
import soundfile as sf
from av.audio.stream import AudioStream

Block = npt.NDArray[Any]  # shape (frames, channels); int32 full scale or float32 in [-1, 1]

# FFmpeg's factor between a codec's quality scale and global_quality.
_FF_QP2LAMBDA = 118
_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
_INT32_SCALE = 1.0 / 2**31
# Any fixed value will do: it only has to be the same on every run so outputs are byte-identical.
_DITHER_SEED = 0x5645_4C56
_OGG_SERIAL = 0x5645_4C56


def layout_name(channels: int) -> str:
    try:
        return _LAYOUTS[channels]
    except KeyError:
        raise ValueError(f"{channels} channels are not supported") from None


def as_float(block: Block) -> npt.NDArray[np.float32]:
    """Float32 samples in [-1, 1]; exact for integer sources of up to 24 bits."""
    if block.dtype == np.float32:
        return block
    return (block.astype(np.float32) * np.float32(_INT32_SCALE)).astype(np.float32, copy=False)


class Sink(Protocol):
    def write(self, block: Block) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class _TempFile:
    """Writes go to a sibling file that replaces the destination only once complete, so a worker that
    dies half way never leaves a truncated file under the final name."""

    def __init__(self, dest: str | os.PathLike[str]) -> None:
        self.dest = os.fspath(dest)
        self.temp = f"{self.dest}.part"
        if os.path.exists(self.temp):
            os.remove(self.temp)

    def commit(self) -> None:
        os.replace(self.temp, self.dest)

    def discard(self) -> None:
        if os.path.exists(self.temp):
            os.remove(self.temp)


class FloatResampler:
    """Sample-rate conversion with libswresample, frame by frame, keeping timestamps."""

    def __init__(self, src_rate: int, dst_rate: int, channels: int) -> None:
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self._layout = layout_name(channels)
        self._pts = 0
        # Twice the default filter length: measured 96k -> 44.1k, 20 kHz stays within 0.1 dB (default: -1.3)
        # and content from 25 kHz up folds back below -100 dB, under the 16-bit noise floor (default: -70).
        self._resampler = (
            av.AudioResampler(
                format="flt",
                layout=self._layout,
                rate=dst_rate,
                options={"filter_size": "64", "cutoff": "0.97"},
            )
            if src_rate != dst_rate
            else None
        )

    def process(self, block: Block | None) -> Iterator[npt.NDArray[np.float32]]:
        """Yield float32 blocks at the new rate; pass None once at the end to flush."""
        if self._resampler is None:
            if block is not None:
                yield as_float(block)
            return
        frame = None
        if block is not None:
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(as_float(block)).reshape(1, -1),
                format="flt",
                layout=self._layout,
            )
            frame.sample_rate = self.src_rate
            frame.time_base = Fraction(1, self.src_rate)
            frame.pts = self._pts
            self._pts += block.shape[0]
        for out in self._resampler.resample(frame):
            yield out.to_ndarray().reshape(-1, len(out.layout.channels)).astype(np.float32, copy=False)


class PcmSink:
    """FLAC, WAV or AIFF through libsndfile at the source's rate, from integer blocks."""

    def __init__(
        self, dest: str | os.PathLike[str], *, container: str, rate: int, channels: int, bit_depth: int
    ) -> None:
        self._file = _TempFile(dest)
        self._shift = 32 - bit_depth
        self._out = sf.SoundFile(
            self._file.temp,
            "w",
            samplerate=rate,
            channels=channels,
            format=container,
            subtype=f"PCM_{bit_depth}",
        )

    def write(self, block: Block) -> None:
        if block.dtype != np.int32:
            raise TypeError("PcmSink takes int32 blocks")
        self._out.write(_round_to_bits(block, self._shift))

    def close(self) -> None:
        self._out.close()
        self._file.commit()

    def abort(self) -> None:
        self._out.close()
        self._file.discard()


def _round_to_bits(block: Block, shift: int) -> Block:
    """Round away the low bits libsndfile would otherwise truncate (only 32-bit and float sources have
    any); exact integer sources pass through untouched."""
    mask = (1 << shift) - 1
    if shift == 0 or not np.any(block & mask):
        return block
    wide = (block.astype(np.int64) + (1 << (shift - 1))) >> shift
    top = (1 << (31 - shift)) - 1
    rounded: Block = (np.clip(wide, -top - 1, top) << shift).astype(np.int32)
    return rounded


class DitheredPcmSink:
    """16-bit PCM (FLAC, WAV or AIFF) at a fixed rate: resample if needed, then TPDF dither from a fixed
    seed, so the noise, and the file, is the same on every run."""

    def __init__(
        self,
        dest: str | os.PathLike[str],
        *,
        container: str,
        src_rate: int,
        rate: int,
        channels: int,
        src_bit_depth: int,
    ) -> None:
        self._file = _TempFile(dest)
        self._exact = src_rate == rate and src_bit_depth <= 16
        self._resampler = FloatResampler(src_rate, rate, channels)
        self._rng = np.random.default_rng(_DITHER_SEED)
        self._out = sf.SoundFile(
            self._file.temp, "w", samplerate=rate, channels=channels, format=container, subtype="PCM_16"
        )

    def write(self, block: Block) -> None:
        if self._exact and block.dtype == np.int32:
            self._out.write(block)
            return
        for chunk in self._resampler.process(block):
            self._write_float(chunk)

    def _write_float(self, chunk: npt.NDArray[np.float32]) -> None:
        # Triangular dither of one LSB peak decorrelates the rounding error from the music.
        noise = self._rng.random(chunk.shape) - self._rng.random(chunk.shape)
        scaled = np.rint(chunk.astype(np.float64) * 32768.0 + noise)
        self._out.write(np.clip(scaled, -32768, 32767).astype(np.int16))

    def close(self) -> None:
        for chunk in self._resampler.process(None):
            self._write_float(chunk)
        self._out.close()
        self._file.commit()

    def abort(self) -> None:
        self._out.close()
        self._file.discard()


class VorbisSink:
    """Ogg Vorbis through libsndfile's libvorbis (quality on libvorbis's -1..10 scale)."""

    def __init__(
        self, dest: str | os.PathLike[str], *, src_rate: int, rate: int, channels: int, quality: float
    ) -> None:
        self._file = _TempFile(dest)
        self._resampler = FloatResampler(src_rate, rate, channels)
        # libsndfile's compression level is the inverse of libvorbis's quality, on a 0..1 scale.
        level = min(max(1.0 - quality / 10.0, 0.0), 1.0)
        self._out = sf.SoundFile(
            self._file.temp,
            "w",
            samplerate=rate,
            channels=channels,
            format="OGG",
            subtype="VORBIS",
            compression_level=level,
        )

    def write(self, block: Block) -> None:
        for chunk in self._resampler.process(block):
            self._out.write(chunk)

    def close(self) -> None:
        for chunk in self._resampler.process(None):
            self._out.write(chunk)
        self._out.close()
        # libsndfile draws a random stream serial for every file; a fixed one makes reruns byte-identical.
        set_ogg_serial(self._file.temp, _OGG_SERIAL)
        self._file.commit()

    def abort(self) -> None:
        self._out.close()
        self._file.discard()


class EncoderSink:
    """Any FFmpeg encoder and muxer through PyAV: MP3, AAC, ALAC, Opus."""

    def __init__(
        self,
        dest: str | os.PathLike[str],
        *,
        muxer: str,
        codec: str,
        sample_format: str,
        src_rate: int,
        rate: int,
        channels: int,
        out_channels: int,
        bit_rate: int | None = None,
        vbr_quality: float | None = None,
    ) -> None:
        self._file = _TempFile(dest)
        self._src_rate = src_rate
        self._layout = layout_name(channels)
        self._pts = 0
        # Bit-exact mode leaves out version strings and random stream serials: same input, same bytes.
        self._out = av.open(self._file.temp, "w", format=muxer, options={"fflags": "+bitexact"})
        try:
            stream = self._out.add_stream(codec, rate=rate)
            if not isinstance(stream, AudioStream):
                raise ValueError(f"{codec!r} is not an audio codec")
            self._stream = stream
            ctx = stream.codec_context
            ctx.format = sample_format
            ctx.layout = layout_name(out_channels)
            ctx.flags |= av.codec.context.Flags.bitexact
            if bit_rate is not None:
                ctx.bit_rate = bit_rate
            if vbr_quality is not None:
                # The quality itself goes in global_quality; the qscale flag only switches VBR on.
                ctx.qscale = True
                ctx.global_quality = round(vbr_quality * _FF_QP2LAMBDA)
            ctx.open()
            self._resampler = av.AudioResampler(
                format=sample_format,
                layout=layout_name(out_channels),
                rate=rate,
                frame_size=ctx.frame_size or None,
            )
        except Exception:
            self._out.close()
            self._file.discard()
            raise

    def write(self, block: Block) -> None:
        is_float = block.dtype == np.float32
        samples = np.ascontiguousarray(block).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="flt" if is_float else "s32", layout=self._layout)
        frame.sample_rate = self._src_rate
        frame.time_base = Fraction(1, self._src_rate)
        frame.pts = self._pts
        self._pts += block.shape[0]
        self._encode(self._resampler.resample(frame))

    def _encode(self, frames: list[av.AudioFrame]) -> None:
        for frame in frames:
            self._out.mux(self._stream.encode(frame))

    def close(self) -> None:
        self._encode(self._resampler.resample(None))
        self._out.mux(self._stream.encode(None))
        self._out.close()
        self._file.commit()

    def abort(self) -> None:
        self._out.close()
        self._file.discard()


_BITSWAP = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def ogg_page_crc(page: bytes) -> bytes:
    """The CRC field of an Ogg page (computed with the field zeroed), as stored little-endian.

    Ogg's CRC-32 is the unreflected form of zlib's; reversing the bits of every byte on the way in and
    out lets the C implementation in zlib do the work."""
    crc = ~zlib.crc32(page.translate(_BITSWAP), 0xFFFFFFFF) & 0xFFFFFFFF
    return crc.to_bytes(4, "big").translate(_BITSWAP)


def set_ogg_serial(path: str | os.PathLike[str], serial: int) -> None:
    """Give every page of a single-stream Ogg file the same fixed serial number, in place, page by page."""
    serial_bytes = struct.pack("<I", serial)
    with open(path, "r+b") as fh:
        while True:
            start = fh.tell()
            header = fh.read(27)
            if not header:
                return
            if len(header) < 27 or header[:4] != b"OggS":
                raise ValueError(f"not an Ogg page at byte {start} of {os.fspath(path)}")
            lacing = fh.read(header[26])
            body = fh.read(sum(lacing))
            page = bytearray(header + lacing + body)
            page[14:18] = serial_bytes
            page[22:26] = b"\0\0\0\0"
            page[22:26] = ogg_page_crc(bytes(page))
            fh.seek(start)
            fh.write(page[:27])
            fh.seek(start + len(page))
