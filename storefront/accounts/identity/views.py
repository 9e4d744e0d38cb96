"""Proving an artist's identity (label vouch, website token) and clearing look-alike holds."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select

from ...db import get_session
from ...web.access import access
from ...web.services import find_service
from ..access import ADMIN, ARTIST_OWNER, LABEL_STAFF, current_user
from ..actor import actor
from ..forms import LabelStandingForm
from ..models import Artist, Label
from ..services import AccountError
from .checks import WELL_KNOWN_PATH, IdentityService

bp = Blueprint("identity", __name__)


@bp.route("/artists/<slug>/identity", methods=["GET", "POST"])
@access(ARTIST_OWNER)
def artist_identity(artist: Artist) -> ResponseReturnValue:
    service = find_service(IdentityService)
    if request.method == "POST" and FlaskForm().validate_on_submit():
        try:
            if request.form.get("action") == "check":
                service.check_website(artist, actor())
                flash(f"{artist.name} is verified by its website.", "success")
            else:
                service.start_website_check(artist, actor(), request.form.get("website", ""))
        except AccountError as error:
            flash(error.message, "error")
            return render_template("profiles/identity.html", artist=artist, path=WELL_KNOWN_PATH), 422
        return redirect(url_for("identity.artist_identity", slug=artist.slug))
    return render_template("profiles/identity.html", artist=artist, path=WELL_KNOWN_PATH)


@bp.post("/labels/<slug>/vouch/<artist_slug>")
@access(LABEL_STAFF)
def vouch(label: Label, artist_slug: str) -> ResponseReturnValue:
    artist = get_session().query(Artist).filter_by(slug=artist_slug).one_or_none()
    if artist is None:
        abort(404)
    if FlaskForm().validate_on_submit():
        try:
            find_service(IdentityService).vouch(artist, label, actor())
        except AccountError as error:
            flash(error.message, "error")
        else:
            flash(f"{label.name} vouches for {artist.name}.", "success")
    return redirect(url_for("profiles.label_members", slug=label.slug))


@bp.get("/admin/holds")
@access(ADMIN)
def holds() -> str:
    held = (
        get_session().query(Artist).filter(Artist.hold_reason.is_not(None)).order_by(Artist.created_at).all()
    )
    return render_template("admin/holds.html", artists=held)


@bp.post("/admin/holds/<int:artist_id>/clear")
@access(ADMIN)
def clear_hold(artist_id: int) -> ResponseReturnValue:
    artist = get_session().get(Artist, artist_id)
    if artist is None:
        abort(404)
    if FlaskForm().validate_on_submit():
        user = current_user()
        assert user is not None
        find_service(IdentityService).clear_hold(artist, user, actor())
        flash(f"{artist.name} may release.", "success")
    return redirect(url_for("identity.holds"))


@bp.get("/admin/labels")
@access(ADMIN)
def labels() -> str:
    found = get_session().scalars(select(Label).order_by(Label.name, Label.id)).all()
    return render_template("admin/labels.html", labels=found)


@bp.post("/admin/labels/<int:label_id>/standing")
@access(ADMIN)
def label_standing(label_id: int) -> ResponseReturnValue:
    label = get_session().get(Label, label_id)
    if label is None:
        abort(404)
    form = LabelStandingForm()
    if form.validate():
        user = current_user()
        assert user is not None
        try:
            changes = find_service(IdentityService).set_label_standing(
                label,
                user,
                actor(),
                verified=bool(form.verified.data),
                trusted_to_approve=bool(form.trusted_to_approve.data),
            )
        except AccountError as error:
            flash(error.message, "error")
            return redirect(url_for("identity.labels"))
        flash(f"{label.name}: saved." if changes else f"{label.name}: nothing changed.", "success")
    return redirect(url_for("identity.labels"))
