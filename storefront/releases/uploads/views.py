"""Upload endpoints of the release workspace: tickets, arrival, status and retry, as JSON for its script."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from ...db import get_session
from ...storage.interfaces import MultipartPart
from ...web.access import ARTIST_MEMBER, access
from ...web.context import actor, external_url, job_queue, platform
from ...web.inputs import InputError, json_object, whole_number
from ..models import Release, Upload, UploadStatus
from ..services import ReleaseError
from ..views import BASE, _artist, _release
from .names import sent_name, shown_name
from .services import StorageUnavailable, UploadLimits, UploadService

bp = Blueprint("uploads", __name__)


def upload_service() -> UploadService:
    settings = platform().settings
    return UploadService(
        get_session(),
        platform().storage,
        job_queue(),
        UploadLimits(
            settings.upload_quota_bytes,
            settings.uploads_per_hour,
            multipart_threshold=settings.upload_multipart_threshold,
            part_size=settings.upload_part_size,
        ),
    )


def _upload(release: Release, upload_id: int) -> Upload:
    upload = get_session().get(Upload, upload_id)
    if upload is None or upload.release_id != release.id:
        abort(404)
    return upload


def describe(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "kind": upload.kind.value,
        "status": upload.status.value,
        "filename": upload.original_filename,
        "track_id": upload.track_id,
        "problems": upload.problems,
        "size": upload.size or upload.declared_size,
    }


def _json_error(error: ReleaseError, status: int = 422) -> ResponseReturnValue:
    return jsonify({"error": error.message, "field": error.field}), status


@bp.post(BASE + "/<int:release_id>/uploads")
@access(ARTIST_MEMBER)
def start(slug: str, release_id: int) -> ResponseReturnValue:
    release = _release(release_id)
    try:
        data = json_object()
        # An absent or zero size is refused by the service: a script always knows the file's size.
        size = whole_number(data.get("size", 0), "The file size")
        track_id = whole_number(data["track_id"], "The track") if data.get("track_id") else None
    except InputError as error:
        return jsonify({"error": error.description}), 400
    try:
        upload, ticket = upload_service().start(
            release,
            actor(),
            kind=str(data.get("kind", "")),
            filename=str(data.get("filename", ""))[:500],
            size=size,
            content_type=str(data.get("content_type", "")),
            track_id=track_id,
        )
    except ReleaseError as error:
        return _json_error(error)
    ticket["complete_url"] = url_for(
        "uploads.complete", slug=_artist().slug, release_id=release.id, upload_id=upload.id
    )
    return jsonify(ticket), 201


@bp.post(BASE + "/<int:release_id>/uploads/<int:upload_id>/complete")
@access(ARTIST_MEMBER)
def complete(slug: str, release_id: int, upload_id: int) -> ResponseReturnValue:
    release = _release(release_id)
    upload = _upload(release, upload_id)
    try:
        listed = json_object().get("parts") or []
        if not isinstance(listed, list) or not all(isinstance(p, dict) for p in listed):
            raise InputError("The list of parts was malformed.")
        parts = [
            MultipartPart(
                whole_number(p.get("number"), "A part number", minimum=1, maximum=10000),
                str(p.get("etag", ""))[:200],
            )
            for p in listed
        ]
    except InputError as error:
        return jsonify({"error": error.description}), 400
    try:
        upload_service().complete(upload, actor(), parts or None)
    except StorageUnavailable as error:
        return _json_error(error, 503)
    except ReleaseError as error:
        return _json_error(error, 409)
    return jsonify(describe(upload))


@bp.get(BASE + "/<int:release_id>/uploads.json")
@access(ARTIST_MEMBER)
def statuses(slug: str, release_id: int) -> ResponseReturnValue:
    release = _release(release_id)
    return jsonify({"uploads": [describe(u) for u in upload_service().for_release(release)]})


@bp.post(BASE + "/<int:release_id>/uploads/<int:upload_id>/retry")
@access(ARTIST_MEMBER)
def retry(slug: str, release_id: int, upload_id: int) -> ResponseReturnValue:
    release = _release(release_id)
    upload = _upload(release, upload_id)
    if FlaskForm().validate_on_submit():
        try:
            upload_service().retry(upload, actor())
        except ReleaseError as error:
            flash(error.message, "error")
        else:
            flash(f"Checking {upload.original_filename} again.", "success")
    return redirect(url_for("releases.workspace_page", slug=_artist().slug, release_id=release.id) + "#files")


# -- without JavaScript: a plain form straight to storage, which sends the browser back here ---------------
@bp.post(BASE + "/<int:release_id>/uploads/direct")
@access(ARTIST_MEMBER)
def direct(slug: str, release_id: int) -> ResponseReturnValue:
    release = _release(release_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    kind = request.form.get("kind", "")
    track_id = request.form.get("track_id", type=int)
    track = next((t for t in release.tracks if t.id == track_id), None)
    label = (
        f"{track.title} (master)"
        if track
        else {"artwork": "Cover", "evidence": "Evidence"}.get(kind, "New track")
    )
    service = upload_service()
    try:
        upload, ticket = service.start(
            release,
            actor(),
            kind=kind,
            filename=label,
            size=None,
            content_type="application/octet-stream",
            track_id=track.id if track else None,
            success_redirect=lambda upload_id: external_url(
                "uploads.arrived", slug=_artist().slug, release_id=release.id, upload_id=upload_id
            ),
        )
    except ReleaseError as error:
        flash(error.message, "error")
        return redirect(
            url_for("releases.workspace_page", slug=_artist().slug, release_id=release.id) + "#files"
        )
    return render_template(
        "releases/direct_upload.html",
        artist=_artist(),
        release=release,
        upload=upload,
        ticket=ticket,
        kind=kind,
    )


def _reported_key(key: str) -> str | None:
    """Our key for the one storage reported after a form upload; "" (refused later) if it is not ours."""
    if not key:
        return None
    return platform().storage.reported_key(key) or ""


@bp.get(BASE + "/<int:release_id>/uploads/<int:upload_id>/arrived")
@access(ARTIST_MEMBER)
def arrived(slug: str, release_id: int, upload_id: int) -> ResponseReturnValue:
    release = _release(release_id)
    upload = _upload(release, upload_id)
    # Storage names the key the file landed at; the page hands it on to the check, which validates it.
    key = request.args.get("key", "")[:1024]
    ours = _reported_key(key)
    sent = sent_name(upload, ours) if ours and upload.status == UploadStatus.AWAITING else None
    return render_template(
        "releases/arrived.html",
        artist=_artist(),
        release=release,
        upload=upload,
        key=key,
        filename=shown_name(sent) if sent is not None else upload.original_filename,
    )


@bp.post(BASE + "/<int:release_id>/uploads/<int:upload_id>/check")
@access(ARTIST_MEMBER)
def check(slug: str, release_id: int, upload_id: int) -> ResponseReturnValue:
    release = _release(release_id)
    upload = _upload(release, upload_id)
    if FlaskForm().validate_on_submit():
        try:
            upload_service().complete(upload, actor(), key=_reported_key(request.form.get("key", "")[:1024]))
        except ReleaseError as error:
            flash(error.message, "error")
        else:
            if upload.status == UploadStatus.REJECTED:
                flash(upload.problems[0]["message"] if upload.problems else "The file was refused.", "error")
            else:
                flash(f"{upload.original_filename} arrived; it is being checked.", "success")
    return redirect(url_for("releases.workspace_page", slug=_artist().slug, release_id=release.id) + "#files")
