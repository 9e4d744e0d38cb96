"""The sandbox payment gateway for the embedded default: no card is charged and no money moves."""

from __future__ import annotations

import hashlib

from .interfaces import PaymentsHealth, RefundResult


class SandboxGateway:
    backend_name = "sandbox"
    is_sandbox = True

    def refund(self, payment_reference: str, amount_minor: int, *, idempotency_key: str) -> RefundResult:
        # Deterministic per key, as a real gateway answers a retried request with the same refund.
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
        return RefundResult(reference=f"re_sandbox_{digest}", status="succeeded")

    def check(self) -> PaymentsHealth:
        return PaymentsHealth(True, self.backend_name, "sandbox: no real payments are taken")
