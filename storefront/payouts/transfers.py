"""Sending each payee its share of a paid order, so that no retry, crash or repeated event pays twice.

A transfer is one row per order and payee, recorded in a transaction of its own before the gateway is
asked, with a key fixed by the order and the payee ("velvet-transfer-<order>-<payee>"): asking again (the
job's retry, `reconcile --repair`) gets the same transfer back from the gateway. A payee whose account
cannot receive transfers yet is HELD (and the gateway never asked) until its account is ready.

Reversals (reversals.py) are recorded the same way; one waiting for its transfer is sent right after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.payees.models import PayeeAccount
from ..accounts.payees.services import PAYEE_READY
from ..db import Database, utcnow
from ..events import AuditEvent, record_event
from ..jobs.interfaces import JobQueue, JobRegistry
from ..orders.hooks import PAY_ORDER, REVERSE_LINE
from ..orders.ledger import book
from ..orders.models import LedgerKind, Order, OrderStatus
from ..payments.events import EventRoutes
from ..payments.interfaces import GatewayError, GatewayEvent, PaymentGateway
from .models import PayoutTransfer, ReversalStatus, TransferReversal, TransferStatus

if TYPE_CHECKING:
    from ..jobs.runner import JobContext

log = logging.getLogger(__name__)
Transaction = Callable[[], AbstractContextManager[Session]]


def transfer_key(order_id: int, payee_key: str) -> str:
    return f"velvet-transfer-{order_id}-{payee_key}"


def shares_of(order: Order) -> dict[str, int]:
    """Each payee's share of the order: the sum of its lines' payee amounts (fixed at fulfilment)."""
    shares: dict[str, int] = {}
    for line in order.lines:
        shares[line.payee_key] = shares.get(line.payee_key, 0) + (line.payee_amount_minor or 0)
    return shares


def payee_account(session: Session, payee_key: str, *, lock: bool = False) -> PayeeAccount | None:
    kind, _, raw = payee_key.partition(":")
    column = PayeeAccount.artist_id if kind == "artist" else PayeeAccount.label_id
    stmt = select(PayeeAccount).where(column == int(raw))
    # Locked while deciding HELD: an account being enabled at the same moment waits, then sees the hold.
    return session.scalar(stmt.with_for_update() if lock else stmt)


def record_transfers(session: Session, order_id: int) -> list[PayoutTransfer]:
    """Put the order's transfers on record (new ones REQUESTED, or HELD for a payee that cannot receive),
    move HELD ones whose payee is ready to REQUESTED, and return those REQUESTED: the ones to send."""
    order = session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None or order.status != OrderStatus.PAID or order.free:
        return []
    if any(line.payee_amount_minor is None for line in order.lines):
        log.warning("order %s is paid but its lines are not split; no transfer is made", order_id)
        return []
    rows = {
        row.payee_key: row
        for row in session.scalars(select(PayoutTransfer).where(PayoutTransfer.order_id == order_id))
    }
    for payee_key, amount in sorted(shares_of(order).items()):
        if amount <= 0:
            continue  # nothing to send (a free line, or fees that took the whole share)
        row = rows.get(payee_key)
        if row is not None and row.status != TransferStatus.HELD:
            continue
        account = payee_account(session, payee_key, lock=True)
        ready = account is not None and account.transfers_enabled
        if row is None:
            row = PayoutTransfer(
                order_id=order.id,
                payee_key=payee_key,
                amount_minor=amount,
                currency=order.currency,
                idempotency_key=transfer_key(order.id, payee_key),
                status=TransferStatus.HELD,
            )
            session.add(row)
            rows[payee_key] = row
        if ready:
            assert account is not None
            row.payee_account_id = account.id
            row.status = TransferStatus.REQUESTED
    session.flush()
    return [row for row in rows.values() if row.status == TransferStatus.REQUESTED]


class Payouts:
    """Transfers and reversals against one gateway. `transaction` is where writes are committed: a job's
    lease-checked transaction, or the database's own for `reconcile`."""

    def __init__(self, database: Database, gateway: PaymentGateway, transaction: Transaction | None = None):
        self.database = database
        self.gateway = gateway
        self.transaction: Transaction = transaction or database.transaction

    # -- transfers ------------------------------------------------------------------------------------------
    def pay_order(self, order_id: int) -> None:
        with self.transaction() as session:
            ids = [row.id for row in record_transfers(session, order_id)]
        for transfer_id in ids:
            self.send(transfer_id)

    def send(self, transfer_id: int) -> None:
        """Ask the gateway for one recorded transfer (again, with the same key, if it was asked before)."""
        with self.database.session() as session:
            row = session.get(PayoutTransfer, transfer_id)
            if row is None or row.status != TransferStatus.REQUESTED:
                return
            account = row.payee_account
            assert account is not None  # a REQUESTED transfer has its payee's account
            order = row.order
            amount, currency, key = row.amount_minor, row.currency, row.idempotency_key
            destination, charge, group = account.provider_account_id, order.charge_id, order.transfer_group
            metadata = {"order": order.reference, "payee": row.payee_key, "transfer": str(row.id)}
        try:
            made = self.gateway.create_transfer(
                amount_minor=amount,
                currency=currency,
                destination=destination,
                source_transaction=charge,
                transfer_group=group,
                metadata=metadata,
                idempotency_key=key,
            )
        except GatewayError as error:
            if error.retryable:
                raise
            self._transfer_failed(transfer_id, str(error))
            return
        with self.transaction() as session:
            row = session.scalar(
                select(PayoutTransfer).where(PayoutTransfer.id == transfer_id).with_for_update()
            )
            assert row is not None
            if row.status != TransferStatus.SENT:
                row.status = TransferStatus.SENT
                row.provider_transfer_id = made.transfer_id
                row.sent_at = utcnow()
                row.last_error = ""
                book(
                    session,
                    LedgerKind.TRANSFER,
                    f"transfer:{row.order_id}:{row.payee_key}",
                    row.order,
                    -row.amount_minor,
                    payee_key=row.payee_key,
                    provider_id=made.transfer_id,
                )
            waiting = list(
                session.scalars(
                    select(TransferReversal.id).where(
                        TransferReversal.transfer_id == transfer_id,
                        TransferReversal.status == ReversalStatus.REQUESTED,
                    )
                )
            )
        if waiting:
            from .reversals import Reversals

            reversals = Reversals(self.database, self.gateway, self.transaction)
            for reversal_id in waiting:
                reversals.send(reversal_id)

    def _transfer_failed(self, transfer_id: int, message: str) -> None:
        log.warning("transfer %s refused by the gateway: %s", transfer_id, message)
        with self.transaction() as session:
            row = session.get(PayoutTransfer, transfer_id)
            if row is None or row.status != TransferStatus.REQUESTED:
                return
            row.status = TransferStatus.FAILED
            row.last_error = message[:300]
            # Nothing retries it: the admins' audit log and `flask reconcile` say so until a person acts.
            record_event(
                session,
                "payouts:transfer_failed",
                subject_type="transfer",
                subject_id=row.id,
                actor_id=None,
                data={"order_id": row.order_id, "payee": row.payee_key, "error": row.last_error},
            )

    def held_orders(self, payee_key: str) -> list[int]:
        with self.database.session() as session:
            return list(
                session.scalars(
                    select(PayoutTransfer.order_id)
                    .where(
                        PayoutTransfer.payee_key == payee_key, PayoutTransfer.status == TransferStatus.HELD
                    )
                    .order_by(PayoutTransfer.order_id)
                )
            )


# -- jobs and gateway events -------------------------------------------------------------------------------
def _payouts(context: JobContext) -> Payouts:
    return Payouts(context.database, context.services.payments, context.transaction)


def run_pay_order(context: JobContext, payload: dict[str, Any]) -> None:
    _payouts(context).pay_order(int(payload["order_id"]))


def run_payee_ready(context: JobContext, payload: dict[str, Any]) -> None:
    """The payee can receive transfers: pay every order that held its share back."""
    orders = _payouts(context).held_orders(str(payload["payee_key"]))
    if not orders:
        return
    with context.transaction() as session:
        queue = JobQueue(session, context.services.jobs)
        for order_id in orders:
            queue.enqueue(PAY_ORDER, {"order_id": order_id})


def on_payout_paid(context: JobContext, event: GatewayEvent) -> None:
    """The payee's own account paid money out to its bank: a note in the audit log, no ledger row (the
    money left our books when it was transferred)."""
    if not event.account:
        return
    with context.transaction() as session:
        account = session.scalar(
            select(PayeeAccount).where(PayeeAccount.provider_account_id == event.account)
        )
        if account is None:
            return
        tag = "payee:payout_paid"
        for earlier in session.scalars(
            select(AuditEvent).where(AuditEvent.tag == tag, AuditEvent.subject_id == account.id)
        ):
            if earlier.data.get("payout") == event.object_id:
                return
        data = event.data
        record_event(
            session,
            tag,
            subject_type="payee_account",
            subject_id=account.id,
            actor_id=None,
            data={
                "payout": event.object_id,
                "amount_minor": int(data.get("amount") or 0),
                "currency": str(data.get("currency") or "").upper(),
                "arrival_date": int(data.get("arrival_date") or 0),
            },
        )


def register_jobs(registry: JobRegistry, routes: EventRoutes) -> None:
    from .reversals import on_transfer_reversed, run_reverse_line

    registry.add(PAY_ORDER, run_pay_order)
    registry.add(REVERSE_LINE, run_reverse_line)
    registry.add(PAYEE_READY, run_payee_ready)
    routes.add("transfer.reversed", on_transfer_reversed)
    routes.add("payout.paid", on_payout_paid)
