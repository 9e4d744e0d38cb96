"""Screening results as the screening job leaves them, for tests that need a file screened (or not)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storefront.db import commit
from storefront.releases.models import Upload
from storefront.screening.models import ScreeningCheck, ScreeningResult, ScreeningVerdict, Severity


def record_result(
    session: Session,
    upload: Upload,
    *,
    check: ScreeningCheck = ScreeningCheck.C2PA,
    verdict: ScreeningVerdict = ScreeningVerdict.PASS,
    severity: Severity = Severity.NONE,
    summary: str = "No content credentials in the file.",
) -> ScreeningResult:
    result = ScreeningResult(
        upload_id=upload.id,
        release_id=upload.release_id,
        artist_id=upload.artist_id,
        check=check,
        verdict=verdict,
        severity=severity,
        summary=summary,
        evidence={},
    )
    session.add(result)
    commit(session)
    return result
