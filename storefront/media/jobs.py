"""Background work on accepted masters: analysis, the preview, and each download format."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audio.credentials import Provenance
from ..audio.formats import get_format
from ..audio.tagging import TrackTags
from ..jobs.interfaces import JobQueue, JobRegistry
from ..jobs.runner import JobContext
from ..releases.models import Release, Upload, UploadKind, UploadStatus
from ..releases.uploads.pipeline import PROCESS_JOB
from ..storage.interfaces import ObjectStorage
from . import provenance, recipes
from .album_job import album_zip
from .credentials import CredentialsError, IdentityError, Signing
from .models import MediaStatus, PreviewPolicy, Rendition, TrackAnalysis
from .services import (
    ALBUM_JOB,
    RENDER_JOB,
    delete_later,
    rendition_row,
    start_ready_archives,
)
from .transfer import GIVE_UP_AFTER, Made, download, job_services, store
from .workshop import Workshop

log = logging.getLogger(__name__)
# Every handler is safe to run twice (a worker may die after the work): it skips files already made from the
# same inputs, writes to keys fixed by those inputs, and records a result only if nobody asked for a newer
# file meanwhile.


class MasterMissing(Exception):
    """The master's object is gone from storage: no retry will bring it back."""


@dataclass(frozen=True)
class Work:
    rendition_id: int
    fmt: str
    key: str
    inputs: str
    params: dict[str, Any]


@dataclass
class Plan:
    upload_id: int
    track_id: int
    release_id: int
    master_key: str
    master_suffix: str
    tags: TrackTags
    provenance: Provenance
    cover_key: str | None
    works: list[Work]
    analyse: bool
    made: dict[int, Made] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)


def _reason(fmt_key: str, exc: BaseException) -> str:
    detail = str(exc).strip() or exc.__class__.__name__
    return f"{get_format(fmt_key).label} could not be made: {detail}"[:500]


def _master(session: Session, upload_id: int) -> Upload | None:
    upload = session.get(Upload, upload_id)
    if (
        upload is None
        or upload.kind != UploadKind.MASTER
        or upload.status != UploadStatus.READY
        or upload.track is None
        or upload.final_key is None
    ):
        return None  # replaced, rejected or deleted since the job was queued
    return upload


def _plan(session: Session, upload_id: int, formats: list[str], base_url: str, analyse: bool) -> Plan | None:
    upload = _master(session, upload_id)
    if upload is None or upload.track is None or upload.final_key is None:
        return None
    track, release = upload.track, upload.release
    policy = session.scalar(select(PreviewPolicy).where(PreviewPolicy.release_id == release.id))
    rows = session.scalars(select(Rendition).where(Rendition.upload_id == upload.id))
    existing = {r.format: r for r in rows}
    attested = recipes.attestation_id(session, release)
    works = []
    for fmt in formats:
        params = recipes.preview_params(policy) if fmt == recipes.PREVIEW_FORMAT else {}
        inputs = recipes.rendition_inputs(upload, track, fmt, params, base_url, attested)
        rendition = existing.get(fmt)
        if rendition is None:
            rendition, _ = rendition_row(session, upload, fmt, inputs)
        if rendition.inputs == inputs and rendition.status in (MediaStatus.READY, MediaStatus.FAILED):
            continue  # made already, or failed and waiting for someone to press retry
        rendition.status, rendition.inputs, rendition.params, rendition.error = (
            MediaStatus.PROCESSING,
            inputs,
            params,
            None,
        )
        session.flush()
        works.append(Work(rendition.id, fmt, recipes.rendition_key(upload, fmt, inputs), inputs, params))
    if analyse:
        analyse = session.scalar(select(TrackAnalysis.id).where(TrackAnalysis.upload_id == upload.id)) is None
    return Plan(
        upload_id=upload.id,
        track_id=track.id,
        release_id=release.id,
        master_key=upload.final_key,
        master_suffix=Path(upload.final_key).suffix,
        tags=recipes.track_tags(track, release, base_url),
        provenance=recipes.provenance(upload, track, base_url, attested),
        cover_key=recipes.cover_key(release),
        works=works,
        analyse=analyse,
    )


def _cover(storage: ObjectStorage, key: str | None) -> bytes | None:
    if key is None:
        return None
    try:
        with storage.open(key) as fh:
            return fh.read()
    except FileNotFoundError:
        log.warning("cover %s is missing; files are tagged without it", key)
        return None


def _encode(workshop: Workshop, master: Path, plan: Plan, tags: TrackTags, tmp: Path) -> dict[int, Path]:
    """Each format's file; a format whose encoder fails gets a reason in `plan.failures` instead."""
    paths = {w.rendition_id: tmp / f"{w.fmt}.{get_format(w.fmt).extension}" for w in plan.works}
    made: dict[int, Path] = {}
    downloads = [w for w in plan.works if recipes.is_download_format(w.fmt)]
    for w in plan.works:
        if w in downloads:
            continue
        try:
            workshop.preview(
                master,
                paths[w.rendition_id],
                w.fmt,
                start=w.params["start"],
                length=w.params["length"],
                tags=tags,
            )
            made[w.rendition_id] = paths[w.rendition_id]
        except Exception as exc:
            plan.failures[w.rendition_id] = _reason(w.fmt, exc)
    if not downloads:
        return made
    try:
        workshop.render(master, {w.fmt: paths[w.rendition_id] for w in downloads}, tags)
        made.update({w.rendition_id: paths[w.rendition_id] for w in downloads})
    except Exception:
        # One encoder's fault must not cost the other formats their files: find it by trying each alone.
        for w in downloads:
            try:
                workshop.render(master, {w.fmt: paths[w.rendition_id]}, tags)
                made[w.rendition_id] = paths[w.rendition_id]
            except Exception as exc:
                plan.failures[w.rendition_id] = _reason(w.fmt, exc)
    return made


def _produce(
    storage: ObjectStorage, workshop: Workshop, plan: Plan, signing: Signing
) -> TrackAnalysis | None:
    analysis = None
    with tempfile.TemporaryDirectory(prefix="velvet-media-") as folder:
        tmp = Path(folder)
        master = tmp / f"master{plan.master_suffix}"
        try:
            download(storage, plan.master_key, master)
        except FileNotFoundError as exc:
            raise MasterMissing("The master file is missing from storage; upload it again.") from exc
        if plan.analyse:
            try:
                result = workshop.analyse(master)
                analysis = TrackAnalysis(
                    upload_id=plan.upload_id,
                    track_id=plan.track_id,
                    loudness_lufs=result.integrated_lufs,
                    true_peak_dbtp=result.true_peak_dbtp,
                    sample_peak_dbfs=result.sample_peak_dbfs,
                    duration_seconds=result.duration,
                    peaks=result.waveform,
                )
            except Exception:
                log.exception("analysis of upload %s failed", plan.upload_id)
        tags = replace(plan.tags, cover_jpeg=_cover(storage, plan.cover_key))
        works = {w.rendition_id: w for w in plan.works}
        for rendition_id, path in _encode(workshop, master, plan, tags, tmp).items():
            work = works[rendition_id]
            if recipes.is_signed_format(work.fmt):
                # Tags first, then the manifest over the final bytes: the stored SHA-256 is of those.
                try:
                    signing.sign(path, work.fmt, plan.provenance)
                except (CredentialsError, IdentityError) as exc:
                    plan.failures[rendition_id] = _reason(work.fmt, exc)
                    continue
            plan.made[rendition_id] = store(storage, path, work.key, get_format(work.fmt).mime_type)
    return analysis


def _finish(session: Session, context: JobContext, plan: Plan, analysis: TrackAnalysis | None) -> None:
    storage, _, base_url = job_services(context)
    if (
        analysis is not None
        and session.scalar(select(TrackAnalysis.id).where(TrackAnalysis.upload_id == plan.upload_id)) is None
    ):
        session.add(analysis)
    done: set[str] = set()
    delivered = []
    for work in plan.works:
        rendition = session.get(Rendition, work.rendition_id)
        made = plan.made.get(work.rendition_id)
        if rendition is None or rendition.inputs != work.inputs:
            # Asked for again with other inputs while this ran: the newer job's file is the one to keep.
            if made is not None and (rendition is None or rendition.key != made.key):
                delete_later(session, storage, made.key)
            continue
        if made is not None:
            if rendition.key != made.key:
                delete_later(session, storage, rendition.key)
            rendition.status, rendition.key, rendition.size, rendition.sha256, rendition.error = (
                MediaStatus.READY,
                made.key,
                made.size,
                made.sha256,
                None,
            )
            done.add(work.fmt)
            if (file := provenance.rendition_file(rendition, made)) is not None:
                delivered.append(file)
        elif work.rendition_id in plan.failures:
            rendition.status, rendition.error = MediaStatus.FAILED, plan.failures[work.rendition_id]
    release = session.get(Release, plan.release_id)
    if release is not None and delivered:
        provenance.record_delivered(session, context.services.settings, storage, release, delivered)
    if release is not None and done:
        start_ready_archives(session, JobQueue(session, context.services.jobs), release, done, base_url)


def _give_up(session: Session, plan: Plan, reason: str) -> None:
    for work in plan.works:
        rendition = session.get(Rendition, work.rendition_id)
        if rendition is None or rendition.inputs != work.inputs or rendition.status == MediaStatus.READY:
            continue
        rendition.status, rendition.error = MediaStatus.FAILED, reason


def _render(context: JobContext, upload_id: int, formats: list[str], *, analyse: bool = False) -> None:
    storage, workshop, base_url = job_services(context)
    with context.database.transaction() as session:
        plan = _plan(session, upload_id, formats, base_url, analyse)
    if plan is None or not (plan.works or plan.analyse):
        return
    try:
        analysis = _produce(storage, workshop, plan, Signing(context.services.settings))
    except MasterMissing as exc:
        with context.database.transaction() as session:
            _give_up(session, plan, str(exc))
        return
    except Exception as exc:
        if context.attempt < GIVE_UP_AFTER:
            raise
        with context.database.transaction() as session:
            _give_up(session, plan, f"Storage did not answer ({exc.__class__.__name__}). Press retry.")
        return
    with context.database.transaction() as session:
        _finish(session, context, plan, analysis)


def _forget_replaced(session: Session, storage: ObjectStorage, upload: Upload) -> None:
    """Files made from the track's earlier masters are of no use once a new master is in force."""
    older = select(Upload.id).where(
        Upload.track_id == upload.track_id, Upload.id != upload.id, Upload.status != UploadStatus.READY
    )
    for rendition in session.scalars(select(Rendition).where(Rendition.upload_id.in_(older))):
        delete_later(session, storage, rendition.key)
        session.delete(rendition)
    for analysis in session.scalars(select(TrackAnalysis).where(TrackAnalysis.upload_id.in_(older))):
        session.delete(analysis)


def process_master(context: JobContext, payload: dict[str, Any]) -> None:
    """After a master is accepted: its loudness and waveform, its preview, and the common formats."""
    upload_id = int(payload["upload_id"])
    with context.database.transaction() as session:
        upload = _master(session, upload_id)
        if upload is None:
            return
        _forget_replaced(session, context.services.storage, upload)
    _render(context, upload_id, [recipes.PREVIEW_FORMAT, *recipes.PRECOMPUTED], analyse=True)


def render(context: JobContext, payload: dict[str, Any]) -> None:
    """One format of one master, asked for by a fan, a retry, or a new preview policy."""
    _render(context, int(payload["upload_id"]), [str(payload["format"])])


def register_jobs(registry: JobRegistry) -> None:
    registry.add(PROCESS_JOB, process_master)
    registry.add(RENDER_JOB, render)
    registry.add(ALBUM_JOB, album_zip)
