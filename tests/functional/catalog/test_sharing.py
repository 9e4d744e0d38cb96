"""What a catalog page tells the sites it is shared on: Open Graph, the Twitter card, schema.org JSON-LD,
feed discovery; and the favicon and web app manifest every page links."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from storefront.db import commit
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import make_artist, make_label, make_user
from tests.functional.catalog.test_sharing_support import HOSTILE, json_ld, meta, page_of, public_release
from tests.helpers import text_of


def _links(html: str, kind: str) -> list[str]:
    return re.findall(rf'<link rel="alternate" type="{re.escape(kind)}" title="[^"]*" href="([^"]+)"', html)


def test_a_release_page_shares_an_album_with_its_tracks(client, db, platform):
    label = make_label(db, make_user(db, platform), name="Harbour Lights", slug="harbour-lights")
    artist = make_artist(db, make_user(db, platform), name="Mara Lind", slug="mara-lind")
    release = public_release(db, artist, title="Tidewater", label=label, tracks=2, tags=("folk", "sea"))
    release.description = "Songs written on the west coast.\nRecorded live."
    release.price_minor = 900
    commit(db)
    url = f"http://localhost{page_of(release)}"

    html = text_of(client.get(page_of(release)))

    assert meta(html, "og:type") == ["music.album"]
    assert meta(html, "og:title") == ["Tidewater by Mara Lind"]
    assert meta(html, "og:url") == [url]
    assert meta(html, "og:description") == ["Songs written on the west coast. Recorded live."]
    assert meta(html, "og:image") == [f"http://localhost/covers/{release.id}/700.jpg"]
    assert meta(html, "music:musician") == ["http://localhost/artists/mara-lind"]
    assert meta(html, "twitter:card") == ["summary_large_image"]
    assert f'<link rel="canonical" href="{url}">' in html
    [album] = json_ld(html)
    assert album["@context"] == "https://schema.org" and album["@type"] == "MusicAlbum"
    assert album["name"] == "Tidewater" and album["url"] == url
    assert album["byArtist"] == {
        "@type": "MusicGroup",
        "name": "Mara Lind",
        "url": "http://localhost/artists/mara-lind",
    }
    assert album["recordLabel"]["name"] == "Harbour Lights"
    assert album["numTracks"] == 2 and album["datePublished"] == "2024-03-12"
    assert album["albumReleaseType"] == "https://schema.org/AlbumRelease"
    assert album["keywords"] == "folk, sea"
    assert album["offers"] == {"@type": "Offer", "url": url, "price": "9.00", "priceCurrency": "USD"}
    assert [t["name"] for t in album["track"]] == ["Song 1", "Song 2"]
    assert album["track"][0] == {
        "@type": "MusicRecording",
        "name": "Song 1",
        "duration": "PT3M25S",
        "isrcCode": "GBSHR2600001",
    }
    assert _links(html, "application/rss+xml")[-1] == "http://localhost/feeds/artists/mara-lind.rss"


def test_a_track_page_shares_a_recording(client, db, platform):
    artist = make_artist(db, make_user(db, platform), name="Mara Lind", slug="mara-lind")
    release = public_release(db, artist, title="Tidewater", tracks=2)

    html = text_of(client.get(f"{page_of(release)}/track/2"))

    assert meta(html, "og:type") == ["music.song"]
    assert meta(html, "og:title") == ["Song 2 by Mara Lind"]
    assert meta(html, "music:album") == [f"http://localhost{page_of(release)}"]
    assert meta(html, "music:duration") == ["205"]
    [recording] = json_ld(html)
    assert recording["@type"] == "MusicRecording" and recording["name"] == "Song 2"
    assert recording["duration"] == "PT3M25S" and recording["isrcCode"] == "GBSHR2600002"
    assert recording["inAlbum"] == {
        "@type": "MusicAlbum",
        "name": "Tidewater",
        "url": f"http://localhost{page_of(release)}",
    }
    assert recording["byArtist"]["name"] == "Mara Lind"


def test_an_artist_page_shares_a_music_group_with_its_public_albums(client, db, platform):
    artist = make_artist(db, make_user(db, platform), name="Static Orchard", slug="static-orchard")
    artist.bio, artist.links = "A band from the orchard.", ["https://static-orchard.example"]
    commit(db)
    public_release(db, artist, title="Ripe")
    public_release(db, artist, title="Unripe", status=ReleaseStatus.IN_REVIEW)

    html = text_of(client.get("/artists/static-orchard"))

    assert meta(html, "og:type") == ["profile"] and meta(html, "og:title") == ["Static Orchard"]
    assert meta(html, "og:description") == ["A band from the orchard."]
    assert meta(html, "twitter:card") == ["summary"]  # no picture yet
    [group] = json_ld(html)
    assert group["@type"] == "MusicGroup" and group["name"] == "Static Orchard"
    assert group["sameAs"] == ["https://static-orchard.example"]
    assert [album["name"] for album in group["album"]] == ["Ripe"]
    feeds = _links(html, "application/atom+xml")
    assert "http://localhost/feeds/artists/static-orchard.atom" in feeds


def test_a_label_page_shares_an_organization_and_its_feed(client, db, platform):
    make_label(db, make_user(db, platform), name="Harbour Lights", slug="harbour-lights")

    html = text_of(client.get("/labels/harbour-lights"))

    [organization] = json_ld(html)
    assert organization["@type"] == "Organization" and organization["name"] == "Harbour Lights"
    assert organization["url"] == "http://localhost/labels/harbour-lights"
    assert "http://localhost/feeds/labels/harbour-lights.rss" in _links(html, "application/rss+xml")


def test_a_tag_page_links_its_feeds(client, db, platform):
    artist = make_artist(db, make_user(db, platform))
    public_release(db, artist, tags=("dream pop",))

    html = text_of(client.get("/tags/dream%20pop"))

    assert f"http://localhost/feeds/tags/{quote('dream pop')}.rss" in _links(html, "application/rss+xml")
    assert meta(html, "og:title") == ["Music tagged “dream pop”"]


def test_every_page_links_the_store_feed_the_icons_and_the_manifest(client):
    for path in ("/", "/login", "/browse"):
        html = text_of(client.get(path))
        assert "/feeds/releases.rss" in _links(html, "application/rss+xml"), path
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
        assert '<link rel="manifest" href="/static/manifest.webmanifest">' in html
    with client.get("/static/manifest.webmanifest") as manifest:
        data = json.loads(manifest.data)
        assert manifest.mimetype == "application/manifest+json"
    assert data["name"] == "Velvet" and data["start_url"] == "/"
    icons = [(icon["src"], icon["type"]) for icon in data["icons"]]
    icons += [("/static/favicon.svg", "image/svg+xml"), ("/favicon.ico", "image/vnd.microsoft.icon")]
    for path, mimetype in [*icons, ("/static/icons/apple-touch-icon.png", "image/png")]:
        with client.get(path) as response:  # a static file stays open until its response is closed
            assert response.status_code == 200 and response.data and response.mimetype == mimetype, path


def test_hostile_titles_cannot_close_the_json_ld_script(client, db, platform):
    artist = make_artist(db, make_user(db, platform), name=HOSTILE, slug="hostile")
    release = public_release(db, artist, title=HOSTILE, description=HOSTILE, tags=("</script>",))

    for path in (page_of(release), f"{page_of(release)}/track/1", "/artists/hostile"):
        html = text_of(client.get(path))
        head = html.split("</head>")[0]
        # The only script elements in the head are the page's own modules and the JSON-LD block.
        assert head.count("</script>") == head.count("<script"), path
        assert "<script>alert(1)" not in html, path
        [data] = json_ld(html)
        assert HOSTILE in (data["name"], data.get("inAlbum", {}).get("name")), path
        assert "\\u003c/script\\u003e" in head, path
        assert meta(html, "og:title")[0].endswith(HOSTILE), path
