"""`flask worker` and `flask check`: running background jobs, and reporting whether every part answers."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from ..attestations.signing.credentials import describe_identity
from ..attestations.signing.keys import describe_key
from ..container import Platform
from ..health.views import component_status, overall_status


def _platform() -> Platform:
    found: Platform = current_app.extensions["storefront"]
    return found


@click.command("worker")
@with_appcontext
@click.option("--concurrency", default=2, show_default=True, help="Jobs run at the same time.")
def worker(concurrency: int) -> None:
    """Run background jobs until stopped (Ctrl-C or SIGTERM finishes the running jobs first)."""
    platform = _platform()
    if platform.settings.jobs_backend == "celery":
        from ..jobs.celery import run_worker

        run_worker(platform, current_app._get_current_object(), concurrency=concurrency)  # type: ignore[attr-defined]
        return
    from ..jobs.inline import InlineDispatcher
    from ..jobs.schedule import Ticker

    stop = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        click.echo("Stopping after the running jobs finish…")
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def loop() -> None:
        runner = InlineDispatcher(platform.executor, mode="manual")
        ticker = Ticker(platform.executor, runner)
        with app.app_context():
            while not stop.is_set():
                ticker.safe_tick()
                if not runner.drain_once():
                    stop.wait(1.0)

    click.echo(f"Running jobs from the database with {concurrency} thread(s). Ctrl-C stops.")
    threads = [threading.Thread(target=loop, name=f"worker-{i}") for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@click.command("check")
@with_appcontext
def check() -> None:
    """Print the configuration in force and whether the database, storage, queue and payments answer."""
    platform = _platform()
    click.echo("Configuration")
    for name, value in platform.settings.describe():
        click.echo(f"  {name:<34} {value}")
    click.echo("\nPlatform signing key")
    for name, value in describe_key(platform.settings):
        click.echo(f"  {name:<34} {value}")
    click.echo("\nContent Credentials (C2PA) signing certificate")
    for name, value in describe_identity(platform.settings):
        click.echo(f"  {name:<34} {value}")
    click.echo("\nComponents")
    components = component_status(platform)
    marks = {"ok": "ok  ", "degraded": "WARN", "unavailable": "FAIL"}
    for name, status in components.items():
        detail = " ".join(str(status.get(k, "")) for k in ("backend", "detail")).strip()
        click.echo(f"  [{marks[status['status']]}] {name:<10} {detail}")
    if platform.payments.is_sandbox:
        click.echo("\nPayments run in the SANDBOX: no real money moves.")
    # Unknown when the screening probe itself failed: its [WARN] line already says so.
    fingerprint = components["screening"].get("checks", {}).get("fingerprint", {"ok": True})
    if not fingerprint["ok"]:
        click.echo(
            "\nCopy detection is UNAVAILABLE: new masters are not compared with the catalog, and each is "
            "marked as not screened for copies. Install Chromaprint (Debian: libchromaprint1) to turn it on."
        )
    state = overall_status(components)
    # A part that fails leaves production short of something it was configured for; elsewhere only the
    # parts the site cannot run without fail the check.
    if state == "unavailable" or (state == "degraded" and platform.settings.is_production):
        sys.exit(1)


@click.command("sweep")
@click.option("--dry-run", is_flag=True, help="Report what would be done, change nothing.")
@with_appcontext
def sweep_command(dry_run: bool) -> None:
    """Reconcile storage and database: delete orphan objects, mark rows whose object is gone, abort abandoned
    multipart uploads."""
    from ..db import utcnow
    from ..releases.uploads.sweep import sweep

    platform = _platform()
    with platform.database.transaction() as session:
        report = sweep(session, platform.storage, now=utcnow(), dry_run=dry_run)
    for line in report.lines:
        click.echo(line)
    summary = ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in sorted(report.counts.items()))
    click.echo(("Dry run: " if dry_run else "") + (summary or "nothing to do") + ".")
