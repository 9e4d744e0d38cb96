"""The embedded mail transport: messages stay in the outbox table for admins to read in the browser."""

from __future__ import annotations

from .interfaces import Envelope, MailHealth


class OutboxTransport:
    backend_name = "outbox"
    keeps_messages = True

    def deliver(self, envelope: Envelope) -> None:
        # The stored row is the delivery: nothing leaves the machine.
        return None

    def check(self) -> MailHealth:
        return MailHealth(True, self.backend_name, "messages are kept in the outbox (admin → Outbox)")
