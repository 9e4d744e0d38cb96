"""Loudness (EBU R128 / ITU-R BS.1770-4), peaks and player waveform of a master, in one streaming pass."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soundfile as sf

Floats = npt.NDArray[np.float64]

CHUNK_FRAMES = 65536
WAVEFORM_BUCKETS = 800
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0
# Gated blocks are kept as a histogram of their loudness (energy summed per bin), so memory does not grow
# with the length of the track; 0.01 LU bins put the gates within 0.01 LU of where exact gating would.
_HIST_FLOOR, _HIST_CEIL, _HIST_STEP = -70.0, 10.0, 0.01


def k_weighting(
    rate: int,
) -> tuple[
    tuple[float, float, float],
    tuple[float, float, float],
    tuple[float, float, float],
    tuple[float, float, float],
]:
    """(shelf b, shelf a, high-pass b, high-pass a) of BS.1770's K filter at any sample rate.

    The analogue prototypes are fitted so that at 48 kHz the coefficients are those of the standard's
    tables; other rates get the same response through the bilinear transform."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0)
    shelf_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    return shelf_b, shelf_a, (1.0, -2.0, 1.0), (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)


def _biquad_state_space(b: tuple[float, ...], a: tuple[float, ...]) -> tuple[Floats, Floats, Floats, float]:
    """Transposed direct form II of a biquad as x' = A x + B u, y = C x + D u."""
    A = np.array([[-a[1], 1.0], [-a[2], 0.0]])  # the usual names in state-space form
    B = np.array([b[1] - a[1] * b[0], b[2] - a[2] * b[0]])
    return A, B, np.array([1.0, 0.0]), b[0]


class BlockFilter:
    """An IIR filter run with numpy only, exact, on whole arrays at a time with its state carried over.

    The signal is cut into short sub-blocks of m samples; within each, the output is the zero-state
    response (a lower-triangular Toeplitz matrix of the impulse response times the sub-block) plus the
    response to the state at the sub-block's start. All sub-blocks go through one matrix product each way;
    only the tiny state update (order x order) runs sub-block by sub-block in Python."""

    def __init__(
        self, sections: Iterable[tuple[tuple[float, ...], tuple[float, ...]]], channels: int, m: int = 128
    ) -> None:
        # Cascade the sections into one state-space system: each feeds the next.
        A, B, C, D = np.zeros((0, 0)), np.zeros(0), np.zeros(0), 1.0
        for b, a in sections:
            a2, b2, c2, d2 = _biquad_state_space(b, a)
            n = A.shape[0]
            A = np.block([[A, np.zeros((n, 2))], [np.outer(b2, C), a2]])
            B = np.concatenate([B, b2 * D])
            C = np.concatenate([d2 * C, c2])
            D = d2 * D
        order = A.shape[0]
        self._A, self._m = A, m
        self._CA = np.empty((m, order))  # row i: C A^i, the response to the starting state
        ab = np.empty((m, order))  # row i: A^i B
        self._CA[0], ab[0] = C, B
        for i in range(1, m):
            self._CA[i] = self._CA[i - 1] @ A
            ab[i] = A @ ab[i - 1]
        impulse = np.concatenate([[D], self._CA[: m - 1] @ B])
        self._T = np.zeros((m, m))
        for i in range(m):
            self._T[i, : i + 1] = impulse[i::-1]
        # column k: A^(m-1-k) B, the effect of input sample k on the state at the sub-block's end
        self._G = np.ascontiguousarray(ab[::-1].T)
        self._P = np.linalg.matrix_power(A, m)
        self._state = np.zeros((order, channels))

    def process(self, x: Floats) -> Floats:
        frames, channels = x.shape
        m, whole = self._m, x.shape[0] // self._m
        out = np.empty_like(x)
        if whole:
            u = x[: whole * m].reshape(whole, m, channels).transpose(1, 0, 2).reshape(m, whole * channels)
            y = self._T @ u
            drive = (self._G @ u).reshape(-1, whole, channels)
            starts = np.empty_like(drive)
            state = self._state
            for k in range(whole):
                starts[:, k] = state
                state = self._P @ state + drive[:, k]
            self._state = state
            y += self._CA @ starts.reshape(-1, whole * channels)
            out[: whole * m] = y.reshape(m, whole, channels).transpose(1, 0, 2).reshape(whole * m, channels)
        rest = frames - whole * m
        if rest:
            u = x[whole * m :]
            out[whole * m :] = self._T[:rest, :rest] @ u + self._CA[:rest] @ self._state
            self._state = np.linalg.matrix_power(self._A, rest) @ self._state + self._G[:, m - rest :] @ u
        return out


class LoudnessMeter:
    """Integrated loudness with BS.1770-4 gating: 400 ms blocks every 100 ms, absolute and relative gates."""

    def __init__(self, rate: int, channels: int) -> None:
        shelf_b, shelf_a, highpass_b, highpass_a = k_weighting(rate)
        self._filter = BlockFilter([(shelf_b, shelf_a), (highpass_b, highpass_a)], channels)
        # Surround channels (5.1 order) count 1.41 times, LFE not at all; mono and stereo channels count once.
        weights = [1.0, 1.0, 1.0, 0.0, 1.41, 1.41] if channels == 6 else [1.0] * channels
        self._weights = np.array(weights)
        self._sub = max(1, round(rate / 10))
        self._pending = np.zeros(0)
        self._recent = np.zeros(0)  # weighted energy of the last (up to 3) complete 100 ms sub-blocks
        bins = round((_HIST_CEIL - _HIST_FLOOR) / _HIST_STEP)
        self._counts = np.zeros(bins, dtype=np.int64)
        self._energy = np.zeros(bins)

    def feed(self, x: Floats) -> None:
        filtered = self._filter.process(x)
        energy = np.concatenate([self._pending, (filtered * filtered) @ self._weights])
        whole = energy.shape[0] // self._sub
        self._pending = energy[whole * self._sub :]
        if whole == 0:
            return
        new_subs = energy[: whole * self._sub].reshape(whole, self._sub).sum(axis=1)
        subs = np.concatenate([self._recent, new_subs])
        if subs.shape[0] >= 4:
            blocks = np.convolve(subs, np.ones(4), mode="valid") / (4 * self._sub)
            self._add_blocks(blocks)
        self._recent = subs[-3:]

    def _add_blocks(self, mean_square: Floats) -> None:
        with np.errstate(divide="ignore"):
            loudness = -0.691 + 10 * np.log10(mean_square)
        kept = loudness > _ABSOLUTE_GATE
        index = ((loudness[kept] - _HIST_FLOOR) / _HIST_STEP).astype(np.int64)
        index = np.minimum(index, len(self._counts) - 1)
        np.add.at(self._counts, index, 1)
        np.add.at(self._energy, index, mean_square[kept])

    def integrated(self) -> float | None:
        """LUFS, or None when no block is above the absolute gate (silence, or shorter than 400 ms)."""
        total = int(self._counts.sum())
        if total == 0:
            return None
        relative = -0.691 + 10 * math.log10(self._energy.sum() / total) + _RELATIVE_GATE
        centres = _HIST_FLOOR + (np.arange(len(self._counts)) + 0.5) * _HIST_STEP
        above = centres > relative
        return -0.691 + 10 * math.log10(self._energy[above].sum() / self._counts[above].sum())


def _interpolator(factor: int, taps_per_phase: int = 16, beta: float = 7.0) -> Floats:
    """Polyphase Kaiser-windowed sinc for true-peak oversampling, shape (taps, phases).

    Centred on a tap so the phases fall at 0, 1/factor, 2/factor... of a sample; flat within 0.01 dB up to
    0.35 of the sample rate (15 kHz at 44.1 kHz)."""
    half = factor * taps_per_phase // 2
    n = np.arange(factor * taps_per_phase) - half
    window = np.i0(beta * np.sqrt(np.clip(1 - (n / half) ** 2, 0.0, 1.0))) / np.i0(beta)
    h = np.sinc(n / factor) * window
    phases = h.reshape(taps_per_phase, factor)
    result: Floats = phases / phases.sum(axis=0)
    return result


class PeakMeter:
    """Sample peak and true peak (BS.1770-4 Annex 2: oversampled by 4 below 96 kHz, by 2 below 192 kHz)."""

    def __init__(self, rate: int, channels: int) -> None:
        factor = 4 if rate < 96000 else 2 if rate < 192000 else 1
        self._h = _interpolator(factor) if factor > 1 else np.ones((1, 1))
        self._history = np.zeros((self._h.shape[0] - 1, channels))
        self.sample_peak = 0.0
        self.true_peak = 0.0

    def feed(self, x: Floats) -> None:
        if x.shape[0] == 0:
            return
        self.sample_peak = max(self.sample_peak, float(np.abs(x).max()))
        ext = np.concatenate([self._history, x])
        taps = self._h.shape[0]
        peak = self.sample_peak
        for channel in range(x.shape[1]):
            samples = np.ascontiguousarray(ext[:, channel])
            for phase in range(self._h.shape[1]):
                interpolated = np.convolve(samples, self._h[:, phase], mode="valid")
                peak = max(peak, float(np.abs(interpolated).max()))
        self.true_peak = max(self.true_peak, peak)
        self._history = ext[ext.shape[0] - (taps - 1) :]

    def finish(self) -> None:
        self.feed(np.zeros((self._h.shape[0] - 1, self._history.shape[1])))


class WaveformBuilder:
    """Min and max of the samples (all channels together) in each of N equal stretches of the track."""

    def __init__(self, total_frames: int, buckets: int = WAVEFORM_BUCKETS) -> None:
        self._total = max(total_frames, 1)
        self._mins = np.full(buckets, np.inf)
        self._maxs = np.full(buckets, -np.inf)
        self._pos = 0

    def feed(self, x: Floats) -> None:
        n = x.shape[0]
        if n == 0:
            return
        buckets = len(self._mins)
        ids = np.minimum(np.arange(self._pos, self._pos + n) * buckets // self._total, buckets - 1)
        starts = np.concatenate([[0], np.flatnonzero(np.diff(ids)) + 1])
        at = ids[starts]
        # Reducing across channels column by column is much faster than min(axis=1) on a (n, 2) array.
        low, high = x[:, 0].copy(), x[:, 0].copy()
        for channel in range(1, x.shape[1]):
            np.minimum(low, x[:, channel], out=low)
            np.maximum(high, x[:, channel], out=high)
        self._mins[at] = np.minimum(self._mins[at], np.minimum.reduceat(low, starts))
        self._maxs[at] = np.maximum(self._maxs[at], np.maximum.reduceat(high, starts))
        self._pos += n

    def peaks(self) -> list[int]:
        """[min0, max0, min1, max1, ...] scaled to -127..127; buckets no sample fell in read 0, 0."""
        pairs = np.stack(
            [
                np.where(np.isfinite(self._mins), self._mins, 0.0),
                np.where(np.isfinite(self._maxs), self._maxs, 0.0),
            ],
            axis=1,
        )
        return [int(v) for v in np.clip(np.rint(pairs * 127), -127, 127).astype(int).ravel()]


@dataclass(frozen=True)
class AudioAnalysis:
    integrated_lufs: float | None  # None: silent, or too short to measure
    sample_peak: float  # linear, 1.0 is full scale
    true_peak: float  # linear
    duration: float
    sample_rate: int
    channels: int
    waveform: list[int]  # interleaved min, max per bucket, -127..127

    @property
    def sample_peak_dbfs(self) -> float | None:
        return 20 * math.log10(self.sample_peak) if self.sample_peak > 0 else None

    @property
    def true_peak_dbtp(self) -> float | None:
        return 20 * math.log10(self.true_peak) if self.true_peak > 0 else None


def analyse_blocks(
    blocks: Iterable[npt.NDArray[np.floating]],
    *,
    sample_rate: int,
    channels: int,
    total_frames: int,
    buckets: int = WAVEFORM_BUCKETS,
) -> AudioAnalysis:
    """Analyse float blocks of shape (frames, channels), in order; `total_frames` spaces the buckets."""
    loudness = LoudnessMeter(sample_rate, channels)
    peaks = PeakMeter(sample_rate, channels)
    waveform = WaveformBuilder(total_frames, buckets)
    frames = 0
    for block in blocks:
        x = np.asarray(block, dtype=np.float64).reshape(-1, channels)
        for start in range(0, x.shape[0], CHUNK_FRAMES):
            chunk = x[start : start + CHUNK_FRAMES]
            loudness.feed(chunk)
            peaks.feed(chunk)
            waveform.feed(chunk)
        frames += x.shape[0]
    peaks.finish()
    return AudioAnalysis(
        integrated_lufs=loudness.integrated(),
        sample_peak=peaks.sample_peak,
        true_peak=peaks.true_peak,
        duration=frames / sample_rate,
        sample_rate=sample_rate,
        channels=channels,
        waveform=waveform.peaks(),
    )


def analyse(path: str | os.PathLike[str], *, buckets: int = WAVEFORM_BUCKETS) -> AudioAnalysis:
    """Analyse an audio file libsndfile can read, block by block."""
    with sf.SoundFile(os.fspath(path)) as f:
        blocks = f.blocks(blocksize=CHUNK_FRAMES, dtype="float32", always_2d=True)
        return analyse_blocks(
            blocks, sample_rate=f.samplerate, channels=f.channels, total_frames=f.frames, buckets=buckets
        )
