"""`flask reconcile` against the fake Stripe API through the real SDK: a crash between the charge and the
transfers is found and repaired with the transfer's own key, once; a transfer that is none of ours is
reported; a second run finds nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storefront.accounts.payees.models import PayeeAccount
from storefront.container import Platform
from storefront.payments.interfaces import CheckoutLine, CheckoutRequest
from storefront.payouts.models import PayoutTransfer, TransferStatus
from storefront.payouts.transfers import record_transfers
from tests.factories.accounts import make_artist, make_user
from tests.functional.payees.support import paid_order, release_of
from tests.helpers import fresh
from tests.services.fake_stripe import FakeStripe

TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture
def stripe_app(make_app: Any, fake_stripe: FakeStripe) -> Any:
    return make_app(
        payments="stripe",
        stripe_secret_key=fake_stripe.secret_key,
        stripe_webhook_secret=fake_stripe.webhook_secret,
        stripe_api_base=fake_stripe.url,
    )


def test_a_crash_between_the_charge_and_the_transfer_is_repaired_once(
    stripe_app: Any, fake_stripe: FakeStripe
) -> None:
    platform: Platform = stripe_app.extensions["storefront"]
    gateway = platform.payments
    db = platform.database.session()
    artist = make_artist(db, make_user(db, platform))
    account_id = gateway.create_payee(
        display_name=artist.name, email="pale@example.com", country="US", idempotency_key="payee-pale"
    )
    fake_stripe.set_transfers_capability(account_id, "active")
    db.add(
        PayeeAccount(
            artist_id=artist.id,
            gateway="stripe",
            provider_account_id=account_id,
            transfers_enabled=True,
            details_needed=[],
        )
    )
    db.commit()
    started = gateway.create_checkout(
        CheckoutRequest(
            "ord_crash",
            "USD",
            (CheckoutLine("Song cycle", 1200),),
            "http://localhost/t",
            "http://localhost/c",
            "order_ord_crash",
            "velvet-checkout-ord_crash",
        )
    )
    fake_stripe.complete_checkout(started.session_id)
    charge = gateway.fetch_checkout(started.session_id).charge
    order = paid_order(
        db,
        [(release_of(db, artist), 1200, 1135)],
        gateway="stripe",
        charge=charge,
        session_id=started.session_id,
    )
    with platform.database.transaction() as session:
        record_transfers(session, order.id)  # recorded, and then the process died
    other = gateway.create_payee(
        display_name="Someone", email="someone@example.com", country="US", idempotency_key="payee-someone"
    )
    fake_stripe.set_transfers_capability(other, "active")
    stranger = gateway.create_transfer(
        amount_minor=50,
        currency="USD",
        destination=other,
        source_transaction=charge,
        transfer_group="elsewhere",
        metadata={},
        idempotency_key="not-ours",
    )
    runner = stripe_app.test_cli_runner()

    report = runner.invoke(args=["reconcile", "--since", TODAY])

    assert report.exit_code == 1
    assert (
        f"missing transfer: {order.reference} to artist:{artist.id}: 11.35 USD recorded but never confirmed"
        in (report.output)
    )
    assert (
        f"unknown transfer: {stranger.transfer_id}: 0.50 USD to {other} (group elsewhere): none of ours"
        in (report.output)
    )
    assert len(fake_stripe.objects("transfer")) == 1

    repaired = runner.invoke(args=["reconcile", "--since", TODAY, "--repair"])

    assert repaired.exit_code == 1  # the stranger's transfer is for a person to look at
    assert "[repair: transfer asked for with its own key]" in repaired.output
    assert repaired.output.splitlines()[-2:] == [
        f"still: unknown transfer: {stranger.transfer_id}: 0.50 USD to {other} "
        "(group elsewhere): none of ours",
        f"1 difference(s) remain for {TODAY} to {TODAY}.",
    ]
    fresh(db)
    row = db.scalar(select(PayoutTransfer).where(PayoutTransfer.order_id == order.id))
    assert row is not None and row.status == TransferStatus.SENT
    ours = [t for t in fake_stripe.objects("transfer") if t["destination"] == account_id]
    assert [(t["id"], t["amount"], t["source_transaction"]) for t in ours] == [
        (row.provider_transfer_id, 1135, charge)
    ]

    again = runner.invoke(args=["reconcile", "--since", TODAY, "--repair"])

    assert "missing transfer" not in again.output
    assert len(fake_stripe.objects("transfer")) == 2
    db.close()
