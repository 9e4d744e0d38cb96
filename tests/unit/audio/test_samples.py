"""The MD5 of decoded samples: FLAC's STREAMINFO definition, the same for every lossless container."""

from __future__ import annotations

from pathlib import Path

import mutagen.flac
import pytest

from storefront.audio.inspect.samples import sample_digest
from storefront.audio.synth import write_master
from storefront.audio.tagging import TrackTags, write_tags
from storefront.audio.transcode.batch import transcode_track
from tests.factories.provenance import encode

TAGS = TrackTags(title="Low Tide", artist="The Band", album="Harbour", track_number=1, track_total=1)


@pytest.mark.parametrize("bits", [16, 24])
def test_every_lossless_rendition_has_the_masters_digest_and_flac_states_it(tmp_path: Path, bits: int):
    master = tmp_path / "master.wav"
    write_master(master, seed=4, seconds=1.5, bit_depth=bits, sample_rate=48000)
    outputs = {
        "flac": tmp_path / "out.flac",
        "alac": tmp_path / "out.m4a",
        "wav": tmp_path / "out.wav",
        "aiff": tmp_path / "out.aiff",
    }
    transcode_track(master, outputs, tags=TAGS, max_workers=2)
    reference = sample_digest(master)
    assert reference is not None and (reference.bits, reference.channels) == (bits, 2)
    assert reference.frames == 72000 and reference.sample_rate == 48000
    for fmt, path in outputs.items():
        assert sample_digest(path) == reference, fmt
    # The definition is FLAC's own: the encoder's STREAMINFO MD5 says the same (never read by us).
    assert f"{mutagen.flac.FLAC(outputs['flac']).info.md5_signature:032x}" == reference.md5


def test_changed_tags_keep_the_digest_and_changed_samples_do_not(tmp_path: Path):
    flac = tmp_path / "a.flac"
    write_master(flac, seed=1, seconds=1.0)
    before = sample_digest(flac)
    write_tags(flac, "flac", TrackTags(title="Renamed by a fan", artist="Someone"))
    assert sample_digest(flac) == before
    other = tmp_path / "b.flac"
    write_master(other, seed=2, seconds=1.0)
    assert sample_digest(other) != before


def test_lossy_damaged_and_foreign_files_have_no_digest(tmp_path: Path):
    flac = tmp_path / "a.flac"
    write_master(flac, seed=1, seconds=1.0)
    assert sample_digest(encode(flac, tmp_path / "a.mp3")) is None
    assert sample_digest(encode(flac, tmp_path / "a.m4a")) is None  # AAC in MPEG-4: not lossless
    cut = tmp_path / "cut.flac"
    cut.write_bytes(flac.read_bytes()[: len(flac.read_bytes()) // 2])
    assert sample_digest(cut) is None or sample_digest(cut) != sample_digest(flac)
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    assert sample_digest(text) is None
