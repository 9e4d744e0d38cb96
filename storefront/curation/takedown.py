"""Settling a takedown with its buyers by job: each buyer is told, loses the rights and is refunded once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..jobs.interfaces import JobQueue, JobRegistry, JobSpec
from ..jobs.runner import JobContext
from ..mail.services import MailService, render_outside_request
from ..orders.gifts.service import withdraw_unclaimed
from ..orders.models import Entitlement, EntitlementSource, OrderLine
from ..orders.refunds import RefundService
from ..releases.models import Release, ReleaseStatus
from .models import RefundRequest

SETTLE_JOB = JobSpec("curation.settle_takedown")
# Its handler, which asks the payment gateway, lives with the other refund work in curation.services.
REFUND_JOB = JobSpec("curation.request_refund")
# Buyers settled per transaction: small enough to keep each commit short, large enough to keep the job
# from taking one round trip per buyer.
BATCH = 100


def enqueue_settlement(queue: JobQueue, release_id: int, decision_id: int) -> None:
    """The takedown's request only queues this, so it costs the same with one buyer or ten thousand.
    Downloads stop at once all the same: nothing is downloadable from a release that is taken down."""
    queue.enqueue(
        SETTLE_JOB,
        {"release_id": release_id, "decision_id": decision_id},
        dedupe_key=f"takedown:{decision_id}",
    )


def _settle(session: Session, services: Any, release: Release, holders: list[Entitlement]) -> None:
    """Revoke, tell and (for purchases) record and ask for the refund, in the caller's transaction.

    The revocation is the mark that this buyer is settled: it commits with the mail and the refund, so a
    job run again after a crash picks up only the buyers it had not reached. A purchase made through an
    order is refunded like any other refund of its line (what is left of it, the payee's share taken back);
    an older purchase known only by its payment reference keeps its own refund request."""
    queue = JobQueue(session, services.jobs)
    mail = MailService(session, queue, render_outside_request)
    refunds: list[RefundRequest] = []
    sold: list[int] = []
    for entitlement in holders:
        entitlement.revoked_at = utcnow()
        entitlement.revoked_reason = "release taken down"
        mail.send(
            "takedown_notice",
            entitlement.user.email,
            f"“{release.title}” was withdrawn",
            "takedown_notice",
            release=release,
            entitlement=entitlement,
        )
        # A claimed gift was paid for by its giver: the line is refunded to them like a purchase.
        if entitlement.source not in (EntitlementSource.PURCHASE, EntitlementSource.GIFT):
            continue
        if entitlement.order_line_id is not None:
            sold.append(entitlement.order_line_id)
            continue
        if not entitlement.payment_reference:
            continue
        refund = RefundRequest(
            release_id=release.id,
            buyer_id=entitlement.user_id,
            payment_reference=entitlement.payment_reference,
            amount_minor=entitlement.amount_minor,
            currency=entitlement.currency,
        )
        session.add(refund)
        refunds.append(refund)
    session.flush()
    _refund_lines(session, queue, mail, sold)
    # Each refund is on record before the gateway is asked, by a job that retries until it gets an answer;
    # the idempotency key keeps a retry from refunding twice.
    for refund in refunds:
        queue.enqueue(REFUND_JOB, {"refund_id": refund.id}, dedupe_key=f"refund:{refund.id}")


def _refund_lines(session: Session, queue: JobQueue, mail: MailService, line_ids: list[int]) -> None:
    service = RefundService(session, queue=queue, mail=mail)
    for line_id in line_ids:
        line = session.get(OrderLine, line_id)
        # Already refunded, held by a dispute, or never paid: nothing is owed through this line.
        if line is None or service.refusal(line) is not None:
            continue
        service.refund_line(line, service.refundable(line), reason="takedown", by=None)


def settle_takedown(context: JobContext, payload: dict[str, Any]) -> None:
    release_id = int(payload["release_id"])
    while True:
        # Committed only while this worker holds the job: a worker that stalled past its lease cannot
        # settle a batch that the worker which took over has settled already.
        with context.transaction() as session:
            release = session.get(Release, release_id)
            if release is None or release.status != ReleaseStatus.TAKEN_DOWN:
                return  # reinstated on appeal before the buyers were reached: they keep what they bought
            holders = list(
                session.scalars(
                    select(Entitlement)
                    .where(Entitlement.release_id == release_id, Entitlement.revoked_at.is_(None))
                    .order_by(Entitlement.id)
                    .limit(BATCH)
                )
            )
            if not holders:
                queue = JobQueue(session, context.services.jobs)
                mail = MailService(session, queue, render_outside_request)
                withdraw_unclaimed(session, release_id, RefundService(session, queue=queue, mail=mail))
                return
            _settle(session, context.services, release, holders)


def register_jobs(registry: JobRegistry) -> None:
    registry.add(SETTLE_JOB, settle_takedown)
