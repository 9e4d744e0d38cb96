"""Reading screening results for curators, and whether screening can run at all (for the health check)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..releases.models import Upload, UploadStatus
from .checks.c2pa import c2pa_status
from .checks.detector import detector_name
from .interfaces import ScreeningPlatform
from .models import SEVERITY_ORDER, ScreeningCheck, ScreeningResult, ScreeningVerdict, Severity

_CHECK_ORDER = {check: n for n, check in enumerate(ScreeningCheck)}


def results_for_release(
    session: Session, release_id: int, *, current_only: bool = True
) -> list[ScreeningResult]:
    """Results per file, oldest file first and checks in a fixed order. `current_only` keeps the files in
    force (ready); without it, refused and replaced files' results are included too."""
    stmt = (
        select(ScreeningResult)
        .join(Upload, Upload.id == ScreeningResult.upload_id)
        .where(ScreeningResult.release_id == release_id)
    )
    if current_only:
        stmt = stmt.where(Upload.status == UploadStatus.READY)
    results = list(session.scalars(stmt))
    return sorted(results, key=lambda r: (r.upload_id, _CHECK_ORDER[r.check]))


def highest_severity(results: list[ScreeningResult]) -> Severity:
    """The most serious signal among `results`; an automatic refusal counts as high whatever it says."""
    worst = Severity.NONE
    for result in results:
        severity = Severity.HIGH if result.verdict is ScreeningVerdict.REJECT else result.severity
        if SEVERITY_ORDER[severity] > SEVERITY_ORDER[worst]:
            worst = severity
    return worst


def screening_health(platform: ScreeningPlatform) -> dict[str, Any]:
    """Whether each screening library can run, in the shape of the other /healthz components: the
    platform's `fingerprinter` and `music_detector` are the ones the job uses."""
    fingerprint_ok, fingerprint_detail = platform.fingerprinter.status()
    c2pa_ok, c2pa_detail = c2pa_status()
    detector = platform.music_detector
    checks = {
        "fingerprint": {"ok": fingerprint_ok, "detail": fingerprint_detail},
        "c2pa": {"ok": c2pa_ok, "detail": c2pa_detail},
        # None ships with Velvet, so its absence is not a fault; curators simply see no detector result.
        "detector": {
            "ok": True,
            "detail": (
                f"detector {detector_name(detector)}" if detector is not None else "no detector configured"
            ),
        },
    }
    problems = [str(c["detail"]) for c in checks.values() if not c["ok"]]
    detail = "; ".join(problems) if problems else f"{fingerprint_detail}; {c2pa_detail}"
    return {"ok": not problems, "backend": "screening", "detail": detail, "checks": checks}
