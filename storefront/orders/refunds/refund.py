"""Refunds of order lines, whole or in part: asked by the payee, an admin or a takedown, or made at the
payment provider and learnt from its `charge.refunded` event.

A refund is on record (REQUESTED) and counted against its line before the gateway is asked: the line's
`refunded_minor` counts what was given back and what is being asked for, so two refunds can never together
exceed what was paid. A job asks the gateway with the key "velvet-refund-<id>", so a retry never refunds
twice. When the gateway agrees: the ledger's REFUND row, the payee's share taken back (REVERSE_LINE), the
download right ended once the whole line is refunded, and mail to the fan and the payee. When it refuses
for good, the amount is counted back to the line and whoever asked is told.

The payee's share of a refund: after refunds totalling R of a line of amount A whose payee was given P, the
payee has given back floor(P * R / A); each refund takes back the difference from before it, so a full
refund takes back exactly the whole share. The processing fee the provider keeps on a refund is the
platform's to bear, never the payee's.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...accounts.models import User
from ...db import utcnow
from ...jobs.interfaces import JobQueue, JobSpec
from ...jobs.models import Job
from ...jobs.runner import JobContext
from ...mail.services import MailService, render_outside_request
from ...payments.interfaces import GatewayError
from ...releases.identifiers import format_price
from ..hooks import REVERSE_LINE
from ..ledger import book
from ..models import (
    Entitlement,
    LedgerKind,
    LineRefund,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    RefundStatus,
)

# {"refund_id": int}: ask the gateway for one recorded refund.
REFUND_JOB = JobSpec("orders.refund")
REFUND_ATTEMPTS = 6
# A line the fan's bank holds: nothing is refunded until the dispute closes.
FROZEN = (LineStatus.DISPUTED, LineStatus.CHARGED_BACK)
COUNTED = (RefundStatus.REQUESTED, RefundStatus.SUCCEEDED)


class RefundError(Exception):
    """A refund that cannot be made; `code` is the HTTP status a page answers with."""

    def __init__(self, message: str, code: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def payee_addresses(line: OrderLine) -> list[str]:
    """Where mail about the payee's money goes: the label's staff or the artist's members."""
    if line.payee_label is not None:
        people = [staff.user for staff in line.payee_label.staff]
    elif line.payee_artist is not None:
        people = [member.user for member in line.payee_artist.members]
    else:
        people = []
    return sorted({person.email for person in people if person.is_active})


def fan_address(order: Order) -> str | None:
    return order.buyer.email if order.buyer is not None else order.email


def payee_name(line: OrderLine) -> str:
    payee = line.payee_label or line.payee_artist
    return payee.name if payee is not None else ""


def revoke_rights(session: Session, line: OrderLine, reason: str) -> None:
    rights = session.scalars(
        select(Entitlement).where(Entitlement.order_line_id == line.id, Entitlement.revoked_at.is_(None))
    )
    for right in rights:
        right.revoked_at, right.revoked_reason = utcnow(), reason


def lock_lines(session: Session, order: Order) -> list[OrderLine]:
    """The order's lines, locked and read afresh, for work that weighs them against each other."""
    stmt = select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id).with_for_update()
    return list(session.scalars(stmt.execution_options(populate_existing=True)))


def refunded_for(session: Session, line: OrderLine, statuses: tuple[RefundStatus, ...]) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(LineRefund.amount_minor), 0)).where(
            LineRefund.order_line_id == line.id, LineRefund.status.in_(statuses)
        )
    )
    return int(total or 0)


def refund_version(session: Session, line: OrderLine) -> int:
    """Grows with every refund of the line: a form carries the one it was shown, so a second submission
    of the same form (a double click, a resent request) is refused instead of refunding twice."""
    count = session.scalar(select(func.count(LineRefund.id)).where(LineRefund.order_line_id == line.id))
    return int(count or 0)


def share_given_back(payee_minor: int, amount_minor: int, refunded_minor: int) -> int:
    """How much of the payee's share a line's refunds totalling `refunded_minor` take back."""
    if amount_minor <= 0:
        return 0
    return payee_minor * min(refunded_minor, amount_minor) // amount_minor


class RefundService:
    def __init__(self, session: Session, *, queue: JobQueue, mail: MailService) -> None:
        self.session = session
        self.queue = queue
        self.mail = mail

    def refundable(self, line: OrderLine) -> int:
        """What can still be asked: the amount less what was given back and what is being asked for."""
        return max(line.amount_minor - refunded_for(self.session, line, COUNTED), 0)

    def refusal(self, line: OrderLine) -> str | None:
        """Why no refund of this line can be made at all, or None."""
        order = line.order
        if order.status != OrderStatus.PAID:
            return f"Only a paid order can be refunded; this one is {order.status.value}."
        if order.free or line.amount_minor <= 0:
            return "Nothing was paid for this, so there is nothing to refund."
        if line.status == LineStatus.DISPUTED:
            return (
                "The fan's bank has opened a dispute on this payment. Nothing can be refunded until "
                "the dispute is closed."
            )
        if line.status == LineStatus.CHARGED_BACK:
            return "The fan's bank took this payment back after a dispute: there is nothing left to refund."
        if line.status == LineStatus.REFUNDED:
            return "This sale is already wholly refunded."
        if not (order.charge_id or order.payment_intent_id):
            return "The payment provider has not told us the payment for this order yet."
        if self.refundable(line) <= 0:
            return "Everything paid for this is refunded already, or being refunded."
        return None

    def refund_line(
        self,
        line: OrderLine,
        amount_minor: int,
        *,
        reason: str,
        by: User | None,
        version: int | None = None,
    ) -> LineRefund:
        """Record a refund and queue the job that asks the gateway. `version`, when given, is the
        `refund_version` the person saw: if another refund came first, this one is refused."""
        # Lock the line: two refunds of it are decided one after the other, each seeing the other's amount.
        self.session.refresh(line, with_for_update=True)
        if version is not None and version != refund_version(self.session, line):
            raise RefundError(
                "This sale changed since the page was opened (another refund was made). "
                "Check what is left and try again."
            )
        if refusal := self.refusal(line):
            raise RefundError(refusal)
        reason = " ".join(reason.split())
        if not reason:
            raise RefundError("Say why you are refunding: the fan reads it.", 422)
        if len(reason) > 300:
            raise RefundError("Keep the reason under 300 characters.", 422)
        left = self.refundable(line)
        if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
            raise RefundError("Enter an amount above zero.", 422)
        if amount_minor > left:
            raise RefundError(
                f"At most {format_price(left, line.currency)} can still be refunded for this sale.", 422
            )
        refund = self.record_refund(line, amount_minor, reason, by)
        self.queue.enqueue(
            REFUND_JOB,
            {"refund_id": refund.id},
            dedupe_key=f"line-refund:{refund.id}",
            max_attempts=REFUND_ATTEMPTS,
        )
        return refund

    def record_refund(self, line: OrderLine, amount_minor: int, reason: str, by: User | None) -> LineRefund:
        """On record and counted against the line (which the caller has locked), not yet asked for."""
        refund = LineRefund(
            line=line,
            amount_minor=amount_minor,
            currency=line.currency,
            reason=reason,
            requested_by_id=by.id if by is not None else None,
            # Unique until the row has its id, which the real key is made of.
            idempotency_key=f"unnumbered-{secrets.token_hex(16)}",
        )
        self.session.add(refund)
        self.session.flush()
        refund.idempotency_key = f"velvet-refund-{refund.id}"
        line.refunded_minor += amount_minor
        self.session.flush()
        return refund

    # -- the gateway's answer ----------------------------------------------------------------------------
    def succeeded(self, refund: LineRefund, provider_refund_id: str) -> None:
        """The money is given back: ledger, the payee's share, the download right, mail."""
        line, order = refund.line, refund.line.order
        # Refunds of one line settle one after the other, each seeing those before it.
        self.session.refresh(line, with_for_update=True)
        before = refunded_for(self.session, line, (RefundStatus.SUCCEEDED,))
        refund.status, refund.settled_at = RefundStatus.SUCCEEDED, utcnow()
        refund.provider_refund_id = provider_refund_id or None
        self.session.flush()
        book(
            self.session,
            LedgerKind.REFUND,
            f"refund:{refund.id}",
            order,
            -refund.amount_minor,
            line=line,
            provider_id=provider_refund_id,
            detail={"reason": refund.reason},
        )
        after = before + refund.amount_minor
        payee = line.payee_amount_minor or 0
        share = share_given_back(payee, line.amount_minor, after) - share_given_back(
            payee, line.amount_minor, before
        )
        if share > 0:
            cause = f"refund-{refund.id}"
            self.queue.enqueue(
                REVERSE_LINE,
                {"order_line_id": line.id, "amount_minor": share, "reason": "refund", "cause": cause},
                dedupe_key=f"reverse-line:{cause}",
            )
        whole = after >= line.amount_minor
        if whole and line.status == LineStatus.OPEN:
            line.status = LineStatus.REFUNDED
        if whole:
            revoke_rights(self.session, line, "refunded")
        self._tell_refunded(refund, whole=whole, share=share)

    def failed(self, refund: LineRefund, why: str) -> None:
        """Refused for good: the amount is no longer counted against the line, and the requester is told."""
        line = refund.line
        self.session.refresh(line, with_for_update=True)
        refund.status, refund.settled_at = RefundStatus.FAILED, utcnow()
        line.refunded_minor = max(line.refunded_minor - refund.amount_minor, 0)
        self.session.flush()
        requester = self.session.get(User, refund.requested_by_id) if refund.requested_by_id else None
        addresses = [requester.email] if requester is not None else payee_addresses(line)
        for address in addresses:
            self.mail.send(
                "refund_failed",
                address,
                f"The refund of “{line.title}” did not go through",
                "refund_failed",
                refund=refund,
                line=line,
                amount=format_price(refund.amount_minor, refund.currency),
                why=why,
            )

    def _tell_refunded(self, refund: LineRefund, *, whole: bool, share: int) -> None:
        line, order = refund.line, refund.line.order
        amount = format_price(refund.amount_minor, refund.currency)
        fan = fan_address(order)
        if fan:
            self.mail.send(
                "refund_fan",
                fan,
                f"Your refund for “{line.title}”",
                "refund_fan",
                line=line,
                order=order,
                amount=amount,
                whole=whole,
                reason=refund.reason,
            )
        for address in payee_addresses(line):
            self.mail.send(
                "refund_payee",
                address,
                f"A sale of “{line.title}” was refunded",
                "refund_payee",
                line=line,
                order=order,
                amount=amount,
                share=format_price(share, line.currency),
                share_minor=share,
                whole=whole,
                reason=refund.reason,
                payee=payee_name(line),
            )


def job_services(session: Session, context: JobContext) -> RefundService:
    queue = JobQueue(session, context.services.jobs)
    return RefundService(session, queue=queue, mail=MailService(session, queue, render_outside_request))


def _last_attempt(session: Session, context: JobContext) -> bool:
    job = session.get(Job, context.job_id)
    return job is None or context.attempt >= job.max_attempts


def run_refund(context: JobContext, payload: dict[str, Any]) -> None:
    refund_id = int(payload["refund_id"])
    with context.transaction() as session:
        refund = session.get(LineRefund, refund_id)
        if refund is None or refund.status != RefundStatus.REQUESTED:
            return
        order = refund.line.order
        reference = order.charge_id or order.payment_intent_id
        if refund.line.status in FROZEN:
            job_services(session, context).failed(refund, "the fan's bank opened a dispute on the payment")
            return
        if not reference:
            job_services(session, context).failed(refund, "the order has no payment to refund")
            return
        amount, key, last = refund.amount_minor, refund.idempotency_key, _last_attempt(session, context)
    provider_id, why = "", ""
    try:
        result = context.services.payments.refund(reference, amount, idempotency_key=key)
    except GatewayError as exc:
        if exc.retryable and not last:
            raise  # the job runs again later, with the same key
        why = str(exc) or "the payment provider refused it"
    else:
        if result.status.startswith("failed") or result.status == "canceled":
            why = f"the payment provider answered “{result.status}”"
        provider_id = result.reference
    with context.transaction() as session:
        refund = session.scalar(select(LineRefund).where(LineRefund.id == refund_id).with_for_update())
        if refund is None or refund.status != RefundStatus.REQUESTED:
            return
        service = job_services(session, context)
        if why:
            service.failed(refund, why)
        else:
            service.succeeded(refund, provider_id)
