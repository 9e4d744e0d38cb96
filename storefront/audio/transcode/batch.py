"""One track into several download formats, tagged: the unit of work the job system runs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from storefront.audio.formats import get_format
from storefront.audio.tagging import TrackTags, write_tags
from storefront.audio.transcode.encode import TranscodeResult, transcode, transcode_many

# Relative encoding cost per second of audio (measured), so the slowest encoders start first in parallel.
ENCODING_COST = {
    "mp3-320": 10,
    "aac-256": 9,
    "mp3-v0": 8,
    "preview-mp3": 5,
    "opus": 4,
    "ogg-vorbis": 3,
    "preview-opus": 3,
    "alac": 2,
}


def transcode_track(
    src_path: str | os.PathLike[str],
    outputs: Mapping[str, str | os.PathLike[str]],
    *,
    tags: TrackTags | None = None,
    max_workers: int = 1,
) -> dict[str, TranscodeResult]:
    """Encode a master into each format of `outputs` (format key -> destination path), then tag each file.

    With max_workers == 1 the master is decoded once and every encoder is fed from that one pass. With
    more, formats are encoded on threads (FFmpeg and libsndfile release the GIL while they work), each
    reading the master itself, since decoding costs little beside encoding; on two cores this beat one
    process per track in benchmarks/transcode_album.py. Re-running with the same arguments rewrites the
    same bytes.
    """
    for key in outputs:
        get_format(key)  # fail before any work on an unknown key
    if max_workers <= 1 or len(outputs) <= 1:
        results = transcode_many(src_path, outputs)
    else:
        order = sorted(outputs, key=lambda k: -ENCODING_COST.get(k, 1))
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            futures = {key: pool.submit(transcode, src_path, outputs[key], key) for key in order}
            results = {key: futures[key].result() for key in outputs}
    if tags is not None:
        for key, result in results.items():
            write_tags(result.path, key, tags)
    return {key: _with_size(result) for key, result in results.items()}


def _with_size(result: TranscodeResult) -> TranscodeResult:
    size = os.path.getsize(result.path)
    if size == result.size_bytes:
        return result
    return TranscodeResult(**{**vars(result), "size_bytes": size})
