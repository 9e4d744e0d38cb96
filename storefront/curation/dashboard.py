"""The artist's dashboard: every release of the artists they belong to, its state and what it needs next,
this month's sales and plays, where payouts stand, and the curators' latest messages."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.access import current_user
from ..accounts.models import Artist, ArtistMember, LabelStaff, RosterLink
from ..db import get_session
from ..releases.models import Release, ReleaseStatus
from ..studio.figures import figures
from ..web.access import LOGGED_IN, access
from ..web.services import find_service
from .models import Decision, ReviewDecision
from .services import CurationService

bp = Blueprint("dashboard", __name__)

# What a release in each settled state waits for; drafts are asked in detail (files, attestation).
_NEXT = {
    ReleaseStatus.IN_REVIEW: "Waiting for a curator's decision; we'll write when there is one.",
    ReleaseStatus.APPROVED: "On sale. Nothing to do.",
    ReleaseStatus.REJECTED: "Not accepted: read the curator's reason; you may appeal once within 30 days.",
    ReleaseStatus.TAKEN_DOWN: "Taken down: read the curator's reason; you may appeal once within 30 days.",
}


# The curators' latest words shown for each artist: enough to act on, bounded.
MESSAGES_SHOWN = 5
_TO_ACT_ON = (Decision.REQUEST_CHANGES, Decision.REJECT, Decision.TAKE_DOWN)


@dataclass(frozen=True)
class DashboardRow:
    release: Release
    next_steps: list[str]


def _next_steps(release: Release) -> list[str]:
    if release.status in _NEXT:
        return [_NEXT[release.status]]
    problems = find_service(CurationService).submission_problems(release)
    if not problems:
        return ["Ready: submit it for review."]
    lead = (
        ["Make the changes the curator asked for."]
        if release.status is ReleaseStatus.CHANGES_REQUESTED
        else []
    )
    return lead + problems[:3] + ([f"… and {len(problems) - 3} more."] if len(problems) > 3 else [])


def _curator_messages(session: Session, ids: list[int]) -> dict[int, list[tuple[ReviewDecision, Release]]]:
    """Each artist's latest decisions that carry words or ask for something, in one query."""
    ranked = (
        select(
            ReviewDecision.id,
            func.row_number()
            .over(
                partition_by=Release.artist_id,
                order_by=(ReviewDecision.created_at.desc(), ReviewDecision.id.desc()),
            )
            .label("rank"),
        )
        .join(Release, Release.id == ReviewDecision.release_id)
        .where(
            Release.artist_id.in_(ids),
            (ReviewDecision.message != "") | ReviewDecision.decision.in_(_TO_ACT_ON),
        )
        .subquery()
    )
    found: dict[int, list[tuple[ReviewDecision, Release]]] = {artist_id: [] for artist_id in ids}
    rows = session.execute(
        select(ReviewDecision, Release)
        .join(ranked, ranked.c.id == ReviewDecision.id)
        .join(Release, Release.id == ReviewDecision.release_id)
        .where(ranked.c.rank <= MESSAGES_SHOWN)
        .order_by(ReviewDecision.created_at.desc(), ReviewDecision.id.desc())
    )
    for decision, release in rows:
        found[release.artist_id].append((decision, release))
    return found


def _managed_artists(session: Session, user_id: int) -> list[Artist]:
    """Artists whose releases the user manages as staff of a label they agreed to (on its active roster)."""
    managing = (
        select(RosterLink.artist_id)
        .join(LabelStaff, LabelStaff.label_id == RosterLink.label_id)
        .where(
            LabelStaff.user_id == user_id,
            RosterLink.label_manages.is_(True),
            RosterLink.active_clause(),
        )
    )
    return list(session.scalars(select(Artist).where(Artist.id.in_(managing)).order_by(Artist.name)))


@bp.get("/dashboard")
@access(LOGGED_IN)
def index() -> str:
    user = current_user()
    assert user is not None  # the rule requires a signed-in user
    session = get_session()
    artists = list(
        session.scalars(
            select(Artist)
            .join(ArtistMember, ArtistMember.artist_id == Artist.id)
            .where(ArtistMember.user_id == user.id)
            .order_by(Artist.name)
        )
    )
    managed = [a for a in _managed_artists(session, user.id) if a not in artists]
    releases = list(
        session.scalars(
            select(Release)
            .where(Release.artist_id.in_([a.id for a in [*artists, *managed]]))
            .order_by(Release.status_changed_at.desc(), Release.id.desc())
        )
    )
    rows = {
        a.id: [DashboardRow(r, _next_steps(r)) for r in releases if r.artist_id == a.id]
        for a in [*artists, *managed]
    }
    ids = [a.id for a in artists]
    return render_template(
        "dashboard/index.html",
        artists=artists,
        managed=managed,
        rows=rows,
        figures=figures(session, ids),
        messages=_curator_messages(session, ids),
    )
