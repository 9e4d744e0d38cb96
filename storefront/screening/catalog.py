"""Screening against what Velvet already holds: catalog fingerprints, and the account's upload history."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.models import Artist, User
from ..releases.models import Release, Track, Upload, UploadKind, UploadStatus
from . import fingerprint as fp
from .checks import Outcome, Subject
from .models import Fingerprint, ScreeningCheck, ScreeningVerdict, Severity

log = logging.getLogger(__name__)
ALGORITHM = "chromaprint-test2"


# -- acoustic fingerprints -------------------------------------------------------------------------------
class Fingerprinter(Protocol):
    def fingerprint(self, path: Path) -> fp.Fingerprint:
        """Raises FingerprintUnavailable when it cannot run at all, FingerprintError for this file."""
        ...

    def status(self) -> tuple[bool, str]: ...


class ChromaprintFingerprinter:
    """libchromaprint through ctypes, audio decoded by PyAV. `candidates` names library files to load
    instead of the usual ones: a deployment's private copy, or a missing one in tests."""

    def __init__(self, candidates: Sequence[str] | None = None) -> None:
        self.candidates = list(candidates) if candidates is not None else None
        self._library: fp.Chromaprint | None = None

    def library(self) -> fp.Chromaprint:
        if self.candidates is None:
            return fp.default_library()
        if self._library is None:
            self._library = fp.Chromaprint.load(self.candidates)
        return self._library

    def fingerprint(self, path: Path) -> fp.Fingerprint:
        return fp.fingerprint_file(path, library=self.library())

    def status(self) -> tuple[bool, str]:
        try:
            return True, f"libchromaprint {self.library().version}"
        except fp.FingerprintUnavailable as exc:
            return False, f"fingerprints {exc}"


@dataclass(frozen=True)
class CatalogSearch:
    matches: list[dict[str, Any]]
    compared: int
    last_id: int  # the newest fingerprint seen, so a second look needs only the ones stored since


def search_catalog(
    session: Session, subject: Subject, query: fp.Fingerprint, *, after_id: int = 0
) -> CatalogSearch:
    """Compare `query` with every fingerprint of a master in force, other than this upload's."""
    rows = session.execute(
        select(Fingerprint.id, Fingerprint.upload_id, Fingerprint.data)
        .join(Upload, Upload.id == Fingerprint.upload_id)
        .where(
            Upload.status == UploadStatus.READY,
            Fingerprint.upload_id != subject.upload_id,
            Fingerprint.id > after_id,
            Fingerprint.algorithm == ALGORITHM,
        )
    ).all()
    index = fp.FingerprintIndex()
    for row in rows:
        try:
            index.add(str(row.upload_id), row.data)
        except fp.FingerprintError:
            log.warning("stored fingerprint of upload %s is unreadable; skipped", row.upload_id)
    found = index.search(query) if len(index) else []
    about = _describe(session, [int(key) for key, _ in found])
    matches = [
        about[int(key)]
        | {
            "same_artist": about[int(key)]["artist_id"] == subject.artist_id,
            "ber": round(match.ber, 4),
            "offset_seconds": round(match.offset_seconds, 2),
            "overlap_seconds": round(match.overlap * fp.ITEM_SECONDS, 1),
        }
        for key, match in found
    ]
    return CatalogSearch(matches, len(rows), max((row.id for row in rows), default=after_id))


def _describe(session: Session, upload_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not upload_ids:
        return {}
    rows = session.execute(
        select(
            Upload.id,
            Upload.track_id,
            Upload.release_id,
            Upload.artist_id,
            Upload.original_filename,
            Track.title,
            Release.title,
            Artist.name,
        )
        .join(Release, Release.id == Upload.release_id)
        .join(Artist, Artist.id == Upload.artist_id)
        .outerjoin(Track, Track.id == Upload.track_id)
        .where(Upload.id.in_(upload_ids))
    ).all()
    keys = (
        "upload_id",
        "track_id",
        "release_id",
        "artist_id",
        "filename",
        "track_title",
        "release_title",
        "artist_name",
    )
    return {row[0]: dict(zip(keys, row, strict=True)) for row in rows}


def fingerprint_outcome(matches: list[dict[str, Any]], compared: int) -> Outcome:
    check = ScreeningCheck.FINGERPRINT
    matches = sorted(matches, key=lambda m: float(m["ber"]))
    evidence = {
        "matches": matches,
        "compared": compared,
        "threshold": fp.MATCH_THRESHOLD,
        "max_offset_seconds": fp.MAX_OFFSET_SECONDS,
    }
    others = [m for m in matches if not m["same_artist"]]
    if others:
        best = others[0]
        return Outcome(
            check,
            ScreeningVerdict.FLAG,
            Severity.HIGH,
            f"Possible copy: the audio matches “{best['track_title']}” by {best['artist_name']} "
            f"on “{best['release_title']}” ({_alignment(best)}).",
            evidence,
        )
    if matches:
        best = matches[0]
        return Outcome(
            check,
            ScreeningVerdict.NOTE,
            Severity.LOW,
            f"Same audio as the artist's own “{best['track_title']}” on “{best['release_title']}” "
            f"({_alignment(best)}): a re-release or another version.",
            evidence,
        )
    return Outcome(
        check,
        ScreeningVerdict.PASS,
        Severity.NONE,
        f"No match among {compared} fingerprints in the catalog.",
        evidence,
    )


def _alignment(match: Mapping[str, Any]) -> str:
    text = f"bit error rate {match['ber']:.3f}"
    offset = float(match["offset_seconds"])
    if offset >= 0.5:
        text += f", starting {offset:.1f} s into it"
    elif offset <= -0.5:
        text += f", with {-offset:.1f} s before it starts"
    return text


# -- content-farm patterns -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FarmRules:
    """Thresholds of the content-farm signals; a deployment or a test may give its own in the settings."""

    new_account_days: float = 7.0
    burst_hours: float = 24.0
    # An album or two in a day is ordinary; a new account with more than this is not.
    burst_masters: int = 20
    duration_days: float = 30.0
    duration_tolerance_seconds: float = 1.0
    same_duration_masters: int = 5


def check_content_farm(session: Session, subject: Subject, rules: FarmRules, now: datetime) -> Outcome:
    check = ScreeningCheck.CONTENT_FARM
    user = session.get(User, subject.uploaded_by_id) if subject.uploaded_by_id is not None else None
    age_days = (now - user.created_at).total_seconds() / 86400 if user is not None else None
    masters = select(func.count(Upload.id)).where(
        Upload.artist_id == subject.artist_id,
        Upload.kind == UploadKind.MASTER,
        Upload.status != UploadStatus.AWAITING,
        Upload.created_at >= now - timedelta(hours=rules.burst_hours),
    )
    burst = int(session.scalar(masters) or 0)
    recent = session.execute(
        select(Upload.id, Upload.info).where(
            Upload.artist_id == subject.artist_id,
            Upload.kind == UploadKind.MASTER,
            Upload.status == UploadStatus.READY,
            Upload.id != subject.upload_id,
            Upload.created_at >= now - timedelta(days=rules.duration_days),
        )
    ).all()
    alike = [
        row.id
        for row in recent
        if _close(row.info.get("duration_seconds"), subject.duration, rules.duration_tolerance_seconds)
    ]
    same_duration = len(alike) + 1  # this master is one of them
    signals = []
    if age_days is not None and age_days < rules.new_account_days and burst >= rules.burst_masters:
        signals.append(
            f"a new account ({age_days:.1f} days old) sent {burst} masters in the last "
            f"{rules.burst_hours:g} h"
        )
    if same_duration >= rules.same_duration_masters:
        signals.append(
            f"{same_duration} of the artist's masters from the last {rules.duration_days:g} days "
            f"last {subject.duration:.1f} s ± {rules.duration_tolerance_seconds:g} s"
        )
    evidence: dict[str, Any] = {
        "account_age_days": None if age_days is None else round(age_days, 2),
        "masters_in_burst_window": burst,
        "same_duration_masters": same_duration,
        "same_duration_upload_ids": alike,
        "duration_seconds": subject.duration,
        "rules": asdict(rules),
        "signals": signals,
    }
    if signals:
        # Account age, volume and equal lengths describe the account, not this file: alone they would rank
        # every release of a busy new artist medium or high whatever it contains. They stay a note unless
        # the file has a real finding of its own (see weigh_content_farm).
        evidence["severity_if_corroborated"] = (Severity.HIGH if len(signals) > 1 else Severity.MEDIUM).value
        return Outcome(
            check,
            ScreeningVerdict.NOTE,
            Severity.LOW,
            "Content-farm pattern: " + "; ".join(signals) + ".",
            evidence,
        )
    age = "unknown account age" if age_days is None else f"account {age_days:.1f} days old"
    return Outcome(
        check,
        ScreeningVerdict.PASS,
        Severity.NONE,
        f"No content-farm pattern ({age}, {burst} masters in {rules.burst_hours:g} h, "
        f"{same_duration} of similar length).",
        evidence,
    )


def _close(value: object, duration: float, tolerance: float) -> bool:
    return isinstance(value, int | float) and abs(float(value) - duration) <= tolerance


def weigh_content_farm(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Raise a content-farm note to a flag when another check found something real in the same file."""
    corroborated = [
        o
        for o in outcomes
        if o.check is not ScreeningCheck.CONTENT_FARM
        and (
            o.verdict is ScreeningVerdict.REJECT
            or (o.verdict is ScreeningVerdict.FLAG and o.severity in (Severity.MEDIUM, Severity.HIGH))
        )
    ]
    weighed = []
    for outcome in outcomes:
        raised = outcome.evidence.get("severity_if_corroborated")
        if (
            outcome.check is ScreeningCheck.CONTENT_FARM
            and outcome.verdict is ScreeningVerdict.NOTE
            and raised
        ):
            if corroborated:
                also = ", ".join(sorted({o.check.value for o in corroborated}))
                outcome = Outcome(
                    outcome.check,
                    ScreeningVerdict.FLAG,
                    Severity(raised),
                    outcome.summary.rstrip(".") + f", alongside a finding of the {also} check.",
                    outcome.evidence | {"corroborated_by": sorted({o.check.value for o in corroborated})},
                )
            else:
                outcome = Outcome(
                    outcome.check,
                    outcome.verdict,
                    outcome.severity,
                    outcome.summary.rstrip(".") + ". Only a note: nothing else was found in this file.",
                    outcome.evidence,
                )
        weighed.append(outcome)
    return weighed
