"""The payment-gateway contract shared by Stripe and the sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PaymentsHealth:
    ok: bool
    backend: str
    detail: str = ""


class PaymentGateway(Protocol):
    backend_name: str
    # Every page that takes or shows a payment says so plainly when this is true: no real money moves.
    is_sandbox: bool

    def check(self) -> PaymentsHealth: ...
