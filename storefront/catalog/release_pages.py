"""The release page and its tracks' pages, on the catalog blueprint.

Everything a page shows is read in a fixed number of queries, whatever the number of tracks: the release
with its artist, label, cover and credits in one, then the tracks with their masters. A track's
page lives at its position on the release (/track/3): positions are fixed once a release is public.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import abort, g, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..accounts.access import current_user
from ..accounts.models import Artist
from ..attestations.pages import badge_info
from ..db import get_session
from ..media.services import can_download
from ..orders.pricing import BuyOptions, buy_options, format_amount
from ..releases.identifiers import format_price
from ..releases.models import Contributor, License, Release, ReleaseStatus, Track
from ..web.access import PUBLIC, access
from ..web.caching import cacheable
from .models import public_tags
from .sharing.stamps import release_stamp
from .views import bp

RELEASE_PATH = "/artists/<slug>/album/<release_slug>"
_COVER_FILE = re.compile(r"cover-(\d+)\.jpg")
# The cover is 350 px wide beside the text, and the whole width (less the margins) on narrow screens.
COVER_SIZES = "(max-width: 760px) calc(100vw - 2rem), 350px"
_LICENSES: dict[License, tuple[str, str]] = {
    License.CC_BY: ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    License.CC_BY_SA: ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    License.CC_BY_ND: ("CC BY-ND 4.0", "https://creativecommons.org/licenses/by-nd/4.0/"),
    License.CC_BY_NC: ("CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
    License.CC_BY_NC_SA: ("CC BY-NC-SA 4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    License.CC_BY_NC_ND: ("CC BY-NC-ND 4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    License.CC0: ("CC0 1.0 (public domain)", "https://creativecommons.org/publicdomain/zero/1.0/"),
}


@dataclass(frozen=True)
class Cover:
    src: str
    srcset: str
    small: str  # for lock screens
    sizes: str = COVER_SIZES


@dataclass(frozen=True)
class Credit:
    name: str
    role: str
    instrument: str


@dataclass(frozen=True)
class TrackRow:
    track: Track
    url: str
    seconds: float | None
    preview: str | None  # None until the track has a master
    credits: list[Credit] = field(default_factory=list)


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class ReleasePage:
    release: Release
    url: str
    cover: Cover | None
    rows: list[TrackRow]
    credits: list[Credit]  # of the whole release
    topics: list[Link]  # genre first, then tags
    location: Link | None
    license: Link
    released: date | None  # the artist's release date, else the day it went on sale here
    analysis: str  # the waveform data's address, with ID where each track's id goes


def _analysis_address() -> str:
    # One address for the player to fill in, rather than one more attribute on every track.
    marker = 987_654_321
    return url_for("media.preview_analysis", track_id=marker).replace(str(marker), "ID")


def _load(slug: str, release_slug: str) -> Release:
    """The release with everything its pages show: 404 unless it is public or was taken down."""
    found = get_session().execute(
        select(Release)
        .join(Release.artist)
        .where(Artist.slug == slug, Release.slug == release_slug)
        .options(
            contains_eager(Release.artist),
            joinedload(Release.label),
            joinedload(Release.artwork),
            # A few credits ride along in the same query; the tracks, maybe dozens, come in one more.
            joinedload(Release.contributors),
            selectinload(Release.tracks).joinedload(Track.master),
        )
    )
    release = found.unique().scalar_one_or_none()
    if release is None or release.status not in (ReleaseStatus.APPROVED, ReleaseStatus.TAKEN_DOWN):
        abort(404)
    return release


def _withdrawn(release: Release) -> tuple[str, int]:
    return render_template("catalog/withdrawn.html", release=release), 410


def _cover(release: Release) -> Cover | None:
    """Every size the artwork was made in, as a srcset; the master itself is never sent to a page."""
    if release.artwork is None:
        return None
    files: dict[str, str] = release.artwork.info.get("files", {})
    sizes = sorted(int(m.group(1)) for name in files if (m := _COVER_FILE.fullmatch(name)))
    if not sizes:
        sizes = [700]  # only the master exists: the cover route serves it for any size

    def url(size: int) -> str:
        return url_for("catalog.cover", release_id=release.id, size=size)

    src = next((s for s in sizes if s >= 700), sizes[-1])
    small = next((s for s in sizes if s >= 300), sizes[-1])
    srcset = ", ".join(f"{url(s)} {s}w" for s in sizes) if len(sizes) > 1 else ""
    return Cover(url(src), srcset, url(small))


def _credit(contributor: Contributor) -> Credit:
    return Credit(contributor.name, contributor.role.value.replace("_", " "), contributor.instrument)


def _license(release: Release) -> Link:
    text, url = _LICENSES.get(release.license, ("All rights reserved", ""))
    return Link(text, url)


def release_page_data(release: Release) -> ReleasePage:
    base = url_for("catalog.release_page", slug=release.artist.slug, release_slug=release.slug)
    by_track: dict[int, list[Credit]] = {}
    whole: list[Credit] = []
    for contributor in release.contributors:
        if contributor.track_id is None:
            whole.append(_credit(contributor))
        else:
            by_track.setdefault(contributor.track_id, []).append(_credit(contributor))
    rows = []
    for track in release.tracks:
        master = track.master
        seconds = master.info.get("duration_seconds") if master is not None else None
        rows.append(
            TrackRow(
                track=track,
                url=f"{base}/track/{track.position}",
                seconds=float(seconds) if isinstance(seconds, int | float) else None,
                preview=url_for("media.preview", track_id=track.id) if master is not None else None,
                credits=by_track.get(track.id, []),
            )
        )
    topics = (
        [Link(release.genre, url_for("catalog.genre_page", genre=release.genre))] if release.genre else []
    )
    topics += [Link(tag, url_for("catalog.tag_page", tag=tag)) for tag in public_tags(release.tags)]
    place = release.location
    location = Link(place, url_for("catalog.location_page", location=place)) if place else None
    return ReleasePage(
        release,
        base,
        _cover(release),
        rows,
        whole,
        topics,
        location,
        _license(release),
        release.release_date or (release.approved_at.date() if release.approved_at else None),
        _analysis_address(),
    )


def _buy(release: Release) -> BuyOptions:
    user = current_user()
    return buy_options(get_session(), release, user.id if user else None)


@bp.get(RELEASE_PATH)
@access(PUBLIC)
@cacheable(release_stamp)
def release_page(slug: str, release_slug: str) -> str | tuple[str, int]:
    release = _load(slug, release_slug)
    if release.status == ReleaseStatus.TAKEN_DOWN:
        return _withdrawn(release)
    from ..curation.forms import ReportForm

    g.tdm_opt_in = release.ai_training_opt_in
    return render_template(
        "catalog/release.html",
        page=release_page_data(release),
        release=release,
        # Built for signed-in people only: a form token would start a session for every visitor.
        report_form=ReportForm() if current_user() else None,
        badge=badge_info(release),
        may_download=can_download(current_user(), release),
        buy=_buy(release),
        **_formatters(),
    )


@bp.get(RELEASE_PATH + "/track/<int:position>")
@access(PUBLIC)
@cacheable(release_stamp)
def track_page(slug: str, release_slug: str, position: int) -> str | tuple[str, int]:
    release = _load(slug, release_slug)
    if release.status == ReleaseStatus.TAKEN_DOWN:
        return _withdrawn(release)
    page = release_page_data(release)
    index = next((i for i, row in enumerate(page.rows) if row.track.position == position), None)
    if index is None:
        abort(404)
    g.tdm_opt_in = release.ai_training_opt_in
    return render_template(
        "catalog/track.html",
        page=page,
        release=release,
        row=page.rows[index],
        previous=page.rows[index - 1] if index > 0 else None,
        next=page.rows[index + 1] if index + 1 < len(page.rows) else None,
        badge=badge_info(release),
        buy=_buy(release),
        **_formatters(),
    )


def _formatters() -> dict[str, Any]:
    return {"format_price": format_price, "format_amount": format_amount}
