"""Refunds by charge or payment intent, never beyond what was paid; disputes read back."""

from __future__ import annotations

import pytest

from storefront.payments.interfaces import GatewayError
from storefront.payments.stripe import StripeGateway
from tests.services.fake_stripe import FakeStripe


def test_partial_refunds_add_up_to_the_charge_and_no_further(
    fake_stripe: FakeStripe, gateway: StripeGateway, paid_charge: str
) -> None:
    intent = gateway.fetch_charge(paid_charge).payment_intent
    assert intent is not None

    first = gateway.refund(paid_charge, 400, idempotency_key="refund-1")
    assert gateway.refund(paid_charge, 400, idempotency_key="refund-1") == first
    second = gateway.refund(intent, 500, idempotency_key="refund-2")
    with pytest.raises(GatewayError, match="amount_too_large") as over:
        gateway.refund(paid_charge, 101, idempotency_key="refund-3")

    assert first.reference.startswith("re_") and first.status == "succeeded"
    assert second.reference != first.reference
    assert over.value.retryable is False
    charge = gateway.fetch_charge(paid_charge)
    assert (charge.amount_minor, charge.amount_refunded, charge.currency) == (1000, 900, "USD")
    assert charge.fee_minor == 59
    assert [r["amount"] for r in fake_stripe.objects("refund")] == [400, 500]
    assert [e["data"]["object"]["amount_refunded"] for e in fake_stripe.events("charge.refunded")] == [
        400,
        900,
    ]


def test_a_reference_that_is_no_payment_is_refused_before_stripe(
    fake_stripe: FakeStripe, gateway: StripeGateway
) -> None:
    with pytest.raises(GatewayError, match="neither") as refused:
        gateway.refund("txn_123", 100, idempotency_key="refund-1")
    with pytest.raises(GatewayError, match="resource_missing"):
        gateway.refund("ch_missing", 100, idempotency_key="refund-2")

    assert refused.value.retryable is False
    assert fake_stripe.requests("POST", "/v1/refunds") == [("POST", "/v1/refunds", "")]


def test_a_dispute_opens_and_closes_on_the_charge(
    fake_stripe: FakeStripe, gateway: StripeGateway, paid_charge: str
) -> None:
    dispute = fake_stripe.open_dispute(paid_charge, reason="product_not_received")
    opened = gateway.fetch_dispute(dispute["id"])
    fake_stripe.close_dispute(dispute["id"], won=False)

    assert dispute["id"].startswith("dp_")
    assert (opened.charge_id, opened.amount_minor, opened.currency) == (paid_charge, 1000, "USD")
    assert (opened.status, opened.reason) == ("needs_response", "product_not_received")
    assert gateway.fetch_dispute(dispute["id"]).status == "lost"
    assert gateway.fetch_charge(paid_charge).disputed
    assert [e["type"] for e in fake_stripe.events() if e["type"].startswith("charge.dispute")] == [
        "charge.dispute.created",
        "charge.dispute.closed",
    ]
