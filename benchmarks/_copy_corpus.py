"""Fingerprints for the copy-index benchmark: real ones of generated music, a catalog made from them, copies
planted in it with the errors real re-encodes and trims make, and the bulk loading of it all."""

from __future__ import annotations

import base64
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storefront.accounts.models import Artist, User  # noqa: E402
from storefront.releases.models import Release, Upload, UploadKind, UploadStatus  # noqa: E402
from storefront.screening import fingerprint as fp  # noqa: E402
from storefront.screening.copies.keys import chosen, entries, keys_of, stride_for  # noqa: E402
from storefront.screening.models import ALGORITHM  # noqa: E402

Prints = npt.NDArray[np.uint32]
SECONDS = 120.0  # what the screening job fingerprints of every master
SEGMENT = 64  # items (about 8 s) under one mask: other music, with the structure of real fingerprints
TRACKS_PER_RELEASE = 10
RELEASES_PER_ARTIST = 10
TRANSFORMS = (
    "MP3 320k",
    "AAC 256k",
    "Opus 96k",
    "trim 7 s at the start",
    "trim 7 s at the end",
    "gain -6 dB",
)


@dataclass(frozen=True)
class Damage:
    """What a real transform did to a real fingerprint: the XOR of the aligned items, and the cut."""

    name: str
    errors: Prints  # for the copy's items, aligned with the original's from `start`
    start: int  # items cut from the beginning
    end: int  # items cut from the end
    shifted: Damage | None = None  # the same copy as its print begun half an item later sees it


def _factories() -> tuple[object, Callable[..., Path]]:
    from tests.factories import provenance
    from tests.factories.screening import laundered

    return provenance, laundered


def real_prints(count: int, say: Callable[[str], None]) -> tuple[list[Prints], list[Damage]]:
    """Fingerprints of `count` generated two-minute pieces, and the damage each transform does to one."""
    provenance, laundered = _factories()
    prints: list[Prints] = []
    damage: list[Damage] = []
    with tempfile.TemporaryDirectory(prefix="copy-bench-") as tmp:
        work = Path(tmp)
        for seed in range(count):
            src = provenance.master(work / f"m{seed}.flac", seed=5000 + seed, seconds=SECONDS)  # type: ignore[attr-defined]
            prints.append(fp.fingerprint_file(src))
            if seed < 2:
                damage.extend(_damages(provenance, laundered, src, prints[-1], work))
        say(f"{count} real fingerprints of generated music, {len(damage)} measured transforms")
    return prints, damage


def _damages(
    provenance: object, laundered: Callable[..., Path], src: Path, original: Prints, work: Path
) -> list[Damage]:
    import soundfile as sf

    data, rate = sf.read(str(src), dtype="float32")
    end_cut = work / f"{src.stem}-end.flac"
    sf.write(str(end_cut), data[: -int(7 * rate)], rate)
    files = {
        "MP3 320k": laundered(src, work, ".mp3"),
        "AAC 256k": laundered(src, work, ".m4a", ".wav"),
        "Opus 96k": laundered(src, work, ".opus"),
        "trim 7 s at the start": provenance.trim(src, work / f"{src.stem}-trim.flac", 7.0),  # type: ignore[attr-defined]
        "trim 7 s at the end": end_cut,
        "gain -6 dB": provenance.gain(src, work / f"{src.stem}-gain.flac", -6.0),  # type: ignore[attr-defined]
    }
    found = []
    cut = round(7.0 / fp.ITEM_SECONDS)

    def measured(name: str, copy: Prints) -> Damage:
        # The true alignment, not the best one: the generated pieces loop, so a loop away can score as well.
        start = cut if name.startswith("trim 7 s at the start") else 0
        start += fp.compare(copy, original[start:], max_offset_seconds=0.5).offset
        n = min(copy.size, original.size - start)
        return Damage(name, copy[:n] ^ original[start : start + n], start, original.size - start - n)

    for name, path in files.items():
        own, shifted = fp.query_prints(path)
        found.append(replace(measured(name, own), shifted=measured(name, shifted)))
    return found


def _hash(*parts: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 of the parts: the same numbers for the same track on every run, in any chunk."""
    with np.errstate(over="ignore"):
        z = np.uint64(0x9E3779B97F4A7C15)
        for part in parts:
            z = (z ^ part.astype(np.uint64)) * np.uint64(0xBF58476D1CE4E5B9)
            z ^= z >> np.uint64(31)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(27))


def _noise() -> Prints:
    """One bit flipped in a third of the items (about one bit in a hundred): read from a random offset."""
    rng = np.random.default_rng(4)
    flips = rng.random(NOISE_ITEMS) < 1 / 3
    return np.where(flips, np.uint32(1) << rng.integers(0, 32, NOISE_ITEMS).astype(np.uint32), 0).astype(
        np.uint32
    )


NOISE_ITEMS = 8191
NOISE = _noise()


def catalog_prints(pool: list[Prints], first: int, count: int) -> Prints:
    """Tracks `first` .. `first + count - 1` of the synthetic catalog, the same on every run whatever the
    chunk: a real fingerprint rotated, every 8 s under a mask of its own, with about 1 % of bits flipped."""
    items = min(p.size for p in pool)
    segments = -(-items // SEGMENT)
    track = np.arange(first, first + count, dtype=np.uint64)[:, None]
    drawn = _hash(track, np.arange(3 + segments, dtype=np.uint64)[None, :])
    base = (drawn[:, 0] % np.uint64(len(pool))).astype(np.int64)
    rotation = (drawn[:, 1] % np.uint64(items)).astype(np.int64)
    noise_at = (drawn[:, 2] % np.uint64(NOISE_ITEMS)).astype(np.int64)
    along = np.arange(items, dtype=np.int64)[None, :]
    bases = np.stack([p[:items] for p in pool])
    out = bases[base[:, None], (along + rotation[:, None]) % items]
    out ^= np.repeat(drawn[:, 3:].astype(np.uint32), SEGMENT, axis=1)[:, :items]
    out ^= NOISE[(along + noise_at[:, None]) % NOISE_ITEMS]
    return out


def chunk_entries(prints: Prints, first: int) -> tuple[npt.NDArray[np.int64], ...]:
    """(fingerprint ids, positions, keys) of a chunk of same-length prints, as `entries` gives each."""
    rows, positions = np.nonzero(chosen(prints, stride_for(prints.shape[1])))
    return rows.astype(np.int64) + first, positions.astype(np.int64), keys_of(prints)[rows, positions]


def _hurt(original: Prints, hurt: Damage) -> Prints:
    body = original[hurt.start : original.size - hurt.end]
    size = min(body.size, hurt.errors.size)
    return body[:size] ^ hurt.errors[:size]


def planted(pool: list[Prints], damage: list[Damage], track: int, n: int) -> tuple[str, Prints, Prints]:
    """A copy of catalog track `track` made with the n-th transform's measured damage: the copy's own print
    and its print begun half an item later, which the lookup probes too."""
    hurt = damage[n % len(damage)]
    original = catalog_prints(pool, track, 1)[0]
    assert hurt.shifted is not None
    return hurt.name, _hurt(original, hurt), _hurt(original, hurt.shifted)


def outsider(pool: list[Prints], damage: list[Damage], n: int) -> tuple[Prints, Prints]:
    """Music that is not in the catalog, made the way catalog tracks are from seeds no track uses, and its
    print begun half an item later (with the errors that shift made to the print of a gain change)."""
    own = catalog_prints(pool, 10**9 + n, 1)[0]
    shift = next(d.shifted for d in damage if d.name == "gain -6 dB")
    assert shift is not None
    return own, _hurt(own, shift)


# -- loading ---------------------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def load_parents(conn: Connection, first: int, count: int) -> None:
    """An artist per hundred tracks, a release per ten, a ready master upload per track: ids chosen here."""
    owner = 1
    if first == 1:
        conn.execute(
            insert(User), [{"id": owner, "email": "copy-bench@example.com", "display_name": "Bench"}]
        )
    last = first + count - 1
    per_artist = TRACKS_PER_RELEASE * RELEASES_PER_ARTIST
    artists = range((first - 1) // per_artist + 1, (last - 1) // per_artist + 2)
    conn.execute(insert(Artist), [{"id": a, "name": f"Artist {a}", "slug": f"artist-{a}"} for a in artists])
    releases = range((first - 1) // TRACKS_PER_RELEASE + 1, (last - 1) // TRACKS_PER_RELEASE + 2)
    conn.execute(
        insert(Release),
        [
            {
                "id": r,
                "artist_id": (r - 1) // RELEASES_PER_ARTIST + 1,
                "title": f"Release {r}",
                "slug": f"r-{r}",
            }
            for r in releases
        ],
    )
    for start in range(first, last + 1, 20_000):
        conn.execute(
            insert(Upload),
            [
                {
                    "id": u,
                    "artist_id": (u - 1) // per_artist + 1,
                    "release_id": (u - 1) // TRACKS_PER_RELEASE + 1,
                    "kind": UploadKind.MASTER,
                    "status": UploadStatus.READY,
                    "original_filename": f"track-{u}.flac",
                    "content_type": "audio/flac",
                    "declared_size": 1,
                    "staging_key": f"staging/bench/{u}",
                    "final_key": f"releases/bench/{u}.flac",
                }
                for u in range(start, min(last, start + 19_999) + 1)
            ],
        )


def chunks(
    pool: list[Prints], first: int, count: int, size: int
) -> Iterator[tuple[list[tuple[object, ...]], tuple[npt.NDArray[np.int64], ...]]]:
    """(fingerprint rows, index columns) per `size` tracks: what the screening job and the index would
    have written for them. The first track of each chunk is checked against the index's own `entries`."""
    when = _now()
    for start in range(first, first + count, size):
        prints = catalog_prints(pool, start, min(size, first + count - start))
        index = chunk_entries(prints, start)
        keys, positions = entries(prints[0])
        mine = index[0] == start
        if not (np.array_equal(index[1][mine], positions) and np.array_equal(index[2][mine], keys)):
            raise AssertionError("the benchmark's bulk entries differ from the copy index's own")
        rows: list[tuple[object, ...]] = []
        for offset, items in enumerate(prints):
            n = start + offset
            release = (n - 1) // TRACKS_PER_RELEASE + 1
            artist = (release - 1) // RELEASES_PER_ARTIST + 1
            data = base64.b64encode(items.astype("<u4").tobytes()).decode("ascii")
            rows.append((n, n, artist, release, data, items.size * fp.ITEM_SECONDS, ALGORITHM, when))
        yield rows, index


PRINT_COLUMNS = "id, upload_id, artist_id, release_id, data, duration, algorithm, created_at"


def load_prints_postgresql(engine: Engine, pool: list[Prints], first: int, count: int) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for rows, index in chunks(pool, first, count, 10_000):
            with cursor.copy(f"COPY fingerprints ({PRINT_COLUMNS}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
            columns = (column.tolist() for column in index)
            text_rows = "".join(f"{f}\t{p}\t{v}\n" for f, p, v in zip(*columns, strict=True))
            with cursor.copy("COPY copy_index_entries (fingerprint_id, position, value) FROM STDIN") as copy:  # type: ignore[attr-defined]
                copy.write(text_rows)
            raw.commit()
    finally:
        raw.close()


def load_prints_sqlite(engine: Engine, pool: list[Prints], first: int, count: int) -> None:
    when = _now().strftime("%Y-%m-%d %H:%M:%S.%f")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA cache_size=-1000000")  # 1 GB while loading: the primary keys grow in order
        for rows, index in chunks(pool, first, count, 20_000):
            cursor.execute("BEGIN")
            cursor.executemany(
                f"INSERT INTO fingerprints ({PRINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(*row[:7], when) for row in rows],
            )
            cursor.executemany(
                "INSERT INTO copy_index_entries (fingerprint_id, position, value) VALUES (?, ?, ?)",
                zip(*(column.tolist() for column in index), strict=True),
            )
            cursor.execute("COMMIT")
    finally:
        raw.close()


def without_value_index(engine: Engine, load: Callable[[], None]) -> None:
    """Load with the lookup index dropped, then build it in one pass: much faster than growing it."""
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_copy_index_entries_value"))
    load()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # VACUUM: no transaction
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET maintenance_work_mem = '1GB'"))
        conn.execute(
            text(
                "CREATE INDEX ix_copy_index_entries_value "
                "ON copy_index_entries (value, fingerprint_id, position)"
            )
        )
        # Statistics (sampled on SQLite: a full pass reads gigabytes), and on PostgreSQL the visibility map
        # that lets lookups read the index alone.
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA analysis_limit=2000"))
        conn.execute(
            text("ANALYZE" if conn.dialect.name == "sqlite" else "VACUUM ANALYZE copy_index_entries")
        )
