"""The job that screens an accepted master before a curator sees it, storing each check's result."""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Database, after_commit, utcnow
from ..events import record_event
from ..jobs.interfaces import JobRegistry
from ..jobs.runner import JobContext
from ..releases.models import Upload, UploadKind, UploadStatus
from ..releases.uploads.pipeline import SCREEN_JOB, move
from ..releases.uploads.validation import restore_replaced
from ..storage.interfaces import ObjectStorage
from . import fingerprint as fp
from .catalog import ALGORITHM, Printed, search_catalog
from .checks import CHECKS
from .checks.base import Check, Given, Need, Outcome, Subject, unavailable
from .interfaces import Fingerprinter, ScreeningPlatform, platform_of
from .models import Fingerprint, ScreeningResult, ScreeningVerdict
from .pull import pull_from_sale, pulls_from_sale

log = logging.getLogger(__name__)
# Matches the job's default number of attempts: on the last one, checks that could not run are recorded
# as unavailable instead of leaving the file with no results at all.
GIVE_UP_AFTER = 5
_CHUNK = 1024 * 1024


@dataclass
class Screened:
    """What the checks found while the file was at hand; the checks needing the fingerprint search are
    settled when the results are stored."""

    outcomes: list[Outcome] = field(default_factory=list)
    printed: Printed | None = None
    settled_on_record: list[Check] = field(default_factory=list)


def screen_upload(context: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: every result is keyed by (upload, check) and replaced, the fingerprint too."""
    upload_id = int(payload["upload_id"])
    with context.database.session() as session:
        subject = _subject(session, upload_id)
    if subject is None:
        return
    platform = platform_of(context)
    with tempfile.TemporaryDirectory(prefix="velvet-screen-") as tmp:
        local = Path(tmp) / f"master{Path(subject.final_key).suffix}"
        problem = _fetch(platform.storage, subject.final_key, local, context.attempt)
        if problem is None:
            screened = _run(context.database, platform, subject, local)
        else:
            screened = Screened(_none_ran(platform, problem))
    _record(context, platform, subject, screened)


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


def _guarded(check: Check, given: Given) -> Outcome:
    """One check's unexpected failure is recorded against it, and the other checks still run."""
    try:
        return check.run(given)
    except Exception as exc:
        log.exception("screening check %s failed", check.name.value)
        return unavailable(check.name, f"Not screened: the check failed ({exc.__class__.__name__}: {exc}).")


def _configured(check: Check, platform: ScreeningPlatform) -> bool:
    return Need.DETECTOR not in check.needs or platform.music_detector is not None


def _applies(check: Check, platform: ScreeningPlatform, subject: Subject, so_far: list[Outcome]) -> bool:
    if UploadKind(subject.kind) not in check.kinds or not _configured(check, platform):
        return False
    refused = any(o.verdict is ScreeningVerdict.REJECT for o in so_far)
    return check.runs_on_refused or not refused


def _run(database: Database, platform: ScreeningPlatform, subject: Subject, path: Path) -> Screened:
    """Every check that applies, in the registered order, with what it needs."""
    screened = Screened()
    given = Given(subject, platform.settings, file=path, music_detector=platform.music_detector)
    unprinted: str | None = None
    for check in CHECKS:
        if not _applies(check, platform, subject, screened.outcomes):
            continue
        if Need.PRINT in check.needs:
            if screened.printed is None and unprinted is None:
                screened.printed, unprinted = _print(database, platform.fingerprinter, subject, path)
            if unprinted is not None:
                screened.outcomes.append(unavailable(check.name, unprinted))
            else:
                screened.settled_on_record.append(check)
        elif Need.CATALOG in check.needs:
            with database.session() as session:
                screened.outcomes.append(_guarded(check, replace(given, catalog=session)))
        else:
            screened.outcomes.append(_guarded(check, given))
    return screened


def _print(
    database: Database, fingerprinter: Fingerprinter, subject: Subject, path: Path
) -> tuple[Printed | None, str | None]:
    """The file's fingerprint and its matches in the catalog, or why it has none."""
    try:
        prints = fingerprinter.fingerprints(path)
        with database.session() as session:
            search = search_catalog(session, subject, prints.own, shifted=prints.shifted)
            return Printed(prints, search, subject.duration), None
    except fp.FingerprintUnavailable as exc:
        reason = str(exc)  # already says "not screened: ..." and how to fix it
        return None, reason[:1].upper() + reason[1:] + "."
    except fp.FingerprintError as exc:
        return None, f"Not screened: {exc}."


def _none_ran(platform: ScreeningPlatform, reason: str) -> list[Outcome]:
    return [unavailable(check.name, reason) for check in CHECKS if _configured(check, platform)]


def _weighed(outcomes: list[Outcome]) -> list[Outcome]:
    by_name = {check.name: check for check in CHECKS}
    return [by_name[o.check].weigh(o, outcomes) for o in outcomes]


def _record(context: JobContext, platform: ScreeningPlatform, subject: Subject, screened: Screened) -> None:
    with context.database.transaction() as session:
        upload = session.get(Upload, subject.upload_id)
        if upload is None:
            return
        outcomes = screened.outcomes
        printed = screened.printed
        if printed is not None:
            # Fingerprints stored while this one was being compared: two copies sent at the same moment
            # must still meet each other.
            late = search_catalog(
                session,
                subject,
                printed.query,
                shifted=printed.prints.shifted,
                after_id=printed.search.last_id,
            )
            given = Given(subject, platform.settings, catalog=session, found=printed.joined(late))
            outcomes = [*outcomes, *(_guarded(check, given) for check in screened.settled_on_record)]
            _keep_fingerprint(session, subject, printed)
        outcomes = _weighed(outcomes)
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
            _reject(session, platform.storage, upload, refusal)
        news = [o for o in outcomes if o.check not in known]
        pull_from_sale(session, platform, subject.release_id, subject.filename, news)


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
    move(
        upload,
        UploadStatus.REJECTED,
        f"refused by screening: its content credentials declare AI-generated audio ({source}, by {by})",
    )
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
