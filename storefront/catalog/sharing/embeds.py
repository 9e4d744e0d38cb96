"""How a public release shows up elsewhere: embeddable players, oEmbed, and the pages' sharing metadata.

/embed/release/<id> and /embed/track/<id> are the only pages other sites may frame (web/headers.py
`frameable`); they set no cookie and sell nothing in the frame: every link opens the store in a new tab.
/oembed answers for a release's or a track's page (or its player) with a "rich" iframe, within the consumer's
maxwidth and maxheight. The template globals at the end give the catalog pages their Open Graph, Twitter
card and schema.org data (sharing/cards.py, rendered by templates/catalog/_meta.html).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import HTTPException

from ...accounts.models import Artist
from ...config import Settings
from ...db import get_session
from ...releases.models import Release, ReleaseStatus, Track
from ...web.access import PUBLIC, access
from ...web.caching import cacheable
from ...web.headers import frameable
from ...web.services import external_url, find_service
from ..release_pages import ReleasePage, TrackRow, release_page_data
from .cards import SHARE_GLOBALS, absolute
from .stamps import release_id_stamp, release_stamp, track_id_stamp

bp = Blueprint("embeds", __name__)
# (width, height) of each size of each player, in CSS pixels; the standard release player scrolls its list.
SIZES = {
    ("release", "standard"): (480, 420),
    ("release", "compact"): (480, 150),
    ("track", "standard"): (480, 240),
    ("track", "compact"): (480, 150),
}
THUMBNAIL = 300
_PAGES = {"catalog.release_page": "release", "catalog.track_page": "track"}
_PLAYERS = {"embeds.release": "release", "embeds.track": "track"}


@dataclass(frozen=True)
class NoSale:
    """What the shared player macro reads of the buy options: nothing is sold inside a frame."""

    tracks: dict[int, Any] = field(default_factory=dict)
    owned: bool = False
    owned_tracks: frozenset[int] = frozenset()


def _size() -> str:
    return "compact" if request.args.get("size") == "compact" else "standard"


def _public_release(where: Any) -> Release:
    release = get_session().scalar(
        select(Release)
        .where(where)
        .options(
            joinedload(Release.artist),
            joinedload(Release.label),
            joinedload(Release.artwork),
            selectinload(Release.tracks).joinedload(Track.master),
            selectinload(Release.contributors),
        )
    )
    if release is None or release.status != ReleaseStatus.APPROVED:
        abort(404)
    return release


def _player(page: ReleasePage, rows: list[TrackRow], kind: str, title: str, url: str) -> str:
    return render_template(
        "embed/player.html",
        page=page,
        rows=rows,
        buy=NoSale(),
        kind=kind,
        size=_size(),
        title=title,
        url=url,
    )


@bp.get("/embed/release/<int:release_id>")
@access(PUBLIC)
@frameable
@cacheable(release_id_stamp)
def release(release_id: int) -> str:
    page = release_page_data(_public_release(Release.id == release_id))
    playable = [row for row in page.rows if row.preview]
    rows = playable[:1] if _size() == "compact" else page.rows
    return _player(page, rows, "release", page.release.title, absolute(page.url))


@bp.get("/embed/track/<int:track_id>")
@access(PUBLIC)
@frameable
@cacheable(track_id_stamp)
def track(track_id: int) -> str:
    owner = select(Track.release_id).where(Track.id == track_id).scalar_subquery()
    page = release_page_data(_public_release(Release.id == owner))
    row = next(row for row in page.rows if row.track.id == track_id)
    return _player(page, [row], "track", row.track.title, absolute(row.url))


# -- oEmbed (https://oembed.com) -------------------------------------------------------------------------
def _bounded(name: str) -> int | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) == 0:
        abort(400, f"{name} must be a positive whole number of pixels.")
    return int(raw)


def _target(url: str) -> tuple[str, dict[str, Any]]:
    """The page a consumer asks about: (kind, the URL's arguments); 404 for anything else."""
    parts = urlsplit(url)
    ours = {urlsplit(find_service(Settings).base_url).netloc, request.host}
    if parts.scheme not in ("http", "https") or parts.netloc not in ours:
        abort(404)
    try:
        endpoint, args = current_app.url_map.bind(request.host).match(parts.path, "GET")
    except HTTPException:
        abort(404)
    kind = _PAGES.get(endpoint) or _PLAYERS.get(endpoint)
    if kind is None:
        abort(404)
    return kind, dict(args)


def _subject(kind: str, args: dict[str, Any]) -> tuple[Release, Track | None]:
    if "release_id" in args:
        where = Release.id == args["release_id"]
    elif "track_id" in args:
        where = Release.id == select(Track.release_id).where(Track.id == args["track_id"]).scalar_subquery()
    else:
        artist = select(Artist.id).where(Artist.slug == args["slug"]).scalar_subquery()
        where = (Release.artist_id == artist) & (Release.slug == args["release_slug"])
    release = get_session().scalar(
        select(Release)
        .where(where)
        .options(joinedload(Release.artist), joinedload(Release.artwork), selectinload(Release.tracks))
    )
    if release is None or release.status != ReleaseStatus.APPROVED:
        abort(404)
    if kind == "release":
        return release, None
    wanted = args.get("track_id"), args.get("position")
    track = next((t for t in release.tracks if t.id == wanted[0] or t.position == wanted[1]), None)
    if track is None:
        abort(404)
    return release, track


def _fit(kind: str, maxwidth: int | None, maxheight: int | None) -> tuple[str, int, int]:
    """The player's size within the consumer's bounds: the compact player when the standard one is too
    tall, and never more than was allowed."""
    size = "standard"
    width, height = SIZES[(kind, size)]
    if maxheight is not None and height > maxheight:
        size = "compact"
        width, height = SIZES[(kind, size)]
    width = min(width, maxwidth) if maxwidth is not None else width
    height = min(height, maxheight) if maxheight is not None else height
    return size, width, height


def oembed_stamp(**_view_args: Any) -> Any:
    url = request.args.get("url", "")
    if request.args.get("format", "json") != "json" or not url:
        return None
    try:
        _kind, args = _target(url)
    except HTTPException:
        return None
    if "release_id" in args:
        return release_id_stamp(args["release_id"])
    if "track_id" in args:
        return track_id_stamp(args["track_id"])
    return release_stamp(args["slug"], args["release_slug"])


@bp.get("/oembed")
@access(PUBLIC)
@cacheable(oembed_stamp)
def oembed() -> Response:
    if request.args.get("format", "json") != "json":
        abort(501, "Only the JSON format is offered.")
    url = request.args.get("url", "")
    if not url:
        abort(400, "Give the address of a release or a track page as ?url=")
    maxwidth, maxheight = _bounded("maxwidth"), _bounded("maxheight")
    kind, args = _target(url)
    release, track = _subject(kind, args)
    size, width, height = _fit(kind, maxwidth, maxheight)
    if track is not None:
        src = external_url(
            "embeds.track", track_id=track.id, **({"size": size} if size != "standard" else {})
        )
        title = f"{track.title} by {release.artist.name}"
    else:
        src = external_url(
            "embeds.release", release_id=release.id, **({"size": size} if size != "standard" else {})
        )
        title = f"{release.title} by {release.artist.name}"
    frame = Markup(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" style="border:0"></iframe>'
    )
    answer: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "provider_name": "Velvet",
        "provider_url": external_url("catalog.home"),
        "title": title,
        "author_name": release.artist.name,
        "author_url": external_url("catalog.artist_page", slug=release.artist.slug),
        "html": str(frame.format(src, width, height, f"{title} on Velvet")),
        "width": width,
        "height": height,
        "cache_age": 3600,
    }
    # The thumbnail too must fit the consumer's bounds: it is left out rather than shrunk.
    if release.artwork is not None and min(maxwidth or THUMBNAIL, maxheight or THUMBNAIL) >= THUMBNAIL:
        answer |= {
            "thumbnail_url": external_url("catalog.cover", release_id=release.id, size=THUMBNAIL),
            "thumbnail_width": THUMBNAIL,
            "thumbnail_height": THUMBNAIL,
        }
    return jsonify(answer)


for _name, _function in SHARE_GLOBALS.items():
    bp.add_app_template_global(_function, _name)


@bp.get("/favicon.ico")
@access(PUBLIC)
def favicon() -> Response:
    """For browsers and feed readers that ask the site's root instead of reading the pages' icon links."""
    response = current_app.send_static_file("favicon.ico")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
