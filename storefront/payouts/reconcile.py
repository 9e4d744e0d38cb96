"""Comparing what the gateway says happened in a period with our orders, transfers and ledger.

Each difference is one of:
- missing order: a session the gateway says is paid has no PAID order (repair: run its fulfilment again);
- missing transfer: a paid order's payee has no transfer, or one recorded but never confirmed by the gateway
  (a crash between the charge and the transfer), or one held although its payee can receive transfers now
  (repair: ask for it again with the same idempotency key, so it can never be paid twice); a transfer the
  gateway refused for good, or one recorded as sent that the gateway does not list, is reported only;
- amount mismatch: a session's amount and its order's, or a transfer's and ours (reported only);
- unknown transfer: a transfer at the gateway that is none of ours (reported only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..db import Database
from ..jobs.interfaces import JobDispatcher, JobQueue
from ..orders.models import Order, OrderStatus
from ..payments.interfaces import CheckoutOutcome, GatewayError, PaymentGateway, TransferRecord
from ..releases.identifiers import format_price
from .models import PayoutTransfer, TransferStatus
from .transfers import Payouts, payee_account, shares_of

MISSING_ORDER = "missing order"
MISSING_TRANSFER = "missing transfer"
AMOUNT_MISMATCH = "amount mismatch"
UNKNOWN_TRANSFER = "unknown transfer"


@dataclass(frozen=True)
class Difference:
    kind: str
    subject: str  # what it is about: a checkout session, an order and payee, a transfer
    detail: str
    session_id: str | None = None  # set when the repair is to fulfil this session again
    order_id: int | None = None  # set when the repair is to pay this order's transfers
    repaired: str = ""  # what `--repair` did about it

    @property
    def repairable(self) -> bool:
        return self.session_id is not None or self.order_id is not None

    def line(self) -> str:
        text = f"{self.kind}: {self.subject}: {self.detail}"
        return f"{text} [repair: {self.repaired}]" if self.repaired else text


@dataclass(frozen=True)
class Report:
    found: list[Difference]
    remaining: list[Difference]  # after repairs, read again; equal to `found` when nothing was repaired


class Reconciler:
    def __init__(self, database: Database, gateway: PaymentGateway, jobs: JobDispatcher) -> None:
        self.database = database
        self.gateway = gateway
        self.jobs = jobs

    def run(self, since: datetime, until: datetime, *, repair: bool = False) -> Report:
        found = self.check(since, until)
        if not repair or not any(d.repairable for d in found):
            return Report(found, found)
        fixed = [self.repair(d) if d.repairable else d for d in found]
        return Report(fixed, self.check(since, until))

    # -- reading ------------------------------------------------------------------------------------------
    def check(self, since: datetime, until: datetime) -> list[Difference]:
        low, high = int(since.timestamp()), int(until.timestamp())
        sessions = list(self.gateway.list_checkouts(created_from=low, created_to=high))
        transfers = list(self.gateway.list_transfers(created_from=low, created_to=high))
        with self.database.session() as session:
            differences = list(self._sessions(session, sessions))
            orders = session.scalars(
                select(Order).where(
                    Order.status == OrderStatus.PAID,
                    Order.free.is_(False),
                    Order.gateway == self.gateway.backend_name,
                    or_(
                        Order.paid_at.between(since, until),
                        Order.checkout_session_id.in_([s.session_id for s in sessions]),
                    ),
                )
            )
            for order in orders:
                differences.extend(self._order_transfers(session, order))
            differences.extend(self._gateway_transfers(session, transfers, since, until))
        return differences

    def _sessions(self, session: Session, paid: Iterable[CheckoutOutcome]) -> Iterable[Difference]:
        for outcome in paid:
            amount = format_price(outcome.amount_total, outcome.currency)
            order = session.scalar(select(Order).where(Order.checkout_session_id == outcome.session_id))
            if order is None:
                yield Difference(
                    MISSING_ORDER, outcome.session_id, f"paid {amount}; no order has this session"
                )
            elif order.status != OrderStatus.PAID:
                yield Difference(
                    MISSING_ORDER,
                    outcome.session_id,
                    f"paid {amount}; order {order.reference} is {order.status.value}",
                    session_id=outcome.session_id,
                )
            elif (order.amount_total_minor, order.currency) != (
                outcome.amount_total,
                outcome.currency.upper(),
            ):
                ours = format_price(order.amount_total_minor or 0, order.currency)
                yield Difference(
                    AMOUNT_MISMATCH,
                    outcome.session_id,
                    f"the gateway charged {amount}; order {order.reference} records {ours}",
                )

    def _order_transfers(self, session: Session, order: Order) -> Iterable[Difference]:
        rows = {
            row.payee_key: row
            for row in session.scalars(select(PayoutTransfer).where(PayoutTransfer.order_id == order.id))
        }
        if any(line.payee_amount_minor is None for line in order.lines):
            yield Difference(MISSING_TRANSFER, order.reference, "paid, but its lines were never split")
            return
        for payee_key, owed in sorted(shares_of(order).items()):
            if owed <= 0:
                continue
            subject = f"{order.reference} to {payee_key}"
            amount = format_price(owed, order.currency)
            row = rows.get(payee_key)
            if row is None:
                yield Difference(
                    MISSING_TRANSFER, subject, f"{amount} owed; no transfer on record", order_id=order.id
                )
            elif row.status == TransferStatus.REQUESTED:
                yield Difference(
                    MISSING_TRANSFER,
                    subject,
                    f"{amount} recorded but never confirmed by the gateway",
                    order_id=order.id,
                )
            elif row.status == TransferStatus.HELD:
                account = payee_account(session, payee_key)
                if account is not None and account.transfers_enabled:
                    yield Difference(
                        MISSING_TRANSFER,
                        subject,
                        f"{amount} held although the payee can receive transfers now",
                        order_id=order.id,
                    )
            elif row.status == TransferStatus.FAILED:
                yield Difference(
                    MISSING_TRANSFER, subject, f"{amount} refused by the gateway: {row.last_error}"
                )
            elif row.amount_minor != owed:
                ours = format_price(row.amount_minor, row.currency)
                yield Difference(
                    AMOUNT_MISMATCH, subject, f"sent {ours}; its lines' shares add up to {amount}"
                )

    def _gateway_transfers(
        self, session: Session, listed: list[TransferRecord], since: datetime, until: datetime
    ) -> Iterable[Difference]:
        for record in listed:
            amount = format_price(record.amount_minor, record.currency)
            row = session.scalar(
                select(PayoutTransfer).where(PayoutTransfer.provider_transfer_id == record.transfer_id)
            )
            if row is None and str(record.metadata.get("transfer", "")).isdigit():
                # Made, but the crash came before it was recorded as sent: the order's check reports it.
                row = session.get(PayoutTransfer, int(record.metadata["transfer"]))
                if row is not None and row.status == TransferStatus.REQUESTED:
                    continue
                row = None
            if row is None:
                yield Difference(
                    UNKNOWN_TRANSFER,
                    record.transfer_id,
                    f"{amount} to {record.destination} (group {record.transfer_group or '-'}): none of ours",
                )
            elif (row.amount_minor, row.currency) != (record.amount_minor, record.currency.upper()):
                ours = format_price(row.amount_minor, row.currency)
                yield Difference(
                    AMOUNT_MISMATCH, record.transfer_id, f"the gateway sent {amount}; we recorded {ours}"
                )
        listed_ids = {record.transfer_id for record in listed}
        for row in session.scalars(
            select(PayoutTransfer).where(
                PayoutTransfer.status == TransferStatus.SENT, PayoutTransfer.sent_at.between(since, until)
            )
        ):
            if row.provider_transfer_id and row.provider_transfer_id not in listed_ids:
                yield Difference(
                    MISSING_TRANSFER,
                    row.provider_transfer_id,
                    f"recorded as sent for order {row.order.reference}, but the gateway does not list it",
                )

    # -- repairing ----------------------------------------------------------------------------------------
    def repair(self, difference: Difference) -> Difference:
        try:
            if difference.session_id is not None:
                self._fulfil(difference.session_id)
                return replace(difference, repaired="fulfilment queued")
            if difference.order_id is not None:
                Payouts(self.database, self.gateway).pay_order(difference.order_id)
                return replace(difference, repaired="transfer asked for with its own key")
        except GatewayError as error:
            return replace(difference, repaired=f"failed: {error}")
        return difference

    def _fulfil(self, session_id: str) -> None:
        from ..orders.fulfilment import FULFIL_ORDER

        with self.database.transaction() as session:
            JobQueue(session, self.jobs).enqueue(FULFIL_ORDER, {"session_id": session_id})
