"""Loudness per ITU-R BS.1770-4 / EBU Tech 3341 reference signals, true and sample peak, waveform peaks."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from storefront.audio.analysis import BlockFilter, analyse, analyse_blocks, k_weighting
from storefront.audio.synth import write_master


def tone(
    freq: float,
    dbfs: float,
    seconds: float,
    rate: int = 48000,
    channels: int = 2,
    phase: float = 0.0,
    ramp: float = 0.0,
) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    x = 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t + phase)
    if ramp:
        x *= np.clip(np.minimum(t, seconds - t) / ramp, 0.0, 1.0)
    return np.repeat(x[:, None], channels, axis=1)


def lufs(x: np.ndarray, rate: int = 48000) -> float | None:
    return analyse_blocks([x], sample_rate=rate, channels=x.shape[1], total_frames=x.shape[0]).integrated_lufs


def test_k_weighting_at_48k_is_the_standards_table() -> None:
    shelf_b, shelf_a, hp_b, hp_a = k_weighting(48000)
    assert shelf_b == pytest.approx((1.53512485958697, -2.69169618940638, 1.19839281085285), abs=1e-10)
    assert shelf_a == pytest.approx((1.0, -1.69065929318241, 0.73248077421585), abs=1e-10)
    assert hp_b == (1.0, -2.0, 1.0)
    assert hp_a == pytest.approx((1.0, -1.99004745483398, 0.99007225036621), abs=1e-10)


def reference_biquad(b: tuple[float, ...], a: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    y, z1, z2 = np.zeros_like(x), 0.0, 0.0
    for n, u in enumerate(x):
        y[n] = b[0] * u + z1
        z1 = b[1] * u - a[1] * y[n] + z2
        z2 = b[2] * u - a[2] * y[n]
    return y


@pytest.mark.parametrize("chunk", [1, 97, 128, 1000, 3000])
def test_block_filter_equals_sample_by_sample_filtering(chunk: int) -> None:
    x = np.random.default_rng(7).standard_normal(3000)
    shelf_b, shelf_a, hp_b, hp_a = k_weighting(44100)
    expected = reference_biquad(hp_b, hp_a, reference_biquad(shelf_b, shelf_a, x))
    block_filter = BlockFilter([(shelf_b, shelf_a), (hp_b, hp_a)], channels=1)
    got = np.concatenate([block_filter.process(x[i : i + chunk, None]) for i in range(0, len(x), chunk)])
    assert np.abs(got[:, 0] - expected).max() < 1e-9


def test_full_scale_997_hz_sine_in_one_channel_reads_minus_3_01() -> None:
    # BS.1770-4, 2.1: a 0 dBFS 997 Hz sine in the left, centre or right channel reads -3.01 LKFS.
    assert lufs(tone(997, 0.0, 10, channels=1)) == pytest.approx(-3.01, abs=0.1)


@pytest.mark.parametrize(("dbfs", "expected"), [(-20.0, -20.0), (-23.0, -23.0), (-33.0, -33.0)])
def test_stereo_1_khz_sines(dbfs: float, expected: float) -> None:
    # EBU Tech 3341 cases 1 and 2: both channels at -23 (-33) dBFS read -23.0 (-33.0) LUFS.
    assert lufs(tone(1000, dbfs, 20)) == pytest.approx(expected, abs=0.1)


def test_other_sample_rates_get_the_same_reading() -> None:
    assert lufs(tone(997, -20.0, 10, rate=44100), rate=44100) == pytest.approx(-20.0, abs=0.1)
    assert lufs(tone(997, -20.0, 10, rate=96000), rate=96000) == pytest.approx(-20.0, abs=0.1)


def test_relative_gate_ignores_quiet_passages() -> None:
    # EBU Tech 3341 case 3: -36 / -23 / -36 dBFS for 10 / 60 / 10 s reads -23.0; ungated it would be -24.1.
    x = np.concatenate([tone(1000, -36, 10), tone(1000, -23, 60), tone(1000, -36, 10)])
    assert lufs(x) == pytest.approx(-23.0, abs=0.1)


def test_absolute_gate_ignores_near_silence() -> None:
    # EBU Tech 3341 case 4: -72 / -36 / -23 / -36 / -72 dBFS for 10 / 10 / 60 / 10 / 10 s reads -23.0.
    parts = ((-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10))
    x = np.concatenate([tone(1000, db, seconds) for db, seconds in parts])
    assert lufs(x) == pytest.approx(-23.0, abs=0.1)


def test_silence_and_very_short_clips_have_no_loudness() -> None:
    silent = analyse_blocks([np.zeros((48000, 2))], sample_rate=48000, channels=2, total_frames=48000)
    assert silent.integrated_lufs is None
    assert (silent.sample_peak, silent.sample_peak_dbfs, silent.true_peak_dbtp) == (0.0, None, None)
    assert set(silent.waveform) == {0}
    assert lufs(tone(1000, -10, 0.3)) is None  # shorter than one 400 ms block
    assert lufs(tone(1000, -75, 5)) is None  # every block under the -70 LUFS absolute gate


def test_true_peak_finds_the_peak_between_samples() -> None:
    # A quarter-rate sine at 45 degrees: samples at +-0.707 (-3.01 dBFS), the wave itself reaches 0 dBTP.
    result = analyse_blocks(
        [tone(12000, 0.0, 3, phase=np.pi / 4, ramp=0.1)], sample_rate=48000, channels=2, total_frames=144000
    )
    assert result.sample_peak_dbfs == pytest.approx(-3.01, abs=0.01)
    assert result.true_peak_dbtp == pytest.approx(0.0, abs=0.2)


@pytest.mark.parametrize("freq", [100, 1000, 5000, 10000, 15000])
def test_true_peak_of_sines(freq: int) -> None:
    x = tone(freq, -6.0, 2, rate=44100, phase=0.3, ramp=0.1)
    result = analyse_blocks([x], sample_rate=44100, channels=2, total_frames=x.shape[0])
    assert result.true_peak_dbtp is not None and result.sample_peak_dbfs is not None
    assert result.true_peak_dbtp == pytest.approx(-6.0, abs=0.1)
    assert result.true_peak >= result.sample_peak


def test_waveform_buckets() -> None:
    rate = 8000
    x = np.concatenate(
        [np.zeros((rate, 2)), np.full((rate, 2), 0.5), -np.ones((rate, 2)), np.zeros((rate, 2))]
    )
    x[2 * rate : 3 * rate, 1] = 0.25  # the channels differ: a bucket spans the lowest and highest of both
    result = analyse_blocks([x], sample_rate=rate, channels=2, total_frames=x.shape[0], buckets=4)
    assert result.waveform == [0, 0, 64, 64, -127, 32, 0, 0]
    wide = analyse_blocks([x], sample_rate=rate, channels=2, total_frames=x.shape[0])
    assert len(wide.waveform) == 1600 and all(-127 <= v <= 127 for v in wide.waveform)
    tiny = analyse_blocks([np.full((10, 1), 0.5)], sample_rate=rate, channels=1, total_frames=10, buckets=800)
    assert len(tiny.waveform) == 1600 and max(tiny.waveform) == 64


def test_file_and_odd_block_sizes_agree(tmp_path: Path) -> None:
    path = tmp_path / "m.flac"
    write_master(path, seed=8, seconds=6.0)
    whole = analyse(path)
    data = sf.read(path, dtype="float32", always_2d=True)[0]
    pieces = [data[i : i + 12345] for i in range(0, data.shape[0], 12345)]
    split = analyse_blocks(pieces, sample_rate=44100, channels=2, total_frames=data.shape[0])
    assert whole.integrated_lufs is not None and split.integrated_lufs is not None
    assert abs(whole.integrated_lufs - split.integrated_lufs) < 1e-9
    assert (whole.true_peak, whole.waveform) == (split.true_peak, split.waveform)
    assert whole.duration == pytest.approx(6.0) and (whole.sample_rate, whole.channels) == (44100, 2)
    assert -30 < whole.integrated_lufs < -5


def test_memory_stays_bounded_over_a_long_stream() -> None:
    seconds, rate = 240, 48000

    def blocks() -> Iterator[np.ndarray]:
        rng = np.random.default_rng(1)
        for _ in range(seconds):
            yield rng.uniform(-0.5, 0.5, (rate, 2)).astype(np.float32)

    tracemalloc.start()
    try:
        result = analyse_blocks(blocks(), sample_rate=rate, channels=2, total_frames=seconds * rate)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.integrated_lufs is not None
    # The whole stream as float64 would be 184 MB; the working set is a few blocks.
    assert peak < 24 * 2**20
