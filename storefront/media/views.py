"""Downloads for entitled accounts, streaming previews and the player's data, and the artist's media panel."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..accounts.access import current_user
from ..audio.formats import DOWNLOAD_FORMATS
from ..db import get_session
from ..releases.access import ARTIST_RELEASE
from ..releases.models import Release, Track
from ..releases.preorders import Calendar
from ..web.access import LOGGED_IN, PUBLIC, access
from ..web.services import find_service
from . import recipes
from .forms import FormatForm, PreviewPolicyForm
from .models import Rendition
from .services import MediaError, MediaService, can_download, can_preview

bp = Blueprint("media", __name__)
ARTIST_BASE = "/artists/<slug>/releases/<int:release_id>"


def _release(release_id: int) -> Release:
    release = get_session().get(Release, release_id)
    if release is None:
        abort(404)
    return release


def _downloadable(release_id: int) -> tuple[Release, list[Track], bool]:
    """The release, the tracks this account may download, and whether it may download the whole of it."""
    release = _release(release_id)
    user, today = current_user(), find_service(Calendar).today()
    whole = can_download(user, release, today=today)
    tracks = [
        t
        for t in release.tracks
        if t.master is not None and (whole or can_download(user, release, t, today=today))
    ]
    if not whole and not tracks:
        abort(403)
    return release, tracks, whole


def _items(service: MediaService, release: Release, tracks: list[Track], whole: bool) -> list[dict[str, Any]]:
    """Every file of the page with its state; the page and its script both read this."""
    renditions = service.renditions(release)
    items = []
    for track in tracks:
        for fmt in DOWNLOAD_FORMATS.values():
            state = service.state(track, fmt.key, renditions.get((track.id, fmt.key)))
            items.append(
                {
                    "id": f"track-{track.id}-{fmt.key}",
                    "track_id": track.id,
                    "format": fmt.key,
                    "label": f"{track.title} · {fmt.label}",
                    "state": state.status,
                    "error": state.error,
                }
            )
    if whole:
        for fmt in DOWNLOAD_FORMATS.values():
            state = service.album_state(release, fmt.key, service.archive(release, fmt.key))
            items.append(
                {
                    "id": f"album-{fmt.key}",
                    "track_id": None,
                    "format": fmt.key,
                    "label": f"Whole album · {fmt.label}",
                    "state": state.status,
                    "error": state.error,
                }
            )
    return items


@bp.get("/downloads/<int:release_id>")
@access(LOGGED_IN)
def downloads(release_id: int) -> ResponseReturnValue:
    release, tracks, whole = _downloadable(release_id)
    items = _items(find_service(MediaService), release, tracks, whole)
    return render_template(
        "media/downloads.html",
        release=release,
        tracks=tracks,
        whole=whole,
        form=FormatForm(),
        formats=list(DOWNLOAD_FORMATS.values()),
        states={i["id"]: i for i in items},
        preparing=[i for i in items if i["state"] in ("waiting", "processing", "failed")],
    )


@bp.get("/downloads/<int:release_id>/status.json")
@access(LOGGED_IN)
def download_status(release_id: int) -> ResponseReturnValue:
    release, tracks, whole = _downloadable(release_id)
    items = _items(find_service(MediaService), release, tracks, whole)
    return jsonify(
        {
            "items": [{k: i[k] for k in ("id", "state", "error")} for i in items],
            "pending": any(i["state"] in ("waiting", "processing") for i in items),
        }
    )


def _chosen_format() -> str | None:
    form = FormatForm()
    return form.format.data if form.validate_on_submit() else None


def _back_to(release: Release) -> Response:
    return redirect(url_for("media.downloads", release_id=release.id), code=303)


@bp.post("/downloads/<int:release_id>/tracks/<int:track_id>")
@access(LOGGED_IN)
def download_track(release_id: int, track_id: int) -> ResponseReturnValue:
    release, tracks, _ = _downloadable(release_id)
    track = next((t for t in tracks if t.id == track_id), None)
    if track is None:
        abort(403 if any(t.id == track_id for t in release.tracks) else 404)
    fmt = _chosen_format()
    if fmt is None:
        flash("Choose one of the formats offered.", "error")
        return _back_to(release)
    service = find_service(MediaService)
    link = service.track_link(track, fmt)
    if link is not None:
        return redirect(link, code=303)
    rendition = service.request_rendition(track, fmt)
    if rendition is not None and rendition.status.value == "failed":
        flash(
            f"{recipes.format_label(fmt)} of “{track.title}” could not be prepared. Choose another format.",
            "error",
        )
    else:
        flash(f"Preparing your download: “{track.title}” in {recipes.format_label(fmt)}.", "info")
    return _back_to(release)


@bp.post("/downloads/<int:release_id>/album")
@access(LOGGED_IN)
def download_album(release_id: int) -> ResponseReturnValue:
    release, _, whole = _downloadable(release_id)
    if not whole:
        abort(403)
    fmt = _chosen_format()
    if fmt is None:
        flash("Choose one of the formats offered.", "error")
        return _back_to(release)
    service = find_service(MediaService)
    link = service.album_link(release, fmt)
    if link is not None:
        return redirect(link, code=303)
    try:
        service.request_album(release, fmt)
    except MediaError as error:
        flash(error.message, "error")
        return _back_to(release)
    flash(f"Preparing your download: the whole album in {recipes.format_label(fmt)}.", "info")
    return _back_to(release)


# -- previews and the player ----------------------------------------------------------------------------
def _previewable(track_id: int) -> Track:
    track = get_session().get(Track, track_id)
    # Not found and not allowed look alike, so drafts stay unseen.
    if track is None or not can_preview(current_user(), track.release):
        abort(404)
    return track


@bp.get("/previews/<int:track_id>")
@access(PUBLIC)
def preview(track_id: int) -> ResponseReturnValue:
    link = find_service(MediaService).preview_link(_previewable(track_id))
    if link is None:
        abort(404)
    return redirect(link, code=303)


@bp.get("/previews/<int:track_id>/analysis.json")
@access(PUBLIC)
def preview_analysis(track_id: int) -> ResponseReturnValue:
    track = _previewable(track_id)
    service = find_service(MediaService)
    analysis = service.analysis(track)
    if analysis is None:
        abort(404)
    params = recipes.preview_params(service.policy(track.release))
    return jsonify(
        {
            "track_id": track.id,
            "duration": analysis.duration_seconds,
            "loudness_lufs": analysis.loudness_lufs,
            "true_peak_dbtp": analysis.true_peak_dbtp,
            "peaks": analysis.peaks,
            "preview": {"url": url_for("media.preview", track_id=track.id), **params},
        }
    )


# -- the artist's side ----------------------------------------------------------------------------------
def _workspace(release: Release) -> Response:
    workspace = url_for(
        "releases.workspace_page", slug=release.artist.slug, release_id=release.id, step="previews"
    )
    return redirect(workspace + "#media")


@bp.post(ARTIST_BASE + "/preview-policy")
@access(ARTIST_RELEASE)
def preview_policy(release: Release) -> ResponseReturnValue:
    form = PreviewPolicyForm()
    if not form.validate_on_submit():
        problems = [e for errors in form.errors.values() for e in errors]
        flash("The preview was not changed: " + " ".join(str(p) for p in problems), "error")
        return _workspace(release)
    start = float(form.clip_start.data or 0)
    length = float(form.clip_length.data or 30)
    try:
        find_service(MediaService).set_policy(release, form.mode.data or "full", start, length)
    except MediaError as error:
        flash(f"The preview was not changed: {error.message}", "error")
        return _workspace(release)
    flash("Preview saved; the previews are being made again.", "info")
    return _workspace(release)


@bp.post(ARTIST_BASE + "/renditions/<int:rendition_id>/retry")
@access(ARTIST_RELEASE)
def retry_rendition(release: Release, rendition_id: int) -> ResponseReturnValue:
    rendition = get_session().scalar(
        select(Rendition).where(Rendition.id == rendition_id, Rendition.release_id == release.id)
    )
    if rendition is None:
        abort(404)
    try:
        find_service(MediaService).retry(rendition)
    except MediaError as error:
        flash(error.message, "error")
    return _workspace(release)


def media_panel(release: Release) -> dict[str, Any]:
    """What the release workspace shows of the files made from each master."""
    service = find_service(MediaService)
    policy = service.policy(release)
    renditions = service.renditions(release)
    formats = [recipes.PREVIEW_FORMAT, *DOWNLOAD_FORMATS]
    rows = []
    for track in release.tracks:
        if track.master is None:
            continue
        files = []
        for fmt in formats:
            rendition = renditions.get((track.id, fmt))
            state = service.state(track, fmt, rendition, policy)
            if rendition is None and fmt not in (recipes.PREVIEW_FORMAT, *recipes.PRECOMPUTED):
                continue  # made on a fan's first request: nothing to show until then
            files.append(
                {
                    "label": recipes.format_label(fmt),
                    "state": state.status,
                    "error": state.error,
                    "rendition_id": rendition.id if rendition is not None else None,
                }
            )
        rows.append({"track": track, "files": files, "analysis": service.analysis(track)})
    form = PreviewPolicyForm(formdata=None, obj=policy)
    return {"rows": rows, "policy": policy, "form": form}
