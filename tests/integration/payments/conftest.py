"""The Stripe gateway against the fake Stripe server, through the real SDK over HTTP."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from storefront.payments.interfaces import CheckoutLine, CheckoutRequest
from storefront.payments.stripe import StripeGateway
from tests.services.fake_stripe import FakeStripe

_numbers = itertools.count(1)


@pytest.fixture
def gateway(fake_stripe: FakeStripe) -> StripeGateway:
    return fake_stripe.gateway()


@pytest.fixture
def checkout_request() -> Callable[..., CheckoutRequest]:
    """A checkout for one release; each call a new order reference and idempotency key unless given."""

    def build(**overrides: object) -> CheckoutRequest:
        number = next(_numbers)
        fields: dict[str, object] = {
            "order_reference": f"V-{number:05d}",
            "currency": "USD",
            "lines": (CheckoutLine("Night Drives — Lumen", 1000),),
            "success_url": "http://shop.test/orders/paid?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://shop.test/cart",
            "transfer_group": f"order-{number}",
            "idempotency_key": f"checkout-{number}",
        }
        fields.update(overrides)
        return CheckoutRequest(**fields)  # type: ignore[arg-type]

    return build


@pytest.fixture
def paid_charge(
    fake_stripe: FakeStripe, gateway: StripeGateway, checkout_request: Callable[..., CheckoutRequest]
) -> str:
    """The charge id of a paid 10.00 USD checkout."""
    started = gateway.create_checkout(checkout_request())
    fake_stripe.complete_checkout(started.session_id)
    charge = gateway.fetch_checkout(started.session_id).charge
    assert charge is not None
    return charge
