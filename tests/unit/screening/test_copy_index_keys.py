"""The copy index's keys and votes: which items are indexed, and how hits rank catalog fingerprints."""

from __future__ import annotations

import numpy as np
import pytest

from storefront.screening.copies.keys import (
    HEAD_BITS,
    KEY_BITS,
    MAX_STRIDE,
    MIN_ENTRIES,
    MIN_STRIDE,
    NEXT_BITS,
    chosen,
    entries,
    keys_of,
    probes,
    rank,
    stride_for,
)


def _print(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32, n, dtype=np.uint32)


def _hits(catalog: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every entry of every catalog fingerprint, as an index lookup returns them."""
    ids, keys, positions = [], [], []
    for fingerprint_id, items in catalog.items():
        k, p = entries(items)
        ids.append(np.full(k.size, fingerprint_id))
        keys.append(k)
        positions.append(p)
    return np.concatenate(ids), np.concatenate(keys), np.concatenate(positions)


@pytest.mark.parametrize(
    ("items", "stride"), [(10, 4), (150, 4), (383, 4), (384, 8), (767, 8), (768, 16), (950, 16), (5000, 16)]
)
def test_short_fingerprints_are_indexed_more_densely(items: int, stride: int) -> None:
    assert stride_for(items) == stride
    assert MIN_STRIDE <= stride <= MAX_STRIDE and (stride == MIN_STRIDE or items // stride >= MIN_ENTRIES)


def test_a_key_is_an_items_hashed_head_and_the_top_bits_of_the_item_after_it() -> None:
    items = np.array([0xFFFFFFFF, 0x12345678, 0xABCDEF01], dtype=np.uint32)
    keys = keys_of(items)
    assert (keys & ((1 << NEXT_BITS) - 1)).tolist() == [0x12345678 >> 25, 0xABCDEF01 >> 25]
    assert keys_of(items[:1]).size == 0
    # The hash permutes the heads: distinct heads keep distinct keys, and every key fits the index's
    # signed 32-bit column.
    heads = np.random.default_rng(11).choice(1 << HEAD_BITS, 200_000, replace=False).astype(np.uint32)
    pairs = np.stack([heads << np.uint32(32 - HEAD_BITS), np.zeros_like(heads)], axis=1)
    hashed = keys_of(pairs)[:, 0] >> NEXT_BITS
    assert np.unique(hashed).size == heads.size
    assert KEY_BITS <= 31 and keys_of(pairs).min() >= 0 and keys_of(pairs).max() < 1 << KEY_BITS


def test_the_keys_of_each_stride_lie_in_a_range_of_their_own() -> None:
    # A long fingerprint's entries all lie in the lowest sixteenth of the key space; of a query's probes,
    # exactly those chosen at stride 16 do, and the rest lie in the ranges short fingerprints fill.
    long, short = _print(960, 12), _print(300, 13)
    assert (stride_for(long.size), stride_for(short.size)) == (16, 4)
    sixteenth, quarter = 1 << (KEY_BITS - 4), 1 << (KEY_BITS - 2)
    assert entries(long)[0].max() < sixteenth
    assert entries(short)[0].max() < quarter and entries(short)[0].max() >= sixteenth
    keys, positions = probes(long)
    low = keys < sixteenth
    assert sorted(positions[low].tolist()) == np.flatnonzero(chosen(long, 16)).tolist()
    assert np.all(keys < quarter)
    assert 0.15 < low.mean() < 0.35


def test_the_follower_sets_the_key_apart_but_not_the_choice_of_items() -> None:
    # Two thousand two-item prints (one per row, as the benchmark's bulk loading passes them), then the same
    # heads followed by items whose top bit differs.
    heads, followers = _print(2000, 8), _print(2000, 9)
    one = np.stack([heads, followers], axis=1)
    other = np.stack([heads, followers ^ np.uint32(0x80000000)], axis=1)
    assert np.array_equal(chosen(one, MIN_STRIDE), chosen(other, MIN_STRIDE))
    assert 2000 / MIN_STRIDE * 0.9 < chosen(one, MIN_STRIDE).sum() < 2000 / MIN_STRIDE * 1.1
    assert np.all(keys_of(one) != keys_of(other))
    assert np.array_equal(keys_of(one) >> NEXT_BITS, keys_of(other) >> NEXT_BITS)


def test_about_one_item_per_stride_is_indexed_and_the_choice_depends_on_the_key_alone() -> None:
    items = _print(20_000, 1)
    keys, positions = entries(items)
    assert 20_000 / MAX_STRIDE * 0.9 < keys.size < 20_000 / MAX_STRIDE * 1.1
    assert np.array_equal(keys, keys_of(items)[positions])
    # The same sub-values at other positions (a trimmed copy) are chosen just the same.
    shifted_keys, shifted_positions = entries(items[37:])
    assert np.array_equal(shifted_keys, keys[positions >= 37])
    assert np.array_equal(shifted_positions, positions[positions >= 37] - 37)


def test_items_chosen_at_a_wide_stride_are_chosen_at_every_narrower_one() -> None:
    items = _print(960, 2)
    wide = set(entries(items)[1].tolist())  # stride 16
    narrow = set(entries(items[:300])[1].tolist())  # stride 4, over the same first 300 items
    assert (stride_for(960), stride_for(300)) == (16, 4)
    assert {p for p in wide if p < 300} <= narrow
    assert len(narrow) > len({p for p in wide if p < 300})


def test_runs_of_one_value_are_indexed_once() -> None:
    held = np.full(400, 0x0, dtype=np.uint32)  # key 0 is chosen at every stride
    keys, positions = entries(held)
    assert keys.tolist() == [0] and positions.tolist() == [0]


def test_probes_hold_every_key_any_stored_fingerprint_can_hold_sorted_by_key() -> None:
    items = _print(2000, 3)
    keys, positions = probes(items)
    assert np.all(np.diff(keys) >= 0)
    assert np.array_equal(keys, keys_of(items)[positions])
    assert 2000 / MIN_STRIDE * 0.9 < keys.size < 2000 / MIN_STRIDE * 1.1
    for length in (100, 500, 2000):  # strides 4, 8 and 16
        assert set(entries(items[:length])[0].tolist()) <= set(keys.tolist())


def test_the_copy_ranks_first_at_the_offset_of_its_trim() -> None:
    original = _print(960, 4)
    catalog = {1: original, 2: _print(960, 5), 3: _print(960, 6)}
    copy = original[56:].copy()
    copy[::3] ^= np.uint32(0xFFFF0000)  # a third of the items damaged in their top bits
    keys, positions = probes(copy)
    ranked = rank(keys, positions, _hits(catalog), max_shift=161, min_votes=2, limit=8)
    assert ranked[0].fingerprint_id == 1 and ranked[0].shift == 56
    # A key survives where its item and the item after it both do: a third of the ~56 entries left.
    assert ranked[0].votes >= 12
    assert all(candidate.fingerprint_id == 1 for candidate in ranked)


def test_hits_beyond_the_offset_the_matcher_searches_do_not_count() -> None:
    original = _print(960, 7)
    keys, positions = probes(original[200:])
    assert rank(keys, positions, _hits({1: original}), max_shift=161, min_votes=2, limit=8) == []
    found = rank(keys, positions, _hits({1: original}), max_shift=250, min_votes=2, limit=8)
    assert [(c.fingerprint_id, c.shift) for c in found] == [(1, 200)]


def test_hits_on_one_item_either_side_agree() -> None:
    keys = np.array([10, 20, 30], dtype=np.int64)
    positions = np.array([0, 1, 2], dtype=np.int64)
    # Fingerprint 5 matches keys 10, 20, 30 at shifts 4, 5 and 5: one offset give or take an item.
    hits = (np.array([5, 5, 5, 6]), np.array([10, 20, 30, 10]), np.array([4, 6, 7, 90]))
    found = rank(keys, positions, hits, max_shift=100, min_votes=2, limit=8)
    assert [(c.fingerprint_id, c.votes) for c in found] == [(5, 3)]
    assert rank(keys, positions, hits, max_shift=100, min_votes=1, limit=8)[1].fingerprint_id == 6


def test_only_the_best_few_are_returned_in_order_of_votes() -> None:
    catalog = {i: _print(960, 100 + i) for i in range(12)}
    query = np.concatenate([catalog[i][: 40 * (i + 1)] for i in range(12)])[:960]
    keys, positions = probes(query)
    found = rank(keys, positions, _hits(catalog), max_shift=2000, min_votes=2, limit=3)
    assert len(found) == 3
    assert [c.votes for c in found] == sorted((c.votes for c in found), reverse=True)


def test_nothing_to_rank() -> None:
    empty = np.zeros(0, dtype=np.int64)
    keys, positions = probes(_print(10, 1))
    assert rank(keys, positions, (empty, empty, empty), max_shift=10, min_votes=1, limit=3) == []
    assert rank(empty, empty, _hits({1: _print(300, 1)}), max_shift=10, min_votes=1, limit=3) == []


def test_a_held_note_is_one_vote_however_often_it_repeats() -> None:
    # The query holds key 10 over four neighbouring items, the catalog fingerprint over two: every pairing
    # agrees on an offset, but it is one sub-value, so it is one vote.
    keys = np.array([10, 10, 10, 10, 99], dtype=np.int64)
    positions = np.array([50, 51, 52, 53, 400], dtype=np.int64)
    hits = (np.array([7, 7]), np.array([10, 10]), np.array([60, 61]))
    assert rank(keys, positions, hits, max_shift=161, min_votes=2, limit=8) == []
    assert [
        (c.fingerprint_id, c.votes) for c in rank(keys, positions, hits, max_shift=161, min_votes=1, limit=8)
    ] == [(7, 1)]
    # A second key at the same offset is a second vote.
    hits = (np.array([7, 7, 7]), np.array([10, 10, 99]), np.array([60, 61, 410]))
    found = rank(keys, positions, hits, max_shift=161, min_votes=2, limit=8)
    assert [(c.fingerprint_id, c.votes, c.shift) for c in found] == [(7, 2, 10)]
