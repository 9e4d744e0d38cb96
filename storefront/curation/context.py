"""Building the curation service for a request, and what the review pages show from the provenance room."""

from __future__ import annotations

from typing import Any

from ..db import get_session
from ..releases.models import Release
from ..screening.models import ScreeningResult
from ..screening.queries import results_for_release, screening_health
from ..screening.state import ReleaseScreening, release_screening
from ..web.context import external_url, job_queue, mail_service, platform
from .services import CurationService


def submission_readiness(release: Release) -> list[str]:
    """What the attestation still needs before the release can be reviewed (signature, freshness)."""
    from ..attestations.services import attestation_service

    return attestation_service().ready_for_review(release)


def curation_service() -> CurationService:
    return CurationService(
        get_session(),
        mail=mail_service(),
        queue=job_queue(),
        url_for=external_url,
        readiness=submission_readiness,
    )


class ReviewPanels:
    """Screening and attestation as the reviewer sees them, asked once per page."""

    def __init__(self) -> None:
        self._results: dict[int, list[ScreeningResult]] = {}
        self._state: dict[int, ReleaseScreening] = {}

    def screening(self, release: Release) -> list[ScreeningResult]:
        if release.id not in self._results:
            self._results[release.id] = results_for_release(get_session(), release.id)
        return self._results[release.id]

    def severity(self, release: Release) -> str:
        """The queue's screening column: "unscreened" (files still waiting) is never shown as "none"."""
        return self.screened(release).severity

    def screened(self, release: Release) -> ReleaseScreening:
        if release.id not in self._state:
            self._state[release.id] = release_screening(get_session(), release)
        return self._state[release.id]

    def health(self) -> dict[str, Any]:
        return screening_health(platform())

    def attestation(self, release: Release) -> Any:
        from ..attestations.services import attestation_service

        return attestation_service().current(release)


def review_panels() -> ReviewPanels:
    return ReviewPanels()
