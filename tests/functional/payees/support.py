"""What the payee, transfer and reconcile tests share (no tests here): a gateway that keeps transfers as
Stripe does (idempotency keys, reversal limits) and fails when told, paid orders built as fulfilment leaves
them, payee accounts, and gateway events delivered through the real recording path."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, Label
from storefront.accounts.payees.models import PayeeAccount
from storefront.accounts.payees.services import payee_for
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.jobs.interfaces import JobQueue, JobSpec
from storefront.jobs.models import Job, JobStatus
from storefront.orders.models import Order, OrderLine, OrderStatus
from storefront.payments.handling import record_event
from storefront.payments.interfaces import (
    ChargeRecord,
    CheckoutOutcome,
    CheckoutRequest,
    CheckoutStarted,
    DisputeRecord,
    GatewayError,
    GatewayEvent,
    InvalidWebhook,
    PayeeState,
    PaymentsHealth,
    RefundResult,
    TransferRecord,
)
from storefront.releases.models import Release, ReleaseStatus
from tests.helpers import fresh

_seq = itertools.count(1)


class Crash(Exception):
    """Our process dying right after the gateway answered: the answer is lost, the gateway's work is not."""


@dataclass
class FakeGateway:
    """Connected accounts, transfers and reversals kept in memory with Stripe's rules: the same key and
    parameters give the same object once; the same key with other parameters is refused; a transfer's
    reversals never exceed it. `failures` are raised by the next transfer or reversal calls, first first;
    `crash_after` makes the next ones succeed at the gateway and then raise `Crash`."""

    backend_name: str = "fake"
    is_sandbox: bool = True
    accounts: dict[str, PayeeState] = field(default_factory=dict)
    transfers: dict[str, TransferRecord] = field(default_factory=dict)
    paid_sessions: list[CheckoutOutcome] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    crash_after: int = 0
    _keys: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)

    def check(self) -> PaymentsHealth:
        return PaymentsHealth(True, self.backend_name, "fake")

    def calls_to(self, name: str) -> list[dict[str, Any]]:
        return [params for called, params in self.calls if called == name]

    def _call(self, name: str, key: str, params: dict[str, Any], make: Any) -> str:
        self.calls.append((name, {**params, "idempotency_key": key}))
        if self.failures:
            raise self.failures.pop(0)
        known = self._keys.get(key)
        if known is not None:
            if known[0] != params:
                raise GatewayError(
                    "Keys for idempotent requests can only be used with the same parameters.", retryable=False
                )
            result = known[1]
        else:
            result = make()
            self._keys[key] = (params, result)
        if self.crash_after:
            self.crash_after -= 1
            raise Crash(name)
        return result

    # -- accounts
    def create_payee(self, *, display_name: str, email: str, country: str, idempotency_key: str) -> str:
        def make() -> str:
            account_id = f"acct_fake{next(_seq)}"
            self.accounts[account_id] = PayeeState(account_id, False, ("external_account",))
            return account_id

        params = {"display_name": display_name, "email": email, "country": country}
        return self._call("create_payee", idempotency_key, params, make)

    def payee_onboarding_link(self, account_id: str, *, return_url: str, refresh_url: str) -> str:
        self.calls.append(("onboarding_link", {"account": account_id, "return_url": return_url}))
        return f"https://connect.example.com/setup/{account_id}/{next(_seq)}"

    def fetch_payee(self, account_id: str) -> PayeeState:
        return self.accounts[account_id]

    def enable(self, account_id: str, enabled: bool = True) -> None:
        self.accounts[account_id] = PayeeState(account_id, enabled, () if enabled else ("external_account",))

    # -- transfers
    def create_transfer(
        self,
        *,
        amount_minor: int,
        currency: str,
        destination: str,
        source_transaction: str | None,
        transfer_group: str,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> TransferRecord:
        params = {
            "amount": amount_minor,
            "currency": currency,
            "destination": destination,
            "source_transaction": source_transaction,
            "transfer_group": transfer_group,
            "metadata": dict(metadata),
        }

        def make() -> str:
            if not self.accounts[destination].transfers_enabled:
                raise GatewayError(f"{destination} cannot receive transfers", retryable=False)
            transfer_id = f"tr_fake{next(_seq)}"
            self.transfers[transfer_id] = TransferRecord(
                transfer_id,
                amount_minor,
                currency,
                destination,
                transfer_group,
                source_transaction,
                0,
                dict(metadata),
                int(time.time()),
            )
            return transfer_id

        return self.transfers[self._call("create_transfer", idempotency_key, params, make)]

    def reverse_transfer(
        self, transfer_id: str, amount_minor: int, *, idempotency_key: str, metadata: Mapping[str, str]
    ) -> str:
        def make() -> str:
            self.reverse_outside(transfer_id, amount_minor)
            return f"trr_fake{next(_seq)}"

        params = {"transfer": transfer_id, "amount": amount_minor, "metadata": dict(metadata)}
        return self._call("reverse_transfer", idempotency_key, params, make)

    def reverse_outside(self, transfer_id: str, amount_minor: int) -> None:
        """A reversal made in the provider's dashboard, or by our call."""
        transfer = self.transfers[transfer_id]
        if amount_minor > transfer.amount_minor - transfer.reversed_minor:
            raise GatewayError("more than is left of the transfer", retryable=False)
        self.transfers[transfer_id] = replace(transfer, reversed_minor=transfer.reversed_minor + amount_minor)

    def list_transfers(self, *, created_from: int, created_to: int) -> Iterator[TransferRecord]:
        return iter([t for t in self.transfers.values() if created_from <= t.created < created_to])

    def list_checkouts(self, *, created_from: int, created_to: int) -> Iterator[CheckoutOutcome]:
        return iter([s for s in self.paid_sessions if created_from <= s.created < created_to])

    # What these tests never use: refused plainly, so a test that strays says so.
    def create_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        raise GatewayError("the fake gateway takes no checkouts", retryable=False)

    def expire_checkout(self, session_id: str) -> None:
        raise GatewayError("the fake gateway takes no checkouts", retryable=False)

    def fetch_charge(self, charge_id: str) -> ChargeRecord:
        raise GatewayError("the fake gateway keeps no charges", retryable=False)

    def fetch_dispute(self, dispute_id: str) -> DisputeRecord:
        raise GatewayError("the fake gateway keeps no disputes", retryable=False)

    def refund(self, payment_reference: str, amount_minor: int, *, idempotency_key: str) -> RefundResult:
        raise GatewayError("the fake gateway makes no refunds", retryable=False)

    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        raise InvalidWebhook("the fake gateway sends no webhooks")

    def fetch_checkout(self, session_id: str) -> CheckoutOutcome:
        for outcome in self.paid_sessions:
            if outcome.session_id == session_id:
                return outcome
        raise GatewayError(f"No such checkout.session: '{session_id}'", retryable=False)


def use_gateway(platform: Platform, gateway: Any) -> None:
    """Jobs read the gateway from the platform (their `context.services`), and so do requests."""
    platform.payments = gateway


def release_of(session: Session, artist: Artist, *, label: Label | None = None, title: str = "") -> Release:
    fresh(session)  # a snapshot older than others' commits could not write on SQLite
    n = next(_seq)
    release = Release(
        artist=artist,
        label=label,
        title=title or f"Song cycle {n}",
        slug=f"cycle-{n}",
        tags=[],
        price_minor=700,
    )
    release.status, release.approved_at = ReleaseStatus.APPROVED, utcnow()
    session.add(release)
    commit(session)
    return release


def payee_account(
    session: Session, owner: Artist | Label, gateway: FakeGateway | None = None, *, enabled: bool = True
) -> PayeeAccount:
    fresh(session)
    provider_id = f"acct_test{next(_seq)}"
    if gateway is not None:
        gateway.accounts[provider_id] = PayeeState(provider_id, enabled)
    account = PayeeAccount(
        artist_id=owner.id if isinstance(owner, Artist) else None,
        label_id=owner.id if isinstance(owner, Label) else None,
        gateway="fake",
        provider_account_id=provider_id,
        transfers_enabled=enabled,
        details_needed=[],
    )
    session.add(account)
    commit(session)
    return account


def paid_order(
    session: Session,
    lines: list[tuple[Release, int, int]],
    *,
    gateway: str = "fake",
    charge: str | None = "auto",
    status: OrderStatus = OrderStatus.PAID,
    session_id: str | None = None,
) -> Order:
    """An order as fulfilment leaves it: each line (release, amount paid, payee's share) split and paid,
    its payee fixed when the order was made."""
    fresh(session)
    reference = "ord_" + secrets.token_urlsafe(12)
    total = sum(amount for _, amount, _ in lines)
    order = Order(
        reference=reference,
        email="fan@example.com",
        currency="USD",
        subtotal_minor=total,
        status=status,
        gateway=gateway,
        checkout_session_id=session_id or f"cs_test{next(_seq)}",
        charge_id=(f"ch_test{next(_seq)}" if status == OrderStatus.PAID else None)
        if charge == "auto"
        else charge,
        amount_total_minor=total if status == OrderStatus.PAID else None,
        processing_fee_minor=sum(amount - share for _, amount, share in lines),
        transfer_group="order_" + reference,
        paid_at=utcnow() if status == OrderStatus.PAID else None,
    )
    for release, amount, share in lines:
        payee = payee_for(session, release)
        order.lines.append(
            OrderLine(
                release_id=release.id,
                artist_id=release.artist_id,
                payee_artist_id=payee.artist_id,
                payee_label_id=payee.label_id,
                title=release.title,
                amount_minor=amount,
                currency="USD",
                processing_fee_minor=amount - share,
                platform_fee_minor=0,
                payee_amount_minor=share if status == OrderStatus.PAID else None,
            )
        )
    session.add(order)
    commit(session)
    return order


def paid_session(order: Order, *, amount: int | None = None, fee: int = 0) -> CheckoutOutcome:
    """The gateway's view of the order's checkout session: complete and paid, now."""
    assert order.checkout_session_id is not None
    return CheckoutOutcome(
        session_id=order.checkout_session_id,
        status="complete",
        payment_status="paid",
        order_reference=order.reference,
        currency=order.currency,
        amount_total=order.subtotal_minor if amount is None else amount,
        payment_intent=f"pi_test{next(_seq)}",
        charge=order.charge_id or f"ch_test{next(_seq)}",
        fee_minor=fee,
        created=int(time.time()),
    )


def deliver(platform: Platform, event_type: str, object_id: str, **fields: Any) -> GatewayEvent:
    """A gateway event recorded as the webhook view records it; its handlers run as the job runs them."""
    data = fields.pop("data", {})
    event = GatewayEvent(
        fields.pop("event_id", f"evt_test{next(_seq)}"),
        event_type,
        object_id,
        int(time.time()),
        data,
        **fields,
    )
    with platform.database.transaction() as session:
        record_event(session, platform.payments.backend_name, event, JobQueue(session, platform.jobs))
    return event


def enqueue(platform: Platform, spec: JobSpec, payload: dict[str, Any]) -> int:
    with platform.database.transaction() as session:
        return JobQueue(session, platform.jobs).enqueue(spec, payload).id


def run_jobs(platform: Platform, *, limit: int = 50) -> list[int]:
    """Run queued jobs, oldest first and without waiting for a retry's backoff, until none is left (each
    failing job is tried again until its attempts run out). Returns the ids run."""
    ran: list[int] = []
    while len(ran) < limit:
        with platform.database.transaction() as session:
            job_id = session.scalar(
                select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id).limit(1)
            )
            if job_id is None:
                return ran
            session.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow()))
        platform.executor.run(job_id)
        ran.append(job_id)
    raise AssertionError(f"jobs still queued after {limit} runs")


def job(platform: Platform, job_id: int) -> Job:
    with platform.database.session() as session:
        found = session.get(Job, job_id)
        assert found is not None
        return found
