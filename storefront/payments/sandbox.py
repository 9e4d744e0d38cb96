"""The sandbox payment gateway for the embedded default: no card is charged and no money moves."""

from __future__ import annotations

from .interfaces import PaymentsHealth


class SandboxGateway:
    backend_name = "sandbox"
    is_sandbox = True

    def check(self) -> PaymentsHealth:
        return PaymentsHealth(True, self.backend_name, "sandbox: no real payments are taken")
