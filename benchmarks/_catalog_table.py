"""The catalog benchmark's routes (what was measured of each) and its table, the servers side by side."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Route:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200
    note: str = ""
    queries: int | None = None
    size: int = 0
    done: int = 0
    busy_s: float = 0.0
    wrong: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    sample: str = ""  # the end of the first wrong answer, to say what went wrong

    @property
    def rps(self) -> float:
        return self.done / self.busy_s if self.busy_s else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else float("nan")


def _base(live: list[Route]) -> Route:
    cheap = [r for r in live if r.name in ("healthz", "static file")]
    return max([r for r in cheap if not r.wrong] or cheap, key=lambda r: r.rps)


def report(servers: dict[str, list[Route]], catalog: str) -> bool:
    """One row per route: each server's req/s, ratio and latency side by side, then the page's queries."""
    names = list(servers)
    bases = {name: _base([r for r in found if r.path]) for name, found in servers.items()}
    cells = "".join(f" {'req/s':>6} {'ratio':>5} {'p50':>5} {'p95':>5} |" for _ in names)
    print("\n" + " " * 20 + "".join(f" {name:^25}|" for name in names))
    print(f"{'route':<20}{cells} {'queries':>7} {'KB':>5}  path")
    for rows in zip(*servers.values(), strict=True):
        first = rows[0]
        if not first.path:
            print(f"{first.name:<20} {first.note}")
            continue
        figures = "".join(
            f" {r.rps:6.0f} {r.rps / bases[n].rps:5.2f} {r.percentile(0.5):5.1f} {r.percentile(0.95):5.1f} |"
            for n, r in zip(names, rows, strict=True)
        )
        wrong = "".join(f"  ERRORS {dict(r.wrong)}: …{r.sample!r}" for r in rows if r.wrong)
        note = f"  ({first.note})" if first.note else ""
        size = f"{first.queries:>7} {first.size / 1024:5.1f}"
        print(f"{first.name:<20}{figures} {size}  {first.path[:50]}{note}{wrong}")
    for name in names:
        print(f"ratio {name}: req/s over the cheapest route's ({bases[name].name}, {bases[name].path})")
    print(catalog)
    rendered, stored = ({r.name: r for r in found if r.path} for found in servers.values())
    full, answered = rendered.get("release page"), rendered.get("304 release page")
    if full and answered:
        print(f"304 / full render of the release page: {answered.rps / full.rps:.1f}x (target >= 5)")
        if kept := stored.get("release page"):
            print(f"release page sent from the page cache / full render: {kept.rps / full.rps:.1f}x")
    if search := rendered.get("search"):
        print(f"search p95 {search.percentile(0.95):.1f} ms (target < 20 ms)")
    cheap = ("healthz", "static file", "304 release page")
    pages = [r for r in servers[names[0]] if r.path and r.name not in cheap]
    print(f"most SQL queries on a page: {max((r.queries or 0) for r in pages) if pages else 0} (target <= 6)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return not any(r.wrong for found in servers.values() for r in found)


def copy(route: Route) -> Route:
    return Route(
        route.name, route.path, dict(route.headers), route.expect, route.note, route.queries, route.size
    )
