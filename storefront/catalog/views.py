"""Public pages: the home page, artist and label profiles, and their pictures."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from sqlalchemy import select

from ..accounts.models import Artist, Label, RosterStatus
from ..db import get_session
from ..web.access import PUBLIC, access
from ..web.context import platform
from ..web.streaming import stream_object

bp = Blueprint("catalog", __name__)


@bp.get("/")
@access(PUBLIC)
def home() -> str:
    session = get_session()
    artists = list(session.scalars(select(Artist).order_by(Artist.created_at.desc()).limit(24)))
    labels = list(session.scalars(select(Label).order_by(Label.name).limit(12)))
    return render_template("catalog/home.html", artists=artists, labels=labels)


@bp.get("/artists/<slug>")
@access(PUBLIC)
def artist_page(slug: str) -> str:
    artist = get_session().scalar(select(Artist).where(Artist.slug == slug))
    if artist is None:
        abort(404)
    labels = [link.label for link in artist.roster_links if link.status == RosterStatus.ACTIVE]
    return render_template("catalog/artist.html", artist=artist, labels=labels)


@bp.get("/labels/<slug>")
@access(PUBLIC)
def label_page(slug: str) -> str:
    label = get_session().scalar(select(Label).where(Label.slug == slug))
    if label is None:
        abort(404)
    roster = [link.artist for link in label.roster_links if link.status == RosterStatus.ACTIVE]
    return render_template("catalog/label.html", label=label, roster=roster)


@bp.get("/avatars/<kind>/<slug>.jpg")
@access(PUBLIC)
def avatar(kind: str, slug: str) -> Response:
    session = get_session()
    profile: Artist | Label | None
    if kind == "artists":
        profile = session.scalar(select(Artist).where(Artist.slug == slug))
    elif kind == "labels":
        profile = session.scalar(select(Label).where(Label.slug == slug))
    else:
        abort(404)
    if profile is None or profile.avatar_key is None:
        abort(404)
    # The key changes with the picture's content, so a long cache is safe.
    return stream_object(platform().storage, profile.avatar_key, "image/jpeg", max_age=86400)
