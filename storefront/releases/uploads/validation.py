"""The job that checks an arrived file and moves it from staging to its final key, or rejects it."""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ...audio.inspect.probe import inspect_master
from ...db import after_commit, utcnow
from ...jobs.interfaces import JobQueue, JobRegistry, JobSpec
from ...jobs.runner import JobContext
from ...storage.interfaces import ObjectStorage
from ..artwork import normalise_artwork
from ..models import Upload, UploadKind, UploadStatus
from .pipeline import PROCESS_JOB, SCREEN_JOB, VALIDATE_JOB, move

MASTER_TYPES = {
    "FLAC": ("audio/flac", ".flac"),
    "WAV": ("audio/wav", ".wav"),
    "AIFF": ("audio/aiff", ".aiff"),
    "ALAC": ("audio/mp4", ".m4a"),
}
_CHUNK = 1024 * 1024
# After this many failed tries (storage faults, not bad files) the artist sees a retry button.
GIVE_UP_AFTER = 5
# How long a replaced file is kept, so a refused replacement can give way to it again.
KEEP_REPLACED = timedelta(days=30)
# Work that follows a file's acceptance; start-up refuses to go on while any of it has no handler.
FOLLOW_UPS: Mapping[UploadKind, tuple[JobSpec, ...]] = {
    UploadKind.MASTER: (SCREEN_JOB, PROCESS_JOB),
    UploadKind.ARTWORK: (SCREEN_JOB,),
    UploadKind.EVIDENCE: (),
}


def final_prefix(upload: Upload) -> str:
    folder = {UploadKind.MASTER: "masters", UploadKind.ARTWORK: "artwork", UploadKind.EVIDENCE: "evidence"}[
        upload.kind
    ]
    return f"releases/{upload.artist_id}/{upload.release_id}/{folder}/{upload.id}"


class StorageFault(Exception):
    """Storage failed while a file was read or written; the same step can be tried again."""


@contextmanager
def _storage_step() -> Iterator[None]:
    """Marks failures inside as storage's: the artist is told storage failed only when it did."""
    try:
        yield
    except StorageFault:
        raise
    except Exception as exc:
        raise StorageFault(exc.__class__.__name__) from exc


def _download(storage: ObjectStorage, key: str, dest: Path) -> None:
    with _storage_step(), storage.open(key) as source, dest.open("wb") as out:
        shutil.copyfileobj(source, out, _CHUNK)


def _failure_problem(name: str, exc: Exception) -> dict[str, str]:
    if isinstance(exc, StorageFault):
        message = f"{name} could not be checked: storage did not answer ({exc})."
    else:
        message = f"{name} could not be checked: our checking step failed with an error of its own."
    return {
        "code": "check_failed",
        "message": message,
        "advice": "Nothing is lost. Press Retry; if it fails again, tell us.",
    }


def _problem_dicts(problems: list[Any]) -> list[dict[str, str]]:
    return [{"code": p.code, "message": p.message, "advice": p.advice} for p in problems]


def validate_upload(context: JobContext, payload: dict[str, Any]) -> None:
    storage: ObjectStorage = context.services.storage
    database = context.database
    upload_id = int(payload["upload_id"])
    with database.transaction() as session:
        upload = session.get(Upload, upload_id)
        if upload is None or upload.status != UploadStatus.VALIDATING:
            return  # already settled by an earlier run: running twice changes nothing
        kind, name, staging = upload.kind, upload.original_filename, upload.staging_key
        prefix, declared_type = final_prefix(upload), upload.content_type
    try:
        if kind == UploadKind.EVIDENCE:
            outcome = _store_evidence(storage, staging, prefix, declared_type)
        else:
            outcome = _check_and_store(storage, kind, name, staging, prefix)
    except Exception as exc:
        if context.attempt >= GIVE_UP_AFTER:
            with database.transaction() as session:
                failed = session.get(Upload, upload_id)
                if failed is not None and failed.status == UploadStatus.VALIDATING:
                    failed.problems = [_failure_problem(name, exc)]
                    move(failed, UploadStatus.FAILED, failed.problems[0]["message"])
            return
        raise
    with database.transaction() as session:
        upload = session.get(Upload, upload_id)
        if upload is None or upload.status != UploadStatus.VALIDATING:
            return
        upload.validated_at = utcnow()
        if outcome["problems"]:
            upload.problems = outcome["problems"]
            move(upload, UploadStatus.REJECTED, "refused by the check: " + upload.problems[0]["message"])
            for key in outcome["written"]:
                after_commit(session, partial(storage.delete, key))
        else:
            if upload.kind != UploadKind.EVIDENCE:
                _replace_older(session, storage, upload)
            move(upload, UploadStatus.READY, "checked and accepted; moved to its final place")
            upload.final_key = outcome["final_key"]
            upload.sha256 = outcome["sha256"]
            upload.size = outcome["size"]
            upload.info = outcome["info"]
            upload.problems = []
            queue = JobQueue(session, context.services.jobs)
            # Every follow-up is known to be registered: check_follow_ups refused to start otherwise.
            for job in FOLLOW_UPS[upload.kind]:
                queue.enqueue(job, {"upload_id": upload.id}, dedupe_key=f"{job.name}:{upload.id}")
        after_commit(session, lambda: storage.delete(staging))


def _replace_older(session: Any, storage: ObjectStorage, upload: Upload) -> None:
    """The new file takes the old one's place; the track keeps its title, ISRC, credits and position.

    The old file's objects stay for `KEEP_REPLACED` (the sweep removes them later): if the new file is then
    refused by screening, the old one comes back instead of leaving the track empty."""
    stmt = select(Upload).where(
        Upload.release_id == upload.release_id,
        Upload.kind == upload.kind,
        Upload.status == UploadStatus.READY,
        Upload.id != upload.id,
    )
    if upload.kind == UploadKind.MASTER:
        stmt = stmt.where(Upload.track_id == upload.track_id)
    for older in session.scalars(stmt):
        move(older, UploadStatus.REPLACED, f"replaced by a newer file (upload {upload.id})")


def restore_replaced(session: Any, storage: ObjectStorage, refused: Upload) -> Upload | None:
    """Put back the file that `refused` had replaced, if its objects are still kept."""
    stmt = select(Upload).where(
        Upload.release_id == refused.release_id,
        Upload.kind == refused.kind,
        Upload.status == UploadStatus.REPLACED,
        Upload.id < refused.id,
    )
    if refused.kind == UploadKind.MASTER:
        stmt = stmt.where(Upload.track_id == refused.track_id)
    previous: Upload | None = session.scalars(stmt.order_by(Upload.id.desc()).limit(1)).first()
    if previous is None or not previous.final_key or not storage.exists(previous.final_key):
        return None
    move(previous, UploadStatus.READY, f"back in place: its replacement (upload {refused.id}) was refused")
    return previous


def _check_and_store(
    storage: ObjectStorage, kind: UploadKind, name: str, staging: str, prefix: str
) -> dict[str, Any]:
    """Check the staged bytes; store what passes under `prefix`. Safe to repeat: the keys are fixed."""
    with tempfile.TemporaryDirectory(prefix="velvet-check-") as tmp:
        local = Path(tmp) / "upload"
        _download(storage, staging, local)
        if kind == UploadKind.MASTER:
            report = inspect_master(local, filename=name)
            if not report.ok:
                return {"problems": _problem_dicts(report.problems), "written": []}
            content_type, extension = MASTER_TYPES[report.format or "FLAC"]
            final_key = f"{prefix}/master{extension}"
            with _storage_step(), local.open("rb") as fh:
                storage.put(final_key, fh, content_type=content_type)
            info: dict[str, Any] = {
                "format": report.format,
                "codec": report.codec,
                "sample_rate": report.sample_rate,
                "bit_depth": report.bit_depth,
                "channels": report.channels,
                "duration_seconds": report.duration_seconds,
                "frames": report.frames,
                "tags": report.tags,
                "notes": _problem_dicts(report.notes),
                "keys": [final_key],
                "content_type": content_type,
            }
            return {
                "problems": [],
                "final_key": final_key,
                "sha256": report.sha256,
                "size": report.size,
                "info": info,
            }
        result = normalise_artwork(local, filename=name)
        if result.artwork is None:
            return {"problems": _problem_dicts(result.report.problems), "written": []}
        keys: dict[str, str] = {}
        for filename, data in result.artwork.files().items():
            key = f"{prefix}/{filename}"
            with _storage_step():
                storage.put(key, io.BytesIO(data), content_type="image/jpeg")
            keys[filename] = key
        info = {
            "width": result.artwork.side,
            "height": result.artwork.side,
            "format": result.report.format,
            "original": asdict(result.report) | {"problems": []},
            "files": keys,
            "keys": list(keys.values()),
            "master_sha256": result.artwork.sha256,
            "content_type": "image/jpeg",
        }
        return {
            "problems": [],
            "final_key": keys["cover.jpg"],
            "sha256": result.report.sha256,
            "size": result.report.size,
            "info": info,
        }


def _store_evidence(storage: ObjectStorage, staging: str, prefix: str, content_type: str) -> dict[str, Any]:
    """Evidence is kept as sent, for reviewers' eyes only: no check of its contents, only its hash."""
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="velvet-evidence-") as tmp:
        local = Path(tmp) / "evidence"
        _download(storage, staging, local)
        with local.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        key = f"{prefix}/file"
        with _storage_step(), local.open("rb") as fh:
            storage.put(key, fh, content_type=content_type)
        size = local.stat().st_size
    info = {"keys": [key], "content_type": content_type}
    return {"problems": [], "final_key": key, "sha256": digest.hexdigest(), "size": size, "info": info}


def register_jobs(registry: JobRegistry) -> None:
    registry.add(VALIDATE_JOB, validate_upload)


def check_follow_ups(
    registry: JobRegistry, follow_ups: Mapping[UploadKind, tuple[JobSpec, ...]] = FOLLOW_UPS
) -> None:
    """Refuse to start when work that must follow a file's acceptance has no handler: otherwise files
    would go on unscreened (or unprocessed) without anyone being told."""
    missing = {
        job.name: sorted(kind.value for kind, jobs in follow_ups.items() if job in jobs)
        for jobs in follow_ups.values()
        for job in jobs
        if not registry.has(job)
    }
    if missing:
        listed = "; ".join(
            f"{name} (after an accepted {', '.join(kinds)})" for name, kinds in sorted(missing.items())
        )
        raise RuntimeError(
            f"Follow-up jobs with no registered handler: {listed}. Register them in create_app "
            "(_register_jobs) or remove them from FOLLOW_UPS."
        )
