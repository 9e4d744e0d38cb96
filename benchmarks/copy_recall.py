"""Copy screening's recall on real copies: the copy index against the full scan, copy by copy.

Makes generated two-minute masters (seeds no other benchmark uses) and real copies of each: trims at the start
of several lengths (their items fall between the original's: the hardest case), a trim at the end, MP3, AAC
and Opus re-encodes, and a gain change. For every copy it asks the bit-error matcher, which the full scan runs
on every fingerprint, and the copy index's own steps (the original's entries, the probes of both the copy's
prints, the votes `rank` counts against the lookup's minimum) whether the original is found, and prints both
per transform, naming the copies only one of them finds, and how many the index would find probing the
copy's own print alone (without the print begun half an item later), or were its keys the items' heads alone
(without the following item's bits). The rest of a catalog changes neither answer for the original: its
votes come from its own entries, and the matcher compares one pair at a time.

    .venv/bin/python benchmarks/copy_recall.py [--pieces 40]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storefront.screening import fingerprint as fp  # noqa: E402
from storefront.screening.copies.keys import NEXT_BITS, entries, probes, rank  # noqa: E402
from storefront.screening.copies.lookup import MIN_VOTES  # noqa: E402
from tests.factories import provenance  # noqa: E402
from tests.factories.screening import laundered  # noqa: E402

SECONDS = 120.0
START_TRIMS = (0.7, 4.4, 7.0, 11.3)


def copies(src: Path, work: Path) -> dict[str, Path]:
    import soundfile as sf

    made = {
        f"trim {cut} s at the start": provenance.trim(src, work / f"start-{cut}.flac", cut)
        for cut in START_TRIMS
    }
    data, rate = sf.read(str(src), dtype="float32")
    sf.write(str(work / "end.flac"), data[: -int(7 * rate)], rate)
    made["trim 7 s at the end"] = work / "end.flac"
    made["MP3 320k"] = laundered(src, work, ".mp3")
    made["AAC 256k"] = laundered(src, work, ".m4a", ".wav")
    made["Opus 96k"] = laundered(src, work, ".opus")
    made["gain -6 dB"] = provenance.gain(src, work / "gain.flac", -6.0)
    return made


def index_votes(
    original: fp.Fingerprint, copy: fp.QueryPrints, *, own_alone: bool = False, heads_alone: bool = False
) -> int:
    """The votes the original gathers for `copy` as the lookup counts them: the better of its two prints,
    or its own print only with `own_alone`; with `heads_alone`, had the keys been the items' hashed heads
    without their followers' bits."""
    keys, positions = entries(original)
    if heads_alone:
        keys = keys >> NEXT_BITS
    hits = (np.zeros(keys.size, dtype=np.int64), keys, positions)
    max_shift = round(fp.MAX_OFFSET_SECONDS / fp.ITEM_SECONDS)
    votes = 0
    for print_ in copy[:1] if own_alone else copy:
        probe_keys, probe_positions = probes(print_)
        if heads_alone:
            order = np.argsort(probe_keys >> NEXT_BITS, kind="stable")
            probe_keys, probe_positions = (probe_keys >> NEXT_BITS)[order], probe_positions[order]
        found = rank(probe_keys, probe_positions, hits, max_shift=max_shift, min_votes=1, limit=1)
        votes = max(votes, found[0].votes if found else 0)
    return votes


def measure(pieces: int, say: Callable[[str], None]) -> None:
    # transform -> [copies, scan found, index found, own print alone found, heads alone found]
    counts: dict[str, list[int]] = {}
    only: list[str] = []
    least: dict[str, int] = {}
    least_own: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="copy-recall-") as tmp:
        for seed in range(pieces):
            work = Path(tmp) / str(seed)
            work.mkdir()
            src = provenance.master(work / "master.flac", seed=9000 + seed, seconds=SECONDS)
            original = fp.fingerprint_file(src)
            scan = fp.FingerprintIndex()
            scan.add("original", fp.encode_fingerprint(original))
            for name, path in copies(src, work).items():
                copy = fp.query_prints(path)
                by_scan = bool(scan.search(copy.own))
                votes = index_votes(original, copy)
                by_index = votes >= MIN_VOTES
                own_votes = index_votes(original, copy, own_alone=True)
                head_votes = index_votes(original, copy, heads_alone=True)
                row = counts.setdefault(name, [0, 0, 0, 0, 0])
                for i, found in enumerate(
                    (True, by_scan, by_index, own_votes >= MIN_VOTES, head_votes >= MIN_VOTES)
                ):
                    row[i] += found
                least[name] = min(least.get(name, votes), votes)
                least_own[name] = min(least_own.get(name, own_votes), own_votes)
                if by_scan != by_index:
                    found_by = "the scan" if by_scan else "the index"
                    only.append(
                        f"piece {seed}, {name}: found by {found_by} only "
                        f"({votes} votes; own print alone {own_votes}; heads alone {head_votes})"
                    )
            say(f"piece {seed + 1}/{pieces} done")
    print(
        f"\n{'transform':<24} {'copies':>6} {'scan finds':>10} {'index finds':>11} {'fewest votes':>12} "
        f"{'own print alone finds':>21} {'its fewest votes':>16} {'heads alone find':>16}"
    )
    for name, (n, by_scan, by_index, by_own, by_heads) in counts.items():
        print(
            f"{name:<24} {n:>6} {by_scan:>10} {by_index:>11} {least[name]:>12} {by_own:>21} "
            f"{least_own[name]:>16} {by_heads:>16}"
        )
    total = [sum(row[i] for row in counts.values()) for i in range(5)]
    print(
        f"{'all':<24} {total[0]:>6} {total[1]:>10} {total[2]:>11} {'':>12} {total[3]:>21} {'':>16} "
        f"{total[4]:>16}"
    )
    for line in only:
        print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pieces", type=int, default=40, help="generated masters, each copied 9 ways")
    options = parser.parse_args()
    measure(options.pieces, lambda line: print(line, file=sys.stderr, flush=True))


if __name__ == "__main__":
    main()
