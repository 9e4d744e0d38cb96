"""The release-day pass: when a pre-ordered release's date arrives, every buyer may download all of it
(the gate in media.services reads the date) and is mailed once that it is out.

Run by a periodic job (every worker's ticker enqueues it once an hour) and by `flask release-day`. Safe to
run twice or at the same time: the release row is locked while its buyers are told, and each buyer told is
recorded, uniquely, in the transaction that composes the mail. It catches up after downtime: a release whose
date passed while nothing ran is handled on the next run, up to CATCH_UP_DAYS late.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ...accounts.credentials import Tokens
from ...accounts.models import User
from ...db import Database, utcnow
from ...jobs.interfaces import JobDispatcher, JobQueue, JobRegistry, JobSpec
from ...jobs.runner import JobContext, JobExecutor
from ...mail.services import MailService, render_outside_request
from ...releases.models import Release, ReleaseStatus
from ...releases.preorders import Calendar, day_starts
from ..fulfilment.claims import claim_link
from ..models import Entitlement, LineStatus, Order, OrderLine, OrderStatus
from .models import ReleaseDayNotice, ReleaseDayRun

RELEASE_DAY_JOB = JobSpec("orders.release_day")
RUN_EVERY = timedelta(hours=1)
# A release dated further back than this is not announced: on a first deployment, or after a very long
# outage, old sales would otherwise all be mailed at once.
CATCH_UP_DAYS = 30
MAIL_KIND = "release_out"


@dataclass(frozen=True)
class PassReport:
    releases: int = 0
    buyers_told: int = 0


def due_releases(session: Session, today: date) -> list[int]:
    """Releases on sale whose date has come (within the catch-up window) and was not yet handled."""
    return list(
        session.scalars(
            select(Release.id)
            .outerjoin(ReleaseDayRun, ReleaseDayRun.release_id == Release.id)
            .where(
                Release.status == ReleaseStatus.APPROVED,
                Release.release_date.is_not(None),
                Release.release_date <= today,
                Release.release_date >= today - timedelta(days=CATCH_UP_DAYS),
                ReleaseDayRun.release_id.is_(None) | (ReleaseDayRun.release_date != Release.release_date),
            )
            .order_by(Release.release_date, Release.id)
        )
    )


def buyers_to_tell(session: Session, release: Release) -> list[User]:
    """Whoever holds a right to the release (or one of its tracks) granted before its day, not revoked (a
    refunded pre-order is revoked), and not told yet."""
    assert release.release_date is not None
    told = exists().where(ReleaseDayNotice.release_id == release.id, ReleaseDayNotice.user_id == User.id)
    return list(
        session.scalars(
            select(User)
            .where(
                User.id.in_(
                    select(Entitlement.user_id).where(
                        Entitlement.release_id == release.id,
                        Entitlement.revoked_at.is_(None),
                        Entitlement.created_at < day_starts(release.release_date),
                    )
                ),
                ~told,
            )
            .order_by(User.id)
        )
    )


def guests_to_tell(session: Session, release: Release) -> list[Order]:
    """Guests' paid orders of the release, made before its day, with a line still open (a refunded line is
    not) and not claimed yet (a claimed order's rights belong to an account, told as a buyer above)."""
    assert release.release_date is not None
    told = exists().where(ReleaseDayNotice.release_id == release.id, ReleaseDayNotice.order_id == Order.id)
    open_line = exists().where(
        OrderLine.order_id == Order.id,
        OrderLine.release_id == release.id,
        OrderLine.status == LineStatus.OPEN,
    )
    return list(
        session.scalars(
            select(Order)
            .where(
                Order.buyer_id.is_(None),
                Order.email.is_not(None),
                Order.status == OrderStatus.PAID,
                Order.created_at < day_starts(release.release_date),
                open_line,
                ~told,
            )
            .order_by(Order.id)
        )
    )


@dataclass(frozen=True)
class Links:
    """Where the mail sends a buyer: the collection, or for a guest the order's claim link."""

    base_url: str
    guest_link: Callable[[Order], str]


def announce(session: Session, queue: JobQueue, release_id: int, today: date, links: Links) -> int:
    """Tell the buyers of one release that it is out; returns how many were told."""
    release = session.scalar(select(Release).where(Release.id == release_id).with_for_update())
    if release is None or release.status != ReleaseStatus.APPROVED:
        return 0
    if release.release_date is None or release.release_date > today:
        return 0
    mail = MailService(session, queue, render_outside_request)

    def tell(to: str, link: str, guest: bool) -> int | None:
        subject = f"{release.title} is out: download it in any format"
        downloads = f"{links.base_url}/downloads/{release.id}"
        context = {"release": release, "collection_link": link, "downloads_link": downloads, "guest": guest}
        return mail.send(MAIL_KIND, to, subject, MAIL_KIND, **context).id

    buyers = buyers_to_tell(session, release)
    for buyer in buyers:
        message_id = tell(buyer.email, f"{links.base_url}/collection", False)
        session.add(ReleaseDayNotice(release_id=release.id, user_id=buyer.id, message_id=message_id))
    guests = guests_to_tell(session, release)
    for order in guests:
        assert order.email is not None
        message_id = tell(order.email, links.guest_link(order), True)
        session.add(ReleaseDayNotice(release_id=release.id, order_id=order.id, message_id=message_id))
    run = session.get(ReleaseDayRun, release.id)
    if run is None:
        run = ReleaseDayRun(release_id=release.id, release_date=release.release_date, buyers_told=0)
        session.add(run)
    run.release_date, run.done_at = release.release_date, utcnow()
    run.buyers_told = (run.buyers_told or 0) + len(buyers) + len(guests)
    # The public page's stamp moves with the release, so cached copies stop saying "pre-order".
    release.updated_at = utcnow()
    session.flush()
    return len(buyers) + len(guests)


Transaction = Callable[[], AbstractContextManager[Session]]


def release_day_pass(
    database: Database, dispatcher: JobDispatcher, today: date, links: Links, transaction: Transaction
) -> PassReport:
    """Every due release, each in its own transaction."""
    with database.session() as session:
        due = due_releases(session, today)
    told = 0
    for release_id in due:
        with transaction() as session:
            told += announce(session, JobQueue(session, dispatcher), release_id, today, links)
    return PassReport(len(due), told)


class ReleaseDayPlatform(Protocol):
    database: Database
    jobs: JobDispatcher
    executor: JobExecutor
    settings: Any
    tokens: Tokens


def _links(platform: ReleaseDayPlatform) -> Links:
    base = str(platform.settings.base_url).rstrip("/")
    return Links(base, lambda order: claim_link(base, platform.tokens, order))


def run_release_day(context: JobContext, _payload: dict[str, Any]) -> None:
    platform: ReleaseDayPlatform = context.services
    today = Calendar(platform.executor.clock).today()
    release_day_pass(platform.database, platform.jobs, today, _links(platform), context.transaction)


def register_jobs(registry: JobRegistry) -> None:
    registry.add(RELEASE_DAY_JOB, run_release_day)
    registry.every(RELEASE_DAY_JOB, RUN_EVERY)


@click.command("release-day")
@with_appcontext
def release_day_command() -> None:
    """Give pre-orders whose release date has come to their buyers, and mail each buyer once."""
    platform: ReleaseDayPlatform = current_app.extensions["storefront"]
    today = Calendar(platform.executor.clock).today()
    report = release_day_pass(
        platform.database, platform.jobs, today, _links(platform), platform.database.transaction
    )
    click.echo(f"{report.releases} release(s) out since the last run; {report.buyers_told} buyer(s) told.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(release_day_command)
