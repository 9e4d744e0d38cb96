"""Proving an artist's identity (label vouch, website token) and clearing look-alike holds."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from ..db import get_session
from ..web.access import ADMIN, ARTIST_OWNER, LABEL_STAFF, access
from ..web.context import actor, platform
from .identity import WELL_KNOWN_PATH, IdentityService, fetch_public
from .models import Artist
from .services import AccountError

bp = Blueprint("identity", __name__)


def identity_service() -> IdentityService:
    allow_private = bool(platform().settings.extra.get("allow_private_fetch", False))
    return IdentityService(get_session(), fetch=lambda url: fetch_public(url, allow_private=allow_private))


@bp.route("/artists/<slug>/identity", methods=["GET", "POST"])
@access(ARTIST_OWNER)
def artist_identity(slug: str) -> ResponseReturnValue:
    artist: Artist = g.artist
    service = identity_service()
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
def vouch(slug: str, artist_slug: str) -> ResponseReturnValue:
    artist = get_session().query(Artist).filter_by(slug=artist_slug).one_or_none()
    if artist is None:
        abort(404)
    if FlaskForm().validate_on_submit():
        try:
            identity_service().vouch(artist, g.label, actor())
        except AccountError as error:
            flash(error.message, "error")
        else:
            flash(f"{g.label.name} vouches for {artist.name}.", "success")
    return redirect(url_for("profiles.label_members", slug=slug))


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
        identity_service().clear_hold(artist, actor())
        flash(f"{artist.name} may release.", "success")
    return redirect(url_for("identity.holds"))
