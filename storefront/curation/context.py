"""What the curation pages, the artist's workspace and the navigation show, computed here as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ..accounts.models import User
from ..attestations.pages import attestation_state
from ..db import get_session
from ..releases.models import Release
from ..screening.interfaces import ScreeningPlatform
from ..screening.queries import screening_health
from ..screening.state import ReleaseScreening, release_screening
from ..web.services import find_service
from .models import REASON_LABELS
from .services import CurationService
from .waiting import LabelWaiting, Waiting


class ReviewPanels:
    """Screening and attestation as the reviewer sees them, each asked once per page."""

    def __init__(self) -> None:
        self._state: dict[int, ReleaseScreening] = {}

    def screened(self, release: Release) -> ReleaseScreening:
        if release.id not in self._state:
            self._state[release.id] = release_screening(get_session(), release)
        return self._state[release.id]

    def severity(self, release: Release) -> str:
        """The queue's screening column: "unscreened" (files still waiting) is never shown as "none"."""
        return self.screened(release).severity

    def health(self) -> dict[str, Any]:
        return screening_health(find_service(ScreeningPlatform))

    def for_release(self, release: Release) -> dict[str, Any]:
        """The review page's panels: the attestation, whether screening can run here, the files' results."""
        return {
            "attestation": attestation_state(release),
            "health": self.health(),
            "screened": self.screened(release),
        }


def review_panels() -> ReviewPanels:
    return ReviewPanels()


def review_state(release: Release) -> dict[str, Any]:
    """What the workspace shows of review: can it be submitted, what was decided, can it be appealed."""
    service = find_service(CurationService)
    history = service.history(release)
    return {
        "problems": service.submission_problems(release),
        "latest": history[0] if history else None,
        "appealable": service.appealable(release) is not None,
        "reasons": REASON_LABELS,
    }


@dataclass(frozen=True)
class Navigation:
    """What the navigation shows a signed-in person: their releases, and the work waiting for them."""

    is_artist: bool
    is_staff: bool
    review: int = 0
    countersign: list[LabelWaiting] = field(default_factory=list)


def navigation(session: Session, user: User) -> Navigation:
    """Counted only for staff: anyone else sees no review or countersignature links."""
    waiting = Waiting(session, user)
    if not waiting.is_staff:
        return Navigation(is_artist=waiting.is_artist, is_staff=False)
    return Navigation(
        is_artist=waiting.is_artist, is_staff=True, review=waiting.review, countersign=waiting.countersign
    )
