"""The dated status statement: whether a certified release is on sale or withdrawn, and since when, signed.

A certificate copied elsewhere keeps the statement it was published with; anyone can fetch the current one
from the site and compare the two, which is how a withdrawn release is told apart from a copied certificate.
The AI-training terms and whether the files still match the attestation change over time too, so they are
stated here, under a signature, rather than beside the signed documents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ...releases.models import Release, ReleaseStatus
from ..documents import iso_time

STATUS_TYPE = "velvet.release-status/1"
WORDS = {"approved": "on sale", "withdrawn": "withdrawn (taken down)"}


def public_status(release: Release) -> str:
    return "withdrawn" if release.status == ReleaseStatus.TAKEN_DOWN else release.status.value


def ai_training(release: Release) -> dict[str, Any]:
    return {
        "opt_in": release.ai_training_opt_in,
        "terms": release.ai_training_terms if release.ai_training_opt_in else "",
        "tdm_reservation": 0 if release.ai_training_opt_in else 1,
    }


def status_document(
    release: Release, *, attestation_sha256: str, files_current: bool, issuer: str, now: dt.datetime
) -> dict[str, Any]:
    status = public_status(release)
    since = release.approved_at if status == "approved" and release.approved_at else release.status_changed_at
    return {
        "type": STATUS_TYPE,
        "issuer": issuer,
        "release_id": release.id,
        "attestation_sha256": attestation_sha256,
        "status": status,
        "since": iso_time(since),
        "stated_at": iso_time(now),
        "files_current": files_current,
        "ai_training": ai_training(release),
    }


def describe(document: Mapping[str, Any]) -> str:
    """“on sale since 2026-03-01T10:00:00Z, as stated on 2026-04-02T08:00:00Z”."""
    status = str(document.get("status"))
    return (
        f"{WORDS.get(status, status)} since {document.get('since')}, as stated on {document.get('stated_at')}"
    )
