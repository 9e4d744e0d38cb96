"""`flask copy-index`: the copy index rebuilt from the stored fingerprints, with every difference reported."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ...db import Database
from .rebuild import check_index


@click.command("copy-index")
@with_appcontext
@click.option("--check", "check_only", is_flag=True, help="Only report the differences; change nothing.")
def copy_index(check_only: bool) -> None:
    """Rebuild the copy index from the stored fingerprints and report where it differed."""
    database: Database = current_app.extensions["storefront"].database
    started = time.perf_counter()
    report = check_index(database, repair=not check_only)
    for difference in report.differences:
        click.echo(difference.describe())
    verb = "checked" if check_only else "rebuilt"
    click.echo(
        f"Copy index {verb} in {time.perf_counter() - started:.1f}s: {report.fingerprints} fingerprints in "
        f"force, {report.entries} entries; {len(report.differences)} "
        f"difference{'' if len(report.differences) == 1 else 's'}"
        + ("." if check_only or not report.differences else ", mended.")
    )
    if check_only and report.differences:
        raise SystemExit(1)


def register_cli(app: Flask) -> None:
    app.cli.add_command(copy_index)
