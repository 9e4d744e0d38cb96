"""Chromaprint fingerprints: re-encoded, trimmed or quieter copies match their master; other music not."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from storefront.screening import fingerprint as fp
from storefront.screening.fingerprint import (
    ITEM_SECONDS,
    MATCH_THRESHOLD,
    Chromaprint,
    FingerprintError,
    FingerprintIndex,
    FingerprintUnavailable,
    compare,
    compare_many,
    decode_fingerprint,
    encode_fingerprint,
    fingerprint_file,
    query_prints,
)
from tests.factories.provenance import encode, gain, master, trim

TRIM_SECONDS = 7.0
OTHER_SEEDS = (101, 202, 303, 404, 505)


@pytest.fixture(scope="module")
def chromaprint() -> Chromaprint:
    """The library, or a skip saying why; with STOREFRONT_REQUIRE_CHROMAPRINT=1 (CI) a failure instead."""
    try:
        return fp.default_library()
    except FingerprintUnavailable as exc:
        if os.environ.get("STOREFRONT_REQUIRE_CHROMAPRINT") == "1":
            pytest.fail(f"STOREFRONT_REQUIRE_CHROMAPRINT=1 but {exc}")
        pytest.skip(f"{exc}")


@dataclass(frozen=True)
class Corpus:
    master: np.ndarray
    copies: dict[str, np.ndarray]
    others: dict[int, np.ndarray]
    files: dict[str, Path]


@pytest.fixture(scope="module")
def corpus(chromaprint: Chromaprint, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    d = tmp_path_factory.mktemp("fingerprints")
    src = master(d / "master.flac", seed=7, seconds=40)
    files = {
        "mp3-320": encode(src, d / "copy.mp3"),
        "aac": encode(src, d / "copy.m4a"),
        "opus-96": encode(src, d / "copy.opus"),
        "trim-7s": trim(src, d / "trim.flac", TRIM_SECONDS),
        "gain-6dB": gain(src, d / "quiet.flac", -6.0),
        "wav": master(d / "master.wav", seed=7, seconds=40),
    }
    others = {seed: fingerprint_file(master(d / f"other{seed}.flac", seed=seed, seconds=30),
                                     library=chromaprint) for seed in OTHER_SEEDS}
    return Corpus(
        master=fingerprint_file(src, library=chromaprint),
        copies={name: fingerprint_file(path, library=chromaprint) for name, path in files.items()},
        others=others,
        files={"master": src, **files},
    )


@pytest.mark.parametrize(("name", "ceiling"), [
    ("mp3-320", 0.02), ("aac", 0.08), ("opus-96", 0.05), ("trim-7s", 0.15), ("gain-6dB", 0.01),
    ("wav", 0.005),
])
def test_copies_of_the_master_match_it(corpus: Corpus, name: str, ceiling: float) -> None:
    match = compare(corpus.copies[name], corpus.master)
    assert match.is_match
    assert match.ber <= ceiling, f"{name}: BER {match.ber:.4f}"


def test_trimmed_copy_aligns_where_the_cut_was(corpus: Corpus) -> None:
    # The synthetic pieces loop, so the best offset may be one loop away; aligned at the cut it must
    # still match closely.
    cut = round(TRIM_SECONDS / ITEM_SECONDS)
    at_cut = compare(corpus.copies["trim-7s"], corpus.master[cut:], max_offset_seconds=0.5)
    assert at_cut.is_match and abs(at_cut.offset) <= 1


def test_distinct_pieces_stay_far_above_the_threshold(corpus: Corpus) -> None:
    prints = [corpus.master, *corpus.others.values()]
    bers = [compare(a, b).ber for a, b in itertools.combinations(prints, 2)]
    assert min(bers) > MATCH_THRESHOLD + 0.1, f"closest distinct pair BER {min(bers):.3f}"


def test_fingerprint_covers_only_the_requested_seconds(corpus: Corpus, chromaprint: Chromaprint) -> None:
    short = fingerprint_file(corpus.files["master"], max_seconds=10, library=chromaprint)
    # Chromaprint needs a couple of seconds of context before its first item, so 10 s gives ~60 items.
    assert 50 < short.size < 10 / ITEM_SECONDS
    assert corpus.master.size > 2 * short.size
    assert compare(short, corpus.master, min_overlap_seconds=5).ber == 0.0


def test_index_finds_the_catalog_entry_for_each_copy(corpus: Corpus) -> None:
    index = FingerprintIndex()
    index.add("track:master", encode_fingerprint(corpus.master))
    for seed, print_ in corpus.others.items():
        index.add(f"track:{seed}", print_)
    assert len(index) == 1 + len(OTHER_SEEDS)
    for name, copy in corpus.copies.items():
        hits = index.search(copy)
        assert [key for key, _ in hits] == ["track:master"], name


def test_index_finds_nothing_for_music_outside_the_catalog(corpus: Corpus) -> None:
    index = FingerprintIndex()
    index.add("track:master", corpus.master)
    for print_ in corpus.others.values():
        assert index.search(print_) == []


def test_undecodable_files_raise_a_fingerprint_error(tmp_path: Path, chromaprint: Chromaprint) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"this is not audio" * 100)
    with pytest.raises(FingerprintError):
        fingerprint_file(junk, library=chromaprint)


def test_library_reports_its_version(chromaprint: Chromaprint) -> None:
    assert chromaprint.version.split(".")[0] == "1"


# Below: the comparison and storage code, which needs no library.

def test_missing_library_is_an_explicit_not_screened_error() -> None:
    with pytest.raises(FingerprintUnavailable, match="not screened: libchromaprint missing"):
        Chromaprint.load(["/nonexistent/libchromaprint.so.1"])


def _random_print(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32, n, dtype=np.uint32)


@pytest.mark.parametrize("shift", [0, 25, -25, 150])
def test_offset_search_finds_the_shift(shift: int) -> None:
    reference = _random_print(600)
    if shift >= 0:
        query = reference[shift:shift + 300]
    else:
        query = np.concatenate([_random_print(-shift, 9), reference])
    match = compare(query, reference)
    assert match.ber == 0.0
    assert match.offset == shift
    assert match.offset_seconds == pytest.approx(shift * ITEM_SECONDS)


def test_bit_error_rate_is_exact() -> None:
    reference = _random_print(400)
    noisy = reference.copy()
    noisy[:100] ^= np.uint32(0b111)  # 3 bits in each of 100 items
    match = compare(noisy, reference, max_offset_seconds=0)
    assert match.ber == pytest.approx(300 / (400 * 32))


def test_overlap_below_the_minimum_is_not_a_match() -> None:
    reference = _random_print(400)
    snippet = reference[:40]  # about 5 s
    assert compare(snippet, reference).overlap == 0
    assert not compare(snippet, reference).is_match
    assert compare(snippet, reference, min_overlap_seconds=4).is_match


def test_unrelated_random_prints_sit_near_half_the_bits() -> None:
    match = compare(_random_print(500, 1), _random_print(500, 2))
    assert 0.4 < match.ber < 0.5
    assert not match.is_match


def test_empty_inputs() -> None:
    empty = np.zeros(0, dtype=np.uint32)
    assert compare_many(_random_print(10), []) == []
    assert compare(empty, _random_print(100)).ber == 1.0


def test_compare_many_agrees_with_pairwise_compare() -> None:
    reference = _random_print(700, 3)
    entries = [_random_print(500, s) for s in range(10, 14)] + [reference, reference[100:]]
    query = reference[50:450]
    many = compare_many(query, entries)
    assert many == [compare(query, entry) for entry in entries]
    assert [m.is_match for m in many] == [False] * 4 + [True, True]


def test_storage_form_round_trips() -> None:
    print_ = _random_print(1000)
    text = encode_fingerprint(print_)
    assert len(text) == 5336  # 4 bytes per item, base64
    assert np.array_equal(decode_fingerprint(text), print_)


@pytest.mark.parametrize("bad", ["***", "AAAAAAA="])
def test_corrupt_storage_form_is_refused(bad: str) -> None:
    with pytest.raises(FingerprintError):
        decode_fingerprint(bad)


def test_a_file_is_looked_up_by_its_own_print_and_one_begun_half_an_item_later(
    corpus: Corpus, chromaprint: Chromaprint, tmp_path: Path
) -> None:
    prints = query_prints(corpus.files["master"], library=chromaprint)
    assert np.array_equal(prints.own, corpus.master)  # decoded once, fed whole: the same print
    # The shifted print's items sit half-way between the master's: every one of them differs a little.
    assert prints.shifted.size in (corpus.master.size - 1, corpus.master.size)
    between = compare(prints.shifted, corpus.master, max_offset_seconds=0.5)
    assert between.offset == 0 and 0.05 < between.ber < MATCH_THRESHOLD
    # A copy cut half-way between two items: its own items fall between the master's, and it is the
    # shifted print (begun at item 31 of the master) that lines up with them, nearly bit for bit.
    cut = trim(corpus.files["master"], tmp_path / "cut.flac", 30.5 * ITEM_SECONDS)
    copy = query_prints(cut, library=chromaprint)
    own = compare(copy.own, corpus.master[30:], max_offset_seconds=0.5)
    shifted = compare(copy.shifted, corpus.master[30:], max_offset_seconds=0.5)
    assert own.ber > 0.05 and shifted.ber < 0.01 and shifted.offset == 1, (own, shifted)


def test_a_file_that_cannot_be_decoded_has_no_query_prints(tmp_path: Path, chromaprint: Chromaprint) -> None:
    junk = tmp_path / "junk.flac"
    junk.write_bytes(b"fLaC but nothing after" * 50)
    with pytest.raises(FingerprintError):
        query_prints(junk, library=chromaprint)
