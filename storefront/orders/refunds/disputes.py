"""What the payment provider did to a charge without us: refunds made in its dashboard, and disputes.

Each handler reads the charge or the dispute back from the gateway and brings our records to what it says
now, so events may come twice or in any order and end the same.

A refund made at the provider (`charge.refunded`): the part of the charge's refunded total that our refunds
do not account for becomes refunds of the order's lines, shared by what each can still give back (largest
remainder), each then settled like ours (ledger, the payee's share, the download, mail); what lies beyond
the lines' prices is the tax given back.

A dispute (`charge.dispute.created` and `.closed` alike):
- open: the money is held. The order's lines are DISPUTED and a DISPUTE row (-) per line records the held
  amount ("dispute:<dp>:<line>", shared out by what each line has not given back, largest remainder). A
  disputed line cannot be refunded and its payee is paid nothing more for it until the dispute closes. The
  fan keeps the download meanwhile: the right ends only if the bank decides for the fan.
- won (or an inquiry closed without a chargeback): the money comes back, a DISPUTE_RELEASED row (+) per
  line, and the lines are OPEN again.
- lost: the lines are CHARGED_BACK, the payee's remaining share of each is taken back (REVERSE_LINE, cause
  "dispute-<dp>-<line>"), and the download rights end.
A closed event that arrives first records the dispute and its hold before closing it, so the ledger always
shows the hold and its outcome. The provider's dispute fee is the platform's to bear.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...db import utcnow
from ...jobs.interfaces import JobQueue
from ...jobs.runner import JobContext
from ...mail.services import MailService
from ...payments.interfaces import DisputeRecord, GatewayEvent
from ...releases.identifiers import format_price
from ..hooks import REVERSE_LINE
from ..ledger import book
from ..models import (
    Dispute,
    LedgerEntry,
    LedgerKind,
    LineRefund,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    RefundStatus,
)
from ..split import largest_remainder
from .refund import (
    COUNTED,
    RefundService,
    job_services,
    lock_lines,
    payee_addresses,
    refunded_for,
    revoke_rights,
    share_given_back,
)

log = logging.getLogger(__name__)
WON = frozenset({"won", "warning_closed", "prevented"})
LOST = frozenset({"lost"})
# The order-wide part of a dispute beyond its lines' prices (the tax), kept under this name for the line.
ORDER_PART = "order"


class DisputeBook:
    def __init__(self, session: Session, *, queue: JobQueue, mail: MailService) -> None:
        self.session = session
        self.queue = queue
        self.mail = mail

    def sync(self, order: Order, record: DisputeRecord) -> Dispute:
        """Bring the dispute, its order's lines and the ledger to what the gateway says now."""
        dispute = self.session.scalar(select(Dispute).where(Dispute.provider_dispute_id == record.dispute_id))
        if dispute is None:
            dispute = Dispute(provider_dispute_id=record.dispute_id, order=order, status=record.status)
            self.session.add(dispute)
        dispute.status, dispute.reason = record.status, record.reason[:80]
        dispute.amount_minor, dispute.currency = record.amount_minor, record.currency.upper()
        self.session.flush()
        lock_lines(self.session, order)
        held, newly = self._hold(order, dispute)
        if record.status in LOST:
            self._lost(dispute, held)
        elif record.status in WON:
            self._won(dispute, held)
        else:
            for line in held:
                if line is not None and line.status == LineStatus.OPEN:
                    line.status = LineStatus.DISPUTED
            if newly:
                self._tell(dispute, held, "opened")
        return dispute

    def _hold(self, order: Order, dispute: Dispute) -> tuple[dict[OrderLine | None, int], bool]:
        """The amount held on each line (None: the order-wide part), recorded the first time."""
        prefix = f"dispute:{dispute.provider_dispute_id}:"
        rows = list(
            self.session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.order_id == order.id,
                    LedgerEntry.kind == LedgerKind.DISPUTE,
                    LedgerEntry.key.like(prefix + "%"),
                )
            )
        )
        lines = {line.id: line for line in order.lines}
        if rows:
            return {
                (lines.get(row.order_line_id) if row.order_line_id else None): -row.amount_minor
                for row in rows
            }, False
        weights = [
            0
            if line.status in (LineStatus.REFUNDED, LineStatus.CHARGED_BACK)
            else max(line.amount_minor - line.refunded_minor, 0)
            for line in order.lines
        ]
        if not any(weights):
            weights = [line.amount_minor for line in order.lines]
        to_lines = min(dispute.amount_minor, sum(weights))
        parts = largest_remainder(to_lines, weights) if to_lines else [0] * len(weights)
        held: dict[OrderLine | None, int] = {}
        for line, part in zip(order.lines, parts, strict=True):
            if part > 0:
                held[line] = part
                self._book(LedgerKind.DISPUTE, prefix, order, line, -part, dispute)
        if dispute.amount_minor > to_lines:
            held[None] = dispute.amount_minor - to_lines
            self._book(LedgerKind.DISPUTE, prefix, order, None, -held[None], dispute)
        return held, True

    def _book(
        self,
        kind: LedgerKind,
        prefix: str,
        order: Order,
        line: OrderLine | None,
        amount: int,
        dispute: Dispute,
    ) -> bool:
        detail: dict[str, Any] = {"status": dispute.status, "reason": dispute.reason}
        key = prefix + (str(line.id) if line is not None else ORDER_PART)
        return book(
            self.session,
            kind,
            key,
            order,
            amount,
            line=line,
            provider_id=dispute.provider_dispute_id,
            detail=detail,
        )

    def _won(self, dispute: Dispute, held: dict[OrderLine | None, int]) -> None:
        released = False
        for line, amount in held.items():
            prefix = f"dispute-released:{dispute.provider_dispute_id}:"
            released |= self._book(LedgerKind.DISPUTE_RELEASED, prefix, dispute.order, line, amount, dispute)
            if line is not None and line.status == LineStatus.DISPUTED:
                line.status = LineStatus.OPEN
        dispute.closed_at = dispute.closed_at or utcnow()
        if released:
            self._tell(dispute, held, "won")

    def _lost(self, dispute: Dispute, held: dict[OrderLine | None, int]) -> None:
        changed = False
        for line in held:
            if line is None or line.status not in (LineStatus.OPEN, LineStatus.DISPUTED):
                continue
            line.status, changed = LineStatus.CHARGED_BACK, True
            payee = line.payee_amount_minor or 0
            refunded = refunded_for(self.session, line, (RefundStatus.SUCCEEDED,))
            remaining = payee - share_given_back(payee, line.amount_minor, refunded)
            if remaining > 0:
                cause = f"dispute-{dispute.provider_dispute_id}-{line.id}"
                self.queue.enqueue(
                    REVERSE_LINE,
                    {
                        "order_line_id": line.id,
                        "amount_minor": remaining,
                        "reason": "dispute_lost",
                        "cause": cause,
                    },
                    dedupe_key=f"reverse-line:{cause}",
                )
            revoke_rights(self.session, line, "charged back after a dispute")
        dispute.closed_at = dispute.closed_at or utcnow()
        if changed:
            self._tell(dispute, held, "lost")

    def _tell(self, dispute: Dispute, held: dict[OrderLine | None, int], stage: str) -> None:
        """One mail per payee, naming its lines of the disputed order."""
        by_payee: dict[str, list[tuple[OrderLine, str]]] = {}
        for line, amount in held.items():
            if line is not None:
                by_payee.setdefault(line.payee_key, []).append((line, format_price(amount, line.currency)))
        subject = {
            "opened": "A payment for your music is disputed",
            "won": "A disputed payment was decided in your favour",
            "lost": "A disputed payment was taken back",
        }[stage]
        for lines in by_payee.values():
            for address in payee_addresses(lines[0][0]):
                self.mail.send(
                    f"dispute_{stage}",
                    address,
                    subject,
                    "dispute_payee",
                    stage=stage,
                    lines=lines,
                    order=dispute.order,
                    reason=dispute.reason.replace("_", " "),
                )


def on_dispute(context: JobContext, event: GatewayEvent) -> None:
    """For `charge.dispute.created` and `.closed` alike: the gateway's current word decides."""
    record = context.services.payments.fetch_dispute(event.object_id or str(event.data.get("id", "")))
    with context.transaction() as session:
        order = session.scalar(select(Order).where(Order.charge_id == record.charge_id).with_for_update())
        if order is None:
            # Fulfilment records the charge; until it has, the dispute cannot be placed. Asked again later.
            raise RuntimeError(f"no order has charge {record.charge_id} yet")
        service = job_services(session, context)
        DisputeBook(session, queue=service.queue, mail=service.mail).sync(order, record)


# -- refunds made at the provider ---------------------------------------------------------------------------
OUTSIDE_REASON = "Refunded at the payment provider"


def record_outside(service: RefundService, order: Order, amount_refunded: int) -> list[LineRefund]:
    """Record what the charge says was refunded beyond what we know of. The same total seen again (a
    repeated event, or the event of our own refund) records nothing."""
    session = service.session
    lines = lock_lines(session, order)
    ours = sum(refunded_for(session, line, COUNTED) for line in lines)
    tax_back = -int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
                LedgerEntry.order_id == order.id, LedgerEntry.key.like(f"tax-refund:{order.id}:%")
            )
        )
        or 0
    )
    unknown = amount_refunded - ours - tax_back
    if unknown <= 0:
        return []
    room = [
        0 if line.status == LineStatus.CHARGED_BACK else max(line.amount_minor - line.refunded_minor, 0)
        for line in lines
    ]
    to_lines = min(unknown, sum(room))
    parts = largest_remainder(to_lines, room) if to_lines else [0] * len(lines)
    made = []
    for line, part in zip(lines, parts, strict=True):
        if part > 0:
            refund = service.record_refund(line, part, OUTSIDE_REASON, None)
            service.succeeded(refund, "")
            made.append(refund)
    rest = unknown - to_lines
    tax = min(rest, max(order.tax_minor - tax_back, 0))
    if tax > 0:
        book(session, LedgerKind.TAX, f"tax-refund:{order.id}:{tax_back + tax}", order, -tax)
    if rest > tax:
        log.warning("order %s: %s refunded beyond its lines and tax", order.id, rest - tax)
    return made


def on_charge_refunded(context: JobContext, event: GatewayEvent) -> None:
    charge = context.services.payments.fetch_charge(event.object_id or str(event.data.get("id", "")))
    with context.transaction() as session:
        mine = Order.charge_id == charge.charge_id
        if charge.payment_intent:
            mine = mine | (Order.payment_intent_id == charge.payment_intent)
        order = session.scalar(select(Order).where(mine).with_for_update())
        if order is None:
            return  # not a charge of ours
        if order.status != OrderStatus.PAID:
            # Paid but not fulfilled yet: the job runs again once fulfilment has recorded the lines.
            raise RuntimeError(f"order {order.reference} is {order.status.value}; its refund waits")
        record_outside(job_services(session, context), order, charge.amount_refunded)
