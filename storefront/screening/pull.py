"""Taking an approved release off sale when screening refuses or seriously flags one of its files late."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import utcnow
from ..events import record_event
from ..jobs.interfaces import JobQueue
from ..mail.services import MailService, render_outside_request
from ..releases.models import Release, ReleaseStatus
from .checks.base import Outcome
from .interfaces import ScreeningPlatform
from .models import ScreeningVerdict, Severity


def pulls_from_sale(outcome: Outcome) -> bool:
    """A refusal, or a high-severity flag: what no certificate may stand beside without a second look."""
    return outcome.verdict is ScreeningVerdict.REJECT or (
        outcome.verdict is ScreeningVerdict.FLAG and outcome.severity is Severity.HIGH
    )


def pull_from_sale(
    session: Session,
    platform: ScreeningPlatform,
    release_id: int,
    filename: str,
    outcomes: Sequence[Outcome],
) -> bool:
    """Put an approved release back in review when `outcomes` hold a refusal or a high finding, and tell
    its artist and the platform's curators. True when the release was pulled."""
    serious = [o for o in outcomes if pulls_from_sale(o)]
    release = session.get(Release, release_id)
    if not serious or release is None or release.status is not ReleaseStatus.APPROVED:
        return False
    now = utcnow()
    release.status, release.status_changed_at = ReleaseStatus.IN_REVIEW, now
    findings = [o.summary for o in serious]
    record_event(
        session,
        "release:screening_pulled",
        subject_type="release",
        subject_id=release.id,
        actor_id=None,
        data={"file": filename, "checks": [o.check.value for o in serious], "findings": findings},
    )
    base = str(platform.settings.base_url).rstrip("/")
    mail = MailService(session, JobQueue(session, platform.jobs), render_outside_request)
    subject = f"“{release.title}” is off sale until a curator looks again"
    context = {"release": release, "filename": filename, "findings": findings}
    for member in release.artist.members:
        mail.send(
            "screening_pulled",
            member.user.email,
            subject,
            "screening_pulled",
            link=f"{base}/artists/{release.artist.slug}/releases/{release.id}",
            for_curator=False,
            **context,
        )
    curators = session.scalars(select(User).where(User.is_admin.is_(True), User.deleted_at.is_(None)))
    for curator in curators:
        mail.send(
            "screening_pulled",
            curator.email,
            subject,
            "screening_pulled",
            link=f"{base}/review/releases/{release.id}",
            for_curator=True,
            **context,
        )
    return True
