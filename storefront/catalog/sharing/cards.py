"""The Open Graph, Twitter card and schema.org data of the catalog pages, and their feed and oEmbed links.

Templates ask for a page's card with the globals in SHARE_GLOBALS (from the data the page already has) and
templates/catalog/_meta.html writes it into the head. JSON-LD is written by Jinja's `htmlsafe_json_dumps`
(what `tojson` uses), which escapes `<`, `>`, `&` and `'`, so no title can close the script element it sits
in. That element is data, not a script: browsers never run it, so the CSP's `script-src 'self'` neither
blocks nor needs to allow it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import url_for
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from ...accounts.models import Artist, Label
from ...config import Settings
from ...orders.pricing import format_amount
from ...releases.models import Release, ReleaseType
from ...web.services import find_service
from ..release_pages import ReleasePage, TrackRow

# -- sharing metadata of the catalog pages ----------------------------------------------------------------
_RELEASE_TYPES = {
    ReleaseType.ALBUM: "https://schema.org/AlbumRelease",
    ReleaseType.EP: "https://schema.org/EPRelease",
    ReleaseType.SINGLE: "https://schema.org/SingleRelease",
}
ALBUM_LIMIT = 50


@dataclass(frozen=True)
class FeedLink:
    title: str
    rss: str
    atom: str


@dataclass(frozen=True)
class ShareCard:
    """What templates/catalog/_meta.html writes into a page's head; every URL is absolute."""

    title: str
    description: str
    url: str
    og_type: str
    image: str | None = None
    image_alt: str = ""
    properties: list[tuple[str, str]] = field(default_factory=list)  # more Open Graph properties
    data: dict[str, Any] | None = None  # schema.org, as JSON-LD
    oembed: str | None = None
    feeds: list[FeedLink] = field(default_factory=list)

    @property
    def json_ld(self) -> Markup:
        """The data for a `<script type="application/ld+json">`: compact, with <, >, & and ' escaped."""
        return htmlsafe_json_dumps(self.data, separators=(",", ":"))


def absolute(path: str) -> str:
    return find_service(Settings).base_url.rstrip("/") + path


def _feed(title: str, endpoint: str, **values: Any) -> FeedLink:
    rss, atom = (absolute(url_for(endpoint, fmt=fmt, **values)) for fmt in ("rss", "atom"))
    return FeedLink(title, rss, atom)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def iso_duration(seconds: float | None) -> str | None:
    if not seconds:
        return None
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes or hours else "") + f"{secs}S"


def _published(release: Release) -> str | None:
    if release.release_date is not None:
        return release.release_date.isoformat()
    return release.approved_at.date().isoformat() if release.approved_at is not None else None


def _group(artist: Artist) -> dict[str, Any]:
    return {"@type": "MusicGroup", "name": artist.name, "url": absolute(_artist_path(artist))}


def _artist_path(artist: Artist) -> str:
    return url_for("catalog.artist_page", slug=artist.slug)


def _release_path(release: Release) -> str:
    return url_for("catalog.release_page", slug=release.artist.slug, release_slug=release.slug)


def _offer(release: Release, url: str) -> dict[str, Any]:
    minor = release.minimum_price_minor if release.pay_what_you_want else release.price_minor
    return {
        "@type": "Offer",
        "url": url,
        "price": format_amount(minor, release.currency),
        "priceCurrency": release.currency,
    }


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def share_release(page: ReleasePage) -> ShareCard:
    release, url = page.release, absolute(page.url)
    kind = "EP" if release.release_type == ReleaseType.EP else release.release_type.value.capitalize()
    count = len(page.rows)
    summary = f"{kind} by {release.artist.name}" + (f" · {count} track{'s' * (count != 1)}" if count else "")
    image = absolute(page.cover.src) if page.cover else None
    data = _drop_empty(
        {
            "@context": "https://schema.org",
            "@type": "MusicAlbum",
            "url": url,
            "name": release.title,
            "byArtist": _group(release.artist),
            "albumReleaseType": _RELEASE_TYPES.get(release.release_type),
            "numTracks": count,
            "datePublished": _published(release),
            "image": image,
            "description": _short(release.description, 500),
            "genre": release.genre,
            "keywords": ", ".join(t for t in release.tags if isinstance(t, str)),
            "recordLabel": (
                {
                    "@type": "Organization",
                    "name": release.label.name,
                    "url": absolute(_label_path(release.label)),
                }
                if release.label is not None
                else None
            ),
            "license": page.license.url,
            "offers": _offer(release, url),
            "track": [_recording(row) for row in page.rows],
        }
    )
    properties = [("music:musician", absolute(_artist_path(release.artist)))]
    if (published := _published(release)) is not None:
        properties.append(("music:release_date", published))
    return ShareCard(
        title=f"{release.title} by {release.artist.name}",
        description=_short(release.description) or summary,
        url=url,
        og_type="music.album",
        image=image,
        image_alt=f"Cover of {release.title}",
        properties=properties,
        data=data,
        oembed=oembed_link(url),
        feeds=[_feed(f"New releases by {release.artist.name}", "feeds.artist", slug=release.artist.slug)],
    )


def _recording(row: TrackRow, *, full: bool = False) -> dict[str, Any]:
    return _drop_empty(
        {
            **({"@context": "https://schema.org"} if full else {}),
            "@type": "MusicRecording",
            "name": row.track.title,
            "url": absolute(row.url) if full else None,  # an album lists its tracks; their pages link them
            "duration": iso_duration(row.seconds),
            "isrcCode": row.track.isrc,
        }
    )


def share_track(page: ReleasePage, row: TrackRow) -> ShareCard:
    release, url = page.release, absolute(row.url)
    album = {"@type": "MusicAlbum", "name": release.title, "url": absolute(page.url)}
    data = _recording(row, full=True) | {"byArtist": _group(release.artist), "inAlbum": album}
    properties = [
        ("music:musician", absolute(_artist_path(release.artist))),
        ("music:album", absolute(page.url)),
        ("music:album:track", str(row.track.position)),
    ]
    if row.seconds:
        properties.append(("music:duration", str(round(row.seconds))))
    return ShareCard(
        title=f"{row.track.title} by {release.artist.name}",
        description=f"Track {row.track.position} of {release.title}, by {release.artist.name}",
        url=url,
        og_type="music.song",
        image=absolute(page.cover.src) if page.cover else None,
        image_alt=f"Cover of {release.title}",
        properties=properties,
        data=data,
        oembed=oembed_link(url),
        feeds=[_feed(f"New releases by {release.artist.name}", "feeds.artist", slug=release.artist.slug)],
    )


def _avatar(kind: str, profile: Artist | Label) -> str | None:
    if profile.avatar_key is None:
        return None
    return absolute(url_for("catalog.avatar", kind=kind, slug=profile.slug))


def _label_path(label: Label) -> str:
    return url_for("catalog.label_page", slug=label.slug)


def share_artist(artist: Artist, releases: Any = ()) -> ShareCard:
    """`releases`: the artist's public releases as the page lists them (their artist loaded)."""
    url = absolute(_artist_path(artist))
    albums = [
        _drop_empty(
            {
                "@type": "MusicAlbum",
                "name": r.title,
                "url": absolute(_release_path(r)),
                "datePublished": _published(r),
            }
        )
        for r in list(releases)[:ALBUM_LIMIT]
    ]
    data = _drop_empty(
        {
            "@context": "https://schema.org",
            "@type": "MusicGroup",
            "url": url,
            "name": artist.name,
            "description": _short(artist.bio, 500),
            "image": _avatar("artists", artist),
            "foundingLocation": {"@type": "Place", "name": artist.location} if artist.location else None,
            "sameAs": [link for link in artist.links if isinstance(link, str)],
            "album": albums,
        }
    )
    return ShareCard(
        title=artist.name,
        description=_short(artist.bio) or f"{artist.name} on Velvet: music made by people.",
        url=url,
        og_type="profile",
        image=_avatar("artists", artist),
        image_alt=f"Picture of {artist.name}",
        data=data,
        feeds=[_feed(f"New releases by {artist.name}", "feeds.artist", slug=artist.slug)],
    )


def share_label(label: Label) -> ShareCard:
    url = absolute(_label_path(label))
    data = _drop_empty(
        {
            "@context": "https://schema.org",
            "@type": "Organization",
            "url": url,
            "name": label.name,
            "description": _short(label.bio, 500),
            "logo": _avatar("labels", label),
            "sameAs": [link for link in label.links if isinstance(link, str)],
        }
    )
    return ShareCard(
        title=label.name,
        description=_short(label.bio) or f"{label.name}, a label on Velvet.",
        url=url,
        og_type="website",
        image=_avatar("labels", label),
        image_alt=f"Logo of {label.name}",
        data=data,
        feeds=[_feed(f"New releases on {label.name}", "feeds.label", slug=label.slug)],
    )


def share_tag(tag: str, path: str) -> ShareCard:
    return ShareCard(
        title=f"Music tagged “{tag}”",
        description=f"New releases tagged “{tag}” on Velvet: music made by people.",
        url=absolute(path),
        og_type="website",
        feeds=[_feed(f"New releases tagged “{tag}”", "feeds.tag", tag=tag)],
    )


def oembed_link(page_url: str) -> str:
    return absolute(url_for("embeds.oembed") + "?" + urlencode({"url": page_url, "format": "json"}))


SHARE_GLOBALS: dict[str, Callable[..., ShareCard]] = {
    "share_release": share_release,
    "share_track": share_track,
    "share_artist": share_artist,
    "share_label": share_label,
    "share_tag": share_tag,
}
