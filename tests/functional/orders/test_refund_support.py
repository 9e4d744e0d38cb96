"""What the refund and dispute tests share (no tests here): a paid order built as fulfilment leaves it, a
recording payment gateway, and running chosen jobs and gateway events by hand."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from storefront.accounts.models import Artist, Label, User
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.jobs.interfaces import JobQueue, JobSpec
from storefront.jobs.models import Job, JobStatus
from storefront.mail.models import OutboundMessage
from storefront.orders.hooks import REVERSE_LINE
from storefront.orders.models import (
    Entitlement,
    EntitlementSource,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderLine,
    OrderStatus,
)
from storefront.orders.refunds import REFUND_JOB
from storefront.orders.split import split_charge
from storefront.payments.events import HANDLE_EVENT
from storefront.payments.handling import record_event
from storefront.payments.interfaces import (
    ChargeRecord,
    DisputeRecord,
    GatewayError,
    GatewayEvent,
    PaymentsHealth,
    RefundResult,
)
from storefront.payouts.models import PayoutTransfer, TransferStatus
from storefront.releases.models import Release, ReleaseStatus
from tests.helpers import WebClient, fresh, text_of

_seq = itertools.count(1)


@dataclass
class RecordingGateway:
    """A payment gateway that remembers every call, keeps charges and disputes as a test sets them, and
    answers a refund asked twice with the same key with the same refund, once, as Stripe does."""

    backend_name: str = "recording"
    is_sandbox: bool = True
    charges: dict[str, ChargeRecord] = field(default_factory=dict)
    disputes: dict[str, DisputeRecord] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    reversals: list[dict[str, Any]] = field(default_factory=list)
    # Raised by the next refund calls, first first; then refunds succeed.
    failures: list[Exception] = field(default_factory=list)
    _by_key: dict[str, RefundResult] = field(default_factory=dict)

    def check(self) -> PaymentsHealth:
        return PaymentsHealth(True, self.backend_name, "recording")

    def add_charge(self, charge_id: str, amount: int, currency: str = "USD", pi: str | None = None) -> None:
        self.charges[charge_id] = ChargeRecord(charge_id, amount, currency, 0, pi, None)

    def refund_outside(self, charge_id: str, amount: int) -> None:
        """A refund made in the provider's dashboard: the charge changes, no call of ours."""
        charge = self.charges[charge_id]
        self.charges[charge_id] = replace(charge, amount_refunded=charge.amount_refunded + amount)

    def refund(self, payment_reference: str, amount_minor: int, *, idempotency_key: str) -> RefundResult:
        self.refunds.append({"reference": payment_reference, "amount": amount_minor, "key": idempotency_key})
        if self.failures:
            raise self.failures.pop(0)
        if idempotency_key not in self._by_key:
            self.refund_outside(payment_reference, amount_minor)
            self._by_key[idempotency_key] = RefundResult(f"re_{next(_seq)}", "succeeded")
        return self._by_key[idempotency_key]

    def fetch_charge(self, charge_id: str) -> ChargeRecord:
        try:
            return self.charges[charge_id]
        except KeyError:
            raise GatewayError(f"no such charge: {charge_id}", retryable=False) from None

    def fetch_dispute(self, dispute_id: str) -> DisputeRecord:
        return self.disputes[dispute_id]

    def reverse_transfer(
        self, transfer_id: str, amount_minor: int, *, idempotency_key: str, metadata: Mapping[str, str]
    ) -> str:
        self.reversals.append({"transfer": transfer_id, "amount": amount_minor, "key": idempotency_key})
        return f"trr_{next(_seq)}"


def use_gateway(platform: Platform, gateway: Any) -> None:
    """Jobs read the gateway from the platform (their `context.services`)."""
    platform.payments = gateway


@dataclass
class Sale:
    order: Order
    lines: list[OrderLine]
    fan: User | None


def on_sale(session: Session, artist: Artist, title: str, *, label: Label | None = None) -> Release:
    release = Release(
        artist=artist, title=title, slug=f"sale-{next(_seq)}", tags=[], price_minor=700, currency="USD"
    )
    release.status, release.approved_at = ReleaseStatus.APPROVED, utcnow()
    release.label = label
    session.add(release)
    commit(session)
    return release


def paid_order(
    session: Session,
    gateway: Any,
    fan: User | None,
    items: Iterable[tuple[Release, int]],
    *,
    fee: int = 0,
    platform_fee_bps: int = 0,
    payee_label: Label | None = None,
    email: str | None = None,
    charge: str | None = None,
    payment_intent: str | None = None,
) -> Sale:
    """An order as fulfilment leaves it: PAID with its charge, lines split, ledger rows, rights, and one
    sent transfer per payee. A recording gateway is told of the charge; a real one already has it."""
    items = list(items)
    reference = f"ord_test{next(_seq)}"
    charge = charge or f"ch_{reference}"
    total = sum(amount for _, amount in items)
    order = Order(
        reference=reference,
        buyer=fan,
        email=email or (fan.email if fan else None),
        currency="USD",
        subtotal_minor=total,
        status=OrderStatus.PAID,
        gateway=gateway.backend_name,
        checkout_session_id=f"cs_{reference}",
        payment_intent_id=payment_intent or f"pi_{reference}",
        charge_id=charge,
        amount_total_minor=total,
        processing_fee_minor=fee,
        platform_fee_bps=platform_fee_bps,
        transfer_group=f"order_{reference}",
        paid_at=utcnow(),
    )
    splits = split_charge([a for _, a in items], processing_fee=fee, platform_fee_bps=platform_fee_bps)
    for (release, amount), part in zip(items, splits, strict=True):
        order.lines.append(
            OrderLine(
                release=release,
                artist_id=release.artist_id,
                payee_artist_id=None if payee_label else release.artist_id,
                payee_label_id=payee_label.id if payee_label else None,
                title=release.title,
                amount_minor=amount,
                currency="USD",
                processing_fee_minor=part.processing_fee_minor,
                platform_fee_minor=part.platform_fee_minor,
                payee_amount_minor=part.payee_minor,
            )
        )
    session.add(order)
    session.flush()
    shares: dict[str, int] = {}
    for line in order.lines:
        _ledger(session, f"sale:{line.id}", LedgerKind.SALE, line, line.amount_minor, charge)
        _ledger(
            session,
            f"fee:{line.id}",
            LedgerKind.PROCESSING_FEE,
            line,
            -(line.processing_fee_minor or 0),
            charge,
        )
        _ledger(
            session,
            f"platform:{line.id}",
            LedgerKind.PLATFORM_FEE,
            line,
            -(line.platform_fee_minor or 0),
            charge,
        )
        shares[line.payee_key] = shares.get(line.payee_key, 0) + (line.payee_amount_minor or 0)
        if fan is not None:
            session.add(
                Entitlement(
                    user=fan,
                    release_id=line.release_id,
                    source=EntitlementSource.PURCHASE,
                    order_line_id=line.id,
                    payment_reference=charge,
                    amount_minor=line.amount_minor,
                    currency="USD",
                )
            )
    for payee_key, amount in shares.items():
        session.add(
            PayoutTransfer(
                order_id=order.id,
                payee_key=payee_key,
                amount_minor=amount,
                currency="USD",
                idempotency_key=f"velvet-transfer-{order.id}-{payee_key}",
                provider_transfer_id=f"tr_{order.id}_{payee_key.replace(':', '_')}",
                status=TransferStatus.SENT,
                sent_at=utcnow(),
            )
        )
        session.add(
            LedgerEntry(
                key=f"transfer:{order.id}:{payee_key}",
                kind=LedgerKind.TRANSFER,
                order_id=order.id,
                payee_key=payee_key,
                amount_minor=-amount,
                currency="USD",
                provider_id=f"tr_{order.id}",
            )
        )
    commit(session)
    if isinstance(gateway, RecordingGateway):
        gateway.add_charge(charge, total, pi=order.payment_intent_id)
    return Sale(order, list(order.lines), fan)


def _ledger(session: Session, key: str, kind: LedgerKind, line: OrderLine, amount: int, charge: str) -> None:
    session.add(
        LedgerEntry(
            key=key,
            kind=kind,
            order_id=line.order_id,
            order_line_id=line.id,
            payee_key=line.payee_key,
            release_id=line.release_id,
            amount_minor=amount,
            currency=line.currency,
            provider_id=charge,
        )
    )


# -- running jobs and events by hand --------------------------------------------------------------------
def run_jobs(platform: Platform, *specs: JobSpec, limit: int = 50) -> int:
    """Run the queued jobs of these kinds until none is left, without waiting for retry backoff."""
    names = [spec.name for spec in specs]
    ran = 0
    while ran < limit:
        with platform.database.transaction() as session:
            job_id = session.scalar(
                select(Job.id)
                .where(Job.name.in_(names), Job.status == JobStatus.QUEUED)
                .order_by(Job.id)
                .limit(1)
            )
            if job_id is None:
                return ran
            session.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow()))
        platform.executor.run(job_id)
        ran += 1
    return ran


def run_refunds(platform: Platform) -> int:
    return run_jobs(platform, REFUND_JOB)


def deliver(platform: Platform, event_type: str, object_id: str, *, times: int = 1) -> None:
    """Deliver an event `times` times (each a delivery of its own, as the gateway sends one per change)
    through the webhook's way in, and run the handling jobs."""
    for _ in range(times):
        event = GatewayEvent(f"evt_{next(_seq)}", event_type, object_id, 0, {"id": object_id})
        with platform.database.transaction() as session:
            record_event(session, platform.payments.backend_name, event, JobQueue(session, platform.jobs))
        run_jobs(platform, HANDLE_EVENT)


# -- reading what happened -------------------------------------------------------------------------------
def jobs_of(session: Session, spec: JobSpec) -> list[Job]:
    fresh(session)
    return list(session.scalars(select(Job).where(Job.name == spec.name).order_by(Job.id)))


def reversals(session: Session) -> list[dict[str, Any]]:
    return [job.payload for job in jobs_of(session, REVERSE_LINE)]


def ledger(session: Session, order: Order, *kinds: LedgerKind) -> dict[str, int]:
    fresh(session)
    rows = session.scalars(
        select(LedgerEntry).where(LedgerEntry.order_id == order.id, LedgerEntry.kind.in_(kinds))
    )
    return {row.key: row.amount_minor for row in rows}


def mail_kinds(session: Session, address: str) -> list[str]:
    fresh(session)
    return list(
        session.scalars(
            select(OutboundMessage.kind)
            .where(OutboundMessage.to_address == address)
            .order_by(OutboundMessage.id)
        )
    )


# -- the sale's page -------------------------------------------------------------------------------------
_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


def refund_page(line_id: int) -> str:
    return f"/sales/{line_id}/refund"


def ask_refund(
    web: WebClient, line_id: int, amount: str, reason: str = "Sent the wrong files"
) -> TestResponse:
    """As a person does it: open the sale, fill the form, then confirm on the next page."""
    page = web.get(refund_page(line_id))
    assert page.status_code == 200, page.status_code
    found = _VERSION.search(text_of(page))
    assert found, "the form carries the refund version"
    fields = {"amount": amount, "reason": reason, "version": found.group(1)}
    review = web.submit(refund_page(line_id), fields)
    if review.status_code != 200 or 'name="confirm" value="yes"' not in text_of(review):
        return review
    return web.post(
        refund_page(line_id), {"csrf_token": web.token(refund_page(line_id)), **fields, "confirm": "yes"}
    )
