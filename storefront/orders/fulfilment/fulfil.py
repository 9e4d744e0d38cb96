"""Fulfilment: a paid checkout session becomes a paid order, its ledger, its download rights and its receipt.

The gateway's events only say where to look. The handlers queue FULFIL_ORDER, which reads the session back
from the gateway and applies what it finds to the order under a row lock (SELECT … FOR UPDATE on
PostgreSQL; SQLite lets one writer in at a time). `move` allows only the moves ORDER_MOVES lists, so a
late, repeated or reordered event is a no-op: a paid order never leaves PAID, and the work done on
reaching it (ledger rows keyed by what they record, rights, receipt, transfers) happens once however many
workers race for the same session.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db import utcnow
from ...jobs.interfaces import JobQueue, JobRegistry, JobSpec, PermanentJobError
from ...jobs.runner import JobContext
from ...mail.services import MailService, render_outside_request
from ...payments.events import EventRoutes
from ...payments.interfaces import CheckoutOutcome, GatewayError, GatewayEvent
from .. import ledger
from ..cart import clear_bought
from ..gifts.service import queue_gifts
from ..gifts.service import register_jobs as register_gift_jobs
from ..hooks import PAY_ORDER
from ..models import ORDER_MOVES, LedgerKind, Order, OrderStatus
from ..split import split_charge
from .claims import grant_entitlements
from .receipts import SEND_RECEIPT
from .receipts import register_jobs as register_receipt_jobs

log = logging.getLogger(__name__)

# {"session_id": str}: read a checkout session back from the gateway and bring its order up to date.
FULFIL_ORDER = JobSpec("orders.fulfil")


class FeeNotKnownYet(Exception):
    """The charge's balance transaction is not settled yet: the job tries again later."""


def move(order: Order, to: OrderStatus) -> bool:
    """Move the order if ORDER_MOVES allows it; a refused move changes nothing and returns False."""
    if to not in ORDER_MOVES[order.status]:
        return False
    order.status = to
    order.status_changed_at = utcnow()
    return True


def target_status(outcome: CheckoutOutcome, *, failed: bool = False) -> OrderStatus | None:
    """What the gateway's view of a session means for its order. `failed`: the gateway said the delayed
    payment failed (a session's own fields read the same while it is pending and after it failed)."""
    if outcome.paid:
        return OrderStatus.PAID
    if outcome.status == "expired":
        return OrderStatus.EXPIRED
    if outcome.status == "complete" and outcome.payment_status == "unpaid":
        return OrderStatus.FAILED if failed else OrderStatus.PROCESSING
    return None


def locked_order(session: Session, outcome: CheckoutOutcome) -> Order | None:
    """The session's order, locked for this transaction and read fresh."""
    by = (
        Order.reference == outcome.order_reference
        if outcome.order_reference
        else Order.checkout_session_id == outcome.session_id
    )
    order = session.scalar(
        select(Order).where(by).with_for_update().execution_options(populate_existing=True)
    )
    if order is not None and order.checkout_session_id not in (None, outcome.session_id):
        # Each order has one session (its idempotency key is made from the order's reference), so this is
        # a session of ours that no order expects: left to reconciliation rather than guessed at.
        raise PermanentJobError(
            f"checkout session {outcome.session_id} names order {order.reference}, whose session is "
            f"{order.checkout_session_id}"
        )
    return order


def _record_paid(session: Session, order: Order, outcome: CheckoutOutcome) -> None:
    """The charge as the gateway reports it, split between the lines, and the ledger's rows for it."""
    fee = outcome.fee_minor or 0
    order.payment_intent_id = outcome.payment_intent
    order.charge_id = outcome.charge
    order.amount_total_minor = outcome.amount_total
    order.tax_minor = outcome.amount_tax
    order.processing_fee_minor = fee
    order.paid_at = utcnow()
    if not order.email and outcome.customer_email:
        order.email = outcome.customer_email
    lines = list(order.lines)
    subtotal = sum(line.amount_minor for line in lines)
    if outcome.amount_total - outcome.amount_tax != subtotal or outcome.currency.upper() != order.currency:
        log.error(
            "order %s: charged %s %s (tax %s) for lines of %s %s; recorded as charged",
            order.reference,
            outcome.amount_total,
            outcome.currency,
            outcome.amount_tax,
            subtotal,
            order.currency,
        )
    # The fee is charged on the whole amount, tax included; the lines bear it in proportion to their prices.
    # Only a fee larger than the lines themselves (a tax far above the price) leaves a rest to the platform.
    borne = min(fee, subtotal)
    splits = split_charge(
        [line.amount_minor for line in lines], processing_fee=borne, platform_fee_bps=order.platform_fee_bps
    )
    charge = outcome.charge or ""
    for line, part in zip(lines, splits, strict=True):
        line.processing_fee_minor = part.processing_fee_minor
        line.platform_fee_minor = part.platform_fee_minor
        line.payee_amount_minor = part.payee_minor
        rows = (
            (f"sale:{line.id}", LedgerKind.SALE, part.amount_minor),
            (f"fee:{line.id}", LedgerKind.PROCESSING_FEE, -part.processing_fee_minor),
            (f"platform:{line.id}", LedgerKind.PLATFORM_FEE, -part.platform_fee_minor),
        )
        for key, kind, amount in rows:
            if amount or kind == LedgerKind.SALE:
                ledger.book(session, kind, key, order, amount, line=line, provider_id=charge)
    if fee > borne:
        rest = f"fee:order:{order.id}"
        ledger.book(session, LedgerKind.PROCESSING_FEE, rest, order, borne - fee, provider_id=charge)
    if order.tax_minor:
        ledger.book(session, LedgerKind.TAX, f"tax:{order.id}", order, order.tax_minor, provider_id=charge)


def fulfil_paid(session: Session, order: Order, outcome: CheckoutOutcome, queue: JobQueue) -> bool:
    """Move a locked order to PAID and do what paying means; False (and nothing done) if it may not move."""
    if outcome.fee_minor is None:
        raise FeeNotKnownYet(f"the processing fee of {outcome.charge} is not known yet")
    if not move(order, OrderStatus.PAID):
        if order.status != OrderStatus.PAID:
            log.error(
                "order %s is %s but its session %s is paid", order.reference, order.status, outcome.session_id
            )
        return False
    _record_paid(session, order, outcome)
    _paid(session, order, queue)
    queue.enqueue(PAY_ORDER, {"order_id": order.id}, dedupe_key=f"pay-order:{order.id}")
    return True


def _paid(session: Session, order: Order, queue: JobQueue) -> None:
    session.flush()
    grant_entitlements(session, order)
    queue_gifts(session, order, queue)
    clear_bought(session, order)
    # The receipt is its own job, after this commit: it reads what was recorded here, and once sent it is
    # marked, so running fulfilment or the receipt again mails nothing twice.
    queue.enqueue(SEND_RECEIPT, {"order_id": order.id}, dedupe_key=f"receipt:{order.id}")


def fulfil_free(session: Session, order: Order, queue: JobQueue) -> bool:
    """An order with nothing to pay: PAID at once without the gateway, with rights and a receipt, and no
    ledger rows or transfers (no money moved)."""
    if any(line.amount_minor for line in order.lines):
        raise ValueError(f"order {order.reference} has something to pay")
    if not move(order, OrderStatus.PAID):
        return False
    order.free = True
    order.amount_total_minor = order.tax_minor = order.processing_fee_minor = 0
    order.paid_at = utcnow()
    for line in order.lines:
        line.processing_fee_minor = line.platform_fee_minor = line.payee_amount_minor = 0
    _paid(session, order, queue)
    return True


def apply_outcome(
    session: Session, order: Order, outcome: CheckoutOutcome, queue: JobQueue, *, failed: bool = False
) -> bool:
    """Bring a locked order in line with its session; returns whether it moved."""
    target = target_status(outcome, failed=failed)
    if target == OrderStatus.PAID:
        return fulfil_paid(session, order, outcome, queue)
    if target is None or not move(order, target):
        return False
    if target == OrderStatus.FAILED and order.email:
        MailService(session, queue, render_outside_request).send(
            "payment_failed",
            order.email,
            "Your payment did not go through",
            "payment_failed",
            order=order,
            lines=list(order.lines),
        )
    return True


def _fetch(context: JobContext, session_id: str) -> CheckoutOutcome:
    try:
        outcome: CheckoutOutcome = context.services.payments.fetch_checkout(session_id)
    except GatewayError as error:
        if error.retryable:
            raise
        raise PermanentJobError(str(error)) from error
    return outcome


def _settle(context: JobContext, session_id: str, *, failed: bool = False) -> None:
    outcome = _fetch(context, session_id)
    if outcome.paid and outcome.fee_minor is None:
        raise FeeNotKnownYet(f"the processing fee of {outcome.charge} is not known yet")
    with context.transaction() as session:
        order = locked_order(session, outcome)
        if order is None:
            if outcome.paid:  # paid for an order we cannot find: worth retrying, then an admin's attention
                raise RuntimeError(f"no order for the paid checkout session {session_id}")
            return
        apply_outcome(session, order, outcome, JobQueue(session, context.services.jobs), failed=failed)


def fulfil_job(context: JobContext, payload: dict[str, Any]) -> None:
    _settle(context, str(payload["session_id"]))


def _queue_fulfilment(context: JobContext, event: GatewayEvent) -> None:
    with context.transaction() as session:
        JobQueue(session, context.services.jobs).enqueue(
            FULFIL_ORDER, {"session_id": event.object_id}, dedupe_key=f"fulfil:{event.event_id}"
        )


def _payment_failed(context: JobContext, event: GatewayEvent) -> None:
    _settle(context, event.object_id, failed=True)


def _expired(context: JobContext, event: GatewayEvent) -> None:
    _settle(context, event.object_id)


def register_jobs(registry: JobRegistry, routes: EventRoutes) -> None:
    registry.add(FULFIL_ORDER, fulfil_job)
    register_receipt_jobs(registry)
    register_gift_jobs(registry)
    routes.add("checkout.session.completed", _queue_fulfilment)
    routes.add("checkout.session.async_payment_succeeded", _queue_fulfilment)
    routes.add("checkout.session.async_payment_failed", _payment_failed)
    routes.add("checkout.session.expired", _expired)
