"""Upload endpoints of the release workspace: tickets, arrival, status and retry, as JSON for its script."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from ..db import get_session
from ..storage.interfaces import MultipartPart
from ..web.access import ARTIST_MEMBER, access
from ..web.context import actor, job_queue, platform
from .models import Release, Upload
from .services import ReleaseError
from .uploads import UploadLimits, UploadService
from .views import BASE, _artist, _release

bp = Blueprint("uploads", __name__)


def upload_service() -> UploadService:
    settings = platform().settings
    return UploadService(
        get_session(),
        platform().storage,
        job_queue(),
        UploadLimits(settings.upload_quota_bytes, settings.uploads_per_hour),
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
    data = request.get_json(silent=True) or {}
    try:
        size = int(data.get("size", 0))
        track_id = int(data["track_id"]) if data.get("track_id") else None
    except (TypeError, ValueError):
        return jsonify({"error": "The upload request was malformed."}), 400
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
    data = request.get_json(silent=True) or {}
    try:
        parts = [MultipartPart(int(p["number"]), str(p["etag"])) for p in data.get("parts") or []]
    except (KeyError, TypeError, ValueError):
        return jsonify({"error": "The list of parts was malformed."}), 400
    try:
        upload_service().complete(upload, actor(), parts or None)
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
