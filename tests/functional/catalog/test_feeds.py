"""RSS and Atom feeds of new public releases: the store, an artist, a label, a tag."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest

from storefront.accounts.models import Artist
from storefront.db import commit
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import make_artist, make_label, make_user
from tests.functional.catalog.test_sharing_support import HOSTILE, NOT_PUBLIC, public_release, xml_of

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


def _band(db, platform, **kwargs) -> Artist:
    return make_artist(db, make_user(db, platform), **kwargs)


def _rss_titles(body: bytes) -> list[str]:
    return [item.findtext("title") or "" for item in xml_of(body).iter("item")]


def _atom_titles(body: bytes) -> list[str]:
    return [entry.findtext(f"{ATOM}title") or "" for entry in xml_of(body).iter(f"{ATOM}entry")]


def test_the_store_feed_lists_public_releases_newest_first_in_rss_and_atom(client, db, platform):
    artist = _band(db, platform, name="Harbour Lights")
    public_release(db, artist, title="Older", approved_ago=timedelta(days=2))
    public_release(db, artist, title="Newer", approved_ago=timedelta(days=1))

    rss = client.get("/feeds/releases.rss")
    atom = client.get("/feeds/releases.atom")

    assert rss.status_code == 200 and rss.mimetype == "application/rss+xml"
    assert rss.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert atom.status_code == 200 and atom.mimetype == "application/atom+xml"
    assert _rss_titles(rss.data) == ["Newer", "Older"]
    assert _atom_titles(atom.data) == ["Newer", "Older"]


def test_rss_is_rss_2_0_with_absolute_links_and_rfc_822_dates(client, db, platform):
    artist = _band(db, platform, name="Static Orchard", slug="static-orchard")
    release = public_release(db, artist, title="Ripe", tags=("shoegaze",))

    channel = xml_of(client.get("/feeds/releases.rss").data).find("channel")

    assert channel is not None
    assert xml_of(client.get("/feeds/releases.rss").data).get("version") == "2.0"
    assert channel.findtext("link") == "http://localhost/"
    item = channel.find("item")
    assert item is not None
    assert item.findtext("link") == f"http://localhost/artists/static-orchard/album/{release.slug}"
    assert item.findtext(f"{DC}creator") == "Static Orchard"
    assert item.find("guid").get("isPermaLink") == "false"  # type: ignore[union-attr]
    assert item.findtext("guid", "").startswith("tag:localhost,")
    published = parsedate_to_datetime(item.findtext("pubDate") or "")
    assert release.approved_at is not None
    assert abs(published - release.approved_at) < timedelta(seconds=1)
    assert "shoegaze" in [c.text for c in item.findall("category")]
    cover = f'src="http://localhost/covers/{release.id}/300.jpg"'
    assert cover in (item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or "")


def test_atom_has_ids_dates_and_self_and_alternate_links(client, db, platform):
    artist = _band(db, platform, slug="quiet-hours")
    release = public_release(db, artist, title="Hush")

    feed = xml_of(client.get("/feeds/artists/quiet-hours.atom").data)

    assert feed.findtext(f"{ATOM}id") == "http://localhost/feeds/artists/quiet-hours.atom"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {
        "self": "http://localhost/feeds/artists/quiet-hours.atom",
        "alternate": "http://localhost/artists/quiet-hours",
    }
    entry = feed.find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}id", "").endswith(f":release:{release.id}")
    # RFC 3339: a full date and time with its offset.
    assert entry.findtext(f"{ATOM}updated", "").endswith("+00:00")
    assert feed.findtext(f"{ATOM}updated") == entry.findtext(f"{ATOM}updated")


@pytest.mark.parametrize("status", NOT_PUBLIC)
def test_no_feed_lists_a_release_that_is_not_public(client, db, platform, status):
    label = make_label(db, make_user(db, platform), slug="harbour")
    artist = _band(db, platform, slug="mara")
    public_release(db, artist, title="Shown", label=label, tags=("ambient",))
    public_release(db, artist, title="Hidden", label=label, tags=("ambient",), status=status)

    for path in (
        "/feeds/releases",
        "/feeds/artists/mara",
        "/feeds/labels/harbour",
        "/feeds/tags/ambient",
    ):
        assert _rss_titles(client.get(f"{path}.rss").data) == ["Shown"], path
        assert _atom_titles(client.get(f"{path}.atom").data) == ["Shown"], path


def test_a_taken_down_release_leaves_every_feed(client, db, platform):
    artist = _band(db, platform, slug="withdrawn-band")
    release = public_release(db, artist, title="Gone Soon", tags=("noise",))
    assert _rss_titles(client.get("/feeds/artists/withdrawn-band.rss").data) == ["Gone Soon"]

    release.status = ReleaseStatus.TAKEN_DOWN
    commit(db)

    assert _rss_titles(client.get("/feeds/artists/withdrawn-band.rss").data) == []
    assert _rss_titles(client.get("/feeds/releases.rss").data) == []
    assert client.get("/feeds/tags/noise.rss").status_code == 404


def test_artist_label_and_tag_feeds_hold_only_their_releases(client, db, platform):
    label = make_label(db, make_user(db, platform), slug="night-label", name="Night Label")
    one, other = _band(db, platform, slug="one"), _band(db, platform, slug="other")
    public_release(db, one, title="On the label", label=label, tags=("dream pop",))
    public_release(db, other, title="Elsewhere", tags=("lo-fi/tape",))

    assert _rss_titles(client.get("/feeds/artists/one.rss").data) == ["On the label"]
    assert _rss_titles(client.get("/feeds/labels/night-label.rss").data) == ["On the label"]
    assert _rss_titles(client.get("/feeds/tags/dream%20pop.rss").data) == ["On the label"]
    # Tags may hold a slash, and are looked up as stored: lower case.
    assert _atom_titles(client.get("/feeds/tags/LO-FI/TAPE.atom").data) == ["Elsewhere"]
    channel = xml_of(client.get("/feeds/labels/night-label.rss").data).find("channel")
    assert channel is not None and channel.findtext("title") == "Night Label: new releases on Velvet"


def test_missing_artists_labels_and_tags_are_not_found(client, db, platform):
    _band(db, platform, slug="known")
    for path in (
        "/feeds/artists/nobody.rss",
        "/feeds/labels/nobody.atom",
        "/feeds/tags/no-such-tag.rss",
        "/feeds/releases.json",
    ):
        assert client.get(path).status_code == 404, path
    # An artist without public releases has a feed; it is empty until the first one.
    assert _rss_titles(client.get("/feeds/artists/known.rss").data) == []


def test_hostile_titles_are_escaped_and_the_feeds_stay_well_formed(client, db, platform):
    artist = _band(db, platform, name=f"Band {HOSTILE}\x07")
    public_release(
        db,
        artist,
        title=f"{HOSTILE}\x0b\x1b",  # characters XML 1.0 cannot hold (PostgreSQL refuses NUL itself)
        tags=(HOSTILE[:40],),
        description=f"First line {HOSTILE}\nSecond <line>",
    )

    rss = client.get("/feeds/releases.rss")
    atom = client.get("/feeds/releases.atom")

    clean = HOSTILE  # the control characters XML cannot hold are dropped
    assert _rss_titles(rss.data) == [clean]
    assert _atom_titles(atom.data) == [clean]
    for body in (rss.data, atom.data):
        assert b"<script>" not in body and b"</script>" not in body
    # The entry's HTML is escaped once for HTML and once for XML: a reader shows the text, never markup.
    content = xml_of(atom.data).find(f"{ATOM}entry/{ATOM}content")
    assert content is not None and content.get("type") == "html"
    assert "&lt;/script&gt;" in (content.text or "") and "<script>" not in (content.text or "")
    assert "Second &lt;line&gt;" in (content.text or "")


def test_a_feed_carries_at_most_thirty_releases(client, db, platform):
    artist = _band(db, platform, slug="prolific")
    for n in range(32):
        public_release(
            db, artist, title=f"Take {n}", tracks=0, cover=False, approved_ago=timedelta(hours=40 - n)
        )

    titles = _rss_titles(client.get("/feeds/artists/prolific.rss").data)

    assert len(titles) == 30 and titles[0] == "Take 31" and titles[-1] == "Take 2"
