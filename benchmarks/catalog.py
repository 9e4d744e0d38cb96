"""Catalog pages at size under gunicorn: throughput against the cheapest route, latency, SQL queries per page.

Seeds a catalog with `flask seed-catalog` (10,000 releases, 100,000 tracks, 2,000 artists, 200 labels; one
artist with 200 releases) into a temporary instance, or reuses one seeded before (--instance DIR keeps it,
--database-url points at a PostgreSQL database you created), then starts the app under gunicorn with N sync
workers on a free loopback port. In one run and with the same client it measures, for each route:

- requests per second with `--concurrency` connections (2 per worker) in interleaved rounds, each divided
  by the throughput of the cheapest route of the same app (/healthz or a static file, whichever is faster);
- p50/p95 latency of one request at a time (no queueing in it);
- SQL queries per page as rendered in full, counted in this process with a test client and an SQLAlchemy
  event listener.

Two servers run side by side, one with the page cache (the default) and one without it
(STOREFRONT_PAGE_CACHE_BYTES=0), measured in the same interleaved rounds, so the table shows both: what a
full render costs, and what an anonymous visitor without cookies (the benchmark's client) is served.

Page 500 of /browse is reached by following the pages' rel="next" links. A route the app does not have (yet)
is reported as not available. Exits non-zero only on errors (the server failed, a route answered wrongly
under load). Every process it starts is stopped and every temporary file removed, whatever happens.

    .venv/bin/python benchmarks/catalog.py [--workers 2] [--seconds 12] [--rounds 3] [--quick]
        [--instance DIR] [--database-url postgresql+psycopg://root@127.0.0.1:5432/velvet_bench]
"""

from __future__ import annotations

import argparse
import os
import platform as host
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks._catalog_table import Route, copy, report  # noqa: E402
from benchmarks._processes import start, stop  # noqa: E402
from storefront import create_app  # noqa: E402
from storefront.accounts.models import Artist, Label, User  # noqa: E402
from storefront.cli.database import upgrade  # noqa: E402
from storefront.cli.seed_catalog import OWNER_EMAIL, OWNER_NAME, Shape, seed  # noqa: E402
from storefront.config import Settings  # noqa: E402
from storefront.releases.models import Release, ReleaseStatus, Track  # noqa: E402

SEARCH = "styrso"  # "Styrsö" without its accent, as a fan types it: prefix matching and accent folding
START_BOUND_S = 120.0  # only catches a server that never answers
STATIC = "/static/css/site.css"
TYPICAL_TRACKS = 10
PUBLIC = Release.status == ReleaseStatus.APPROVED


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return host.processor() or "unknown CPU"


# -- the catalog ---------------------------------------------------------------------------------------------
def prepare(settings: Settings, shape: Shape) -> tuple[Flask, str]:
    """The app in this process, on a seeded catalog; returns it and a line saying what the catalog holds."""
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    platform = app.extensions["storefront"]
    with platform.database.engine.connect() as conn:
        owner = conn.scalar(select(User.display_name).where(User.email == OWNER_EMAIL))
    seeded = owner == OWNER_NAME
    if not seeded:
        if owner is not None:
            print("The catalog there is incomplete (its seeding stopped): seeding it again.", flush=True)
        started = time.monotonic()
        seed(platform, shape, force=True, say=lambda line: print(line, flush=True))
        print(f"Seeded in {time.monotonic() - started:.0f} s.", flush=True)
    with platform.database.session() as session:
        models = {"releases": Release, "tracks": Track, "artists": Artist, "labels": Label}
        held = ", ".join(
            f"{session.scalar(select(func.count()).select_from(m)):,} {n}" for n, m in models.items()
        )
    return app, f"{'reused' if seeded else 'seeded'}: {held} ({platform.database.engine.dialect.name})"


def busiest(session: Session, model: type[Artist] | type[Label]) -> tuple[str, int]:
    """The slug of the artist or label with the most public releases, and how many it has."""
    owner = Release.artist_id if model is Artist else Release.label_id
    most = func.count(Release.id)
    found = session.execute(
        select(model.slug, most)
        .join(Release, owner == model.id)
        .where(PUBLIC)
        .group_by(model.id)
        .order_by(most.desc())
    ).first()
    return (found[0], found[1]) if found else ("", 0)


def routes(app: Flask) -> list[Route]:
    """The routes measured, found in the catalog, each checked once in this process (status, queries)."""
    platform = app.extensions["storefront"]
    client = app.test_client()
    with platform.database.session() as session:
        (artist, releases), (label, _) = busiest(session, Artist), busiest(session, Label)
        tracks = func.count(Track.id)
        album = session.execute(
            select(Artist.slug, Release.slug, tracks)
            .join(Release, Release.artist_id == Artist.id)
            .join(Track, Track.release_id == Release.id)
            .where(PUBLIC)
            .group_by(Artist.slug, Release.id, Release.slug)
            .order_by(func.abs(tracks - TYPICAL_TRACKS), Release.id)
        ).first()
        tags = Counter(tag for row in session.scalars(select(Release.tags).where(PUBLIC)) for tag in row)
    release_path = f"/artists/{album[0]}/album/{album[1]}" if album else ""
    tag = tags.most_common(1)[0][0] if tags else "none"
    browse_path, depth = walk(client, "/browse", 500)
    found = [
        Route("healthz", "/healthz"),
        Route("static file", STATIC),
        Route("home", "/"),
        Route("release page", release_path, note=f"{album[2]} tracks" if album else ""),
        Route("artist page", f"/artists/{artist}" if artist else "", note=f"{releases} releases"),
        Route("label page", f"/labels/{label}" if label else ""),
        Route("tag page", f"/tags/{quote(tag)}", note=f"“{tag}”, {tags[tag]:,} releases"),
        Route(
            f"browse, page {depth}",
            browse_path,
            note="the last page: 500 needs more releases" if depth < 500 else "",
        ),
        Route("search", "/search?" + urlencode({"q": SEARCH}), note=f"q={SEARCH}"),
        Route("feed", feed_path(app)),
    ]
    etag = client.get(release_path).headers.get("ETag") if release_path else None
    found.append(Route("304 release page", release_path if etag else "", {"If-None-Match": etag or ""}, 304))
    counter = [0]
    event.listen(
        platform.database.engine, "before_cursor_execute", lambda *_: counter.__setitem__(0, counter[0] + 1)
    )
    for route in found:
        if not route.path:
            route.note = "not available" + ("" if route.name != "304 release page" else ": no ETag")
            continue
        client.get(route.path, headers=route.headers)  # the first request fills caches
        counter[0] = 0
        answer = client.get(route.path, headers=route.headers)
        route.queries, route.size = counter[0], len(answer.data)
        if answer.status_code != route.expect:
            route.path, route.note = "", f"not available ({answer.status_code} at {route.path})"
    return found


def walk(client: FlaskClient, path: str, pages: int) -> tuple[str, int]:
    """Follow rel="next" links from `path` to page `pages`, or the last page; returns its path and number."""
    depth = 1
    while depth < pages:
        answer = client.get(path)
        found = re.search(r'<a href="([^"]+)"[^>]*rel="next"', answer.get_data(as_text=True))
        if answer.status_code != 200 or not found:
            break
        path, depth = found.group(1).replace("&amp;", "&"), depth + 1
    return path, depth


def feed_path(app: Flask) -> str:
    """The feed of new releases overall: a feed route that takes no argument but its format."""
    for rule in app.url_map.iter_rules():
        if (
            "feed" in rule.endpoint
            and set(rule.arguments) <= {"fmt", "format"}
            and "GET" in (rule.methods or ())
        ):
            return re.sub(r"<any\(([^,)]+)[^>]*>", lambda m: m.group(1).strip(), rule.rule)
    return ""


# -- the client ----------------------------------------------------------------------------------------------
def exchange(port: int, raw: bytes) -> tuple[int, bytes]:
    """Send one request on a new connection; the status and the head of the answer (the body is read too)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(raw)
        head = b""
        while chunk := conn.recv(65536):
            head = head or chunk
    return (int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0), head


def request(port: int, raw: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    status, _ = exchange(port, raw)
    return status, time.perf_counter() - started


def raw_request(port: int, route: Route) -> bytes:
    headers = dict(route.headers)
    if "If-None-Match" in headers:
        # The ETag covers the templates and static files as well: the one in force is asked for each time.
        head = exchange(port, raw_request(port, Route(route.name, route.path)))[1]
        found = re.search(rb"\r\nETag: ([^\r]+)", head, re.IGNORECASE)
        headers["If-None-Match"] = found.group(1).decode() if found else ""
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"GET {route.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{extra}\r\n".encode()


def load(port: int, route: Route, seconds: float, concurrency: int) -> None:
    """`concurrency` clients, each sending the next request as soon as the last is answered."""
    raw, lock, deadline = raw_request(port, route), threading.Lock(), time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            status, head = exchange(port, raw)
            with lock:
                route.done += 1
                if status != route.expect:
                    route.wrong[status] += 1
                    route.sample = route.sample or head[-300:].decode(errors="replace")

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    route.busy_s += time.perf_counter() - began


def latency(port: int, route: Route, count: int) -> None:
    raw = raw_request(port, route)
    for _ in range(count):
        status, took = request(port, raw)
        route.latencies.append(took)
        if status != route.expect:
            route.wrong[status] += 1


def serve(env: dict[str, str], workers: int, port: int) -> subprocess.Popen[bytes]:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    bind = ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    command = [gunicorn, "--workers", str(workers), "--worker-class", "sync", *bind, "app:app"]
    server = start(command, env=env, cwd=ROOT, stdout=sys.stderr, stderr=sys.stderr)
    give_up = time.monotonic() + START_BOUND_S
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            if request(port, raw_request(port, Route("healthz", "/healthz")))[0] == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > give_up:
            stop(server)
            raise RuntimeError(f"gunicorn did not answer in {START_BOUND_S:.0f} s")
        time.sleep(0.2)


# -- the run -------------------------------------------------------------------------------------------------
def measure(servers: dict[str, tuple[int, list[Route]]], options: argparse.Namespace) -> None:
    live = {name: [r for r in found if r.path] for name, (_, found) in servers.items()}
    for name, (port, _) in servers.items():
        for route in live[name]:  # every worker renders each page once before anything is timed
            for _ in range(2 * options.workers):
                request(port, raw_request(port, route))
    # Rounds interleave the routes and the servers, so that a change in the machine's load touches all alike.
    pairs = [
        (servers[name][0], route)
        for routes in zip(*live.values(), strict=True)
        for name, route in zip(live, routes, strict=True)
    ]
    for n in range(options.rounds):
        for port, route in pairs if n % 2 == 0 else reversed(pairs):
            load(port, route, options.seconds / options.rounds, options.concurrency)
    for port, route in pairs:
        latency(port, route, options.requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn sync workers")
    parser.add_argument(
        "--concurrency", type=int, default=0, help="client connections (default 2 per worker)"
    )
    parser.add_argument("--seconds", type=float, default=12.0, help="load time per route, over all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--requests", type=int, default=200, help="one-at-a-time requests per route for latency"
    )
    parser.add_argument("--releases", type=int, default=10_000, help="catalog size when seeding")
    parser.add_argument(
        "--instance", help="keep the instance (and the SQLite catalog) here, reused next time"
    )
    parser.add_argument("--database-url", default="", help="a PostgreSQL database to seed or reuse (kept)")
    parser.add_argument("--quick", action="store_true", help="500 releases, short runs, to try it out")
    options = parser.parse_args()
    if options.quick:
        options.releases, options.seconds, options.rounds, options.requests = 500, 2.0, 2, 30
    options.concurrency = options.concurrency or 2 * options.workers
    shape = Shape(
        releases=options.releases,
        artists=max(1, options.releases // 5),
        labels=max(1, options.releases // 50),
    )
    work = Path(options.instance or tempfile.mkdtemp(prefix="velvet-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started: list[subprocess.Popen[bytes]] = []
    try:
        env = {
            **os.environ, "PYTHONPATH": str(ROOT), "STOREFRONT_ENV": "development",
            "STOREFRONT_INSTANCE_DIR": str(work), "STOREFRONT_INLINE_JOBS": "manual",
            "STOREFRONT_SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
            **({"STOREFRONT_DATABASE_URL": options.database_url} if options.database_url else {}),
        }  # fmt: skip
        settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("STOREFRONT_")})
        # Queries are counted on full renders: the app in this process keeps no page.
        app, catalog = prepare(settings.with_overrides(page_cache_bytes=0), shape)
        found = routes(app)
        app.extensions["storefront"].database.dispose()
        print(
            f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {host.python_version()}, load average "
            f"{os.getloadavg()[0]:.1f}; gunicorn {options.workers} sync workers per server, "
            f"{options.concurrency} client connections, {options.seconds:g} s per route and server in "
            f"{options.rounds} rounds\nCommand: {os.path.relpath(sys.executable)} {' '.join(sys.argv)}",
            flush=True,
        )
        servers: dict[str, tuple[int, list[Route]]] = {}
        setups = (("without page cache", {"STOREFRONT_PAGE_CACHE_BYTES": "0"}), ("with page cache", {}))
        for name, extra in setups:
            port = free_port()
            started.append(serve({**env, **extra}, options.workers, port))
            servers[name] = (port, found if not servers else [copy(r) for r in found])
        measure(servers, options)
        ok = report({name: routes for name, (_, routes) in servers.items()}, catalog)
    finally:
        for server in started:
            stop(server)
        if not options.instance:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
