"""`flask reconcile`: the gateway's paid sessions and transfers against our orders, transfers and ledger."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from ..container import Platform
from ..payouts.reconcile import Reconciler


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@click.command("reconcile")
@with_appcontext
@click.option(
    "--since", "since", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC), YYYY-MM-DD."
)
@click.option(
    "--until", "until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (UTC), included; default: today."
)
@click.option("--repair", is_flag=True, help="Fulfil missing orders and ask again for missing transfers.")
def reconcile(since: datetime, until: datetime | None, repair: bool) -> None:
    """Report each difference between the payment gateway and the ledger for a period, one per line.

    Exits with status 1 while any difference remains. --repair only does what is safe: it runs a paid
    session's fulfilment again and asks for a missing transfer with its own idempotency key, so nothing can
    be paid twice; mismatched amounts and unknown transfers are for a person to look at."""
    platform: Platform = current_app.extensions["storefront"]
    low = _start_of(since.date())
    high = _start_of((until.date() if until else datetime.now(UTC).date()) + timedelta(days=1))
    if high <= low:
        raise click.BadParameter("--until must not be before --since.", param_hint="--until")
    report = Reconciler(platform.database, platform.payments, platform.jobs).run(low, high, repair=repair)
    for difference in report.found:
        click.echo(difference.line())
    period = f"{low.date()} to {(high - timedelta(days=1)).date()}"
    if not report.remaining:
        click.echo(f"No differences remain for {period}.")
        return
    for difference in report.remaining if repair else ():
        click.echo(f"still: {difference.line()}")
    click.echo(f"{len(report.remaining)} difference(s) remain for {period}.")
    sys.exit(1)
