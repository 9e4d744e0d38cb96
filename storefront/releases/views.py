"""The artist's release workspace: drafts, details, tracks and their order, and credits."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..accounts.access import ARTIST_MANAGER, current_user
from ..accounts.actor import actor
from ..accounts.models import Artist
from ..db import get_session
from ..storage.interfaces import ObjectStorage
from ..web.access import access
from ..web.services import find_service
from ..web.streaming import stream_object
from . import windows
from .access import ARTIST_RELEASE, ARTIST_TRACK
from .forms import ContributorForm, NewTrackForm, OrderForm, ReleaseForm, TrackForm
from .identifiers import format_price
from .models import Release, Track, Upload, UploadStatus
from .panels import WorkspacePanels, checklist, find_step, first_open, step_of
from .services import ReleaseDetails, ReleaseError, ReleaseService

bp = Blueprint("releases", __name__)
ViewResult = Response | str | tuple[str, int]
BASE = "/artists/<slug>/releases"
bp.add_app_template_global(windows.here_first, "here_first")


def _service() -> ReleaseService:
    return find_service(ReleaseService)


def _error(form: FlaskForm, error: ReleaseError) -> None:
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _release_form(artist: Artist, release: Release | None) -> ReleaseForm:
    form = ReleaseForm(obj=release) if release is not None and request.method == "GET" else ReleaseForm()
    labels = _service().roster_labels(artist)
    form.label_slug.choices = [("", "No label (self-released)")] + [(lb.slug, lb.name) for lb in labels]
    if release is not None and request.method == "GET":
        form.tags.data = ", ".join(release.tags)
        form.price.data = format_price(release.price_minor, release.currency).split()[0]
        form.minimum_price.data = format_price(release.minimum_price_minor, release.currency).split()[0]
        form.label_slug.data = release.label.slug if release.label else ""
        form.release_type.data = release.release_type.value
        form.license.data = release.license.value
    return form


def _details(form: ReleaseForm) -> ReleaseDetails:
    return ReleaseDetails(
        title=form.title.data or "",
        release_type=form.release_type.data or "album",
        release_date=form.release_date.data,
        description=form.description.data or "",
        genre=form.genre.data or "",
        tags=form.tags.data or "",
        location=form.location.data or "",
        license=form.license.data or "",
        upc=form.upc.data or "",
        currency=form.currency.data or "USD",
        price=form.price.data or "",
        pay_what_you_want=bool(form.pay_what_you_want.data),
        minimum_price=form.minimum_price.data or "0",
        label_slug=form.label_slug.data or "",
    )


def open_notices(release: Release) -> list[Upload]:
    """Uploads the artist still has to act on or wait for, an accepted file too while it is screened or
    processed; a problem a newer file has solved is dropped."""
    settled: set[tuple[str, int | None]] = set()
    notices = []
    for upload in release.uploads:  # newest first
        target = (upload.kind.value, upload.track_id)
        if upload.status in (UploadStatus.READY, UploadStatus.REPLACED):
            settled.add(target)
            if upload.status is UploadStatus.READY and upload.whereabouts.in_progress:
                notices.append(upload)  # accepted, still being screened or processed
        elif upload.status in (UploadStatus.AWAITING, UploadStatus.VALIDATING) or target not in settled:
            notices.append(upload)
    return notices


def workspace(release: Release, step: str = "", *, status: int = 200, **forms: Any) -> ViewResult:
    """One step of the editor where an artist prepares a release (the first open one unless named), with the
    checklist of all steps; forms with errors are passed in to be shown."""
    panels = find_service(WorkspacePanels).for_release(release)
    current = find_step(step or first_open(release, panels))
    if current is None:
        abort(404)
    contributor_form = forms.get("contributor_form") or ContributorForm()
    contributor_form.track_id.choices = [("", "The whole release")] + [
        (str(t.id), f"{t.position}. {t.title}") for t in release.tracks
    ]
    track_forms = {t.id: TrackForm(obj=t, formdata=None, prefix=f"t{t.id}") for t in release.tracks}
    for t in release.tracks:
        track_forms[t.id].price.data = (
            format_price(t.price_minor, release.currency).split()[0] if t.price_minor is not None else ""
        )
    if "track_form" in forms:
        track_forms[forms["track_id"]] = forms["track_form"]
    marks = checklist(release, panels, current.name)
    at = next(i for i, mark in enumerate(marks) if mark.current)
    user = current_user()
    # Label staff who manage the artist's releases use the same editor; signing stays with the artist.
    is_member = user is not None and any(m.user_id == user.id for m in release.artist.members)
    page = render_template(
        "releases/workspace.html",
        artist=release.artist,
        release=release,
        step=current.name,
        checklist=marks,
        previous_step=marks[at - 1].step if at > 0 else None,
        next_step=marks[at + 1].step if at + 1 < len(marks) else None,
        release_form=forms.get("release_form") or _release_form(release.artist, release),
        new_track_form=forms.get("new_track_form") or NewTrackForm(),
        track_forms=track_forms,
        contributor_form=contributor_form,
        order_form=OrderForm(),
        format_price=format_price,
        notices=open_notices(release),
        panels=panels,
        is_member=is_member,
    )
    return (page, status) if status != 200 else page


def _back(release: Release, anchor: str = "") -> Response:
    """Back to the editor's step that shows `anchor`, so that saving keeps the person where they were."""
    return redirect(step_url(release, step_of(anchor)) + anchor)


def step_url(release: Release, step: str) -> str:
    return url_for("releases.workspace_page", slug=release.artist.slug, release_id=release.id, step=step)


@bp.get(BASE + "/<int:release_id>/artwork/<int:size>.jpg")
@access(ARTIST_RELEASE)
def artwork(release: Release, size: int) -> Response:
    if release.artwork is None:
        abort(404)
    files: dict[str, str] = release.artwork.info.get("files", {})
    key = files.get(f"cover-{size}.jpg") or files.get("cover.jpg")
    if key is None:
        abort(404)
    return stream_object(find_service(ObjectStorage), key, "image/jpeg", max_age=3600, private=True)


@bp.get(BASE)
@access(ARTIST_MANAGER)
def index(artist: Artist) -> str:
    return render_template(
        "releases/index.html",
        artist=artist,
        releases=_service().for_artist(artist),
        format_price=format_price,
    )


@bp.route(BASE + "/new", methods=["GET", "POST"])
@access(ARTIST_MANAGER)
def new(artist: Artist) -> ViewResult:
    form = _release_form(artist, None)
    if request.method == "POST":
        if form.validate():
            try:
                release = _service().create(artist, actor(), _details(form))
            except ReleaseError as error:
                _error(form, error)
            else:
                flash("Draft created. Add tracks, upload the masters and the artwork.", "success")
                return _back(release, "#tracks")
        return render_template("releases/new.html", artist=artist, form=form), 422
    return render_template("releases/new.html", artist=artist, form=form)


@bp.get(BASE + "/<int:release_id>")
@access(ARTIST_RELEASE)
def workspace_page(release: Release) -> ViewResult:
    return workspace(release, request.args.get("step", ""))


@bp.post(BASE + "/<int:release_id>/details")
@access(ARTIST_RELEASE)
def details(release: Release) -> ViewResult:
    form = _release_form(release.artist, release)
    if form.validate():
        try:
            _service().update(release, actor(), _details(form))
        except ReleaseError as error:
            _error(form, error)
        else:
            flash("Details saved.", "success")
            return _back(release, "#details")
    return workspace(release, "details", status=422, release_form=form)


@bp.post(BASE + "/<int:release_id>/tracks")
@access(ARTIST_RELEASE)
def add_track(release: Release) -> ViewResult:
    form = NewTrackForm()
    if form.validate():
        try:
            track = _service().add_track(release, actor(), form.title.data or "")
        except ReleaseError as error:
            _error(form, error)
        else:
            return _back(release, f"#track-{track.id}")
    return workspace(release, "tracks", status=422, new_track_form=form)


@bp.post(BASE + "/<int:release_id>/tracks/<int:track_id>")
@access(ARTIST_TRACK)
def update_track(release: Release, track: Track) -> ViewResult:
    form = TrackForm(prefix=f"t{track.id}")
    if form.validate():
        try:
            _service().update_track(
                track,
                actor(),
                title=form.title.data or "",
                isrc=form.isrc.data or "",
                lyrics=form.lyrics.data or "",
                explicit=bool(form.explicit.data),
                price=form.price.data or "",
                instant_grat=bool(form.instant_grat.data),
            )
        except ReleaseError as error:
            _error(form, error)
        else:
            flash(f"Track {track.position} saved.", "success")
            return _back(release, f"#track-{track.id}")
    return workspace(release, "tracks", status=422, track_form=form, track_id=track.id)


@bp.post(BASE + "/<int:release_id>/tracks/<int:track_id>/move")
@access(ARTIST_TRACK)
def move_track(release: Release, track: Track) -> ViewResult:
    if FlaskForm().validate_on_submit():
        try:
            _service().move_track(track, actor(), request.form.get("direction", ""))
        except ReleaseError as error:
            flash(error.message, "error")
    return _back(release, f"#track-{track.id}")


@bp.post(BASE + "/<int:release_id>/tracks/order")
@access(ARTIST_RELEASE)
def order_tracks(release: Release) -> ViewResult:
    form = OrderForm()
    if form.validate():
        try:
            ids = [int(part) for part in (form.order.data or "").split(",") if part.strip()]
            _service().reorder(release, actor(), ids)
        except (ReleaseError, ValueError) as error:
            message = getattr(error, "message", "The new order could not be read.")
            if request.accept_mimetypes.best == "application/json":
                return {"error": message}, 422  # type: ignore[return-value]
            flash(message, "error")
            return workspace(release, "tracks", status=422)
    if request.accept_mimetypes.best == "application/json":
        return {"order": [t.id for t in release.tracks]}  # type: ignore[return-value]
    return _back(release, "#tracks")


@bp.post(BASE + "/<int:release_id>/tracks/<int:track_id>/delete")
@access(ARTIST_TRACK)
def delete_track(release: Release, track: Track) -> ViewResult:
    if FlaskForm().validate_on_submit():
        try:
            _service().delete_track(track, actor())
        except ReleaseError as error:
            flash(error.message, "error")
        else:
            flash(f"“{track.title}” removed.", "success")
    return _back(release, "#tracks")


@bp.post(BASE + "/<int:release_id>/contributors")
@access(ARTIST_RELEASE)
def add_contributor(release: Release) -> ViewResult:
    form = ContributorForm()
    if form.validate():
        # A value that is not an id names no track: -1 matches none and gets the service's message.
        given = str(form.track_id.data or "")
        track_id = (int(given) if given.isascii() and given.isdigit() else -1) if given else None
        try:
            _service().add_contributor(
                release,
                actor(),
                name=form.name.data or "",
                role=form.role.data or "",
                instrument=form.instrument.data or "",
                track_id=track_id,
            )
        except ReleaseError as error:
            _error(form, error)
        else:
            return _back(release, "#credits")
    return workspace(release, "credits", status=422, contributor_form=form)


@bp.post(BASE + "/<int:release_id>/contributors/<int:contributor_id>/delete")
@access(ARTIST_RELEASE)
def remove_contributor(release: Release, contributor_id: int) -> ViewResult:
    if FlaskForm().validate_on_submit():
        try:
            _service().remove_contributor(release, actor(), contributor_id)
        except ReleaseError as error:
            flash(error.message, "error")
    return _back(release, "#credits")


@bp.post(BASE + "/<int:release_id>/ai-training")
@access(ARTIST_RELEASE)
def ai_training(release: Release) -> ViewResult:
    """The artist's own choice, at any time: AI training stays reserved unless they opt in, on their terms."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    opt_in = request.form.get("opt_in") == "yes"
    terms = (request.form.get("terms") or "").strip()[:5000]
    if opt_in and len(terms) < 20:
        flash(
            "To opt in, write your terms: who may train on this music, for what, and for what in return.",
            "error",
        )
        return _back(release, "#ai-training")
    _service().set_ai_training(release, actor(), opt_in=opt_in, terms=terms)
    flash("AI training is now allowed on your terms." if opt_in else "AI training stays reserved.", "success")
    return _back(release, "#ai-training")


@bp.post(BASE + "/<int:release_id>/first-window")
@access(ARTIST_RELEASE)
def first_window(release: Release) -> ViewResult:
    """Open, move or end the release's first window; a refused day is said in words and changes nothing."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    until: date | None = None
    if request.form.get("end") != "yes":
        typed = (request.form.get("until") or "").strip()
        try:
            until = date.fromisoformat(typed) if typed else None
        except ValueError:
            flash("Give the last day of the window as a date, like 2027-03-31.", "error")
            return _back(release, "#first-window")
        if until is None:
            flash("Choose the last day of the window, or end the window.", "error")
            return _back(release, "#first-window")
    try:
        windows.set_first_window(get_session(), release, actor(), until, on=windows.today())
    except ReleaseError as error:
        flash(error.message, "error")
        return _back(release, "#first-window")
    flash(windows.window_text(until) + "." if until else "The first window has ended.", "success")
    return _back(release, "#first-window")
