"""Copy screening at catalog scale: lookups through the copy index at 10,000, 100,000 and 1,000,000 tracks.

The catalog's fingerprints are made from real fingerprints of generated music (rotated, masked every 8 s,
1 % of bits flipped) and copies of catalog tracks are planted as queries with the damage real transforms
did (MP3, AAC, Opus, trims, gain: the measured bit errors and cuts), each with the print begun half an
item later that the screening job also probes (with the errors that shift made on real audio). Each size is
loaded in bulk (COPY on PostgreSQL, executemany in large transactions on SQLite), then a separate process
looks every query up the way the screening job does (index, then the bit-error matcher on the best
candidates) and reports lookup p50/p95, the same lookups probing the own print alone (interleaved with them),
recall of the planted copies, false matches, and its own memory; at the first size the full scan of every
fingerprint runs beside it on a few queries. Index and fingerprint sizes on disk come last.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _copy_corpus as corpus  # noqa: E402
from benchmarks._processes import start, stop  # noqa: E402
from storefront.cli.database import upgrade  # noqa: E402

SCAN_QUERIES = 6
SECRET = "benchmark-secret-key-0123456789abcdef"


def _memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process. Not getrusage: Linux carries ru_maxrss over an exec, so
    a child would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def lookups(url: str, queries_file: str, scan: bool) -> None:
    """In a process of its own: every query looked up as the screening job does; one JSON line out."""
    from storefront import create_app
    from storefront.config import Settings
    from storefront.screening.catalog import scan_catalog, search_catalog
    from storefront.screening.checks.base import Subject

    with tempfile.TemporaryDirectory(prefix="copy-bench-app-") as instance:
        settings = Settings(
            env="development",
            secret_key=SECRET,
            instance_dir=instance,
            database_url=url,
            inline_jobs="manual",
        )
        database = create_app(settings).extensions["storefront"].database
        stored = np.load(queries_file, allow_pickle=False)
        meta = json.loads(str(stored["meta"]))
        subject = Subject(0, 0, 0, None, "query.flac", "k", "flac", 120.0, None)
        base_mb = _memory_mb("VmRSS")
        times: list[float] = []
        own_times: list[float] = []  # the same lookups probing the own print alone, for its share of the cost
        found, wrong, flagged, by_kind = 0, 0, 0, {}
        for n, (kind, expected) in enumerate(meta):
            query, shifted = stored[f"q{n}"], stored[f"s{n}"]
            for both in (True, False) if n % 2 else (False, True):  # either goes first half of the time
                started = time.perf_counter()
                with database.session() as session:
                    search = search_catalog(session, subject, query, shifted=shifted if both else None)
                (times if both else own_times).append(time.perf_counter() - started)
                if both:
                    matches = search.matches
            ids = [m["upload_id"] for m in matches]
            if expected:
                hit = bool(ids) and ids[0] == expected
                found += hit
                by_kind.setdefault(kind, [0, 0])
                by_kind[kind][0] += hit
                by_kind[kind][1] += 1
                wrong += sum(i != expected for i in ids)
            else:
                flagged += bool(ids)
        result: dict[str, Any] = {
            "p50": _ms(times, 0.5),
            "p95": _ms(times, 0.95),
            "own_p50": _ms(own_times, 0.5),
            "own_p95": _ms(own_times, 0.95),
            "copies": sum(1 for _, e in meta if e),
            "found": found,
            "by_kind": by_kind,
            "wrong": wrong,
            "outsiders": sum(1 for _, e in meta if not e),
            "flagged": flagged,
            "base_mb": base_mb,
            "peak_mb": _memory_mb("VmHWM"),
        }
        if scan:
            chosen = [n for n, (_, e) in enumerate(meta) if e][: SCAN_QUERIES // 2]
            chosen += [n for n, (_, e) in enumerate(meta) if not e][: SCAN_QUERIES // 2]
            scan_times, agree = [], 0
            for n in chosen:
                with database.session() as session:
                    started = time.perf_counter()
                    by_scan = scan_catalog(session, subject, stored[f"q{n}"]).matches
                    scan_times.append(time.perf_counter() - started)
                    by_index = search_catalog(
                        session, subject, stored[f"q{n}"], shifted=stored[f"s{n}"]
                    ).matches
                agree += [m["upload_id"] for m in by_scan] == [m["upload_id"] for m in by_index]
            result |= {"scan_p50": _ms(scan_times, 0.5), "scan_n": len(chosen), "scan_agree": agree}
        print(json.dumps(result), flush=True)


def _sizes_on_disk(engine: Engine) -> dict[str, float]:
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            row = conn.execute(
                text(
                    "SELECT pg_relation_size('copy_index_entries'), pg_indexes_size('copy_index_entries'), "
                    "pg_total_relation_size('fingerprints'), (SELECT count(*) FROM copy_index_entries)"
                )
            ).one()
        else:
            pages = dict(conn.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")).all())
            row = (
                pages.get("copy_index_entries", 0),
                pages.get("ix_copy_index_entries_value", 0),
                pages.get("fingerprints", 0) + pages.get("sqlite_autoindex_fingerprints_1", 0),
                conn.execute(text("SELECT count(*) FROM copy_index_entries")).scalar(),
            )
    mb = 1024 * 1024
    return {"table_mb": row[0] / mb, "index_mb": row[1] / mb, "prints_mb": row[2] / mb, "entries": row[3]}


def _reset(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def run_engine(
    name: str, url: str, sizes: list[int], pool: list[Any], queries_file: str
) -> list[dict[str, Any]]:
    _reset(url)
    upgrade(url)
    engine = create_engine(url)
    rows: list[dict[str, Any]] = []
    loaded = 0
    try:
        for size in sizes:
            started = time.perf_counter()
            with engine.begin() as conn:
                corpus.load_parents(conn, loaded + 1, size - loaded)
            load = corpus.load_prints_postgresql if name == "PostgreSQL" else corpus.load_prints_sqlite
            corpus.without_value_index(engine, lambda: load(engine, pool, loaded + 1, size - loaded))  # noqa: B023
            load_s = time.perf_counter() - started
            loaded = size
            child = start(
                [sys.executable, __file__, "--lookups", url, "--queries", queries_file]
                + (["--scan"] if size == sizes[0] else []),
                stdout=subprocess.PIPE,
            )
            try:
                out, _ = child.communicate(timeout=3600)
            finally:
                stop(child)
            result = json.loads(out.decode().strip().splitlines()[-1])
            rows.append({"engine": name, "size": size, "load_s": load_s, **result, **_sizes_on_disk(engine)})
            _print_row(rows[-1])
    finally:
        engine.dispose()
        _reset(url)  # the tables of a million tracks are large: nothing is kept
    return rows


def _print_row(r: dict[str, Any]) -> None:
    line = (
        f"{r['engine']:<10} {r['size']:>9,}  load {r['load_s']:6.0f} s  lookup p50 {r['p50']:6.1f} ms  "
        f"p95 {r['p95']:6.1f} ms  (own print alone p50 {r['own_p50']:.1f} ms, p95 {r['own_p95']:.1f} ms)  "
        f"copies found {r['found']}/{r['copies']}  wrong matches {r['wrong']}  "
        f"outsiders flagged {r['flagged']}/{r['outsiders']}  index {r['entries']:,} rows, "
        f"{r['table_mb']:.0f} MB + {r['index_mb']:.0f} MB lookup index "
        f"(fingerprints {r['prints_mb']:.0f} MB)  "
        f"memory {r['base_mb']:.0f} MB -> {r['peak_mb']:.0f} MB"
    )
    if "scan_p50" in r:
        line += f"\n{'':<10} full scan of every fingerprint: p50 {r['scan_p50']:.0f} ms "
        line += f"on {r['scan_n']} queries, "
        line += f"same matches as the index on {r['scan_agree']}/{r['scan_n']}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 5,000 tracks, few queries")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=os.environ.get("STOREFRONT_BENCH_DATABASE_URL", ""),
                        help="PostgreSQL database to use (its public schema is dropped)")  # fmt: skip
    parser.add_argument("--copies", type=int, default=120, help="planted copies looked up")
    parser.add_argument("--pool", type=int, default=16, help="real fingerprints the catalog is made from")
    parser.add_argument("--lookups", help=argparse.SUPPRESS)
    parser.add_argument("--queries", help=argparse.SUPPRESS)
    parser.add_argument("--scan", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.lookups:
        lookups(options.lookups, options.queries, options.scan)
        return
    if options.quick:
        options.sizes, options.copies, options.pool = "1000,5000", 24, 4
    sizes = sorted(int(s) for s in options.sizes.split(","))
    engines = options.engines.split(",")
    if "postgresql" in engines and not options.database_url:
        parser.error("postgresql needs --database-url (or STOREFRONT_BENCH_DATABASE_URL)")
    print(f"Machine: {os.cpu_count()} CPUs; command: {' '.join(sys.argv)}", flush=True)
    pool, damage = corpus.real_prints(options.pool, print)
    work = Path(tempfile.mkdtemp(prefix="copy-bench-"))
    try:
        rng = np.random.default_rng(1)
        tracks = rng.choice(np.arange(1, sizes[0] + 1), options.copies, replace=False)
        meta: list[tuple[str, int]] = []
        arrays: dict[str, Any] = {}
        for n, track in enumerate(tracks):
            kind, arrays[f"q{n}"], arrays[f"s{n}"] = corpus.planted(pool, damage, int(track), n)
            meta.append((kind, int(track)))
        for n in range(options.copies):
            arrays[f"q{len(meta)}"], arrays[f"s{len(meta)}"] = corpus.outsider(pool, damage, n)
            meta.append(("outsider", 0))
        queries_file = str(work / "queries.npz")
        np.savez(queries_file, meta=json.dumps(meta), **arrays)
        rows = []
        for engine in engines:
            url = options.database_url if engine == "postgresql" else f"sqlite:///{work / 'copies.sqlite3'}"
            rows += run_engine(
                "PostgreSQL" if engine == "postgresql" else "SQLite", url, sizes, pool, queries_file
            )
        kinds = sorted({k for r in rows for k in r["by_kind"]})
        print("\nRecall of planted copies by transform (found/planted, per engine and size):")
        for r in rows:
            counts = [f"{k}: {r['by_kind'][k][0]}/{r['by_kind'][k][1]}" for k in kinds if k in r["by_kind"]]
            print(f"  {r['engine']:<10} {r['size']:>9,}  " + "  ".join(counts))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
