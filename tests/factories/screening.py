"""Masters for the screening job: lossy copies brought back to a lossless container, stored masters with
their fingerprints, fingerprints of other music, and test detectors."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import soundfile as sf
from sqlalchemy.orm import Session

from storefront.releases.models import Release, Track, Upload, UploadKind
from storefront.screening.fingerprint import ITEM_SECONDS, encode_fingerprint
from storefront.screening.models import Fingerprint
from tests.factories.provenance import encode
from tests.factories.releases import ready_upload


def decode_to_lossless(src: Path, dst: Path) -> Path:
    """Decode any audio file and write it as FLAC or WAV (by `dst`'s extension), as a copier would do to
    get a lossy rip past a lossless-only upload."""
    with av.open(str(src)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=44100)
        blocks = [
            out.to_ndarray().reshape(-1, 2)
            for frame in [*container.decode(stream), None]
            for out in resampler.resample(frame)
        ]
    sf.write(str(dst), np.clip(np.concatenate(blocks), -1.0, 1.0), 44100, subtype="PCM_16")
    return dst


def laundered(src: Path, workdir: Path, lossy_suffix: str, dst_suffix: str = ".flac") -> Path:
    """`src` re-encoded lossily (.mp3 320k, .m4a AAC, .opus 96k), then decoded back to a lossless master."""
    lossy = encode(src, workdir / f"{src.stem}-copy{lossy_suffix}")
    return decode_to_lossless(lossy, workdir / f"{src.stem}-from-{lossy_suffix[1:]}{dst_suffix}")


class FixedDetector:
    """A stand-in AI-music detector that gives every file the same score and remembers what it heard."""

    def __init__(self, score: float, name: str = "fixed-test-detector") -> None:
        self.name = name
        self.value = score
        self.heard: list[Path] = []

    def score(self, path: Path) -> float:
        self.heard.append(path)
        return self.value


class BrokenDetector:
    name = "broken-test-detector"

    def score(self, path: Path) -> float:
        raise RuntimeError("model weights not found")


def stored_master(
    session: Session, release: Release, print_: np.ndarray, *, track: Track | None = None
) -> Upload:
    """A ready master with its stored fingerprint, as the screening job leaves it (rows only, no bytes)."""
    upload = ready_upload(session, release, UploadKind.MASTER, {}, track_id=track.id if track else None)
    session.flush()
    session.add(
        Fingerprint(
            upload_id=upload.id,
            artist_id=release.artist_id,
            release_id=release.id,
            track_id=upload.track_id,
            data=encode_fingerprint(print_),
            duration=print_.size * ITEM_SECONDS,
        )
    )
    return upload


def unrelated_prints(bases: list[np.ndarray], count: int, seed: int = 0) -> list[np.ndarray]:
    """Fingerprints of other music, shaped like real ones: a real fingerprint rotated and with every item's
    the same random bits flipped in every item, which keeps its structure and puts it half the bits away."""
    rng = np.random.default_rng(seed)
    made = []
    for n in range(count):
        base = bases[n % len(bases)]
        mask = rng.integers(0, 2**32, dtype=np.uint32)
        made.append(np.roll(base, int(rng.integers(0, base.size))) ^ mask)
    return made
