"""Public pages: the home page, artist and label profiles, and their pictures."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, render_template
from sqlalchemy import select

from ..accounts.access import current_user
from ..accounts.models import Artist, Label, RosterStatus
from ..attestations.pages import badge_info
from ..db import get_session
from ..media.services import can_download
from ..orders.pricing import buy_options, format_amount
from ..releases.identifiers import format_price
from ..releases.models import Release, ReleaseStatus
from ..storage.interfaces import ObjectStorage
from ..web.access import PUBLIC, access
from ..web.services import find_service
from ..web.streaming import stream_object

bp = Blueprint("catalog", __name__)


@bp.get("/")
@access(PUBLIC)
def home() -> str:
    session = get_session()
    releases = list(
        session.scalars(
            select(Release)
            .where(Release.status == ReleaseStatus.APPROVED)
            .order_by(Release.approved_at.desc())
            .limit(24)
        )
    )
    artists = list(session.scalars(select(Artist).order_by(Artist.created_at.desc()).limit(24)))
    labels = list(session.scalars(select(Label).order_by(Label.name).limit(12)))
    return render_template(
        "catalog/home.html", artists=artists, labels=labels, releases=releases, format_price=format_price
    )


@bp.get("/artists/<slug>")
@access(PUBLIC)
def artist_page(slug: str) -> str:
    artist = get_session().scalar(select(Artist).where(Artist.slug == slug))
    if artist is None:
        abort(404)
    labels = [link.label for link in artist.roster_links if link.status == RosterStatus.ACTIVE]
    releases = get_session().scalars(
        select(Release)
        .where(Release.artist_id == artist.id, Release.status == ReleaseStatus.APPROVED)
        .order_by(Release.approved_at.desc())
    )
    return render_template("catalog/artist.html", artist=artist, labels=labels, releases=list(releases))


@bp.get("/artists/<slug>/album/<release_slug>")
@access(PUBLIC)
def release_page(slug: str, release_slug: str) -> str | tuple[str, int]:
    release = get_session().scalar(
        select(Release).join(Artist).where(Artist.slug == slug, Release.slug == release_slug)
    )
    if release is None or release.status not in (ReleaseStatus.APPROVED, ReleaseStatus.TAKEN_DOWN):
        abort(404)
    if release.status == ReleaseStatus.TAKEN_DOWN:
        return render_template("catalog/withdrawn.html", release=release), 410
    from ..curation.forms import ReportForm

    g.tdm_opt_in = release.ai_training_opt_in
    return render_template(
        "catalog/release.html",
        release=release,
        report_form=ReportForm(),
        format_price=format_price,
        badge=badge_info(release),
        may_download=can_download(current_user(), release),
        buy=buy_options(get_session(), release, user.id if (user := current_user()) else None),
        format_amount=format_amount,
    )


@bp.get("/covers/<int:release_id>/<int:size>.jpg")
@access(PUBLIC)
def cover(release_id: int, size: int) -> Response:
    release = get_session().get(Release, release_id)
    if release is None or release.status != ReleaseStatus.APPROVED or release.artwork is None:
        abort(404)
    files: dict[str, str] = release.artwork.info.get("files", {})
    key = files.get(f"cover-{size}.jpg") or files.get("cover.jpg")
    if key is None:
        abort(404)
    return stream_object(find_service(ObjectStorage), key, "image/jpeg", max_age=86400)


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
    return stream_object(find_service(ObjectStorage), profile.avatar_key, "image/jpeg", max_age=86400)
