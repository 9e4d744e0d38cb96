"""Upload endpoints of the release workspace: tickets, arrival, status and retry, as JSON for its script."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from ...accounts.actor import actor
from ...storage.interfaces import MultipartPart, ObjectStorage
from ...web.access import access
from ...web.inputs import InputError, json_object, whole_number
from ...web.services import external_url, find_service
from ..access import ARTIST_RELEASE, ARTIST_UPLOAD
from ..models import Release, Upload, UploadStatus
from ..services import ReleaseError
from ..views import BASE
from .names import sent_name, shown_name
from .services import StorageUnavailable, UploadService

bp = Blueprint("uploads", __name__)


def _workspace_url(release: Release, kind: str = "") -> str:
    """The editor's step for files of this kind: evidence is attached at review, the rest with the tracks."""
    step = "review" if kind == "evidence" else "tracks"
    anchor = "#review" if kind == "evidence" else "#files"
    workspace = url_for("releases.workspace_page", slug=release.artist.slug, release_id=release.id, step=step)
    return workspace + anchor


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
@access(ARTIST_RELEASE)
def start(release: Release) -> ResponseReturnValue:
    try:
        data = json_object()
        # An absent or zero size is refused by the service: a script always knows the file's size.
        size = whole_number(data.get("size", 0), "The file size")
        track_id = whole_number(data["track_id"], "The track") if data.get("track_id") else None
    except InputError as error:
        return jsonify({"error": error.description}), 400
    try:
        upload, ticket = find_service(UploadService).start(
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
        "uploads.complete", slug=release.artist.slug, release_id=release.id, upload_id=upload.id
    )
    return jsonify(ticket), 201


@bp.post(BASE + "/<int:release_id>/uploads/<int:upload_id>/complete")
@access(ARTIST_UPLOAD)
def complete(release: Release, upload: Upload) -> ResponseReturnValue:
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
        find_service(UploadService).complete(upload, actor(), parts or None)
    except StorageUnavailable as error:
        return _json_error(error, 503)
    except ReleaseError as error:
        return _json_error(error, 409)
    return jsonify(describe(upload))


@bp.get(BASE + "/<int:release_id>/uploads.json")
@access(ARTIST_RELEASE)
def statuses(release: Release) -> ResponseReturnValue:
    return jsonify({"uploads": [describe(u) for u in find_service(UploadService).for_release(release)]})


@bp.post(BASE + "/<int:release_id>/uploads/<int:upload_id>/retry")
@access(ARTIST_UPLOAD)
def retry(release: Release, upload: Upload) -> ResponseReturnValue:
    if FlaskForm().validate_on_submit():
        try:
            find_service(UploadService).retry(upload, actor())
        except ReleaseError as error:
            flash(error.message, "error")
        else:
            flash(f"Checking {upload.original_filename} again.", "success")
    return redirect(_workspace_url(release, upload.kind.value))


# -- without JavaScript: a plain form straight to storage, which sends the browser back here ---------------
@bp.post(BASE + "/<int:release_id>/uploads/direct")
@access(ARTIST_RELEASE)
def direct(release: Release) -> ResponseReturnValue:
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
    service = find_service(UploadService)
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
                "uploads.arrived", slug=release.artist.slug, release_id=release.id, upload_id=upload_id
            ),
        )
    except ReleaseError as error:
        flash(error.message, "error")
        return redirect(_workspace_url(release, kind))
    return render_template(
        "releases/direct_upload.html",
        artist=release.artist,
        release=release,
        upload=upload,
        ticket=ticket,
        kind=kind,
    )


def _reported_key(key: str) -> str | None:
    """Our key for the one storage reported after a form upload; "" (refused later) if it is not ours."""
    if not key:
        return None
    return find_service(ObjectStorage).reported_key(key) or ""


@bp.get(BASE + "/<int:release_id>/uploads/<int:upload_id>/arrived")
@access(ARTIST_UPLOAD)
def arrived(release: Release, upload: Upload) -> ResponseReturnValue:
    # Storage names the key the file landed at; the page hands it on to the check, which validates it.
    key = request.args.get("key", "")[:1024]
    ours = _reported_key(key)
    sent = sent_name(upload, ours) if ours and upload.status == UploadStatus.AWAITING else None
    return render_template(
        "releases/arrived.html",
        artist=release.artist,
        release=release,
        upload=upload,
        key=key,
        filename=shown_name(sent) if sent is not None else upload.original_filename,
    )


@bp.post(BASE + "/<int:release_id>/uploads/<int:upload_id>/check")
@access(ARTIST_UPLOAD)
def check(release: Release, upload: Upload) -> ResponseReturnValue:
    if FlaskForm().validate_on_submit():
        try:
            key = _reported_key(request.form.get("key", "")[:1024])
            find_service(UploadService).complete(upload, actor(), key=key)
        except ReleaseError as error:
            flash(error.message, "error")
        else:
            if upload.status == UploadStatus.REJECTED:
                flash(upload.problems[0]["message"] if upload.problems else "The file was refused.", "error")
            else:
                flash(f"{upload.original_filename} arrived; it is being checked.", "success")
    return redirect(_workspace_url(release, upload.kind.value))
