"""Checkout through the gateway: start, pay, read back with charge and fee, expire, list every page."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests

from storefront.payments.interfaces import CheckoutLine, CheckoutRequest, GatewayError
from storefront.payments.stripe import StripeGateway
from tests.services.fake_stripe import FakeStripe, minor_fee

Build = Callable[..., CheckoutRequest]


def test_a_paid_checkout_reads_back_with_its_charge_and_fee(
    fake_stripe: FakeStripe, gateway: StripeGateway, checkout_request: Build
) -> None:
    request = checkout_request(
        lines=(CheckoutLine("Night Drives — Lumen", 900), CheckoutLine("Bonus track", 150, quantity=2)),
        customer_email="fan@example.com",
        automatic_tax=True,
    )
    started = gateway.create_checkout(request)
    assert started.session_id.startswith("cs_test_")
    assert started.url.startswith(fake_stripe.url)

    sent = fake_stripe.get(started.session_id)
    assert sent["client_reference_id"] == request.order_reference
    assert sent["metadata"] == {"order": request.order_reference}
    assert sent["automatic_tax"]["enabled"] is True
    assert sent["customer_email"] == "fan@example.com"

    before = gateway.fetch_checkout(started.session_id)
    assert (before.status, before.payment_status, before.charge, before.fee_minor) == (
        "open",
        "unpaid",
        None,
        None,
    )
    assert not before.paid

    fake_stripe.complete_checkout(started.session_id, email="fan@example.com")
    outcome = gateway.fetch_checkout(started.session_id)

    assert outcome.paid
    assert outcome.order_reference == request.order_reference
    assert (outcome.currency, outcome.amount_total, outcome.amount_tax) == ("USD", 1200, 0)
    assert outcome.customer_email == "fan@example.com"
    assert outcome.payment_intent is not None and outcome.payment_intent.startswith("pi_")
    assert outcome.charge is not None and outcome.charge.startswith("ch_")
    assert outcome.fee_minor == minor_fee(1200) == 65  # 2.9 % of 12.00 is 34.8 → 35, plus 30
    intent = fake_stripe.get(outcome.payment_intent)
    assert intent["transfer_group"] == request.transfer_group
    assert intent["metadata"] == {"order": request.order_reference}
    assert [e["type"] for e in fake_stripe.events()] == ["checkout.session.completed"]


def test_a_delayed_payment_is_complete_but_unpaid_until_it_settles(
    fake_stripe: FakeStripe, gateway: StripeGateway, checkout_request: Build
) -> None:
    settled, failed = (gateway.create_checkout(checkout_request()).session_id for _ in range(2))
    for session_id in (settled, failed):
        fake_stripe.complete_checkout(session_id, pending=True)
        pending = gateway.fetch_checkout(session_id)
        assert (pending.status, pending.payment_status) == ("complete", "unpaid")
        assert (pending.charge, pending.fee_minor) == (None, None)

    fake_stripe.settle_async_payment(settled, succeeded=True)
    fake_stripe.settle_async_payment(failed, succeeded=False)

    assert gateway.fetch_checkout(settled).paid
    assert gateway.fetch_checkout(settled).fee_minor == minor_fee(1000)
    assert gateway.fetch_checkout(settled).charge is not None
    assert not gateway.fetch_checkout(failed).paid
    assert gateway.fetch_checkout(failed).charge is None
    assert [e["type"] for e in fake_stripe.events()] == [
        "checkout.session.completed",
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
    ]


def test_expiring_is_safe_twice_but_refused_once_paid(
    fake_stripe: FakeStripe, gateway: StripeGateway, checkout_request: Build
) -> None:
    open_one = gateway.create_checkout(checkout_request()).session_id
    paid_one = gateway.create_checkout(checkout_request()).session_id
    fake_stripe.complete_checkout(paid_one)

    gateway.expire_checkout(open_one)
    gateway.expire_checkout(open_one)
    with pytest.raises(GatewayError) as refused:
        gateway.expire_checkout(paid_one)

    assert gateway.fetch_checkout(open_one).status == "expired"
    assert refused.value.retryable is False
    assert gateway.fetch_checkout(paid_one).paid
    assert [e["type"] for e in fake_stripe.events("checkout.session.expired")] == ["checkout.session.expired"]


def test_the_same_idempotency_key_starts_one_checkout(
    fake_stripe: FakeStripe, gateway: StripeGateway, checkout_request: Build
) -> None:
    request = checkout_request()
    first = gateway.create_checkout(request)
    again = gateway.create_checkout(request)
    with pytest.raises(GatewayError, match="idempotent") as conflict:
        gateway.create_checkout(checkout_request(idempotency_key=request.idempotency_key))

    assert again == first
    assert len(fake_stripe.objects("checkout.session")) == 1
    assert conflict.value.retryable is False


def test_listing_reads_every_page_of_paid_checkouts_in_the_range(
    fake_stripe: FakeStripe, gateway: StripeGateway, checkout_request: Build
) -> None:
    start = 1_767_225_600  # 2026-01-01T00:00:00Z
    fake_stripe.freeze(start - 60)
    early = gateway.create_checkout(checkout_request()).session_id  # before the range
    fake_stripe.complete_checkout(early)
    paid = []
    for minute in range(7):
        fake_stripe.freeze(start + minute * 60)
        session_id = gateway.create_checkout(checkout_request()).session_id
        if minute == 3:
            continue  # left open
        fake_stripe.complete_checkout(session_id, pending=minute == 5)
        if minute != 5:
            paid.append(session_id)
    fake_stripe.freeze(start + 3600)
    late = gateway.create_checkout(checkout_request()).session_id  # at the range's end: excluded
    fake_stripe.complete_checkout(late)
    gateway.page_size = 2

    found = list(gateway.list_checkouts(created_from=start, created_to=start + 3600))

    assert [o.session_id for o in found] == list(reversed(paid))  # newest first, as Stripe lists
    assert all(o.paid and o.fee_minor == minor_fee(1000) and o.charge for o in found)
    assert len(fake_stripe.requests("GET", "/v1/checkout/sessions")) == 3  # 2 + 2 + 2 complete sessions


def test_the_hosted_payment_page_pays_and_returns_to_the_shop(
    fake_stripe: FakeStripe, gateway: StripeGateway, checkout_request: Build
) -> None:
    started = gateway.create_checkout(checkout_request())
    with requests.Session() as browser:
        page = browser.get(started.url, timeout=10)
        paid = browser.post(f"{started.url}/pay", data={"email": "fan@example.com"}, allow_redirects=False)

    assert page.status_code == 200 and "Night Drives" in page.text
    assert paid.status_code == 303
    assert urlsplit(paid.headers["Location"]).query == f"session={started.session_id}"
    assert gateway.fetch_checkout(started.session_id).paid


def test_an_unreachable_or_failing_stripe_is_a_retryable_gateway_error(
    fake_stripe: FakeStripe, gateway: StripeGateway, checkout_request: Build
) -> None:
    fake_stripe.fail_next("/v1/checkout/sessions", status=503)
    with pytest.raises(GatewayError) as failed:
        gateway.create_checkout(checkout_request())

    assert failed.value.retryable is True
    assert fake_stripe.objects("checkout.session") == []
    assert gateway.check().ok
