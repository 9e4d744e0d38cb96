"""The sandbox gateway: its pages say no money moves; its records behave like Stripe's objects."""

from __future__ import annotations

import time

import pytest

from storefront.orders.models import OrderStatus
from storefront.payments.interfaces import CheckoutLine, CheckoutRequest, GatewayError, InvalidWebhook
from storefront.payments.sandbox import SandboxGateway, card_fee
from tests.factories.accounts import PASSWORD, make_user
from tests.functional.payments.selling import (
    events,
    on_sale,
    open_checkout,
    place_order,
    press,
    reload,
    seller,
)
from tests.helpers import WebClient, text_of


def _request(key: str, amount: int = 1000, **overrides) -> CheckoutRequest:
    fields = {
        "order_reference": f"ord_{key}",
        "currency": "EUR",
        "lines": (CheckoutLine("Night Drives — Lumen", amount),),
        "success_url": "http://localhost/orders/x/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://localhost/cart",
        "transfer_group": f"order_{key}",
        "idempotency_key": f"velvet-checkout-{key}",
        **overrides,
    }
    return CheckoutRequest(**fields)


def _paid_session(gateway: SandboxGateway, key: str, amount: int = 1000) -> str:
    session_id = gateway.create_checkout(_request(key, amount)).session_id
    gateway.pay(session_id, "succeeds")
    return session_id


def test_the_checkout_page_is_plainly_a_sandbox_with_the_lines_total_and_choices(app, db, platform):
    order = place_order(
        db, [(on_sale(db, seller(db, platform), title="Harbour"), None, 1250)], email="g@example.com"
    )
    session_id = open_checkout(db, platform.payments, order)
    page = text_of(WebClient(app).get(f"/sandbox/checkout/{session_id}"))
    assert "Sandbox — no money moves" in page and "no card is asked for" in page
    assert "Harbour" in page and "12.50 USD" in page
    for button in ("Pay (succeeds)", "Pay (fails)", "Pay later (pending)", "Cancel"):
        assert button in page
    assert WebClient(app).get("/sandbox/checkout/cs_sandbox_nope").status_code == 404
    assert press(WebClient(app), session_id, "pay", "twice as much").status_code == 409
    assert reload(db, order).status == OrderStatus.PENDING


def test_an_overdue_checkout_expires_when_someone_tries_to_pay_it(app, db, platform):
    order = place_order(db, [(on_sale(db, seller(db, platform)), None, 700)], email="g@example.com")
    session_id = open_checkout(db, platform.payments, order)
    platform.payments.clock = lambda: time.time() + 2 * 24 * 3600
    web = WebClient(app)
    assert "This checkout expired" in text_of(web.get(f"/sandbox/checkout/{session_id}"))
    assert reload(db, order).status == OrderStatus.PENDING  # until the gateway says so
    assert platform.payments.fetch_checkout(session_id).status == "expired"
    token = web.token(f"/sandbox/checkout/{session_id}")
    paying = web.post(f"/sandbox/checkout/{session_id}/pay", {"csrf_token": token, "outcome": "succeeds"})
    assert paying.status_code == 302  # a page left open too long: the expiry is sent, nothing is paid
    assert reload(db, order).status == OrderStatus.EXPIRED
    again = web.post(f"/sandbox/checkout/{session_id}/expire", {"csrf_token": token})
    assert again.status_code == 302 and len(events(db, type="checkout.session.expired")) == 1
    assert events(db, type="checkout.session.expired")[0].handled_at is not None


def test_idempotency_keys_behave_like_stripes(platform):
    gateway = platform.payments
    first = gateway.create_checkout(_request("k1"))
    assert gateway.create_checkout(_request("k1")) == first
    with pytest.raises(GatewayError, match="same parameters") as refused:
        gateway.create_checkout(_request("k1", amount=999))
    assert not refused.value.retryable
    assert first.url == f"http://localhost/sandbox/checkout/{first.session_id}"
    assert first.session_id.startswith("cs_sandbox_")
    with pytest.raises(GatewayError, match="nothing to pay"):
        gateway.create_checkout(_request("free", amount=0))


def test_charges_transfers_reversals_and_refunds_are_recorded_and_bounded(platform):
    gateway = platform.payments
    session_id = _paid_session(gateway, "money", amount=2000)
    outcome = gateway.fetch_checkout(session_id)
    assert outcome.paid and outcome.fee_minor == card_fee(2000) == 88
    charge = gateway.fetch_charge(outcome.charge)
    assert (charge.amount_minor, charge.currency, charge.payment_intent) == (
        2000,
        "EUR",
        outcome.payment_intent,
    )
    assert [o.session_id for o in gateway.list_checkouts(created_from=0, created_to=2**31)] == [session_id]

    account = gateway.create_payee(
        display_name="Lumen", email="l@example.com", country="DE", idempotency_key="p1"
    )
    assert (
        gateway.create_payee(display_name="Lumen", email="l@example.com", country="DE", idempotency_key="p1")
        == account
    )
    transfer = dict(
        currency="EUR",
        destination=account,
        source_transaction=outcome.charge,
        transfer_group="order_money",
        metadata={"order": "1"},
    )
    with pytest.raises(GatewayError, match="cannot receive transfers"):
        gateway.create_transfer(amount_minor=1000, idempotency_key="t1", **transfer)
    gateway.enable_transfers(account)
    assert gateway.fetch_payee(account).transfers_enabled

    sent = gateway.create_transfer(amount_minor=1500, idempotency_key="t1", **transfer)
    assert gateway.create_transfer(amount_minor=1500, idempotency_key="t1", **transfer) == sent
    assert sent.transfer_id.startswith("tr_sandbox_") and sent.source_transaction == outcome.charge
    with pytest.raises(GatewayError, match="exceeds"):
        gateway.create_transfer(amount_minor=501, idempotency_key="t2", **transfer)
    assert [t.transfer_id for t in gateway.list_transfers(created_from=0, created_to=2**31)] == [
        sent.transfer_id
    ]

    reversal = gateway.reverse_transfer(sent.transfer_id, 500, idempotency_key="r1", metadata={})
    assert reversal.startswith("trr_sandbox_")
    assert gateway.reverse_transfer(sent.transfer_id, 500, idempotency_key="r1", metadata={}) == reversal
    with pytest.raises(GatewayError, match="more than"):
        gateway.reverse_transfer(sent.transfer_id, 1001, idempotency_key="r2", metadata={})

    refund = gateway.refund(outcome.payment_intent, 700, idempotency_key="velvet-refund-1")
    assert refund.status == "succeeded" and refund.reference.startswith("re_sandbox_")
    assert gateway.refund(outcome.payment_intent, 700, idempotency_key="velvet-refund-1") == refund
    assert gateway.fetch_charge(outcome.charge).amount_refunded == 700
    assert gateway.refund(outcome.charge, 1301, idempotency_key="velvet-refund-2").status.startswith("failed")
    assert gateway.fetch_charge(outcome.charge).amount_refunded == 700


def test_onboarding_turns_transfers_on_and_returns_to_the_given_address(app, platform):
    gateway = platform.payments
    account = gateway.create_payee(
        display_name="Mara Lind", email="m@example.com", country="SE", idempotency_key="p"
    )
    assert gateway.fetch_payee(account).details_needed
    link = gateway.payee_onboarding_link(
        account, return_url="http://localhost/payees/back", refresh_url="http://localhost/payees/again"
    )
    assert link == f"http://localhost/sandbox/onboarding/{account}"
    artist = WebClient(app)
    artist.login(make_user(platform.database.session(), platform).email, PASSWORD)
    page = link.removeprefix("http://localhost")
    assert "Sandbox — no money moves" in text_of(artist.get(page)) and "Mara Lind" in text_of(
        artist.get(page)
    )
    done = artist.submit(page)
    assert done.status_code == 302 and done.headers["Location"] == "http://localhost/payees/back"
    assert gateway.fetch_payee(account).transfers_enabled and not gateway.fetch_payee(account).details_needed
    with platform.database.session() as session:
        [updated] = events(session, type="account.updated")
        assert (updated.object_id, updated.account, updated.gateway) == (account, account, "sandbox")
    assert artist.get("/sandbox/onboarding/acct_sandbox_nope").status_code == 404


def test_the_sandbox_takes_no_webhooks_and_says_what_it_is(platform):
    gateway = platform.payments
    assert gateway.is_sandbox and gateway.backend_name == "sandbox"
    assert "no real payments" in gateway.check().detail
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(b"{}", "t=1,v1=0")
    with pytest.raises(GatewayError):
        gateway.fetch_dispute("dp_1")
