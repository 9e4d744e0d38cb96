"""What pages show of a release's attestation, computed by the views and handed to the templates as data."""

from __future__ import annotations

from typing import Any

from flask import url_for

from ..db import get_session
from ..releases.models import Release, ReleaseStatus
from ..screening.state import release_screening
from ..web.services import find_service
from .documents import credits_by_element, disclosure_rows
from .models import Attestation
from .policy import AI_USE_LABELS, ELEMENTS, TECHNIQUE_NAMES
from .services import AttestationService
from .verification import bound_files


def document_view(document: dict[str, Any]) -> dict[str, Any]:
    """What the templates show of a signed document, computed once."""
    return {
        "doc": document,
        "rows": disclosure_rows(document),
        "credits": credits_by_element(document),
        "elements": ELEMENTS,
        "files": bound_files(document),
        "ai_labels": {k.value: v for k, v in AI_USE_LABELS.items()},
        "technique_names": TECHNIQUE_NAMES,
    }


def badge_info(release: Release) -> dict[str, Any] | None:
    """The human-made badge of an approved, certified release; None when it has none to show."""
    if release.status != ReleaseStatus.APPROVED:
        return None
    attestation = find_service(AttestationService).certified(release)
    if attestation is None:
        return None
    return {
        "url": url_for("provenance.certificate_page", release_id=release.id),
        "version": attestation.policy_version,
        "embodied": attestation.is_embodied,
    }


def attestation_state(release: Release, attestation: Attestation | None = None) -> dict[str, Any]:
    """The release's current (or the given) attestation, why it is out of date, and its document."""
    service = find_service(AttestationService)
    attestation = attestation or service.current(release)
    if attestation is None:
        return {"attestation": None, "stale": [], "view": None}
    return {
        "attestation": attestation,
        "stale": service.stale_reasons(release, attestation),
        "view": document_view(attestation.document),
    }


def workspace_panel(release: Release) -> dict[str, Any]:
    """The workspace's attestation panel, with what screening made of the files the artist will sign for."""
    return {"state": attestation_state(release), "screened": release_screening(get_session(), release)}
