"""An upload's way from the browser to the release: its states, the moves allowed, and a record of each move.

A ticket creates the upload `awaiting` its bytes; once they arrive it is `validating` while a job checks
them; the check makes it `ready` (moved to its final key), `rejected` (with the problems shown to the
artist) or `failed` (storage faulted; the artist may retry). A ready file's follow-up jobs then screen and
process it; screening may still refuse it, and a newer file makes it `replaced`. Every change of
`Upload.status` goes through `move`, which refuses a move not in `TRANSITIONS` and records the rest with
their reason and time, so `whereabouts` gives the one answer to "where is my file, and why".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import object_session

from ...db import utcnow
from ...jobs.interfaces import JobSpec
from ...jobs.models import Job, JobStatus
from ..models import Upload, UploadStatus, UploadTransition

# The jobs of the pipeline. Screening and media register the handlers of the follow-ups they do.
VALIDATE_JOB = JobSpec("releases.validate_upload")
SCREEN_JOB = JobSpec("provenance.screen_upload")
PROCESS_JOB = JobSpec("audio.process_master")

# What a ready file is going through while its follow-up jobs run, as the artist reads it.
STAGES = {SCREEN_JOB.name: "screening", PROCESS_JOB.name: "processing"}

S = UploadStatus
# The state an upload is created in, and from each state the states it may move to.
INITIAL = S.AWAITING
TRANSITIONS: dict[UploadStatus, frozenset[UploadStatus]] = {
    S.AWAITING: frozenset({S.VALIDATING, S.REJECTED}),  # arrived / refused on arrival or abandoned
    S.VALIDATING: frozenset({S.READY, S.REJECTED, S.FAILED}),  # accepted / refused / the check could not run
    S.FAILED: frozenset({S.VALIDATING, S.REJECTED}),  # retried / its staged file is gone
    S.READY: frozenset({S.REPLACED, S.REJECTED, S.FAILED}),  # a newer file / refused by screening / lost
    S.REPLACED: frozenset({S.READY}),  # its replacement was refused, so it is back
    S.REJECTED: frozenset(),
}
LABELS = {
    S.AWAITING: "waiting for the file",
    S.VALIDATING: "checking…",
    S.READY: "ready",
    S.REJECTED: "rejected",
    S.FAILED: "could not be checked",
    S.REPLACED: "replaced by a newer file",
}


class IllegalTransition(Exception):
    """A move the pipeline does not allow: a bug in the caller, never the artist's doing."""

    def __init__(self, upload_id: int, current: UploadStatus | None, target: UploadStatus) -> None:
        super().__init__(
            f"upload {upload_id} cannot move from {current.value if current else 'nothing'} to {target.value}"
        )
        self.current = current
        self.target = target


def begin(upload: Upload, reason: str) -> None:
    """Record the state a new upload starts in, once it has been flushed (the record needs its id)."""
    if upload.status is not INITIAL:
        raise IllegalTransition(upload.id, None, upload.status)
    _record(upload, None, INITIAL, reason)


def move(upload: Upload, target: UploadStatus, reason: str) -> None:
    """The one way to change an upload's status: refuses a move not in `TRANSITIONS`, records the rest."""
    current = upload.status
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(upload.id, current, target)
    upload.status = target
    _record(upload, current, target, reason)


def _record(upload: Upload, current: UploadStatus | None, target: UploadStatus, reason: str) -> None:
    row = UploadTransition(upload_id=upload.id, from_status=current, to_status=target, reason=reason)
    row.at = utcnow()
    upload.transitions.append(row)


@dataclass(frozen=True)
class Step:
    at: datetime
    from_status: UploadStatus | None
    to_status: UploadStatus
    reason: str

    @property
    def label(self) -> str:
        return LABELS[self.to_status]


@dataclass(frozen=True)
class Whereabouts:
    """Where a file is and why: its state, since when, the reason it is there, and how it got there."""

    upload_id: int
    state: UploadStatus
    label: str
    reason: str
    since: datetime | None
    history: tuple[Step, ...]
    # For a ready file: each follow-up stage (screening, processing) and where its job stands.
    stages: tuple[tuple[str, JobStatus], ...] = ()

    @property
    def in_progress(self) -> bool:
        """Something is still happening to the file: its check, or a follow-up job queued or running."""
        return self.state in (S.AWAITING, S.VALIDATING) or any(
            status in (JobStatus.QUEUED, JobStatus.RUNNING) for _, status in self.stages
        )


def whereabouts(upload: Upload) -> Whereabouts:
    history = tuple(Step(t.at, t.from_status, t.to_status, t.reason) for t in upload.transitions)
    last = history[-1] if history and history[-1].to_status is upload.status else None
    reason = last.reason if last is not None else ""
    if upload.status in (S.REJECTED, S.FAILED) and upload.problems:
        # The artist's own words for it: what was wrong and what to do.
        reason = str(upload.problems[0].get("message") or reason)
    stages = _stages(upload) if upload.status is S.READY else ()
    label = LABELS[upload.status]
    running = [name for name, status in stages if status in (JobStatus.QUEUED, JobStatus.RUNNING)]
    failed = [name for name, status in stages if status is JobStatus.FAILED]
    if running:
        label = f"ready; {' and '.join(running)}…"
    elif failed:
        label = f"ready; {' and '.join(failed)} could not finish"
    return Whereabouts(
        upload_id=upload.id,
        state=upload.status,
        label=label,
        reason=reason,
        since=last.at if last is not None else None,
        history=history,
        stages=stages,
    )


def _stages(upload: Upload) -> tuple[tuple[str, JobStatus], ...]:
    """The follow-up jobs of this file, found by the dedupe key they were enqueued with."""
    session = object_session(upload)
    if session is None or upload.id is None:
        return ()
    keys = {f"{name}:{upload.id}": name for name in STAGES}
    rows = session.execute(select(Job.dedupe_key, Job.status).where(Job.dedupe_key.in_(keys))).all()
    found = {keys[key]: status for key, status in rows if key is not None}
    return tuple((STAGES[name], found[name]) for name in STAGES if name in found)
