"""Chromaprint acoustic fingerprints of audio files, and matching them against each other and the catalog."""

from __future__ import annotations

import base64
import binascii
import ctypes
import ctypes.util
import functools
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import av
import numpy as np
import numpy.typing as npt

Fingerprint = npt.NDArray[np.uint32]

# Chromaprint analyses mono 16-bit audio at 11025 Hz; resampling to that ourselves means its internal
# resampler never runs, so every container and codec reaches it through the same FFmpeg path.
SAMPLE_RATE = 11025
# One fingerprint item per hop of 1365 samples (4096-sample frames, two thirds overlap): about 0.124 s.
ITEM_SECONDS = 1365 / SAMPLE_RATE
# Half a hop: the same audio begun this many samples later has items centred between the first's.
HALF_HOP = 1365 // 2
DEFAULT_SECONDS = 120.0
# Measured bit error rates against a master: MP3 320k ~0.001, Opus 96k ~0.012, AAC ~0.03, a 7 s trim
# ~0.07 (after the offset search), -6 dB 0.000; unrelated music 0.40-0.48, and the best of several
# hundred offsets between unrelated pieces stays above 0.30. 0.20 sits well clear of both sides.
MATCH_THRESHOLD = 0.20
MAX_OFFSET_SECONDS = 20.0
# Below about ten seconds of overlap a low error rate can be luck (silence, a held chord).
MIN_OVERLAP_SECONDS = 10.0
_ALGORITHM_DEFAULT = 1  # CHROMAPRINT_ALGORITHM_TEST2, the algorithm AcoustID uses
_LIBRARY_ENV = "STOREFRONT_CHROMAPRINT_LIBRARY"
# Elements per (entries x offsets x items) block in a vectorised comparison: bounds temporary memory.
_BLOCK_ELEMENTS = 8_000_000


class FingerprintUnavailable(RuntimeError):
    """libchromaprint cannot be loaded: the track must be recorded as not screened, never skipped."""


class FingerprintError(ValueError):
    """The audio could not be decoded or fingerprinted."""


@dataclass(frozen=True)
class Match:
    """How well two fingerprints align: bit error rate at the best offset (in fingerprint items)."""

    ber: float
    offset: int
    overlap: int
    threshold: float = MATCH_THRESHOLD

    @property
    def offset_seconds(self) -> float:
        return self.offset * ITEM_SECONDS

    @property
    def is_match(self) -> bool:
        return self.ber <= self.threshold


class Chromaprint:
    """A loaded libchromaprint, bound through ctypes to the few entry points fingerprinting needs."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        ctx = ctypes.c_void_p
        self._lib = lib
        self._new = self._fn("chromaprint_new", [ctypes.c_int], ctx)
        self._free = self._fn("chromaprint_free", [ctx], None)
        self._start = self._fn("chromaprint_start", [ctx, ctypes.c_int, ctypes.c_int], ctypes.c_int)
        self._feed = self._fn("chromaprint_feed", [ctx, ctypes.c_void_p, ctypes.c_int], ctypes.c_int)
        self._finish = self._fn("chromaprint_finish", [ctx], ctypes.c_int)
        self._get_raw = self._fn(
            "chromaprint_get_raw_fingerprint",
            [ctx, ctypes.POINTER(ctypes.POINTER(ctypes.c_uint32)), ctypes.POINTER(ctypes.c_int)],
            ctypes.c_int,
        )
        self._dealloc = self._fn("chromaprint_dealloc", [ctypes.c_void_p], None)
        self._version = self._fn("chromaprint_get_version", [], ctypes.c_char_p)

    def _fn(self, name: str, argtypes: list[Any], restype: Any) -> Any:
        fn = getattr(self._lib, name)
        fn.argtypes = argtypes
        fn.restype = restype
        return fn

    @classmethod
    def load(cls, candidates: Sequence[str] | None = None) -> Chromaprint:
        """The first library that loads from `candidates` (default: the usual names and the env override)."""
        if candidates is None:
            names = (
                os.environ.get(_LIBRARY_ENV),
                ctypes.util.find_library("chromaprint"),
                "libchromaprint.so.1",
                "libchromaprint.dylib",
                "chromaprint.dll",
            )
            candidates = [name for name in names if name]
        for name in candidates:
            try:
                return cls(ctypes.CDLL(name))
            except (OSError, AttributeError):
                continue
        raise FingerprintUnavailable(
            "not screened: libchromaprint missing (install the libchromaprint1 package, "
            f"or point {_LIBRARY_ENV} at the shared library)"
        )

    @property
    def version(self) -> str:
        return str(self._version().decode("ascii"))

    def fingerprint(
        self, chunks: Iterable[npt.NDArray[np.int16]], sample_rate: int = SAMPLE_RATE
    ) -> Fingerprint:
        """Raw fingerprint of mono 16-bit PCM given as consecutive chunks."""
        ctx = self._new(_ALGORITHM_DEFAULT)
        if not ctx:
            raise FingerprintError("chromaprint could not allocate a context")
        try:
            if not self._start(ctx, sample_rate, 1):
                raise FingerprintError(f"chromaprint refused sample rate {sample_rate}")
            for chunk in chunks:
                data = np.ascontiguousarray(chunk, dtype=np.int16)
                if data.size and not self._feed(ctx, data.ctypes.data, int(data.size)):
                    raise FingerprintError("chromaprint rejected the audio")
            if not self._finish(ctx):
                raise FingerprintError("chromaprint could not finish the fingerprint")
            raw = ctypes.POINTER(ctypes.c_uint32)()
            size = ctypes.c_int(0)
            if not self._get_raw(ctx, ctypes.byref(raw), ctypes.byref(size)):
                raise FingerprintError("chromaprint returned no fingerprint")
            try:
                if size.value == 0:
                    return np.zeros(0, dtype=np.uint32)
                return np.ctypeslib.as_array(raw, shape=(size.value,)).astype(np.uint32)
            finally:
                self._dealloc(raw)
        finally:
            self._free(ctx)


@functools.cache
def _default() -> Chromaprint | FingerprintUnavailable:
    try:
        return Chromaprint.load()
    except FingerprintUnavailable as exc:
        return exc


def default_library() -> Chromaprint:
    """The process-wide library; raises FingerprintUnavailable when it is not installed."""
    lib = _default()
    if isinstance(lib, FingerprintUnavailable):
        raise lib
    return lib


def library_available() -> bool:
    return not isinstance(_default(), FingerprintUnavailable)


def _pcm(path: str | os.PathLike[str], max_seconds: float) -> Iterator[npt.NDArray[np.int16]]:
    remaining = int(max_seconds * SAMPLE_RATE)
    with av.open(os.fspath(path)) as container:
        if not container.streams.audio:
            raise FingerprintError(f"{os.fspath(path)} has no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for frame in _with_flush(container.decode(stream)):
            for out in resampler.resample(frame):
                samples = np.asarray(out.to_ndarray(), dtype=np.int16).reshape(-1)[:remaining]
                remaining -= samples.size
                yield samples
                if remaining <= 0:
                    return


def _with_flush(frames: Iterator[Any]) -> Iterator[Any]:
    # A trailing None flushes the samples still held in the resampler.
    yield from frames
    yield None


def fingerprint_file(
    path: str | os.PathLike[str], max_seconds: float = DEFAULT_SECONDS, *, library: Chromaprint | None = None
) -> Fingerprint:
    """Raw fingerprint of the first `max_seconds` of any audio file FFmpeg can decode.

    Raises FingerprintUnavailable before decoding anything when libchromaprint is missing.
    """
    lib = library or default_library()
    try:
        return lib.fingerprint(_pcm(path, max_seconds))
    except (av.FFmpegError, OSError) as exc:
        raise FingerprintError(f"cannot decode {os.fspath(path)}: {exc}") from exc


class QueryPrints(NamedTuple):
    """What a file is looked up by: its own fingerprint (the one stored) and the fingerprint of the same
    audio begun half an item later. A copy cut at the start has items falling anywhere between the
    original's, and where they fall half-way far fewer of its items agree with the original's; one of the
    two prints is within a quarter of an item of them (measured in benchmarks/copy_recall.py)."""

    own: Fingerprint
    shifted: Fingerprint


def query_prints(
    path: str | os.PathLike[str], max_seconds: float = DEFAULT_SECONDS, *, library: Chromaprint | None = None
) -> QueryPrints:
    """Both prints of the first `max_seconds` of a file, decoded once (`own` is fingerprint_file's)."""
    lib = library or default_library()
    try:
        pcm = np.concatenate([np.zeros(0, dtype=np.int16), *_pcm(path, max_seconds)])
        return QueryPrints(lib.fingerprint([pcm]), lib.fingerprint([pcm[HALF_HOP:]]))
    except (av.FFmpegError, OSError) as exc:
        raise FingerprintError(f"cannot decode {os.fspath(path)}: {exc}") from exc


def encode_fingerprint(fp: Fingerprint) -> str:
    """Compact storage form: base64 of the little-endian uint32 items (4 bytes per 0.124 s)."""
    return base64.b64encode(np.asarray(fp, dtype="<u4").tobytes()).decode("ascii")


def decode_fingerprint(text: str) -> Fingerprint:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise FingerprintError("stored fingerprint is not base64") from exc
    if len(raw) % 4:
        raise FingerprintError("stored fingerprint length is not a whole number of items")
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32)


def _popcount(values: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    if hasattr(np, "bitwise_count"):  # numpy 2
        return np.asarray(np.bitwise_count(values), dtype=np.uint8)
    table = _popcount_table()
    return np.asarray(table[values & 0xFFFF] + table[values >> 16], dtype=np.uint8)


@functools.cache
def _popcount_table() -> npt.NDArray[np.uint8]:
    return np.array([bin(i).count("1") for i in range(1 << 16)], dtype=np.uint8)


def _items(seconds: float) -> int:
    return max(0, round(seconds / ITEM_SECONDS))


def compare_many(
    query: Fingerprint,
    entries: list[Fingerprint],
    *,
    max_offset_seconds: float = MAX_OFFSET_SECONDS,
    min_overlap_seconds: float = MIN_OVERLAP_SECONDS,
    threshold: float = MATCH_THRESHOLD,
) -> list[Match]:
    """Best alignment of `query` against each entry, sliding it over +/- max_offset_seconds.

    Offset d pairs query[i] with entry[i + d]: a copy with its first seconds cut has a positive offset.
    Vectorised over entries and offsets: XOR of aligned items, popcount, masked sums.
    """
    q = np.asarray(query, dtype=np.uint32)
    pad = _items(max_offset_seconds)
    min_overlap = max(1, _items(min_overlap_seconds))
    results: list[Match] = []
    if not entries:
        return results
    if q.size == 0:
        return [Match(1.0, 0, 0, threshold) for _ in entries]
    offsets = 2 * pad + 1
    per_entry = offsets * q.size
    block = max(1, _BLOCK_ELEMENTS // per_entry)
    for start in range(0, len(entries), block):
        results.extend(_compare_block(q, entries[start : start + block], pad, min_overlap, threshold))
    return results


def _compare_block(
    q: Fingerprint, entries: list[Fingerprint], pad: int, min_overlap: int, threshold: float
) -> list[Match]:
    width = 2 * pad + max(q.size, max(e.size for e in entries))
    rows = np.zeros((len(entries), width), dtype=np.uint32)
    mask = np.zeros((len(entries), width), dtype=np.uint8)
    for i, entry in enumerate(entries):
        n = min(entry.size, width - pad)
        rows[i, pad : pad + n] = entry[:n]
        mask[i, pad : pad + n] = 1
    windows = np.lib.stride_tricks.sliding_window_view(rows, q.size, axis=1)[:, : 2 * pad + 1, :]
    valid = np.lib.stride_tricks.sliding_window_view(mask, q.size, axis=1)[:, : 2 * pad + 1, :]
    errors = (_popcount(windows ^ q) * valid).sum(axis=2, dtype=np.int64)
    overlap = valid.sum(axis=2, dtype=np.int64)
    ber = np.where(overlap >= min_overlap, errors / np.maximum(overlap * 32, 1), np.inf)
    best = np.argmin(ber, axis=1)
    matches = []
    for i, j in enumerate(best):
        value = float(ber[i, j])
        if not np.isfinite(value):
            matches.append(Match(1.0, 0, 0, threshold))
        else:
            matches.append(Match(value, int(j) - pad, int(overlap[i, j]), threshold))
    return matches


def compare(
    a: Fingerprint,
    b: Fingerprint,
    *,
    max_offset_seconds: float = MAX_OFFSET_SECONDS,
    min_overlap_seconds: float = MIN_OVERLAP_SECONDS,
    threshold: float = MATCH_THRESHOLD,
) -> Match:
    """Best alignment of `a` against `b` (see compare_many for the offset convention)."""
    return compare_many(
        a,
        [b],
        max_offset_seconds=max_offset_seconds,
        min_overlap_seconds=min_overlap_seconds,
        threshold=threshold,
    )[0]


class FingerprintIndex:
    """Catalog fingerprints kept in memory, searched all at once with the vectorised comparison."""

    def __init__(
        self,
        *,
        threshold: float = MATCH_THRESHOLD,
        max_offset_seconds: float = MAX_OFFSET_SECONDS,
        min_overlap_seconds: float = MIN_OVERLAP_SECONDS,
    ) -> None:
        self.threshold = threshold
        self.max_offset_seconds = max_offset_seconds
        self.min_overlap_seconds = min_overlap_seconds
        self._keys: list[str] = []
        self._prints: list[Fingerprint] = []

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str, fp: Fingerprint | str) -> None:
        self._keys.append(key)
        self._prints.append(decode_fingerprint(fp) if isinstance(fp, str) else np.asarray(fp, np.uint32))

    def search(self, query: Fingerprint, *, limit: int = 5) -> list[tuple[str, Match]]:
        """Entries matching `query` below the threshold, best first."""
        matches = compare_many(
            query,
            self._prints,
            max_offset_seconds=self.max_offset_seconds,
            min_overlap_seconds=self.min_overlap_seconds,
            threshold=self.threshold,
        )
        found = [(key, m) for key, m in zip(self._keys, matches, strict=True) if m.is_match]
        return sorted(found, key=lambda item: item[1].ber)[:limit]
