"""What the pre-order tests share (no tests here): a clock moved by hand, a pre-order on sale with masters,
buying it on the sandbox's checkout page, and reading the release-day mail."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.jobs.interfaces import JobQueue
from storefront.mail.models import OutboundMessage
from storefront.orders.models import Order
from storefront.orders.preorders import RELEASE_DAY_JOB
from storefront.releases.models import Release, Upload, UploadKind, UploadStatus
from tests.functional.orders.test_checkout_support import add, on_sale, pay
from tests.functional.payments.selling import press
from tests.helpers import WebClient, fresh, text_of

_seq = itertools.count(1)


@dataclass
class Clock:
    """The site's time, moved by hand: it runs on from where a test put it, so jobs enqueued meanwhile
    (their due time is the real time) are still due."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def move_to(self, day: date, hour: int = 9) -> None:
        self.offset = datetime.combine(day, time(hour), tzinfo=UTC) - utcnow()


def use_clock(platform: Platform) -> Clock:
    clock = Clock()
    platform.executor.clock = clock
    return clock


def preorder(db: Session, artist: Artist, *, title: str, days_ahead: int = 10, instant: int = 1) -> Release:
    """An approved release dated `days_ahead` days from now, with three tracks that each have a master in
    force; the first `instant` of them are given at once."""
    release = on_sale(db, artist, title=title, tracks=3)
    release.release_date = utcnow().date() + timedelta(days=days_ahead)
    for track in release.tracks:
        track.instant_grat = track.position <= instant
        data = f"master {next(_seq)}".encode()
        db.add(
            Upload(
                artist_id=release.artist_id,
                release_id=release.id,
                track_id=track.id,
                kind=UploadKind.MASTER,
                status=UploadStatus.READY,
                original_filename=f"{track.title}.flac",
                content_type="audio/flac",
                declared_size=len(data),
                staging_key=f"staging/preorder/{next(_seq)}",
                final_key=f"releases/preorder/{next(_seq)}/master.flac",
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    commit(db)
    return release


def buy(web: WebClient, db: Session, release: Release, **form: str) -> Order:
    """Through the cart and the sandbox's payment page, as a fan does it (a guest gives `email`)."""
    assert add(web, release).status_code == 303
    started = pay(web, release.currency, **form)
    assert started.status_code in (302, 303), text_of(started)[:500]
    session_id = started.headers["Location"].rsplit("/", 1)[-1]
    press(web, session_id, "pay", "succeeds")
    order = fresh(db).scalar(select(Order).where(Order.checkout_session_id == session_id))
    assert order is not None
    return order


def run_release_day_job(platform: Platform) -> None:
    """Enqueue the pass as the ticker does (it runs at once: the test app's jobs are eager)."""
    with platform.database.transaction() as session:
        JobQueue(session, platform.jobs).enqueue(RELEASE_DAY_JOB, {})


def run_release_day_command(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["release-day"])
    assert result.exit_code == 0, result.output
    return result.output


def release_mails(db: Session, to: str | None = None) -> list[OutboundMessage]:
    stmt = select(OutboundMessage).where(OutboundMessage.kind == "release_out").order_by(OutboundMessage.id)
    if to is not None:
        stmt = stmt.where(OutboundMessage.to_address == to)
    return list(fresh(db).scalars(stmt))
