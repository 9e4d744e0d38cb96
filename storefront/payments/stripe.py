"""Stripe as the payment gateway, through the official SDK with a per-instance client (no global key)."""

from __future__ import annotations

import stripe as stripe_sdk
from stripe._base_address import BaseAddresses

from .interfaces import PaymentsHealth, RefundResult


class StripeGateway:
    backend_name = "stripe"
    is_sandbox = False

    def __init__(self, secret_key: str, *, webhook_secret: str, api_base: str | None = None) -> None:
        self.webhook_secret = webhook_secret
        addresses: BaseAddresses = {"api": api_base} if api_base else {}
        self.client = stripe_sdk.StripeClient(secret_key, base_addresses=addresses, max_network_retries=2)

    def check(self) -> PaymentsHealth:
        try:
            balance = self.client.v1.balance.retrieve()
        except stripe_sdk.StripeError as exc:
            return PaymentsHealth(
                False, self.backend_name, f"Stripe did not answer: {exc.__class__.__name__}"
            )
        return PaymentsHealth(True, self.backend_name, f"livemode={balance.livemode}")

    def refund(self, payment_reference: str, amount_minor: int, *, idempotency_key: str) -> RefundResult:
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment_reference,
                    "amount": amount_minor,
                    "reason": "requested_by_customer",
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe_sdk.StripeError as exc:
            return RefundResult(reference="", status=f"failed: {exc.__class__.__name__}")
        return RefundResult(reference=refund.id, status=refund.status or "pending")
