"""What waits for curators and label staff: the counts in the navigation, and the mail that tells them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from ..accounts.models import Label, LabelStaff, User
from ..attestations.models import Attestation
from ..attestations.signing.stakes import people_involved
from ..mail.services import MailService
from ..releases.models import Release, ReleaseStatus
from .approvals import is_platform_curator, label_review_clause, on_roster

UrlFor = Callable[..., str]
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelWaiting:
    label: Label
    countersign: int


@dataclass
class Waiting:
    """Counted on first use, so a page that does not show the navigation pays nothing."""

    session: Session
    user: User

    @cached_property
    def is_staff(self) -> bool:
        return is_platform_curator(self.user) or _quietly(lambda: bool(self.user.label_memberships), False)

    @cached_property
    def is_artist(self) -> bool:
        return _quietly(lambda: bool(self.user.artist_memberships), False)

    @cached_property
    def review(self) -> int:
        return _quietly(self._review, 0)

    @cached_property
    def countersign(self) -> list[LabelWaiting]:
        return _quietly(self._countersign, [])

    def _review(self) -> int:
        """Releases in the review queue this person sees: one query."""
        stmt = select(func.count(Release.id)).where(Release.status == ReleaseStatus.IN_REVIEW)
        if not is_platform_curator(self.user):
            stmt = stmt.where(label_review_clause(self.user))
        return self.session.scalar(stmt) or 0

    def _countersign(self) -> list[LabelWaiting]:
        """For each label this person staffs, its releases whose latest attestation awaits the label's
        countersignature: one query for all of them."""
        if not self.user.label_memberships:
            return []
        labels = list(
            self.session.scalars(
                select(Label)
                .join(LabelStaff, LabelStaff.label_id == Label.id)
                .where(LabelStaff.user_id == self.user.id)
                .order_by(Label.name)
            )
        )
        later = aliased(Attestation)
        latest = (
            select(func.max(later.id))
            .where(later.release_id == Release.id)
            .correlate(Release)
            .scalar_subquery()
        )
        counted: dict[int | None, int] = {
            label_id: count
            for label_id, count in self.session.execute(
                select(Attestation.label_id, func.count(Attestation.id))
                .join(Release, Release.id == Attestation.release_id)
                .where(
                    Attestation.id == latest,
                    Attestation.label_id.in_([label.id for label in labels]),
                    Attestation.label_id == Release.label_id,
                    Attestation.label_countersigned_at.is_(None),
                )
                .group_by(Attestation.label_id)
            )
        }
        return [LabelWaiting(label, counted.get(label.id, 0)) for label in labels]


def _quietly(count: Callable[[], T], fallback: T) -> T:
    """The navigation is drawn on error pages too, where the request's transaction may have failed: a
    count that cannot be had then is left out rather than turning the error page into another error."""
    try:
        return count()
    except SQLAlchemyError:
        log.warning("could not count the work waiting in the navigation", exc_info=True)
        return fallback


def waiting_for(session: Session, user: User | None) -> Waiting | None:
    return Waiting(session, user) if user is not None else None


def _addresses(users: list[User], leave_out: set[int]) -> list[str]:
    seen: dict[str, None] = {}
    for user in users:
        if user.is_active and user.id not in leave_out:
            seen.setdefault(user.email, None)
    return list(seen)


def tell_reviewers(session: Session, mail: MailService, release: Release, url_for: UrlFor) -> None:
    """On submission: mail the platform curators and the label staff who may review it, never the people
    involved in the release (they may not decide on it)."""
    involved = set(people_involved(release))
    curators = list(session.scalars(select(User).where(User.is_admin.is_(True), User.deleted_at.is_(None))))
    staff: list[User] = []
    if release.label is not None and on_roster(release.label_id, release.artist):
        staff = [s.user for s in release.label.staff]
    link = url_for("curation.review", release_id=release.id)
    for address in _addresses(curators + staff, involved):
        mail.send(
            "review_waiting",
            address,
            f"“{release.title}” waits for review",
            "review_waiting",
            release=release,
            link=link,
        )
