"""Taking a line's share back from its payee after a refund or a lost dispute.

A reversal is recorded before the gateway is asked, keyed by what caused it ("velvet-reversal-<cause>"), so
the same refund or dispute never takes back twice. It is capped: a line never gives back more than its share,
and a transfer never more than was sent less what was taken back already. A reversal asked for while its
transfer is held or not yet confirmed waits, and is sent right after the transfer is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Database
from ..events import record_event
from ..jobs.interfaces import PermanentJobError
from ..orders.ledger import book
from ..orders.models import LedgerKind, OrderLine
from ..payments.interfaces import GatewayError, GatewayEvent, PaymentGateway, TransferRecord
from .models import PayoutTransfer, ReversalStatus, TransferReversal, TransferStatus
from .transfers import Transaction, record_transfers

if TYPE_CHECKING:
    from ..jobs.runner import JobContext

log = logging.getLogger(__name__)
COUNTED = (ReversalStatus.REQUESTED, ReversalStatus.DONE)  # what a cap counts as already taken back


def taken_back(session: Session, line_id: int) -> int:
    """What a line has given back, or is giving back."""
    stmt = select(func.coalesce(func.sum(TransferReversal.amount_minor), 0)).where(
        TransferReversal.order_line_id == line_id, TransferReversal.status.in_(COUNTED)
    )
    return int(session.scalar(stmt) or 0)


def pending(session: Session, transfer_id: int) -> int:
    """Ours asked for and not yet confirmed: not in the transfer's `reversed_minor` yet."""
    stmt = select(func.coalesce(func.sum(TransferReversal.amount_minor), 0)).where(
        TransferReversal.transfer_id == transfer_id, TransferReversal.status == ReversalStatus.REQUESTED
    )
    return int(session.scalar(stmt) or 0)


class Reversals:
    def __init__(self, database: Database, gateway: PaymentGateway, transaction: Transaction | None = None):
        self.database = database
        self.gateway = gateway
        self.transaction: Transaction = transaction or database.transaction

    def reverse(self, line_id: int, amount_minor: int, *, reason: str, cause: str) -> None:
        """Take back up to `amount_minor` of a line's share; the same cause never takes back twice."""
        key = f"velvet-reversal-{cause}"
        with self.transaction() as session:
            reversal = session.scalar(select(TransferReversal).where(TransferReversal.idempotency_key == key))
            if reversal is None:
                reversal = self._record(session, line_id, amount_minor, reason=reason, key=key)
            if reversal is None or reversal.status != ReversalStatus.REQUESTED:
                return
            ready = reversal.transfer.status == TransferStatus.SENT
            reversal_id = reversal.id
        if ready:
            self.send(reversal_id)

    def _record(
        self, session: Session, line_id: int, amount_minor: int, *, reason: str, key: str
    ) -> TransferReversal | None:
        line = session.get(OrderLine, line_id)
        if line is None:
            raise PermanentJobError(f"no order line {line_id}")

        def find() -> PayoutTransfer | None:
            # Locked: the transfer's sending sees this reversal, or this sees the transfer sent.
            return session.scalar(
                select(PayoutTransfer)
                .where(PayoutTransfer.order_id == line.order_id, PayoutTransfer.payee_key == line.payee_key)
                .with_for_update()
            )

        transfer = find()
        if transfer is None:
            # Asked before the order's transfers were recorded: record them now, so the cap has a transfer.
            record_transfers(session, line.order_id)
            transfer = find()
        if transfer is None:
            log.info("line %s: its payee was owed nothing, so nothing is taken back", line_id)
            return None
        amount = min(
            amount_minor,
            (line.payee_amount_minor or 0) - taken_back(session, line.id),
            transfer.amount_minor - transfer.reversed_minor - pending(session, transfer.id),
        )
        if amount <= 0:
            log.info("line %s: its share is taken back already; %s asks for nothing more", line_id, key)
            return None
        reversal = TransferReversal(
            transfer=transfer, order_line_id=line.id, amount_minor=amount, reason=reason, idempotency_key=key
        )
        session.add(reversal)
        session.flush()
        return reversal

    def send(self, reversal_id: int) -> None:
        """Ask the gateway for one recorded reversal whose transfer was sent (again, with the same key)."""
        with self.database.session() as session:
            reversal = session.get(TransferReversal, reversal_id)
            if reversal is None or reversal.status != ReversalStatus.REQUESTED:
                return
            transfer = reversal.transfer
            if transfer.status != TransferStatus.SENT or transfer.provider_transfer_id is None:
                return  # it goes once the transfer is sent
            provider_transfer = transfer.provider_transfer_id
            amount, key = reversal.amount_minor, reversal.idempotency_key
            metadata = {
                "order": transfer.order.reference,
                "line": str(reversal.order_line_id),
                "reason": reversal.reason,
            }
        try:
            provider_id = self.gateway.reverse_transfer(
                provider_transfer, amount, idempotency_key=key, metadata=metadata
            )
        except GatewayError as error:
            if error.retryable:
                raise
            self._failed(reversal_id, str(error))
            return
        with self.transaction() as session:
            reversal = session.get(TransferReversal, reversal_id)
            assert reversal is not None
            if reversal.status != ReversalStatus.REQUESTED:
                return
            reversal.status = ReversalStatus.DONE
            reversal.provider_reversal_id = provider_id
            locked = session.scalar(
                select(PayoutTransfer).where(PayoutTransfer.id == reversal.transfer_id).with_for_update()
            )
            assert locked is not None
            locked.reversed_minor += amount
            book(
                session,
                LedgerKind.REVERSAL,
                "reversal:" + key.removeprefix("velvet-reversal-"),
                locked.order,
                amount,
                payee_key=locked.payee_key,
                line=reversal.line,
                provider_id=provider_id,
                detail={"reason": reversal.reason},
            )

    def _failed(self, reversal_id: int, message: str) -> None:
        log.warning("reversal %s refused by the gateway: %s", reversal_id, message)
        with self.transaction() as session:
            reversal = session.get(TransferReversal, reversal_id)
            if reversal is None or reversal.status != ReversalStatus.REQUESTED:
                return
            reversal.status = ReversalStatus.FAILED
            # The share stays with the payee; admins find why in the audit log.
            record_event(
                session,
                "payouts:reversal_failed",
                subject_type="transfer",
                subject_id=reversal.transfer_id,
                actor_id=None,
                data={"reversal_id": reversal.id, "line_id": reversal.order_line_id, "error": message[:300]},
            )


def run_reverse_line(context: JobContext, payload: dict[str, Any]) -> None:
    Reversals(context.database, context.services.payments, context.transaction).reverse(
        int(payload["order_line_id"]),
        int(payload["amount_minor"]),
        reason=str(payload.get("reason") or "refund")[:40],
        cause=str(payload["cause"]),
    )


def _listed(gateway: PaymentGateway, transfer_id: str, created: int) -> Iterator[TransferRecord]:
    if created:
        for record in gateway.list_transfers(created_from=created, created_to=created + 1):
            if record.transfer_id == transfer_id:
                yield record


def on_transfer_reversed(context: JobContext, event: GatewayEvent) -> None:
    """A transfer was reversed. Ours are on record already; one made elsewhere (the provider's dashboard)
    is read back from the gateway and put in the ledger, so the payee's figures stay true."""
    with context.database.session() as session:
        known = session.scalar(
            select(PayoutTransfer.id).where(PayoutTransfer.provider_transfer_id == event.object_id)
        )
    if known is None:
        return
    fresh = next(
        _listed(context.services.payments, event.object_id, int(event.data.get("created") or 0)), None
    )
    if fresh is None:
        log.warning("transfer %s was reversed but is not listed by the gateway", event.object_id)
        return
    with context.transaction() as session:
        row = session.scalar(select(PayoutTransfer).where(PayoutTransfer.id == known).with_for_update())
        assert row is not None
        elsewhere = fresh.reversed_minor - row.reversed_minor - pending(session, row.id)
        if elsewhere <= 0:
            return
        row.reversed_minor += elsewhere
        book(
            session,
            LedgerKind.REVERSAL,
            f"reversal:gateway:{event.object_id}:{fresh.reversed_minor}",
            row.order,
            elsewhere,
            payee_key=row.payee_key,
            provider_id=event.object_id,
            detail={"reason": "reversed at the payment provider"},
        )
