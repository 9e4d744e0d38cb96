"""Payees and transfers through the real Stripe SDK against the fake Stripe API: an owner connects and
onboards, Stripe's signed account.updated releases the held share, each payee is paid from the charge once
however often the job runs (a 500 from Stripe included), and a refund's share is reversed within its cap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist
from storefront.accounts.payees.models import PayeeAccount
from storefront.container import Platform
from storefront.orders.hooks import PAY_ORDER, REVERSE_LINE
from storefront.orders.models import LedgerEntry, LedgerKind, Order
from storefront.payments.interfaces import CheckoutLine, CheckoutRequest
from storefront.payouts.models import PayoutTransfer, TransferStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.functional.payees.support import enqueue, paid_order, release_of, run_jobs
from tests.helpers import WebClient, fresh
from tests.services.fake_stripe import FakeStripe


@dataclass
class Live:
    app: Flask
    platform: Platform
    db: Session
    stripe: FakeStripe

    def webhook(self, event: dict[str, Any]) -> None:
        payload, signature = self.stripe.signed(event)
        answer = self.app.test_client().post(
            "/webhooks/stripe",
            data=payload,
            headers={"Stripe-Signature": signature},
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)

    def charge(self, amounts: list[int], reference: str) -> tuple[str, str]:
        started = self.platform.payments.create_checkout(
            CheckoutRequest(
                reference,
                "USD",
                tuple(CheckoutLine(f"Line {n}", amount) for n, amount in enumerate(amounts)),
                "http://localhost/thanks",
                "http://localhost/cart",
                f"order_{reference}",
                f"velvet-checkout-{reference}",
            )
        )
        self.stripe.complete_checkout(started.session_id)
        charge = self.platform.payments.fetch_checkout(started.session_id).charge
        assert charge is not None
        return started.session_id, charge

    def connected(self, artist: Artist, owner_email: str) -> PayeeAccount:
        """The owner connects on the Getting paid page and finishes Stripe's onboarding."""
        web = WebClient(self.app)
        web.login(owner_email, PASSWORD)
        page = f"/artists/{artist.slug}/getting-paid"
        link = web.submit(page, action=page + "/connect").headers["Location"]
        with requests.Session() as browser:
            back = browser.post(link, allow_redirects=False, timeout=10)
        assert back.headers["Location"] == f"http://localhost{page}/return"
        self.webhook(self.stripe.last_event("account.updated"))
        run_jobs(self.platform)
        fresh(self.db)
        account = self.db.scalar(select(PayeeAccount).where(PayeeAccount.artist_id == artist.id))
        assert account is not None
        return account

    def transfers(self, order: Order) -> dict[str, PayoutTransfer]:
        fresh(self.db)
        rows = self.db.scalars(select(PayoutTransfer).where(PayoutTransfer.order_id == order.id))
        return {row.payee_key: row for row in rows}


@pytest.fixture
def live(make_app: Any, fake_stripe: FakeStripe) -> Any:
    app = make_app(
        payments="stripe",
        stripe_secret_key=fake_stripe.secret_key,
        stripe_webhook_secret=fake_stripe.webhook_secret,
        stripe_api_base=fake_stripe.url,
        inline_jobs="manual",
    )
    platform: Platform = app.extensions["storefront"]
    session = platform.database.session()
    yield Live(app, platform, session, fake_stripe)
    session.close()


def _artist(live: Live, email: str) -> Artist:
    return make_artist(live.db, make_user(live.db, live.platform, email=email))


def test_a_held_share_is_paid_when_stripe_says_the_account_can_receive(live: Live) -> None:
    artist = _artist(live, "pale@example.com")
    session_id, charge = live.charge([900], "ord_held")
    order = paid_order(
        live.db,
        [(release_of(live.db, artist), 900, 844)],
        gateway="stripe",
        charge=charge,
        session_id=session_id,
    )
    enqueue(live.platform, PAY_ORDER, {"order_id": order.id})
    run_jobs(live.platform)
    assert [row.status for row in live.transfers(order).values()] == [TransferStatus.HELD]
    assert live.stripe.objects("transfer") == []

    account = live.connected(artist, "pale@example.com")

    assert account.transfers_enabled
    (row,) = live.transfers(order).values()
    assert row.status == TransferStatus.SENT
    (made,) = live.stripe.objects("transfer")
    assert (made["id"], made["amount"], made["destination"], made["source_transaction"]) == (
        row.provider_transfer_id,
        844,
        account.provider_account_id,
        charge,
    )
    assert made["transfer_group"] == order.transfer_group


def test_each_payee_is_paid_from_the_charge_once_through_a_stripe_error(live: Live) -> None:
    first, second = _artist(live, "one@example.com"), _artist(live, "two@example.com")
    one = live.connected(first, "one@example.com")
    two = live.connected(second, "two@example.com")
    session_id, charge = live.charge([1000, 600, 400], "ord_two")
    order = paid_order(
        live.db,
        [
            (release_of(live.db, first), 1000, 939),
            (release_of(live.db, first), 600, 563),
            (release_of(live.db, second), 400, 375),
        ],
        gateway="stripe",
        charge=charge,
        session_id=session_id,
    )
    live.stripe.fail_next("/v1/transfers", status=500)  # Stripe answers 500 once: the job retries

    enqueue(live.platform, PAY_ORDER, {"order_id": order.id})
    run_jobs(live.platform)
    enqueue(live.platform, PAY_ORDER, {"order_id": order.id})  # and once more, for good measure
    run_jobs(live.platform)

    made = {t["destination"]: t for t in live.stripe.objects("transfer")}
    assert {acct: t["amount"] for acct, t in made.items()} == {
        one.provider_account_id: 1502,
        two.provider_account_id: 375,
    }
    assert {t["source_transaction"] for t in made.values()} == {charge}
    rows = live.transfers(order)
    assert {row.status for row in rows.values()} == {TransferStatus.SENT}
    assert {row.provider_transfer_id for row in rows.values()} == {t["id"] for t in made.values()}
    fresh(live.db)
    ledger = live.db.scalars(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.TRANSFER)).all()
    assert sorted(e.amount_minor for e in ledger) == [-1502, -375]


def test_a_refunds_share_is_reversed_at_stripe_within_the_lines_share(live: Live) -> None:
    artist = _artist(live, "pale@example.com")
    live.connected(artist, "pale@example.com")
    session_id, charge = live.charge([1000, 500], "ord_rev")
    order = paid_order(
        live.db,
        [(release_of(live.db, artist), 1000, 939), (release_of(live.db, artist), 500, 469)],
        gateway="stripe",
        charge=charge,
        session_id=session_id,
    )
    enqueue(live.platform, PAY_ORDER, {"order_id": order.id})
    run_jobs(live.platform)
    line = order.lines[1]

    for cause, amount in (("refund-1", 300), ("refund-1", 300), ("refund-2", 300)):
        payload = {"order_line_id": line.id, "amount_minor": amount, "reason": "refund", "cause": cause}
        enqueue(live.platform, REVERSE_LINE, payload)
        run_jobs(live.platform)

    (transfer,) = live.stripe.objects("transfer")
    assert transfer["amount"] == 1408 and transfer["amount_reversed"] == 469
    reversals = live.stripe.objects("transfer_reversal")
    assert sorted(r["amount"] for r in reversals) == [169, 300]
    (row,) = live.transfers(order).values()
    assert row.reversed_minor == 469
