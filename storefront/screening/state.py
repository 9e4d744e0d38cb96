"""Whether a release's files have been screened, what was found, and the curators' overrides of the gate."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..events import record_event
from ..releases.models import Release, Upload, UploadKind, UploadStatus
from .models import SEVERITY_ORDER, ScreeningOverride, ScreeningResult, ScreeningVerdict, Severity
from .queries import highest_severity

SCREENED_KINDS = (UploadKind.MASTER, UploadKind.ARTWORK)
# What a curator must weigh; lower findings are notes beside the file.
FINDING_FROM = Severity.MEDIUM


class ScreenedState(enum.StrEnum):
    NOT_SCREENED = "not_screened"  # no file has a result yet
    SCREENING = "screening"  # some files have results, others are still waiting
    CLEAN = "clean"  # every file has results and none is a finding
    FLAGGED = "flagged"  # a finding a curator must weigh
    REFUSED = "refused"  # screening refused a file, and nothing has taken its place


STATE_LABELS = {
    ScreenedState.NOT_SCREENED: "not screened yet",
    ScreenedState.SCREENING: "screening",
    ScreenedState.CLEAN: "screened, nothing found",
    ScreenedState.FLAGGED: "flagged",
    ScreenedState.REFUSED: "refused",
}


def is_finding(result: ScreeningResult) -> bool:
    return result.verdict is ScreeningVerdict.REJECT or (
        result.verdict is ScreeningVerdict.FLAG
        and SEVERITY_ORDER[result.severity] >= SEVERITY_ORDER[FINDING_FROM]
    )


def file_label(upload: Upload) -> str:
    """The file as people know it: its track and its own name, never an internal number."""
    if upload.kind is UploadKind.ARTWORK:
        return f"Cover artwork ({upload.original_filename})"
    track = upload.track
    if track is None:
        return upload.original_filename
    return f"Track {track.position}, “{track.title}” ({upload.original_filename})"


@dataclass
class FileScreening:
    upload: Upload
    results: list[ScreeningResult]

    @property
    def label(self) -> str:
        return file_label(self.upload)

    @property
    def screened(self) -> bool:
        return bool(self.results)

    @property
    def findings(self) -> list[ScreeningResult]:
        return [r for r in self.results if is_finding(r)]

    @property
    def notes(self) -> list[ScreeningResult]:
        """What the artist and curators should still read: low flags, notes, checks that could not run."""
        shown = (ScreeningVerdict.FLAG, ScreeningVerdict.NOTE, ScreeningVerdict.UNAVAILABLE)
        return [r for r in self.results if r.verdict in shown and not is_finding(r)]


@dataclass
class ReleaseScreening:
    files: list[FileScreening]
    refused: list[Upload]
    overrides: list[ScreeningOverride] = field(default_factory=list)

    @property
    def refused_labels(self) -> list[str]:
        return [file_label(u) for u in self.refused]

    @property
    def unscreened(self) -> list[FileScreening]:
        return [f for f in self.files if not f.screened]

    @property
    def overridden_ids(self) -> set[int]:
        return {int(i) for o in self.overrides for i in o.upload_ids}

    @property
    def waiting(self) -> list[FileScreening]:
        """Files without a result that no curator has let through: they hold the release back."""
        return [f for f in self.unscreened if f.upload.id not in self.overridden_ids]

    @property
    def state(self) -> ScreenedState:
        if self.refused:
            return ScreenedState.REFUSED
        if any(f.findings for f in self.files):
            return ScreenedState.FLAGGED
        if self.files and len(self.unscreened) == len(self.files):
            return ScreenedState.NOT_SCREENED
        if self.unscreened:
            return ScreenedState.SCREENING
        return ScreenedState.CLEAN

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def severity(self) -> str:
        """For the queue: "unscreened" while any file has no result (even one a curator let through),
        so a release nobody screened never reads as "nothing found"; else the most serious signal."""
        if self.unscreened:
            return "unscreened"
        return highest_severity([r for f in self.files for r in f.results]).value

    def problems(self) -> list[str]:
        """Why the release cannot be submitted or approved yet, as far as screening goes."""
        if not self.waiting:
            return []
        names = ", ".join(f.label for f in self.waiting)
        return [
            f"Wait until screening has looked at every file: not screened yet: {names}. "
            "This usually takes a minute or two."
        ]


def release_screening(session: Session, release: Release) -> ReleaseScreening:
    """The screening of the release's files in force (masters and artwork), with every result they have."""
    uploads = list(
        session.scalars(
            select(Upload)
            .where(Upload.release_id == release.id, Upload.kind.in_(SCREENED_KINDS))
            .order_by(Upload.id)
        )
    )
    current = [u for u in uploads if u.status is UploadStatus.READY]
    results: dict[int, list[ScreeningResult]] = {u.id: [] for u in uploads}
    for result in session.scalars(
        select(ScreeningResult).where(ScreeningResult.release_id == release.id).order_by(ScreeningResult.id)
    ):
        results.setdefault(result.upload_id, []).append(result)
    refused = [
        u
        for u in uploads
        if u.status is UploadStatus.REJECTED
        and any(r.verdict is ScreeningVerdict.REJECT for r in results[u.id])
        and not any(_takes_place_of(later, u) for later in current)
    ]
    overrides = list(
        session.scalars(
            select(ScreeningOverride)
            .where(ScreeningOverride.release_id == release.id)
            .order_by(ScreeningOverride.id)
        )
    )
    files = [FileScreening(u, _ordered(results[u.id])) for u in current]
    return ReleaseScreening(files, refused, overrides)


def _takes_place_of(later: Upload, refused: Upload) -> bool:
    return later.kind is refused.kind and later.track_id == refused.track_id and later.id > refused.id


def _ordered(results: list[ScreeningResult]) -> list[ScreeningResult]:
    from .models import ScreeningCheck

    order = {check: n for n, check in enumerate(ScreeningCheck)}
    return sorted(results, key=lambda r: order[r.check])


class OverrideError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def record_override(
    session: Session, release: Release, curator_id: int, reason: str, ip_hash: str | None = None
) -> ScreeningOverride:
    """Let the files now waiting for screening through the gate, on the curator's stated reason."""
    reason = " ".join(reason.split())
    if len(reason) < 10:
        raise OverrideError("Say why these files may go ahead without screening (at least a sentence).")
    if len(reason) > 500:
        raise OverrideError("Keep the reason under 500 characters; it is printed on the certificate.")
    waiting = release_screening(session, release).waiting
    if not waiting:
        raise OverrideError("Every file has a screening result; there is nothing to override.")
    override = ScreeningOverride(
        release_id=release.id,
        curator_id=curator_id,
        reason=reason,
        upload_ids=[f.upload.id for f in waiting],
        created_at=utcnow(),
    )
    session.add(override)
    session.flush()
    record_event(
        session,
        "release:screening_overridden",
        subject_type="release",
        subject_id=release.id,
        actor_id=curator_id,
        ip_hash=ip_hash,
        data={"override_id": override.id, "upload_ids": override.upload_ids, "reason": reason},
    )
    return override


def not_run_statement(session: Session, release: Release) -> str | None:
    """The certificate statement “screening not run: <reasons>” when approved under an override."""
    if release.approved_at is None:
        return None
    reasons = session.scalars(
        select(ScreeningOverride.reason)
        .where(
            ScreeningOverride.release_id == release.id, ScreeningOverride.created_at <= release.approved_at
        )
        .order_by(ScreeningOverride.id)
    ).all()
    if not reasons:
        return None
    return "screening not run: " + "; ".join(dict.fromkeys(reasons))
