"""Admins see the transfers that wait: refused, held for a payee who cannot receive, or long unanswered."""

from __future__ import annotations

from datetime import timedelta

from storefront.db import commit, utcnow
from storefront.payouts.models import PayoutTransfer, TransferStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.functional.payees.support import paid_order, release_of
from tests.helpers import WebClient, text_of


def _transfer(db, order, status: TransferStatus, *, age: timedelta = timedelta(), error: str = "") -> None:
    db.add(
        PayoutTransfer(
            order_id=order.id,
            payee_key=f"artist:{order.lines[0].payee_artist_id}",
            amount_minor=order.lines[0].payee_amount_minor or 0,
            currency=order.currency,
            idempotency_key=f"velvet-transfer-{order.id}-{status.value}",
            status=status,
            last_error=error,
            created_at=utcnow() - age,
        )
    )
    commit(db)


def test_admins_see_refused_held_and_stuck_transfers_and_nothing_else(app, db, platform) -> None:
    artist = make_artist(db, make_user(db, platform), name="Harbour Band", slug="harbour-band")
    orders = [paid_order(db, [(release_of(db, artist), 900, 850)]) for _ in range(5)]
    _transfer(db, orders[0], TransferStatus.FAILED, error="No such destination acct_gone")
    _transfer(db, orders[1], TransferStatus.HELD)
    _transfer(db, orders[2], TransferStatus.REQUESTED, age=timedelta(hours=2))
    _transfer(db, orders[3], TransferStatus.REQUESTED)  # just asked for: the job is on it
    _transfer(db, orders[4], TransferStatus.SENT)
    admin = make_user(db, platform, admin=True)
    web = WebClient(app)
    web.login(admin.email, PASSWORD)

    page = text_of(web.get("/admin/payouts"))
    assert "No such destination acct_gone" in page
    assert "cannot receive transfers yet" in page
    assert "waiting for the payment provider" in page
    for shown in orders[:3]:
        assert shown.reference in page
    for hidden in orders[3:]:
        assert hidden.reference not in page


def test_only_admins_see_the_payouts_page(app, db, platform) -> None:
    user = make_user(db, platform)
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    assert web.get("/admin/payouts").status_code == 403
    assert WebClient(app).get("/admin/payouts").status_code in (302, 303)
