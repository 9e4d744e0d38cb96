"""Decoding a master from start to end, with the checks FFmpeg does not make on its own."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, BinaryIO

import av
import numpy as np
import soundfile as sf

# Demuxers FFmpeg may pick when our own sniffing failed. Anything that can open further files or URLs
# (playlists, concat lists, image sequences) is left out on purpose.
_PROBE_WHITELIST = (
    "mp3,aac,ac3,eac3,dts,ogg,matroska,webm,mov,mp4,m4a,wav,w64,flac,aiff,caf,asf,ape,wv,"
    "tta,au,amr,mpc,mpc8,truehd,mlp,voc,dsf,iff,shorten,tak,wsaud,xwma,smjpeg"
)
_PROBE_BYTES = 2_000_000
_MAX_ERRORS = 32  # keep going past a few damaged packets, but a file of garbage ends the decode early
CRC_BLOCK_FRAMES = 8192  # small enough to place damage to within a fraction of a second
_CODEC_LABELS = {
    "mp3": "MP3",
    "mp2": "MP2",
    "aac": "AAC",
    "opus": "Opus",
    "vorbis": "Vorbis",
    "ac3": "Dolby AC-3",
    "eac3": "Dolby E-AC-3",
    "wmav2": "Windows Media Audio",
    "pcm_alaw": "A-law",
    "pcm_mulaw": "mu-law",
    "amr_nb": "AMR",
    "gsm": "GSM",
    "adpcm_ima_wav": "ADPCM",
    "adpcm_ms": "ADPCM",
    "adpcm_ima_qt": "ADPCM",
    "wavpack": "WavPack",
    "tta": "TTA",
    "flac": "FLAC",
    "alac": "ALAC",
}


@dataclass
class Probe:
    demuxer: str
    codec: str  # FFmpeg's canonical codec name, e.g. "flac", "pcm_s24le", "mp3"
    codec_label: str  # the name an artist knows it by
    lossy: bool
    sample_rate: int
    channels: int
    duration_frames: int | None  # the length the container states, in sample frames
    alac_bits: int | None  # ALAC keeps its bit depth in the codec's own configuration


@dataclass
class Decoded:
    frames: int = 0
    end: int = 0  # where the last decoded frame ends on the stream's own clock, in sample frames
    error: str | None = None
    error_at: int | None = None  # frames decoded before the first error
    md5: bytes | None = None
    peak: float = 0.0
    timed_out: bool = False
    capped: bool = False


def codec_label(name: str) -> str:
    if name in _CODEC_LABELS:
        return _CODEC_LABELS[name]
    return "PCM" if name.startswith("pcm_") else name.upper()


def _alac_bits(config: bytes) -> int | None:
    """The bit depth from ALAC's configuration, with or without the 12-byte box header in front of it."""
    at = 17 if config[4:8] == b"alac" else 5
    return config[at] if len(config) > at else None


def _open(stream: BinaryIO, demuxer: str | None) -> Any:
    stream.seek(0)
    options = {"probesize": str(_PROBE_BYTES), "format_whitelist": _PROBE_WHITELIST}
    return av.open(stream, format=demuxer, container_options=options, buffer_size=1 << 16)


def probe(stream: BinaryIO, demuxer: str | None) -> Probe | None:
    """The first audio stream's codec and format, or None when FFmpeg finds no audio at all."""
    try:
        with _open(stream, demuxer) as container:
            if not container.streams.audio:
                return None
            s = container.streams.audio[0]
            cc = s.codec_context
            codec = cc.codec
            duration = None
            if s.duration is not None and s.time_base is not None and cc.sample_rate:
                duration = round(s.duration * s.time_base * cc.sample_rate)
            alac_bits = _alac_bits(cc.extradata or b"") if codec.canonical_name == "alac" else None
            return Probe(
                demuxer=container.format.name,
                codec=codec.canonical_name,
                codec_label=codec_label(codec.canonical_name),
                lossy=bool(codec.lossy),
                sample_rate=int(cc.sample_rate or 0),
                channels=int(cc.channels or 0),
                duration_frames=duration,
                alac_bits=alac_bits,
            )
    except (av.error.FFmpegError, ValueError, IndexError, UnicodeDecodeError):
        return None


class _Md5:
    """FLAC's checksum: MD5 of the samples, interleaved, little-endian, in whole bytes of the source depth."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.width = (bits + 7) // 8
        self.hash = hashlib.md5(usedforsecurity=False)

    def update(self, samples: np.ndarray, container_bits: int) -> None:
        wide = samples.astype("<i4") >> (container_bits - self.bits)  # FFmpeg left-justifies samples
        self.hash.update(np.ascontiguousarray(wide.view(np.uint8).reshape(-1, 4)[:, : self.width]).tobytes())


def _interleaved(frame: Any) -> np.ndarray:
    data: np.ndarray = frame.to_ndarray()
    if frame.format.is_planar:
        return data.T.reshape(-1)
    return data.reshape(-1)


def _full_scale(dtype: np.dtype[Any]) -> float:
    if dtype.kind == "f":
        return 1.0
    return float(2 ** (8 * dtype.itemsize - 1))


def decode(
    stream: BinaryIO, demuxer: str, *, md5_bits: int | None, deadline: float, max_frames: int
) -> Decoded:
    """Decode every packet, counting frames, measuring the peak and (for FLAC) the checksum."""
    out = Decoded()
    md5 = _Md5(md5_bits) if md5_bits else None
    errors = 0
    peak_raw, scale = 0.0, 1.0
    try:
        with _open(stream, demuxer) as container:
            s = container.streams.audio[0]
            cc = s.codec_context
            # Let the decoder check every frame checksum the format carries (FLAC's CRC-16 among them).
            cc.options = {"err_detect": "crccheck"}
            for packet in container.demux(s):
                if time.monotonic() > deadline:
                    out.timed_out = True
                    break
                try:
                    frames = cc.decode(packet)
                except av.error.FFmpegError as exc:
                    errors += 1
                    if out.error is None:
                        out.error, out.error_at = str(exc), out.frames
                    if errors >= _MAX_ERRORS:
                        break
                    continue
                for frame in frames:
                    samples = _interleaved(frame)
                    scale = _full_scale(samples.dtype)
                    if samples.size:
                        peak_raw = max(peak_raw, float(samples.max()), -float(samples.min()))
                    if md5 is not None:
                        md5.update(samples, 8 * samples.dtype.itemsize)
                    out.frames += frame.samples
                    if frame.pts is not None and frame.time_base is not None:
                        out.end = int(frame.pts * frame.time_base * frame.sample_rate) + frame.samples
                    else:
                        out.end += frame.samples
                if out.frames > max_frames:
                    out.capped = True
                    break
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
        if out.error is None:
            out.error, out.error_at = str(exc), out.frames
    out.peak = peak_raw / scale
    out.md5 = md5.hash.digest() if md5 is not None else None
    return out


def flac_crc_failure(path: str, *, frames: int, deadline: float) -> int | None:
    """Frames read before libFLAC reports a damaged frame, or None when every frame checks out.

    FFmpeg's FLAC parser quietly glues a frame with a bad CRC onto its neighbour and decodes it, so the
    reference decoder (through libsndfile) does a second pass that stops at the first bad frame. It reads
    no further than `frames`: past the audio, libsndfile trips over trailing bytes or an unknown length.
    """
    try:
        reader = sf.SoundFile(path)
    except (RuntimeError, ValueError, TypeError):
        return None  # a file libsndfile cannot open at all is FFmpeg's to judge
    done = 0
    with reader:
        try:
            while done < frames and time.monotonic() < deadline:
                block = reader.read(min(CRC_BLOCK_FRAMES, frames - done), dtype="int32")
                if not len(block):
                    return None
                done += len(block)
        except RuntimeError:
            return done
    return None
