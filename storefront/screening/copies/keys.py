"""Which sub-values a fingerprint is indexed by, and how index hits rank catalog fingerprints for a query.

An item is chosen by its head, the top HEAD_BITS of the 32-bit Chromaprint value: the first classifiers,
which survive re-encoding, trims and gain best (measured on trimmed synthetic masters, 24 bits survive at
about one item in three where the whole value survives at one in six). Heads are permuted by a
multiplicative hash, and only the items whose hashed head falls in the lowest 1/stride of the head space are
indexed, so the same items are chosen in a copy whatever its offset; short fingerprints use a smaller stride,
down to MIN_STRIDE, so that they still get about MIN_ENTRIES entries. A query probes the items chosen at
MIN_STRIDE: every item any stored fingerprint can hold, and a quarter of its items.

The key an item is indexed by is its hashed head followed by the top NEXT_BITS of the item after it. Choosing
items by head confines a stride's heads to 1/stride of the head space, so each head would be met by about
N x (items per fingerprint) / 2^24 rows of a catalog of N fingerprints whatever the stride (about 57 at a
million two-minute tracks); the follower's bits divide that by 2^NEXT_BITS, which keeps the rows a lookup
reads nearly flat as the catalog grows. Where a copy keeps an item's head it nearly always keeps the
follower's top bits: on real re-encodes, trims and gain changes the copies that reach two votes are the same
either way (measured in benchmarks/copy_index.py and benchmarks/copy_recall.py). The last item has no
follower and is not indexed.

Because the key starts with the hashed head, the keys of items chosen at stride 16 (every entry of a long
fingerprint, nearly the whole catalog) lie in the lowest sixteenth of the key space, and the keys chosen only
at the narrower strides above them. Of a query's probes, the quarter that can meet a long fingerprint land in
that one range; the rest land in ranges that only fingerprints under about 95 s fill, parts of the index as
small as their share of the catalog. Spread over the whole key space, every probe would read a leaf of the
index's B-tree from anywhere in it: four times as many pages of the part that grows with the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

HEAD_BITS = 24
NEXT_BITS = 7  # a key is 31 bits: it fits the index's signed 32-bit column
KEY_BITS = HEAD_BITS + NEXT_BITS
MAX_STRIDE = 16  # a two-minute fingerprint (about 950 items) gets about 60 entries
MIN_STRIDE = 4
MIN_ENTRIES = 48
# Knuth's multiplicative hash over the 24-bit heads (an odd multiplier near 2^24 / golden ratio): a
# permutation of the heads whose top bits spread neighbouring heads across the strides.
_MIX = np.uint64(10368889)
_HEADS = np.uint64((1 << HEAD_BITS) - 1)

IntArray = npt.NDArray[np.int64]
Items = npt.NDArray[np.uint32]


def stride_for(items: int) -> int:
    """The largest power of two up to MAX_STRIDE that still leaves a fingerprint MIN_ENTRIES entries."""
    stride = MAX_STRIDE
    while stride > MIN_STRIDE and items // stride < MIN_ENTRIES:
        stride //= 2
    return stride


def _hashed_heads(items: Items) -> npt.NDArray[np.uint64]:
    """The hashed head of every item but the last (along the last axis)."""
    heads = (items[..., :-1] >> np.uint32(32 - HEAD_BITS)).astype(np.uint64)
    return (heads * _MIX) & _HEADS


def keys_of(fingerprint: Items) -> IntArray:
    """The key of every item but the last (along the last axis): its hashed head, then its follower's top
    bits."""
    items = np.asarray(fingerprint, dtype=np.uint32)
    followers = (items[..., 1:] >> np.uint32(32 - NEXT_BITS)).astype(np.int64)
    return (_hashed_heads(items).astype(np.int64) << NEXT_BITS) | followers


def _by_head(items: Items, stride: int) -> npt.NDArray[np.bool_]:
    # The top bits of the hashed head decide, so an item chosen at stride 16 is chosen at every smaller one.
    return np.asarray((_hashed_heads(items) >> np.uint64(HEAD_BITS - stride.bit_length() + 1)) == 0)


def chosen(fingerprint: Items, stride: int) -> npt.NDArray[np.bool_]:
    """Which items but the last are indexed at `stride` (along the last axis): those whose head hashes into
    1/stride of the head space, unless equal to the item before (silence, a held chord: such runs would
    fill the posting lists of a few keys and say little)."""
    items = np.asarray(fingerprint, dtype=np.uint32)
    keep = _by_head(items, stride)
    keep[..., 1:] &= items[..., 1:-1] != items[..., :-2]
    return keep


def entries(fingerprint: Items) -> tuple[IntArray, IntArray]:
    """(keys, positions) a stored fingerprint is indexed by."""
    items = np.asarray(fingerprint, dtype=np.uint32)
    positions = np.flatnonzero(chosen(items, stride_for(items.size)))
    return keys_of(items)[positions], positions.astype(np.int64)


def probes(fingerprint: Items) -> tuple[IntArray, IntArray]:
    """(keys, positions) a query looks up, sorted by key: its items chosen at MIN_STRIDE, so whatever
    stride a stored fingerprint was indexed at, the keys it holds are among these."""
    items = np.asarray(fingerprint, dtype=np.uint32)
    positions = np.flatnonzero(_by_head(items, MIN_STRIDE))
    keys = keys_of(items)[positions]
    order = np.argsort(keys, kind="stable")
    return keys[order], positions[order].astype(np.int64)


@dataclass(frozen=True)
class Candidate:
    """A catalog fingerprint worth aligning: how many hits agree on one offset, and that offset."""

    fingerprint_id: int
    votes: int
    shift: int


def rank(
    probe_keys: IntArray,
    probe_positions: IntArray,
    hits: tuple[IntArray, IntArray, IntArray],
    *,
    max_shift: int,
    min_votes: int,
    limit: int,
) -> list[Candidate]:
    """The best `limit` fingerprints among index hits (fingerprint ids, keys, positions), by the number of
    distinct keys that agree on an offset (within one item: a trim rarely falls on an item boundary).

    A hit pairs query item i with catalog item j; j - i is the offset the matcher would align them at, so
    hits beyond `max_shift` cannot lead to a match and are not counted."""
    ids, keys, positions = (np.asarray(a, dtype=np.int64) for a in hits)
    if ids.size == 0 or probe_keys.size == 0:
        return []
    first = np.searchsorted(probe_keys, keys, side="left")
    count = np.searchsorted(probe_keys, keys, side="right") - first
    hit = np.repeat(np.arange(ids.size), count)
    # Every query position holding the hit's key: a key repeated in the query pairs with each occurrence.
    starts = np.repeat(np.cumsum(count) - count, count)
    probe = first[hit] + (np.arange(hit.size) - starts)
    shift = positions[hit] - probe_positions[probe]
    near = np.abs(shift) <= max_shift
    hit, shift = hit[near], shift[near]
    if hit.size == 0:
        return []
    # A vote is a sub-value: a held note repeats one key over neighbouring items, on either side, and
    # pairs each repetition with each of the other side's, yet it is one piece of evidence. Each pair
    # counts towards its own offset and the two beside it, so a vote for offset s is a key paired within
    # one of s; the tallies are sparse, following the hits and never the catalog.
    width = 2 * max_shift + 3
    centre = ids[hit] * width + shift + max_shift + 1
    key = first[hit]  # the key's place among the query's sorted keys
    voter = np.unique(np.concatenate([centre - 1, centre, centre + 1]) * probe_keys.size + np.tile(key, 3))
    codes, agreeing = np.unique(voter // probe_keys.size, return_counts=True)
    # Among a fingerprint's offsets with as many votes, the one its keys were paired at exactly.
    exact_codes, exact_votes = np.unique(
        np.unique(centre * probe_keys.size + key) // probe_keys.size, return_counts=True
    )
    at = np.minimum(np.searchsorted(exact_codes, codes), exact_codes.size - 1)
    exact = np.where(exact_codes[at] == codes, exact_votes[at], 0)
    fingerprint, offset = np.divmod(codes, width)
    order = np.lexsort((-exact, fingerprint, -agreeing))
    ranked: list[Candidate] = []
    seen: set[int] = set()
    for i in order:
        if agreeing[i] < min_votes or len(ranked) == limit:
            break
        if int(fingerprint[i]) not in seen:
            seen.add(int(fingerprint[i]))
            ranked.append(Candidate(int(fingerprint[i]), int(agreeing[i]), int(offset[i]) - max_shift - 1))
    return ranked
