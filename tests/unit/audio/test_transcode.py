"""Transcoding masters into every download format, and previews: decoded back and checked."""

# mutagen ships type hints for only part of its API; its constructors are unannotated.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import soundfile as sf
from mutagen.mp3 import MP3, BitrateMode
from mutagen.oggvorbis import OggVorbis

from storefront.audio.formats import DOWNLOAD_FORMATS, get_format
from storefront.audio.synth import Piece, render, write_master
from storefront.audio.transcode.batch import transcode_track
from storefront.audio.transcode.encode import clip_window, make_preview, transcode, transcode_many
from storefront.audio.transcode.sinks import ogg_page_crc, set_ogg_serial

SECONDS = 5.0
LOSSY_CODECS = {"mp3-320": "mp3", "mp3-v0": "mp3", "aac-256": "aac", "ogg-vorbis": "vorbis", "opus": "opus"}
LOSSLESS_CODECS = {"flac": "flac", "flac-16-44": "flac", "alac": "alac"}
# Samples a codec may add or drop at the ends (encoder delay and padding that the container cannot trim).
PADDING = {"aac-256": 2048, "mp3-320": 1152, "mp3-v0": 1152, "ogg-vorbis": 1024, "opus": 960}


def decode(path: Path) -> tuple[str, int, int, np.ndarray]:
    """(codec, sample rate, channels, samples as int32 full scale or float) as FFmpeg decodes the file."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = []
        for frame in container.decode(stream):
            data = frame.to_ndarray()
            # planar frames come as (channels, n), packed ones as (1, n * channels)
            data = data.T if frame.format.is_planar else data.reshape(-1, len(frame.layout.channels))
            if frame.format.name.startswith("s16"):
                data = data.astype(np.int32) << 16
            chunks.append(data)
        ctx = stream.codec_context
        return ctx.name, ctx.sample_rate, ctx.channels, np.concatenate(chunks)


@pytest.fixture(scope="module")
def cd_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("masters") / "cd.flac"
    write_master(path, seed=11, seconds=SECONDS)
    return path


@pytest.fixture(scope="module")
def hires_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("masters") / "hires.flac"
    write_master(path, seed=12, seconds=3.0, sample_rate=96000, bit_depth=24)
    return path


@pytest.fixture(scope="module")
def cd_outputs(cd_master: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("cd-out")
    outputs = {key: out / f"{key}.{fmt.extension}" for key, fmt in DOWNLOAD_FORMATS.items()}
    transcode_many(cd_master, outputs)
    return outputs


@pytest.mark.parametrize("key", sorted(DOWNLOAD_FORMATS))
def test_every_format_decodes_with_the_right_shape(key: str, cd_outputs: dict[str, Path]) -> None:
    codec, rate, channels, samples = decode(cd_outputs[key])
    expected_codec = {**LOSSY_CODECS, **LOSSLESS_CODECS}.get(key, codec)
    assert codec.removesuffix("float") == expected_codec
    assert rate == (48000 if key == "opus" else 44100)
    assert channels == 2
    expected = round(SECONDS * rate)
    assert abs(samples.shape[0] - expected) <= PADDING.get(key, 0)


@pytest.mark.parametrize("key", ["flac", "wav", "aiff", "alac", "flac-16-44"])
def test_lossless_formats_carry_the_masters_samples_exactly(
    key: str, cd_master: Path, cd_outputs: dict[str, Path]
) -> None:
    master = sf.read(cd_master, dtype="int32", always_2d=True)[0]
    assert np.array_equal(decode(cd_outputs[key])[3], master)


@pytest.mark.parametrize("key", ["flac", "wav", "aiff", "alac"])
def test_lossless_keeps_hires_rate_and_depth(key: str, hires_master: Path, tmp_path: Path) -> None:
    dest = tmp_path / f"out.{get_format(key).extension}"
    result = transcode(hires_master, dest, key)
    assert (result.sample_rate, result.bit_depth, result.channels) == (96000, 24, 2)
    _, rate, _, samples = decode(dest)
    assert rate == 96000
    assert np.array_equal(samples, sf.read(hires_master, dtype="int32", always_2d=True)[0])


def test_flac_16_44_resamples_and_dithers_a_hires_master(hires_master: Path, tmp_path: Path) -> None:
    dest = tmp_path / "cd.flac"
    result = transcode(hires_master, dest, "flac-16-44")
    info = sf.info(str(dest))
    assert (info.samplerate, info.subtype, info.frames) == (44100, "PCM_16", round(3.0 * 44100))
    assert (result.sample_rate, result.bit_depth) == (44100, 16)
    # Same music: the spectrum's energy stays where it was (within a dB), nothing above 22 kHz folded in.
    ours = sf.read(dest, dtype="float64")[0]
    source = sf.read(hires_master, dtype="float64")[0]
    assert abs(10 * np.log10(np.mean(ours**2) / np.mean(source**2))) < 0.1


def test_reducing_24_to_16_bits_is_dithered_not_truncated(tmp_path: Path) -> None:
    master = tmp_path / "m24.wav"
    write_master(master, seed=3, seconds=1.0, bit_depth=24)
    transcode(master, tmp_path / "out.flac", "flac-16-44")
    source = sf.read(master, dtype="float64")[0] * 32768
    ours = sf.read(tmp_path / "out.flac", dtype="int16")[0].astype(np.float64)
    error = ours - source
    assert np.abs(error).max() <= 2.0  # triangular dither spans +-1 LSB on top of rounding
    assert 0.3 < error.std() < 0.8  # TPDF adds 1/sqrt(6) LSB rms to rounding's 1/sqrt(12)
    assert abs(error.mean()) < 0.01  # no truncation bias
    assert not np.array_equal(ours, np.round(source))


@pytest.mark.parametrize(
    ("key", "rate"), [("mp3-320", 48000), ("aac-256", 48000), ("ogg-vorbis", 48000), ("opus", 48000)]
)
def test_lossy_formats_from_a_96k_master_use_48k(
    key: str, rate: int, hires_master: Path, tmp_path: Path
) -> None:
    dest = tmp_path / f"out.{get_format(key).extension}"
    result = transcode(hires_master, dest, key)
    assert result.sample_rate == rate and result.bit_depth is None
    assert decode(dest)[1] == rate


def test_mp3_v0_is_vbr_and_mp3_320_is_cbr(cd_outputs: dict[str, Path]) -> None:
    v0: Any = MP3(cd_outputs["mp3-v0"]).info
    cbr: Any = MP3(cd_outputs["mp3-320"]).info
    assert v0.bitrate_mode is BitrateMode.VBR
    assert cbr.bitrate_mode is BitrateMode.CBR and cbr.bitrate == 320_000
    assert 150_000 < v0.bitrate < 320_000


def test_vorbis_is_made_by_libvorbis(cd_outputs: dict[str, Path]) -> None:
    ogg: Any = OggVorbis(cd_outputs["ogg-vorbis"])
    assert ogg.tags.vendor.startswith("Xiph.Org libVorbis")
    # Quality 6 at 44.1 kHz stereo announces 192 kbps nominal.
    assert ogg.info.bitrate == 192_000


def ogg_pages(data: bytes) -> list[bytearray]:
    pages, offset = [], 0
    while offset < len(data):
        assert data[offset : offset + 4] == b"OggS"
        segments = data[offset + 27 : offset + 27 + data[offset + 26]]
        end = offset + 27 + len(segments) + sum(segments)
        pages.append(bytearray(data[offset:end]))
        offset = end
    return pages


def crc_is_valid(page: bytearray) -> bool:
    stored = bytes(page[22:26])
    page[22:26] = b"\0\0\0\0"
    return ogg_page_crc(bytes(page)) == stored


def test_ogg_crc_matches_libogg(tmp_path: Path) -> None:
    # libsndfile writes its pages through libogg, so their stored CRCs are libogg's.
    path = tmp_path / "libogg.ogg"
    sf.write(path, np.zeros((44100, 2), dtype=np.float32) + 0.1, 44100, format="OGG", subtype="VORBIS")
    pages = ogg_pages(path.read_bytes())
    assert len(pages) >= 3 and all(crc_is_valid(page) for page in pages)


def test_ogg_pages_have_a_fixed_serial_and_valid_crcs(tmp_path: Path, cd_outputs: dict[str, Path]) -> None:
    data = cd_outputs["ogg-vorbis"].read_bytes()
    assert len({bytes(page[14:18]) for page in ogg_pages(data)}) == 1
    copy = tmp_path / "copy.ogg"
    copy.write_bytes(data)
    set_ogg_serial(copy, 12345)
    for page in ogg_pages(copy.read_bytes()):
        assert int.from_bytes(page[14:18], "little") == 12345
        assert crc_is_valid(page)
    assert decode(copy)[3].shape == decode(cd_outputs["ogg-vorbis"])[3].shape


@pytest.mark.parametrize("key", sorted(DOWNLOAD_FORMATS))
def test_same_master_gives_the_same_bytes(
    key: str, cd_master: Path, cd_outputs: dict[str, Path], tmp_path: Path
) -> None:
    again = transcode(cd_master, tmp_path / f"again.{get_format(key).extension}", key)
    digest = hashlib.sha256(Path(again.path).read_bytes()).hexdigest()
    assert digest == hashlib.sha256(cd_outputs[key].read_bytes()).hexdigest()


def test_results_describe_the_output(cd_outputs: dict[str, Path], cd_master: Path, tmp_path: Path) -> None:
    result = transcode(cd_master, tmp_path / "x.mp3", "mp3-320")
    assert result.fmt_key == "mp3-320" and result.path == str(tmp_path / "x.mp3")
    assert result.duration == pytest.approx(SECONDS) and result.source_frames == round(SECONDS * 44100)
    assert result.size_bytes == (tmp_path / "x.mp3").stat().st_size
    assert not list(tmp_path.glob("*.part"))


def test_failure_leaves_no_file_under_the_final_name(cd_master: Path, tmp_path: Path) -> None:
    # Damage in the middle of the master: the encoders have written half a file when decoding fails.
    damaged = tmp_path / "damaged.flac"
    data = bytearray(cd_master.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 50_000] = bytes(range(256)) * 195 + bytes(80)
    damaged.write_bytes(bytes(data))
    out = tmp_path / "out"
    out.mkdir()
    outputs = {"mp3-320": out / "a.mp3", "flac": out / "a.flac", "ogg-vorbis": out / "a.ogg"}
    with pytest.raises(sf.LibsndfileError):
        transcode_many(damaged, outputs)
    assert list(out.iterdir()) == []
    with pytest.raises(KeyError):
        transcode_many(cd_master, {"mp3-999": out / "x"})


def test_mono_master(tmp_path: Path) -> None:
    master = tmp_path / "mono.wav"
    write_master(master, seed=4, seconds=2.0, channels=1, sample_rate=48000)
    for key in ("mp3-v0", "opus", "flac", "alac"):
        dest = tmp_path / f"out-{key}.{get_format(key).extension}"
        assert transcode(master, dest, key).channels == 1
        assert decode(dest)[2] == 1


def test_batch_with_threads_matches_one_pass(
    cd_master: Path, cd_outputs: dict[str, Path], tmp_path: Path
) -> None:
    keys = ["mp3-320", "opus", "flac", "ogg-vorbis"]
    outputs = {key: tmp_path / f"{key}.{get_format(key).extension}" for key in keys}
    results = transcode_track(cd_master, outputs, max_workers=2)
    assert set(results) == set(keys)
    for key in keys:
        assert outputs[key].read_bytes() == cd_outputs[key].read_bytes()


def test_clip_window_clamps() -> None:
    assert clip_window(10.0, 2.0, 3.0) == (2.0, 3.0)
    assert clip_window(10.0, 8.0, 5.0) == (5.0, 5.0)  # moved back to keep its length
    assert clip_window(10.0, 30.0, 5.0) == (5.0, 5.0)
    assert clip_window(3.0, 0.0, 5.0) == (0.0, 3.0)  # shortened where the track is shorter
    assert clip_window(10.0, 4.0, None) == (4.0, 6.0)
    with pytest.raises(ValueError):
        clip_window(10.0, -1.0, 2.0)
    with pytest.raises(ValueError):
        clip_window(10.0, 0.0, 0.0)


@pytest.mark.parametrize(("codec", "rate"), [("mp3", 44100), ("opus", 48000)])
def test_preview_clip_has_the_requested_length(
    codec: str, rate: int, cd_master: Path, tmp_path: Path
) -> None:
    dest = tmp_path / f"p.{codec}"
    result = make_preview(cd_master, dest, start=1.0, length=2.5, codec=codec)
    assert (result.start, result.duration, result.sample_rate) == (1.0, 2.5, rate)
    _, decoded_rate, _, samples = decode(dest)
    assert decoded_rate == rate
    assert abs(samples.shape[0] - 2.5 * rate) <= 1152
    # Faded in and out where the clip cuts the music; full level in the middle.
    rms = [
        float(np.sqrt(np.mean(np.square(part))))
        for part in (samples[: rate // 100], samples[rate : rate + rate // 2], samples[-rate // 100 :])
    ]
    assert rms[0] < rms[1] / 10 and rms[2] < rms[1] / 10


def test_preview_past_the_end_is_clamped(cd_master: Path, tmp_path: Path) -> None:
    result = make_preview(cd_master, tmp_path / "p.mp3", start=4.0, length=3.0)
    assert (result.start, result.duration) == (2.0, 3.0)
    longer = make_preview(cd_master, tmp_path / "q.mp3", start=0.0, length=60.0)
    assert (longer.start, longer.duration) == (0.0, SECONDS)


def test_full_track_preview(cd_master: Path, tmp_path: Path) -> None:
    result = make_preview(cd_master, tmp_path / "full.opus", codec="opus")
    assert result.duration == SECONDS and result.fmt_key == "preview-opus"
    assert abs(decode(tmp_path / "full.opus")[3].shape[0] - SECONDS * 48000) <= 960
    with pytest.raises(KeyError):
        make_preview(cd_master, tmp_path / "x.aac", codec="aac")


# VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts from its parent's RSS at fork (the test
# runner's), while VmHWM belongs to the new program alone.
MEASURE = """
import re, sys, time, tracemalloc
from storefront.audio.transcode.encode import transcode
tracemalloc.start()
started = time.perf_counter()
transcode(sys.argv[1], sys.argv[2], sys.argv[3])
elapsed = time.perf_counter() - started
with open("/proc/self/status") as status:
    peak_kib = int(re.search(r"VmHWM:\\s*(\\d+)", status.read()).group(1))
print(peak_kib * 1024, tracemalloc.get_traced_memory()[1], elapsed)
"""


def measure_transcode(src: Path, dest: Path, key: str) -> tuple[int, int, float]:
    """(peak RSS bytes, peak Python-traced bytes, seconds) of a transcode in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(src), str(dest), key],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[3],
    )
    rss, traced, seconds = done.stdout.split()
    return int(rss), int(traced), float(seconds)


def test_memory_does_not_grow_with_the_length_of_the_master(tmp_path: Path) -> None:
    short, long = tmp_path / "short.flac", tmp_path / "long.flac"
    write_master(short, seed=5, seconds=15)
    write_master(long, seed=5, seconds=150)
    rss_short, traced_short, _ = measure_transcode(short, tmp_path / "short.opus", "opus")
    rss_long, traced_long, _ = measure_transcode(long, tmp_path / "long.opus", "opus")
    # Reading the long master whole would take 150 s x 44100 x 2 x 4 bytes = 53 MB more than the short one.
    assert rss_long - rss_short < 15 * 2**20
    assert traced_long < traced_short + 4 * 2**20


def write_long_master(path: Path, hours: float) -> None:
    """A long 16-bit 44.1 kHz stereo FLAC, streamed: a synthesised minute played over and over."""
    minute = render(Piece(seed=21, seconds=60.0))
    with sf.SoundFile(path, "w", samplerate=44100, channels=2, format="FLAC", subtype="PCM_16") as out:
        for _ in range(round(hours * 60)):
            out.write(minute)


@pytest.mark.slow
def test_two_hour_master_transcodes_in_flat_memory(tmp_path: Path) -> None:
    master = tmp_path / "two-hours.flac"
    write_long_master(master, hours=2.0)
    # ALAC in MP4: the encoder path through PyAV's resampler, and a muxer that keeps an index of every
    # packet in memory until the end, the one part whose memory does grow (about 5 MB for two hours).
    # The resampling path is covered, at shorter lengths, by the test above.
    dest = tmp_path / "two-hours.m4a"
    rss, traced, seconds = measure_transcode(master, dest, "alac")
    print(
        f"2-hour master to ALAC: {seconds:.1f} s, peak RSS {rss / 2**20:.0f} MiB, "
        f"traced {traced / 2**20:.1f} MiB"
    )
    assert rss < 300 * 2**20
    assert traced < 32 * 2**20
    assert abs(sf.info(str(master)).duration - 7200) < 1
    assert abs(decode_duration(dest) - 7200) < 0.1


def decode_duration(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return sum(frame.samples for frame in container.decode(stream)) / stream.codec_context.sample_rate
