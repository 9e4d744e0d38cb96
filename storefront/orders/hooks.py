"""Work that other rooms do when an order's money moves, declared here so orders need not import them.

payouts registers the handlers: transfers after fulfilment, reversals after a refund or a lost dispute.
"""

from __future__ import annotations

from ..jobs.interfaces import JobSpec

# {"order_id": int}: send each payee its share of a paid order.
PAY_ORDER = JobSpec("payouts.pay_order")
# {"order_line_id": int, "amount_minor": int, "reason": str, "cause": str}: take a line's share back.
REVERSE_LINE = JobSpec("payouts.reverse_line")
