"""Fulfilment: paid checkout sessions become paid orders, with their ledger, download rights and receipt;
a guest's purchases are claimed by the account that proves their address.

The rest of the application uses what is named here; `fulfil` holds the work itself.
"""

from .fulfil import (
    FULFIL_ORDER,
    FeeNotKnownYet,
    apply_outcome,
    fulfil_free,
    fulfil_paid,
    locked_order,
    move,
    register_jobs,
    target_status,
)

__all__ = [
    "FULFIL_ORDER",
    "FeeNotKnownYet",
    "apply_outcome",
    "fulfil_free",
    "fulfil_paid",
    "locked_order",
    "move",
    "register_jobs",
    "target_status",
]
