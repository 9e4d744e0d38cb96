"""Review of releases: submission, the queue, decisions, reports, takedowns with refunds, and appeals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.services import Actor
from ..db import utcnow
from ..errors import RuleError
from ..events import record_event
from ..jobs.interfaces import JobQueue, JobRegistry
from ..jobs.runner import JobContext
from ..mail.services import MailService
from ..payments.interfaces import GatewayError, RefundResult
from ..releases.models import Release, ReleaseStatus, UploadStatus
from ..screening.state import release_screening
from ..search.indexer import enqueue_reindex
from .approvals import appeal_refusal, decision_refusal, is_platform_curator, label_review_clause
from .models import (
    Appeal,
    AppealStatus,
    Decision,
    ReasonCode,
    RefundRequest,
    RefundStatus,
    Report,
    ReportStatus,
    ReviewDecision,
)
from .publication import PublicationHooks
from .takedown import REFUND_JOB, enqueue_settlement
from .takedown import register_jobs as register_takedown_jobs
from .waiting import tell_reviewers

APPEAL_DAYS = 30
# What each decision makes of the release.
_OUTCOME = {
    Decision.APPROVE: ReleaseStatus.APPROVED,
    Decision.REQUEST_CHANGES: ReleaseStatus.CHANGES_REQUESTED,
    Decision.REJECT: ReleaseStatus.REJECTED,
    Decision.TAKE_DOWN: ReleaseStatus.TAKEN_DOWN,
}
Readiness = Callable[[Release], list[str]]
UrlFor = Callable[..., str]


class CurationError(RuleError):
    """A review step the curation rules refuse."""


def files_missing(release: Release) -> list[str]:
    missing = []
    if not release.tracks:
        missing.append("Add at least one track.")
    for track in release.tracks:
        if track.master is None:
            missing.append(f"Track {track.position} (“{track.title}”) has no checked master.")
    if release.artwork is None:
        missing.append("Add the cover artwork.")
    if any(u.status in (UploadStatus.AWAITING, UploadStatus.VALIDATING) for u in release.uploads):
        missing.append("Wait until every file has been checked.")
    return missing


@dataclass
class QueueFilter:
    label_id: int | None = None
    status: str = "in_review"  # or "reported", or "appealed"
    severity: str = ""  # "", "high", "medium", "low"


class CurationService:
    def __init__(
        self,
        session: Session,
        *,
        mail: MailService,
        queue: JobQueue,
        url_for: UrlFor,
        readiness: Readiness,
        published: PublicationHooks | None = None,
    ) -> None:
        self.session = session
        self.mail = mail
        self.jobs = queue
        self.url_for = url_for
        self.readiness = readiness
        self.published = published or PublicationHooks()

    # -- the artist's side -----------------------------------------------------------------------------
    def submission_problems(self, release: Release) -> list[str]:
        if release.status not in (ReleaseStatus.DRAFT, ReleaseStatus.CHANGES_REQUESTED):
            return [f"This release is {release.status.value.replace('_', ' ')}."]
        held = (
            [f"{release.artist.name} is held for review: {release.artist.hold_reason}"]
            if release.artist.hold_reason
            else []
        )
        waiting = release_screening(self.session, release).problems()
        return held + files_missing(release) + waiting + self.readiness(release)

    def submit(self, release: Release, actor: Actor) -> None:
        if problems := self.submission_problems(release):
            raise CurationError(" ".join(problems))
        now = utcnow()
        release.status, release.status_changed_at, release.submitted_at = ReleaseStatus.IN_REVIEW, now, now
        record_event(
            self.session,
            "release:submitted",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
        )
        tell_reviewers(self.session, self.mail, release, self.url_for)

    # -- the queue -------------------------------------------------------------------------------------
    def queue(self, reviewer: User, filters: QueueFilter) -> list[Release]:
        """Oldest first: the release that has waited longest is reviewed first."""
        stmt = select(Release)
        if filters.status == "reported":
            reported = select(Report.release_id).where(Report.status == ReportStatus.OPEN)
            stmt = stmt.where(Release.id.in_(reported))
        elif filters.status == "appealed":
            stmt = stmt.where(
                Release.id.in_(select(Appeal.release_id).where(Appeal.status == AppealStatus.OPEN))
            )
        else:
            stmt = stmt.where(Release.status == ReleaseStatus.IN_REVIEW)
        if not is_platform_curator(reviewer):
            stmt = stmt.where(label_review_clause(reviewer))
        if filters.label_id:
            stmt = stmt.where(Release.label_id == filters.label_id)
        return list(self.session.scalars(stmt.order_by(Release.status_changed_at, Release.id)))

    def history(self, release: Release) -> list[ReviewDecision]:
        stmt = select(ReviewDecision).where(ReviewDecision.release_id == release.id)
        return list(
            self.session.scalars(stmt.order_by(ReviewDecision.created_at.desc(), ReviewDecision.id.desc()))
        )

    def open_reports(self, release: Release) -> list[Report]:
        stmt = select(Report).where(Report.release_id == release.id, Report.status == ReportStatus.OPEN)
        return list(self.session.scalars(stmt.order_by(Report.created_at)))

    # -- decisions -------------------------------------------------------------------------------------
    def decide(
        self,
        release: Release,
        reviewer: User,
        actor: Actor,
        decision: Decision,
        reason: ReasonCode | None,
        message: str,
    ) -> ReviewDecision:
        if refusal := decision_refusal(reviewer, release, decision):
            raise CurationError(refusal)
        allowed = {
            Decision.APPROVE: (ReleaseStatus.IN_REVIEW,),
            Decision.REQUEST_CHANGES: (ReleaseStatus.IN_REVIEW,),
            Decision.REJECT: (ReleaseStatus.IN_REVIEW,),
            Decision.TAKE_DOWN: (ReleaseStatus.APPROVED,),
        }
        if decision not in allowed or release.status not in allowed[decision]:
            raise CurationError(
                f"A release that is {release.status.value.replace('_', ' ')} can't get this decision."
            )
        message = message.strip()
        if decision in (Decision.REJECT, Decision.TAKE_DOWN) and reason is None:
            raise CurationError("Choose the reason from the list.", "reason")
        if decision != Decision.APPROVE and not message:
            raise CurationError("Write a message for the artist: what is wrong and what to do.", "message")
        if decision == Decision.APPROVE and self.readiness(release):
            raise CurationError(
                "The attestation no longer matches the release: " + " ".join(self.readiness(release))
            )
        if decision == Decision.APPROVE and (waiting := release_screening(self.session, release).problems()):
            # Approval makes the platform sign; it never signs for a file nobody has screened unless a
            # curator has said why on the record (the override shows on the certificate).
            raise CurationError(" ".join(waiting) + " Or record why it may go ahead without screening.")
        record = ReviewDecision(
            release_id=release.id, reviewer_id=reviewer.id, decision=decision, reason=reason, message=message
        )
        self.session.add(record)
        now = utcnow()
        release.status, release.status_changed_at = _OUTCOME[decision], now
        if decision == Decision.APPROVE:
            release.approved_at = now
            self.published.run(self.jobs, release)
        if decision in (Decision.APPROVE, Decision.TAKE_DOWN):
            enqueue_reindex(self.jobs, release.id)
        for report in self.open_reports(release):
            report.status = ReportStatus.RESOLVED if decision == Decision.TAKE_DOWN else report.status
            report.resolved_at = now if decision == Decision.TAKE_DOWN else report.resolved_at
        self.session.flush()
        record_event(
            self.session,
            f"release:{decision.value}",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"decision_id": record.id, "reason": reason.value if reason else None},
        )
        self._tell_artist(release, record)
        if decision == Decision.TAKE_DOWN:
            self._settle_buyers(release, record)
        return record

    def _tell_artist(self, release: Release, record: ReviewDecision) -> None:
        link = self.url_for(
            "releases.workspace_page", slug=release.artist.slug, release_id=release.id, step="review"
        )
        subject = {
            Decision.APPROVE: f"“{release.title}” is approved and on sale",
            Decision.REQUEST_CHANGES: f"Changes requested for “{release.title}”",
            Decision.REJECT: f"“{release.title}” was not accepted",
            Decision.TAKE_DOWN: f"“{release.title}” was taken down",
        }[record.decision]
        for member in release.artist.members:
            self.mail.send(
                f"review_{record.decision.value}",
                member.user.email,
                subject,
                "review_decision",
                release=release,
                decision=record,
                link=link,
                appeal_days=APPEAL_DAYS,
            )

    def _settle_buyers(self, release: Release, record: ReviewDecision) -> None:
        """Buyers are told, revoked and refunded by a job, so the takedown does not wait on each of them;
        nobody can download from a release that is taken down meanwhile."""
        enqueue_settlement(self.jobs, release.id, record.id)

    # -- reports ---------------------------------------------------------------------------------------
    def report(self, release: Release, reporter: User, actor: Actor, reason: str, details: str) -> Report:
        try:
            reason_ = ReasonCode(reason)
        except ValueError:
            raise CurationError("Choose a reason from the list.", "reason") from None
        if len(details.strip()) < 10:
            raise CurationError("Tell us in a sentence or two what you noticed.", "details")
        report = Report(
            release_id=release.id, reporter_id=reporter.id, reason=reason_, details=details.strip()
        )
        self.session.add(report)
        self.session.flush()
        record_event(
            self.session,
            "release:reported",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"report_id": report.id},
        )
        return report

    def dismiss_report(self, report: Report, reviewer: User) -> None:
        report.status, report.resolved_at, report.resolved_by_id = (
            ReportStatus.DISMISSED,
            utcnow(),
            reviewer.id,
        )

    # -- appeals ---------------------------------------------------------------------------------------
    def appealable(self, release: Release) -> ReviewDecision | None:
        """The rejection or takedown that may still be appealed, if any."""
        if release.status not in (ReleaseStatus.REJECTED, ReleaseStatus.TAKEN_DOWN):
            return None
        latest = next(iter(self.history(release)), None)
        if latest is None or latest.created_at < utcnow() - timedelta(days=APPEAL_DAYS):
            return None
        taken = self.session.scalar(select(Appeal.id).where(Appeal.decision_id == latest.id))
        return None if taken is not None else latest

    def appeal(self, release: Release, appellant: User, actor: Actor, text: str) -> Appeal:
        decision = self.appealable(release)
        if decision is None:
            raise CurationError(f"Decisions can be appealed once, within {APPEAL_DAYS} days.")
        if len(text.strip()) < 20:
            raise CurationError("Explain why the decision is wrong, with what shows it.", "text")
        appeal = Appeal(
            release_id=release.id, decision_id=decision.id, appellant_id=appellant.id, text=text.strip()
        )
        self.session.add(appeal)
        self.session.flush()
        record_event(
            self.session,
            "release:appealed",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"appeal_id": appeal.id},
        )
        return appeal

    def decide_appeal(
        self, appeal: Appeal, reviewer: User, actor: Actor, *, overturn: bool, answer: str
    ) -> None:
        if refusal := appeal_refusal(reviewer, appeal.release):
            raise CurationError(refusal)
        if appeal.status != AppealStatus.OPEN:
            raise CurationError("This appeal is already decided.")
        if not answer.strip():
            raise CurationError("Write the answer the artist will read.", "answer")
        appeal.status = AppealStatus.OVERTURNED if overturn else AppealStatus.UPHELD
        appeal.decided_at, appeal.decided_by_id, appeal.answer = utcnow(), reviewer.id, answer.strip()
        release = appeal.release
        if overturn:
            back = (
                ReleaseStatus.APPROVED
                if release.status == ReleaseStatus.TAKEN_DOWN
                else ReleaseStatus.IN_REVIEW
            )
            record = ReviewDecision(
                release_id=release.id,
                reviewer_id=reviewer.id,
                decision=Decision.REINSTATE,
                reason=None,
                message=answer.strip(),
            )
            self.session.add(record)
            release.status, release.status_changed_at = back, utcnow()
            enqueue_reindex(self.jobs, release.id)
            if back == ReleaseStatus.APPROVED:
                self.published.run(self.jobs, release)
        record_event(
            self.session,
            "release:appeal_decided",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            data={"appeal_id": appeal.id, "overturned": overturn},
        )

    # -- the public log ----------------------------------------------------------------------------------
    def public_log(self, limit: int = 100) -> list[ReviewDecision]:
        public = (Decision.APPROVE, Decision.REJECT, Decision.TAKE_DOWN, Decision.REINSTATE)
        stmt = (
            select(ReviewDecision)
            .where(ReviewDecision.decision.in_(public))
            .order_by(ReviewDecision.created_at.desc(), ReviewDecision.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))


def request_refund(context: JobContext, payload: dict[str, Any]) -> None:
    with context.database.transaction() as session:
        refund = session.get(RefundRequest, int(payload["refund_id"]))
        if refund is None or refund.status != RefundStatus.REQUESTED:
            return
        # Not "velvet-refund-<id>": that names the refunds of order lines, numbered apart from these.
        reference, amount = refund.payment_reference, refund.amount_minor
        key = f"velvet-takedown-refund-{refund.id}"
    final = False
    try:
        result = context.services.payments.refund(reference, amount, idempotency_key=key)
    except GatewayError as exc:
        if exc.retryable and context.attempt < 5:
            raise
        result, final = RefundResult(reference="", status=f"failed: {exc}"), True
    if result.status.startswith("failed") and context.attempt < 5 and not final:
        raise RuntimeError(f"the payment gateway refused the refund: {result.status}")
    with context.database.transaction() as session:
        refund = session.get(RefundRequest, int(payload["refund_id"]))
        if refund is not None:
            refund.gateway_reference = result.reference or None
            refund.status = (
                RefundStatus.FAILED if result.status.startswith("failed") else RefundStatus.REFUNDED
            )


def register_jobs(registry: JobRegistry) -> None:
    registry.add(REFUND_JOB, request_refund)
    register_takedown_jobs(registry)
