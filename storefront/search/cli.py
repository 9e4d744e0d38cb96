"""`flask search-reindex`: the search index written again from the catalog; `flask search`: try a query."""

from __future__ import annotations

import statistics
import time
from typing import Protocol

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..db import Database
from .indexer import SearchIndexer
from .interfaces import SearchIndex
from .query import QueryError, read_query
from .service import SearchService, time_search


class SearchPlatform(Protocol):
    """What these commands need of the application's platform."""

    database: Database
    search: SearchIndex


def _platform() -> SearchPlatform:
    found: SearchPlatform = current_app.extensions["storefront"]
    return found


@click.command("search-reindex")
@with_appcontext
def reindex() -> None:
    """Rebuild the search index from the catalog (after upgrading to migration 0015, or to repair it)."""
    platform = _platform()
    started = time.perf_counter()
    with platform.database.transaction() as session:
        counts = SearchIndexer(session).rebuild()
    with platform.database.transaction() as session:
        platform.search.optimize(session)
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    click.echo(
        f"Search index ({platform.search.engine}) rebuilt in {time.perf_counter() - started:.1f}s: {summary}."
    )


@click.command("search")
@with_appcontext
@click.argument("text")
@click.option("--repeat", default=0, show_default=True, help="Also time this many searches (p50, p95).")
def search(text: str, repeat: int) -> None:
    """Show what the search page finds for TEXT, grouped by kind."""
    platform = _platform()
    try:
        query = read_query(text)
    except QueryError as error:
        raise click.BadParameter(error.args[0]) from None
    with platform.database.session() as session:
        for group in SearchService(session, platform.search).search(query):
            click.echo(f"{group.kind.value}s:")
            for hit in group.hits:
                click.echo(
                    f"  [{hit.tier.name.lower()}] {hit.name}" + (f" — {hit.context}" if hit.context else "")
                )
    if repeat:
        timings = sorted(time_search(platform.database, platform.search, text, repeat=repeat))
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        click.echo(
            f"{repeat} searches: p50 {statistics.median(timings) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
        )


def register_cli(app: Flask) -> None:
    app.cli.add_command(reindex)
    app.cli.add_command(search)
