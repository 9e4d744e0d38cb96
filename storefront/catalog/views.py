"""Public pages: home, artist and label profiles, collections, the listings by tag, genre, place and date, and
the pictures they show. Each page reads a fixed number of queries, whatever the number of releases on it."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ..accounts.access import current_user
from ..accounts.models import Artist, Label
from ..db import get_session
from ..releases import windows
from ..releases.models import Release, ReleaseStatus
from ..storage.interfaces import ObjectStorage
from ..web.access import PUBLIC, access
from ..web.caching import cacheable
from ..web.services import find_service
from ..web.streaming import stream_object
from . import browse, queries
from .curating import bp as curating_bp
from .models import MAX_TAG_LENGTH, may_curate, normalise_tag
from .sharing.stamps import artist_stamp, catalog_stamp, label_stamp, tag_stamp

bp = Blueprint("catalog", __name__)
bp.register_blueprint(curating_bp)


@bp.get("/")
@access(PUBLIC)
@cacheable(catalog_stamp)
def home() -> str:
    session = get_session()
    picks, collections = queries.home_shelves(session)
    releases, here_first = queries.home_releases(session, windows.today())
    return render_template(
        "catalog/home.html",
        releases=releases,
        here_first=here_first,
        picks=picks,
        collections=collections,
        explore=queries.explore(session),
        artists=queries.new_artists(session),
    )


@bp.get("/artists/<slug>")
@access(PUBLIC)
@cacheable(artist_stamp)
def artist_page(slug: str) -> str:
    found = queries.discography(get_session(), slug)
    if found is None:
        abort(404, description="There is no artist at this address.")
    return render_template(
        "catalog/artist.html",
        artist=found.artist,
        groups=found.groups,
        labels=found.labels,
        truncated=found.truncated,
    )


@bp.get("/labels/<slug>")
@access(PUBLIC)
@cacheable(label_stamp)
def label_page(slug: str) -> str:
    session = get_session()
    found = queries.label_profile(session, slug)
    if found is None:
        abort(404, description="There is no label at this address.")
    before, after = _cursors()
    page = browse.read_page(session, browse.by_label(found.label.id), before=before, after=after)
    return render_template(
        "catalog/label.html",
        label=found.label,
        roster=found.roster,
        page=page,
        paged=before is not None or after is not None,
        collections=queries.shelves(session, label_id=found.label.id),
    )


@bp.get("/collections/<slug>")
@access(PUBLIC)
@cacheable(catalog_stamp)
def collection_page(slug: str) -> str:
    shelf = queries.collection_page(get_session(), slug)
    if shelf is None:
        abort(404, description="There is no collection at this address.")
    collection = shelf.collection
    if collection.published_at is None:
        # Its curators see it before they publish it; for everyone else it does not exist yet.
        user = current_user()
        if user is None or not may_curate(user, collection.label_id):
            abort(404, description="There is no collection at this address.")
    return render_template("catalog/collection.html", shelf=shelf, collection=collection)


# -- listings ---------------------------------------------------------------------------------------------
def _cursors() -> tuple[browse.Cursor | None, browse.Cursor | None]:
    try:
        return browse.parse_cursors(request.args.get("before"), request.args.get("after"))
    except browse.CursorError as error:
        abort(400, description=str(error))


_HEADINGS = {
    "newest": ("New releases", "Browse"),
    "tag": ("{name}", "Tag"),
    "genre": ("{name}", "Genre"),
    "location": ("From {name}", "Place"),
}


def _listing(source: browse.Source, *, kind: str, name: str, missing: str) -> str:
    before, after = _cursors()
    page = browse.read_page(get_session(), source, before=before, after=after)
    paged = before is not None or after is not None
    if not page.cards and not paged:
        abort(404, description=missing)
    heading, eyebrow = _HEADINGS[kind]
    return render_template(
        "catalog/tag.html" if kind == "tag" else "catalog/browse.html",
        page=page,
        name=name,
        paged=paged,
        heading=heading.format(name=name),
        eyebrow=eyebrow,
    )


@bp.get("/browse")
@access(PUBLIC)
@cacheable(catalog_stamp)
def browse_page() -> str:
    return _listing(browse.newest(), kind="newest", name="", missing="Nothing is on sale yet.")


@bp.get("/tags/<path:tag>")
@access(PUBLIC)
@cacheable(tag_stamp)
def tag_page(tag: str) -> ResponseReturnValue:
    normalised = normalise_tag(tag)
    if not normalised or len(" ".join(tag.split())) > MAX_TAG_LENGTH:
        abort(404, description="No release on sale has this tag.")
    if normalised != tag:
        # One address per tag: /tags/Post%20Rock is /tags/post%20rock.
        query = request.query_string.decode("latin-1")
        return redirect(url_for(".tag_page", tag=normalised) + (f"?{query}" if query else ""), 301)
    return _listing(
        browse.by_tag(normalised), kind="tag", name=tag, missing=f"No release on sale is tagged “{tag}”."
    )


@bp.get("/genres/<path:genre>")
@access(PUBLIC)
@cacheable(catalog_stamp)
def genre_page(genre: str) -> str:
    if len(genre) > 60:
        abort(404, description="No release on sale has this genre.")
    return _listing(
        browse.by_genre(genre),
        kind="genre",
        name=genre,
        missing=f"No release on sale has the genre “{genre}”.",
    )


@bp.get("/locations/<path:location>")
@access(PUBLIC)
@cacheable(catalog_stamp)
def location_page(location: str) -> str:
    if len(location) > 120:
        abort(404, description="No release on sale comes from this place.")
    return _listing(
        browse.by_location(location),
        kind="location",
        name=location,
        missing=f"No release on sale comes from “{location}”.",
    )


# -- pictures ---------------------------------------------------------------------------------------------
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
