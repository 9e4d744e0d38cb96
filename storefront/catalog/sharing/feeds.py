"""RSS 2.0 and Atom feeds of new public releases: the whole store, an artist, a label, a tag.

Built with feedgen (on lxml), which escapes every text and attribute; characters that XML 1.0 cannot hold at
all (control characters an artist might paste) are dropped first. Links are absolute, on the site's base URL.
An entry's id is a tag URI made from the release's number, so it survives an artist renaming their address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort
from markupsafe import Markup
from sqlalchemy import select

from ...accounts.models import Artist, Label
from ...config import Settings
from ...db import get_session
from ...releases import windows
from ...releases.models import Release
from ...web.access import PUBLIC, access
from ...web.caching import cacheable
from ...web.services import external_url, find_service
from ..browse import Card, Source, by_label, by_tag, newest, public, read_page
from ..models import normalise_tag
from .stamps import artist_stamp, catalog_stamp, label_stamp, tag_stamp

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
FORMAT = "<any(rss, atom):fmt>"
FEED_SIZE = 30
MIMETYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Everything XML 1.0 forbids: C0 controls but tab, newline and return; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Feed:
    title: str
    description: str
    page: str  # the page the feed follows, absolute
    endpoint: str
    values: dict[str, str]
    since: datetime  # the feed's date when it has no entries yet


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _by_artist(artist_id: int) -> Source:
    return Source(
        lambda *cols: select(*cols).where(public(), Release.artist_id == artist_id),
        Release.approved_at,
        Release.id,
    )


def _entry_id(release: Release) -> str:
    # RFC 4151: the site's host name and a date it held it, then the release's number.
    host = urlsplit(find_service(Settings).base_url).hostname or "localhost"
    return f"tag:{host},{release.created_at:%Y-%m-%d}:release:{release.id}"


def _kind(release: Release) -> str:
    value = release.release_type.value
    return "EP" if value == "ep" else value.capitalize()


def _content(card: Card, url: str, on: date) -> str:
    """The entry's HTML: the cover, what it is and the artist's description; every text escaped."""
    release = card.release
    parts: list[Markup] = []
    if card.has_cover:
        cover = external_url("catalog.cover", release_id=release.id, size=300)
        parts.append(
            Markup(
                '<p><a href="{}"><img src="{}" alt="Cover of {}" width="300" height="300"></a></p>'
            ).format(url, cover, release.title)
        )
    year = f", {release.release_date:%Y}" if release.release_date else ""
    parts.append(Markup("<p>{} by {}{}</p>").format(_kind(release), release.artist.name, year))
    until = windows.open_until(release, on)
    if until is not None:
        parts.append(Markup("<p><strong>{}</strong></p>").format(windows.window_text(until)))
    for paragraph in release.description.split("\n"):
        if paragraph.strip():
            parts.append(Markup("<p>{}</p>").format(paragraph.strip()))
    return clean(str(Markup("").join(parts)))


def _summary(release: Release, on: date) -> str:
    year = f" ({release.release_date:%Y})" if release.release_date else ""
    until = windows.open_until(release, on)
    window = f". {windows.window_text(until)}" if until is not None else ""
    return f"{_kind(release)} by {release.artist.name}{year}{window}"


def render(feed: Feed, cards: list[Card], fmt: str) -> Response:
    generator = FeedGenerator()
    # RSS names an item's author by email only: Dublin Core's creator carries the artist's name instead.
    generator.load_extension("dc", atom=False, rss=True)
    self_url = external_url(feed.endpoint, fmt=fmt, **feed.values)
    generator.id(external_url(feed.endpoint, fmt="atom", **feed.values))
    generator.title(clean(feed.title))
    generator.subtitle(clean(feed.description))
    generator.link(href=self_url, rel="self", type=MIMETYPES[fmt])
    # RSS has one channel link, the last one given: the page the feed follows.
    generator.link(href=feed.page, rel="alternate", type="text/html")
    generator.language("en")
    generator.generator("Velvet", uri=external_url("catalog.home"))
    generator.icon(external_url("static", filename="favicon.svg"))
    dates = [card.release.approved_at for card in cards if card.release.approved_at is not None]
    generator.updated(_second(max(dates, default=feed.since)))
    on = windows.today()
    for card in cards:
        release = card.release
        url = external_url("catalog.release_page", slug=release.artist.slug, release_slug=release.slug)
        entry = generator.add_entry(order="append")
        entry.id(_entry_id(release))
        entry.guid(_entry_id(release), permalink=False)
        entry.title(clean(release.title))
        entry.link(href=url, rel="alternate", type="text/html")
        entry.author(name=clean(release.artist.name))
        entry.dc.dc_creator(clean(release.artist.name))
        entry.summary(clean(_summary(release, on)))
        entry.content(_content(card, url, on), type="html")
        published = _second(release.approved_at or feed.since)
        entry.published(published)
        entry.updated(published)
        for topic in [release.genre, *release.tags]:
            if isinstance(topic, str) and topic.strip():
                entry.category(term=clean(topic), label=clean(topic))
    body = generator.atom_str() if fmt == "atom" else generator.rss_str()
    return Response(body, mimetype=MIMETYPES[fmt])


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _cards(source: Source) -> list[Card]:
    return read_page(get_session(), source, size=FEED_SIZE).cards


@bp.get(f"/releases.{FORMAT}")
@access(PUBLIC)
@cacheable(catalog_stamp)
def releases(fmt: str) -> Response:
    feed = Feed(
        "New releases on Velvet",
        "Music made by people, newest first.",
        external_url("catalog.home"),
        "feeds.releases",
        {},
        _EPOCH,
    )
    return render(feed, _cards(newest()), fmt)


@bp.get(f"/artists/<slug>.{FORMAT}")
@access(PUBLIC)
@cacheable(artist_stamp)
def artist(slug: str, fmt: str) -> Response:
    found = get_session().scalar(select(Artist).where(Artist.slug == slug))
    if found is None:
        abort(404)
    feed = Feed(
        f"{found.name}: new releases on Velvet",
        f"New releases by {found.name}.",
        external_url("catalog.artist_page", slug=found.slug),
        "feeds.artist",
        {"slug": found.slug},
        found.created_at,
    )
    return render(feed, _cards(_by_artist(found.id)), fmt)


@bp.get(f"/labels/<slug>.{FORMAT}")
@access(PUBLIC)
@cacheable(label_stamp)
def label(slug: str, fmt: str) -> Response:
    found = get_session().scalar(select(Label).where(Label.slug == slug))
    if found is None:
        abort(404)
    feed = Feed(
        f"{found.name}: new releases on Velvet",
        f"New releases on {found.name}.",
        external_url("catalog.label_page", slug=found.slug),
        "feeds.label",
        {"slug": found.slug},
        found.created_at,
    )
    return render(feed, _cards(by_label(found.id)), fmt)


@bp.get(f"/tags/<path:tag>.{FORMAT}")
@access(PUBLIC)
@cacheable(tag_stamp)
def tag(tag: str, fmt: str) -> Response:
    name = normalise_tag(tag)
    cards = _cards(by_tag(name)) if name else []
    if not cards:
        abort(404)  # a tag no public release carries does not exist
    feed = Feed(
        f"Tagged “{name}” on Velvet",
        f"New releases tagged “{name}”.",
        external_url("catalog.tag_page", tag=name),
        "feeds.tag",
        {"tag": name},
        _EPOCH,
    )
    return render(feed, cards, fmt)
