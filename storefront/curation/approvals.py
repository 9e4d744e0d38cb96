"""Who may review a release and who may decide on it: curators, trusted labels, never the people involved."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, select

from ..accounts.models import Artist, Label, RosterLink, User
from ..attestations.signing.stakes import people_involved
from ..releases.models import Release
from .models import Decision


def is_platform_curator(user: User) -> bool:
    """The platform's own curators. Today that is the admins: the only platform-wide role accounts have."""
    return user.is_admin and user.is_active


def on_roster(label_id: int | None, artist: Artist) -> bool:
    """Whether the artist is on the label's roster right now, with both sides' consent."""
    return label_id is not None and any(
        link.label_id == label_id
        and link.ended_at is None
        and link.label_consent_at is not None
        and link.artist_consent_at is not None
        for link in artist.roster_links
    )


def roster_is_active() -> ColumnElement[bool]:
    """SQL twin of on_roster for a query over releases: the release's label has the artist on its roster."""
    return exists(
        select(RosterLink.id).where(
            RosterLink.label_id == Release.label_id,
            RosterLink.artist_id == Release.artist_id,
            RosterLink.active_clause(),
        )
    )


def reviewing_label(user: User, release: Release) -> Label | None:
    """The release's label when the user is on its staff and the artist is on its roster now.

    Read from the current roster on every call: when an artist leaves, the label's staff lose the release's
    review, evidence, downloads and takedown at once, whatever the release recorded when it was submitted.
    """
    if release.label is None or not any(s.label_id == release.label_id for s in user.label_memberships):
        return None
    return release.label if on_roster(release.label_id, release.artist) else None


def can_review(user: User, release: Release) -> bool:
    """Platform curators review everything; label staff the releases of artists on their label's roster."""
    return is_platform_curator(user) or reviewing_label(user, release) is not None


def label_review_clause(user: User) -> ColumnElement[bool]:
    """SQL filter of the releases a label staff member may review (used by the queue)."""
    labels = [s.label_id for s in user.label_memberships]
    return and_(Release.label_id.in_(labels), roster_is_active())


def conflict_of_interest(user: User, release: Release) -> str | None:
    """Why this person must not judge the release, or None. Checked on the person, whatever their role."""
    how = people_involved(release).get(user.id)
    if how is None:
        return None
    return f"You {how}, so you can't decide on it; another curator will."


def approval_refusal(user: User, release: Release) -> str | None:
    """Why this person's approval can't make the platform sign a certificate for the release, or None."""
    if conflict := conflict_of_interest(user, release):
        return conflict
    if is_platform_curator(user):
        return None
    label = reviewing_label(user, release)
    if label is None:
        return "You can't review this release."
    if label.verified_at is None or not label.trusted_to_approve:
        return (
            f"{label.name} is not trusted by the platform to approve releases, so a platform curator "
            "approves this one. You can still request changes or reject it."
        )
    return None


def decision_refusal(user: User, release: Release, decision: Decision) -> str | None:
    """Why this person may not record this decision on the release, or None."""
    if not can_review(user, release):
        return "You can't review this release."
    if decision in (Decision.APPROVE, Decision.REINSTATE):
        if release.artist.hold_reason:
            return (
                f"{release.artist.name} is held for review: {release.artist.hold_reason} "
                "Clear the hold before approving."
            )
        return approval_refusal(user, release)
    return conflict_of_interest(user, release)


def appeal_refusal(user: User, release: Release) -> str | None:
    """Appeals are decided by platform curators who have no stake in the release."""
    if not is_platform_curator(user):
        return "Appeals are decided by platform curators."
    return conflict_of_interest(user, release)
