"""The payment-gateway contract shared by Stripe and the sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PaymentsHealth:
    ok: bool
    backend: str
    detail: str = ""


@dataclass(frozen=True)
class RefundResult:
    reference: str
    status: str  # "succeeded", "pending" or "failed", as the gateway says


class PaymentGateway(Protocol):
    backend_name: str
    # Every page that takes or shows a payment says so plainly when this is true: no real money moves.
    is_sandbox: bool

    def check(self) -> PaymentsHealth: ...

    def refund(self, payment_reference: str, amount_minor: int, *, idempotency_key: str) -> RefundResult:
        """Give back `amount_minor` of a payment. The same key never refunds twice."""
        ...
