"""Refunds and disputes: giving money back for a sale, and what the payment provider did to a charge
without us (refunds made in its dashboard, the fan's bank disputing the payment).

The rest of the application uses what is named here; `refund` holds the refunds, `disputes` the provider's
own moves, `views` the sale's page where a payee refunds.
"""

from __future__ import annotations

from ...jobs.interfaces import JobRegistry
from ...payments.events import EventRoutes
from .disputes import DisputeBook, on_charge_refunded, on_dispute, record_outside
from .refund import REFUND_JOB, RefundError, RefundService, refund_version, run_refund


def register_jobs(registry: JobRegistry, routes: EventRoutes) -> None:
    registry.add(REFUND_JOB, run_refund)
    routes.add("charge.refunded", on_charge_refunded)
    routes.add("charge.dispute.created", on_dispute)
    routes.add("charge.dispute.closed", on_dispute)


__all__ = [
    "REFUND_JOB",
    "DisputeBook",
    "RefundError",
    "RefundService",
    "record_outside",
    "refund_version",
    "register_jobs",
]
