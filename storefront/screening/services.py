"""The job that screens an accepted master before a curator sees it, storing each check's result."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..db import after_commit, utcnow
from ..events import record_event
from ..jobs.interfaces import JobRegistry
from ..jobs.runner import JobContext
from ..releases.models import Upload, UploadKind, UploadStatus
from ..releases.uploads.validation import restore_replaced
from ..storage.interfaces import ObjectStorage
from . import fingerprint as fp
from .catalog import (
    ALGORITHM,
    CatalogSearch,
    ChromaprintFingerprinter,
    FarmRules,
    Fingerprinter,
    check_content_farm,
    fingerprint_outcome,
    search_catalog,
    weigh_content_farm,
)
from .checks import MusicDetector, Outcome, Subject, check_c2pa, check_detector, check_metadata, unavailable
from .models import Fingerprint, ScreeningCheck, ScreeningResult, ScreeningVerdict
from .pull import pull_from_sale, pulls_from_sale

log = logging.getLogger(__name__)
SCREEN_JOB = "provenance.screen_upload"
# Matches the job's default number of attempts: on the last one, checks that could not run are recorded
# as unavailable instead of leaving the file with no results at all.
GIVE_UP_AFTER = 5
_CHUNK = 1024 * 1024
_DEFAULT_FINGERPRINTER = ChromaprintFingerprinter()


def fingerprinter_for(services: object) -> Fingerprinter:
    """The platform's `fingerprinter` if it has one (another library, a fake in tests), else Chromaprint."""
    found: Fingerprinter | None = getattr(services, "fingerprinter", None)
    return found if found is not None else _DEFAULT_FINGERPRINTER


def detector_for(services: object) -> MusicDetector | None:
    found: MusicDetector | None = getattr(services, "music_detector", None)
    return found


@dataclass(frozen=True)
class Printed:
    """A fingerprint computed for the file and what the catalog held when it was first compared."""

    query: fp.Fingerprint
    search: CatalogSearch
    duration: float


def screen_upload(context: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: every result is keyed by (upload, check) and replaced, the fingerprint too."""
    upload_id = int(payload["upload_id"])
    with context.database.session() as session:
        subject = _subject(session, upload_id)
    if subject is None:
        return
    services = context.services
    storage: ObjectStorage = services.storage
    detector = detector_for(services)
    printed: Printed | None = None
    with tempfile.TemporaryDirectory(prefix="velvet-screen-") as tmp:
        local = Path(tmp) / f"master{Path(subject.final_key).suffix}"
        problem = _fetch(storage, subject.final_key, local, context.attempt)
        if problem is None:
            outcomes, printed = _run(context, subject, local, detector)
        else:
            outcomes = _none_ran(detector, problem)
    _record(context, subject, outcomes, printed)


def _fetch(storage: ObjectStorage, key: str, dest: Path, attempt: int) -> str | None:
    """Copy the file from storage; None when done, else why it cannot be screened. A storage fault is
    raised for the job to retry, until the last attempt records it instead."""
    try:
        with storage.open(key) as source, dest.open("wb") as out:
            shutil.copyfileobj(source, out, _CHUNK)
    except FileNotFoundError:
        return "Not screened: the file is no longer in storage."
    except Exception as exc:
        if attempt < GIVE_UP_AFTER:
            raise
        return f"Not screened: the file could not be read from storage ({exc.__class__.__name__})."
    return None


def _subject(session: Session, upload_id: int) -> Subject | None:
    upload = session.get(Upload, upload_id)
    if upload is None or upload.status != UploadStatus.READY:
        return None
    if upload.kind not in (UploadKind.MASTER, UploadKind.ARTWORK):
        return None
    if not upload.final_key:
        return None
    duration = upload.info.get("duration_seconds")
    return Subject(
        upload_id=upload.id,
        artist_id=upload.artist_id,
        release_id=upload.release_id,
        track_id=upload.track_id,
        filename=upload.original_filename,
        final_key=upload.final_key,
        format=str(upload.info.get("format") or ""),
        duration=float(duration) if isinstance(duration, int | float) else 0.0,
        uploaded_by_id=upload.uploaded_by_id,
        kind=upload.kind.value,
    )


def _guarded(check: ScreeningCheck, run: Callable[[], Outcome]) -> Outcome:
    """One check's unexpected failure is recorded against it, and the other checks still run."""
    try:
        return run()
    except Exception as exc:
        log.exception("screening check %s failed", check.value)
        return unavailable(check, f"Not screened: the check failed ({exc.__class__.__name__}: {exc}).")


def _run(
    context: JobContext, subject: Subject, path: Path, detector: MusicDetector | None
) -> tuple[list[Outcome], Printed | None]:
    settings: Settings = context.services.settings
    c2pa = _guarded(ScreeningCheck.C2PA, lambda: check_c2pa(path, subject, _trust_anchors(settings)))
    if subject.kind == UploadKind.ARTWORK.value:
        # Artwork is re-encoded to a fresh JPEG on acceptance, so tags the artist's file carried are gone;
        # the stored cover is still read for credentials, which gives it a result of its own for the gate.
        return [c2pa], None
    outcomes = [c2pa, _guarded(ScreeningCheck.METADATA, lambda: check_metadata(path))]
    if outcomes[0].verdict is ScreeningVerdict.REJECT:
        return outcomes, None  # refused outright: it joins no catalog and needs no further signals
    printed = None
    try:
        query = fingerprinter_for(context.services).fingerprint(path)
        with context.database.session() as session:
            printed = Printed(query, search_catalog(session, subject, query), subject.duration)
    except fp.FingerprintUnavailable as exc:
        reason = str(exc)  # already says "not screened: ..." and how to fix it
        outcomes.append(unavailable(ScreeningCheck.FINGERPRINT, reason[:1].upper() + reason[1:] + "."))
    except fp.FingerprintError as exc:
        outcomes.append(unavailable(ScreeningCheck.FINGERPRINT, f"Not screened: {exc}."))
    rules = settings.content_farm_rules or FarmRules()
    with context.database.session() as session:
        outcomes.append(
            _guarded(
                ScreeningCheck.CONTENT_FARM, lambda: check_content_farm(session, subject, rules, utcnow())
            )
        )
    if detector is not None:
        outcomes.append(check_detector(detector, path))
    return outcomes, printed


def _trust_anchors(settings: Settings) -> str | None:
    """PEM CA certificates (such as the C2PA trust list) from STOREFRONT_C2PA_TRUST_ANCHORS_PATH."""
    where = settings.c2pa_trust_anchors_path
    return Path(where).read_text() if where else None


def _none_ran(detector: MusicDetector | None, reason: str) -> list[Outcome]:
    checks = [
        ScreeningCheck.C2PA,
        ScreeningCheck.METADATA,
        ScreeningCheck.FINGERPRINT,
        ScreeningCheck.CONTENT_FARM,
    ]
    if detector is not None:
        checks.append(ScreeningCheck.DETECTOR)
    return [unavailable(check, reason) for check in checks]


def _record(context: JobContext, subject: Subject, outcomes: list[Outcome], printed: Printed | None) -> None:
    storage: ObjectStorage = context.services.storage
    with context.database.transaction() as session:
        upload = session.get(Upload, subject.upload_id)
        if upload is None:
            return
        if printed is not None:
            # Fingerprints stored while this one was being compared: two copies sent at the same moment
            # must still meet each other.
            late = search_catalog(session, subject, printed.query, after_id=printed.search.last_id)
            outcomes = [
                *outcomes,
                fingerprint_outcome(
                    printed.search.matches + late.matches, printed.search.compared + late.compared
                ),
            ]
            _keep_fingerprint(session, subject, printed)
        outcomes = weigh_content_farm(outcomes)
        # A run repeated after approval must not pull the release again for what a curator already saw.
        known = {
            row.check
            for row in session.scalars(
                select(ScreeningResult).where(ScreeningResult.upload_id == subject.upload_id)
            )
            if pulls_from_sale(Outcome(row.check, row.verdict, row.severity))
        }
        for outcome in outcomes:
            _keep_result(session, subject, outcome)
        refusal = next((o for o in outcomes if o.verdict is ScreeningVerdict.REJECT), None)
        if refusal is not None and upload.status == UploadStatus.READY:
            _reject(session, storage, upload, refusal)
        news = [o for o in outcomes if o.check not in known]
        pull_from_sale(session, context.services, subject.release_id, subject.filename, news)


def _keep_result(session: Session, subject: Subject, outcome: Outcome) -> None:
    row = session.scalar(
        select(ScreeningResult).where(
            ScreeningResult.upload_id == subject.upload_id, ScreeningResult.check == outcome.check
        )
    )
    if row is None:
        row = ScreeningResult(upload_id=subject.upload_id, check=outcome.check)
        session.add(row)
    row.release_id = subject.release_id
    row.artist_id = subject.artist_id
    row.verdict = outcome.verdict
    row.severity = outcome.severity
    row.summary = outcome.summary
    row.evidence = outcome.evidence
    row.created_at = utcnow()


def _keep_fingerprint(session: Session, subject: Subject, printed: Printed) -> None:
    row = session.scalar(select(Fingerprint).where(Fingerprint.upload_id == subject.upload_id))
    if row is None:
        row = Fingerprint(upload_id=subject.upload_id)
        session.add(row)
    row.artist_id = subject.artist_id
    row.release_id = subject.release_id
    row.track_id = subject.track_id
    row.data = fp.encode_fingerprint(printed.query)
    row.duration = printed.duration
    row.algorithm = ALGORITHM
    row.created_at = utcnow()


def _reject(session: Session, storage: ObjectStorage, upload: Upload, refusal: Outcome) -> None:
    """HM-1 rule 1: declared AI audio is refused automatically, with the reason shown to the artist."""
    declared = refusal.evidence.get("declared") or {}
    source = declared.get("digitalSourceType") or "an AI source type"
    by = declared.get("by") or "an unnamed tool"
    upload.status = UploadStatus.REJECTED
    restored = restore_replaced(session, storage, upload)
    advice = (
        "Remove this file from the release. If the credentials are wrong (a tool wrote them "
        "without your say), export the master again without them and tell us what happened."
    )
    if restored is not None:
        advice += f" The file it was meant to replace, {restored.original_filename}, is back in its place."
    upload.problems = [
        {
            "code": "ai_declared",
            "message": f"{upload.original_filename}: its content credentials declare AI-generated audio "
            f"({source}, by {by}). Velvet sells only human-made music.",
            "advice": advice,
        }
    ]
    for key in upload.info.get("keys") or [upload.final_key]:
        if key:
            after_commit(session, partial(storage.delete, key))
    upload.final_key = None
    record_event(
        session,
        "upload:rejected",
        subject_type="release",
        subject_id=upload.release_id,
        actor_id=None,
        data={"upload_id": upload.id, "code": "ai_declared", "reasons": refusal.evidence.get("reasons", [])},
    )


def register_jobs(registry: JobRegistry) -> None:
    registry.add(SCREEN_JOB, screen_upload)
