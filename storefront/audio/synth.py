"""Deterministic synthesis of short pieces of music, for demo releases and test masters.

Each seed gives a different piece (key, tempo, melody, rhythm), so acoustic fingerprints of two seeds differ
the way two real songs do. Audio is produced block by block, so an hour-long master costs no more memory
than a second of it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import soundfile as sf

_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "PCM_32"}
_FORMATS = {".flac": "FLAC", ".wav": "WAV", ".aiff": "AIFF", ".aif": "AIFF"}
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)


@dataclass(frozen=True)
class Piece:
    seed: int
    seconds: float
    sample_rate: int = 44100
    channels: int = 2

    @property
    def frames(self) -> int:
        return round(self.seconds * self.sample_rate)


class _Score:
    """The musical decisions for one seed: fixed before any sample is made."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.tempo = float(rng.uniform(78, 152))
        self.root_hz = 110.0 * 2 ** (int(rng.integers(0, 12)) / 12)
        scale = _MAJOR if rng.random() < 0.5 else _MINOR
        self.melody = [
            scale[int(i)] + 12 * int(o)
            for i, o in zip(rng.integers(0, 7, 64), rng.integers(1, 3, 64), strict=True)
        ]
        self.chords = [scale[int(i)] for i in rng.integers(0, 7, 8)]
        self.kick = rng.random(16) < 0.35
        self.kick[0] = True
        self.hat = rng.random(16) < 0.6
        self.timbre = rng.uniform(0.2, 0.8, 4)
        self.pan = float(rng.uniform(-0.6, 0.6))


def _semitone(root: float, steps: float) -> float:
    return float(root * 2 ** (steps / 12))


def blocks(piece: Piece, block_frames: int = 65536) -> Iterator[np.ndarray]:
    """Float32 blocks of shape (n, channels) in [-1, 1], in order."""
    score = _Score(piece.seed)
    sr = piece.sample_rate
    step = 60.0 / score.tempo / 4  # sixteenth note, in seconds
    noise = np.random.default_rng(piece.seed ^ 0x5EED)
    for start in range(0, piece.frames, block_frames):
        n = min(block_frames, piece.frames - start)
        t = (start + np.arange(n)) / sr
        sixteenth = (t / step).astype(np.int64)
        pos = (t % step) / step  # 0..1 within the sixteenth
        note_index = (sixteenth // 2) % len(score.melody)
        freqs = score.root_hz * 2 ** (np.array(score.melody)[note_index] / 12)
        env = np.exp(-3.0 * ((t % (2 * step)) / (2 * step)))
        phase = 2 * np.pi * freqs * t
        harmonics = score.timbre[0] * np.sin(2 * phase) + score.timbre[1] * np.sin(3 * phase)
        lead = env * (np.sin(phase) + harmonics)
        bar = (sixteenth // 16) % len(score.chords)
        chord_root = score.root_hz / 2 * 2 ** (np.array(score.chords)[bar] / 12)
        pad = sum(np.sin(2 * np.pi * chord_root * ratio * t) for ratio in (1.0, 1.26, 1.5)) / 3
        beat = sixteenth % 16
        kick_on = score.kick[beat]
        kick = kick_on * np.exp(-18 * pos) * np.sin(2 * np.pi * (50 + 90 * np.exp(-25 * pos)) * pos * step)
        hat_on = score.hat[beat]
        hat = hat_on * np.exp(-60 * pos) * noise.standard_normal(n) * score.timbre[2] * 0.4
        # Fade in and out over a quarter of a second so pieces start and end cleanly.
        fade = np.clip(np.minimum(t, piece.seconds - t) / 0.25, 0.0, 1.0)
        mono = (0.32 * lead + 0.22 * pad + 0.5 * kick + 0.18 * hat) * fade
        left = mono * (1 - score.pan) / 2 + 0.05 * hat
        right = mono * (1 + score.pan) / 2 - 0.05 * hat
        if piece.channels == 1:
            out = mono[:, None]
        else:
            out = np.stack([left, right] + [mono] * (piece.channels - 2), axis=1)
        yield np.clip(out * 0.9, -1.0, 1.0).astype(np.float32)


def render(piece: Piece) -> np.ndarray:
    """The whole piece in memory; for short pieces only."""
    return np.concatenate(list(blocks(piece)), axis=0)


def write_master(
    path: str | os.PathLike[str],
    *,
    seed: int,
    seconds: float,
    sample_rate: int = 44100,
    bit_depth: int = 16,
    channels: int = 2,
) -> str:
    """Write a lossless master (FLAC, WAV or AIFF, chosen by the file's extension)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in _FORMATS:
        raise ValueError(f"no lossless container for {ext!r}: use .flac, .wav or .aiff")
    if bit_depth not in _SUBTYPES or (ext == ".flac" and bit_depth == 32):
        raise ValueError(f"{bit_depth}-bit is not available for {ext}")
    piece = Piece(seed=seed, seconds=seconds, sample_rate=sample_rate, channels=channels)
    with sf.SoundFile(
        os.fspath(path),
        "w",
        samplerate=sample_rate,
        channels=channels,
        format=_FORMATS[ext],
        subtype=_SUBTYPES[bit_depth],
    ) as out:
        for block in blocks(piece):
            out.write(block)
    return os.fspath(path)
