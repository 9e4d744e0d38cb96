"""Unit tests for master inspection: what a valid report holds, and the checks that need a crafted file."""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from typing import Any

import pytest
from mutagen import flac, id3, mp4, wave

from storefront.audio.inspect.probe import MasterLimits, MasterReport, inspect_master
from storefront.audio.inspect.tags import TagLimits
from storefront.audio.problems import Problem, display_name, extension_of, format_bytes, format_duration
from storefront.audio.synth import write_master
from tests.factories.hostile import encode_with_pyav, flac_blocks, rebuild_flac

# mutagen's classes are untyped; the tests only use them to write tags.
FLAC: Any = flac.FLAC
MP4: Any = mp4.MP4
MP4Cover: Any = mp4.MP4Cover
WAVE: Any = wave.WAVE
TIT2: Any = id3.TIT2


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (0.99, "0:00"), (59.999, "0:59"), (161.7, "2:41"), (210, "3:30"), (3723, "1:02:03"),
     (-5, "0:00"), (float("nan"), "0:00"), (float("inf"), "0:00")],
)
def test_format_duration_rounds_down(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("../../etc/passwd.flac", "passwd.flac"), ("C:\\Users\\me\\mix.wav", "mix.wav"),
     ("evil\u202egalf.wav", "evilgalf.wav"), ("a\x00b\r\nc.flac", "a b c.flac"), ("", "your file"),
     ("///", "your file"), ("Cafe\u0301.flac", "Café.flac")],
)
def test_display_name_is_safe_to_show(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


def test_display_name_keeps_the_extension_of_a_very_long_name() -> None:
    shown = display_name("x" * 1000 + ".flac")
    assert len(shown) <= 120
    assert shown.endswith("….flac")


def test_small_formatters() -> None:
    assert extension_of("Mix.FLAC") == ".flac"
    assert extension_of(".flac") == ""
    assert extension_of("noext") == ""
    assert format_bytes(2_000_000_001) == "2 GB"
    assert format_bytes(163_000) == "163 KB"
    assert format_bytes(12) == "12 bytes"


def _inspect(path: Path, name: str | None = None, **limits: Any) -> MasterReport:
    return inspect_master(path, filename=name or path.name, limits=MasterLimits(**limits))


def test_valid_flac_report_describes_the_master(tmp_path: Path) -> None:
    path = Path(write_master(tmp_path / "song.flac", seed=1, seconds=2.0))
    tags = FLAC(path)
    tags["TITLE"] = "Night Drive"
    tags["ARTIST"] = ["Ana", "Bo"]
    tags.save()
    report = _inspect(path)
    assert report.ok, report.problems
    assert (report.format, report.codec) == ("FLAC", "flac")
    assert (report.sample_rate, report.bit_depth, report.channels) == (44100, 16, 2)
    assert report.frames == 88200
    assert report.duration_seconds == pytest.approx(2.0)
    assert report.size == path.stat().st_size
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report.tags["title"] == ["Night Drive"]
    assert report.tags["artist"] == ["Ana", "Bo"]


@pytest.mark.parametrize(
    ("name", "rate", "bits", "channels", "fmt", "codec"),
    [("a.wav", 96000, 24, 2, "WAV", "pcm_s24le"), ("a.aiff", 48000, 16, 1, "AIFF", "pcm_s16be"),
     ("a.wav", 192000, 32, 2, "WAV", "pcm_s32le"), ("a.flac", 88200, 24, 2, "FLAC", "flac")],
)
def test_lossless_formats_pass_with_their_facts(
    tmp_path: Path, name: str, rate: int, bits: int, channels: int, fmt: str, codec: str
) -> None:
    path = Path(write_master(tmp_path / name, seed=2, seconds=1.5, sample_rate=rate, bit_depth=bits,
                             channels=channels))
    report = _inspect(path)
    assert report.ok, report.problems
    assert (report.format, report.codec, report.sample_rate, report.bit_depth, report.channels) == (
        fmt, codec, rate, bits, channels)
    assert report.frames == int(1.5 * rate)


@pytest.mark.parametrize(("sample_fmt", "bits"), [("s16p", 16), ("s32p", 24)])
def test_alac_bit_depth_comes_from_its_codec_config(tmp_path: Path, sample_fmt: str, bits: int) -> None:
    path = tmp_path / "a.m4a"
    encode_with_pyav(path, "alac", "ipod", seconds=1.5, sample_fmt=sample_fmt)
    tags = MP4(path)
    tags["\xa9nam"] = ["Apple Song"]
    tags["trkn"] = [(3, 12)]
    tags.save()
    report = _inspect(path)
    assert report.ok, report.problems
    assert (report.format, report.codec, report.bit_depth) == ("ALAC", "alac", bits)
    assert report.tags["title"] == ["Apple Song"]
    assert report.tags["tracknumber"] == ["3/12"]


def test_mp4_cover_size_is_checked_before_anything_loads_it(tmp_path: Path) -> None:
    path = tmp_path / "a.m4a"
    encode_with_pyav(path, "alac", "ipod", seconds=1.5, sample_fmt="s16p")
    tags = MP4(path)
    tags["covr"] = [MP4Cover(b"\xff\xd8\xff" + bytes(5000), imageformat=MP4Cover.FORMAT_JPEG)]
    tags.save()
    assert _inspect(path).ok
    report = _inspect(path, max_picture_bytes=4000)
    assert report.codes == ["tags_too_large"]
    assert "5 KB of embedded pictures" in report.problems[0].message


def test_chunk_after_a_stale_riff_size_is_not_trailing_data(tmp_path: Path) -> None:
    path = Path(write_master(tmp_path / "a.wav", seed=3, seconds=1.5))
    note = b"INFOICMT" + struct.pack("<I", 6) + b"hello\x00"
    with path.open("ab") as f:  # a tagger that appends a chunk but leaves the RIFF size as it was
        f.write(b"LIST" + struct.pack("<I", len(note)) + note)
    assert _inspect(path).ok
    with path.open("ab") as f:
        f.write(bytes(range(200, 256)) * 100)
    assert _inspect(path).codes == ["trailing_data"]


def test_wav_tags_from_id3_chunk(tmp_path: Path) -> None:
    path = Path(write_master(tmp_path / "a.wav", seed=3, seconds=1.5))
    wave = WAVE(path)
    wave.add_tags()
    assert wave.tags is not None
    wave.tags.add(TIT2(encoding=3, text=["Chunked"]))
    wave.save()
    report = _inspect(path)
    assert report.ok, report.problems
    assert report.tags["title"] == ["Chunked"]


def test_truncation_is_reported_with_the_time_it_ends_at(tmp_path: Path) -> None:
    # A WAV header promising 3:30 of mono 16-bit audio, with only 2:41.5 of it present.
    rate, declared, present = 44100, 210 * 44100, int(161.5 * 44100)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    header = b"RIFF" + struct.pack("<I", 36 + declared * 2) + b"WAVEfmt " + struct.pack("<I", 16) + fmt
    path = tmp_path / "long.wav"
    path.write_bytes(header + b"data" + struct.pack("<I", declared * 2) + b"\x01\x00" * 1000)
    os.truncate(path, 44 + present * 2)
    report = _inspect(path, "My Song.wav")
    assert report.codes == ["truncated"]
    problem = report.problems[0]
    assert problem.message == "“My Song.wav” ends early at 2:41 of 3:30."
    assert "Export the track again" in problem.advice


def test_flac_whose_checksum_does_not_match_is_damaged(tmp_path: Path) -> None:
    data = Path(write_master(tmp_path / "a.flac", seed=4, seconds=2.0)).read_bytes()
    blocks = [(t, b) for t, b, _ in flac_blocks(data)]
    blocks[0] = (0, blocks[0][1][:18] + bytes(range(1, 17)))  # frames intact, stored MD5 wrong
    path = tmp_path / "b.flac"
    path.write_bytes(rebuild_flac(data, blocks))
    report = _inspect(path)
    assert report.codes == ["crc_error"]
    assert "does not match the checksums" in report.problems[0].message


def test_flac_with_unknown_length_still_passes(tmp_path: Path) -> None:
    data = Path(write_master(tmp_path / "a.flac", seed=5, seconds=2.0)).read_bytes()
    blocks = [(t, b) for t, b, _ in flac_blocks(data)]
    info = bytearray(blocks[0][1])
    info[13] &= 0xF0  # total samples: 36 bits from the low nibble of byte 13, 0 when unknown
    info[14:18] = bytes(4)
    blocks[0] = (0, bytes(info))
    path = tmp_path / "b.flac"
    path.write_bytes(rebuild_flac(data, blocks))
    report = _inspect(path)
    assert report.ok, report.problems
    assert report.frames == 88200


def test_tags_are_capped_with_a_note(tmp_path: Path) -> None:
    path = Path(write_master(tmp_path / "a.flac", seed=6, seconds=1.5))
    tags = FLAC(path)
    tags["COMMENT"] = "y" * 5000
    for n in range(30):
        tags[f"X{n:02d}"] = [str(v) for v in range(50)]
    tags.save()
    report = inspect_master(path, filename="a.flac",
                            limits=MasterLimits(tags=TagLimits(max_keys=10, max_values_per_key=5)))
    assert report.ok, report.problems
    assert [n.code for n in report.notes] == ["tags_truncated"]
    assert len(report.tags) == 10
    assert all(len(values) <= 5 for values in report.tags.values())
    assert len(report.tags["comment"][0]) == 1000


def test_dither_level_noise_counts_as_silence_but_quiet_music_does_not(tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(1)
    hiss = rng.integers(-1, 2, (88200, 2)).astype(np.int16)  # +-1 LSB: dither on a silent export
    quiet = rng.integers(-40, 41, (88200, 2)).astype(np.int16)  # about -58 dBFS: a quiet fade, but sound
    sf.write(tmp_path / "hiss.wav", hiss, 44100, subtype="PCM_16")
    sf.write(tmp_path / "quiet.wav", quiet, 44100, subtype="PCM_16")
    assert _inspect(tmp_path / "hiss.wav").codes == ["silence_only"]
    assert _inspect(tmp_path / "quiet.wav").ok


def test_limits_are_configurable(tmp_path: Path) -> None:
    path = Path(write_master(tmp_path / "six.wav", seed=7, seconds=1.5, channels=6))
    assert _inspect(path).codes == ["channels"]
    assert _inspect(path, max_channels=8).ok
    low = Path(write_master(tmp_path / "low.wav", seed=7, seconds=1.5, sample_rate=32000))
    assert _inspect(low).codes == ["sample_rate"]
    assert _inspect(low, sample_rates=(32000,)).ok


def test_problem_is_a_plain_value() -> None:
    problem = Problem("truncated", "message", "advice")
    assert problem == Problem("truncated", "message", "advice")
    with pytest.raises(AttributeError):
        problem.code = "other"  # type: ignore[misc]
