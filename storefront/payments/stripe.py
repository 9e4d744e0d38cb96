"""Stripe as the payment gateway, through the official SDK with a per-instance client (no global key)."""

from __future__ import annotations

import stripe as stripe_sdk
from stripe._base_address import BaseAddresses

from .interfaces import PaymentsHealth


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
