"""Embeddable players other sites may frame, and the oEmbed endpoint that hands them out."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from storefront.db import commit
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import make_artist, make_user
from tests.functional.catalog.test_sharing_support import HOSTILE, NOT_PUBLIC, page_of, public_release
from tests.helpers import text_of


@pytest.fixture
def release(db, platform):
    artist = make_artist(db, make_user(db, platform), name="Mara Lind", slug="mara-lind")
    return public_release(db, artist, title="Tidewater", tracks=3)


def _oembed(client, url: str, **params: str):
    query = "&".join(f"{k}={v}" for k, v in {"url": quote(url, safe=""), **params}.items())
    return client.get(f"/oembed?{query}")


def test_only_the_players_may_be_framed_by_other_sites(client, release):
    for path in (f"/embed/release/{release.id}", f"/embed/track/{release.tracks[0].id}"):
        for size in ("", "?size=compact"):
            response = client.get(path + size)
            assert response.status_code == 200, path
            assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
            assert "X-Frame-Options" not in response.headers
    for path in ("/", page_of(release), "/login", "/feeds/releases.rss", "/oembed"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_the_release_player_plays_each_track_and_opens_links_in_a_new_tab(client, release):
    response = client.get(f"/embed/release/{release.id}")
    html = text_of(response)

    assert '<base target="_blank">' in html
    assert "Tidewater" in html and "Mara Lind" in html
    for track in release.tracks:
        assert f'src="/previews/{track.id}"' in html
    assert 'src="/static/js/player.js"' in html
    assert "/cart/add" not in html and "csrf_token" not in html  # nothing is sold inside a frame
    assert "Set-Cookie" not in response.headers


def test_the_compact_player_has_one_track(client, release):
    compact = text_of(client.get(f"/embed/release/{release.id}?size=compact"))
    track = text_of(client.get(f"/embed/track/{release.tracks[1].id}?size=compact"))

    assert "embed--compact" in compact and compact.count('src="/previews/') == 1
    assert f'src="/previews/{release.tracks[1].id}"' in track and track.count('src="/previews/') == 1
    assert "Song 2" in track and "from <a" in track


@pytest.mark.parametrize("status", NOT_PUBLIC)
def test_players_and_oembed_of_releases_that_are_not_public_are_not_found(client, db, release, status):
    track = release.tracks[0]
    release.status = status
    commit(db)

    assert client.get(f"/embed/release/{release.id}").status_code == 404
    assert client.get(f"/embed/track/{track.id}").status_code == 404
    assert _oembed(client, f"http://localhost{page_of(release)}").status_code == 404
    assert _oembed(client, f"http://localhost{page_of(release)}/track/1").status_code == 404


def test_missing_players_are_not_found(client, release):
    assert client.get("/embed/release/999999").status_code == 404
    assert client.get("/embed/track/999999").status_code == 404
    assert client.get("/embed/release/99999999999999999999999").status_code == 404


def test_oembed_answers_a_rich_iframe_for_a_release_page(client, release):
    url = f"http://localhost{page_of(release)}"

    response = _oembed(client, url, format="json")

    assert response.status_code == 200 and response.mimetype == "application/json"
    answer = response.get_json()
    assert answer["version"] == "1.0" and answer["type"] == "rich"
    assert answer["provider_name"] == "Velvet" and answer["provider_url"] == "http://localhost/"
    assert answer["title"] == "Tidewater by Mara Lind"
    assert (
        answer["author_name"] == "Mara Lind" and answer["author_url"] == "http://localhost/artists/mara-lind"
    )
    assert (answer["width"], answer["height"]) == (480, 420)
    assert answer["html"] == (
        f'<iframe src="http://localhost/embed/release/{release.id}" width="480" height="420" '
        'title="Tidewater by Mara Lind on Velvet" loading="lazy" style="border:0"></iframe>'
    )
    assert answer["thumbnail_url"] == f"http://localhost/covers/{release.id}/300.jpg"
    assert (answer["thumbnail_width"], answer["thumbnail_height"]) == (300, 300)


def test_oembed_answers_for_a_track_page_and_for_the_players_themselves(client, release):
    track = release.tracks[2]
    by_page = _oembed(client, f"http://localhost{page_of(release)}/track/3").get_json()
    by_player = _oembed(client, f"http://localhost/embed/track/{track.id}").get_json()
    release_player = _oembed(client, f"http://localhost/embed/release/{release.id}?size=compact").get_json()

    assert by_page == by_player
    assert f'src="http://localhost/embed/track/{track.id}"' in by_page["html"]
    assert by_page["title"] == "Song 3 by Mara Lind"
    assert release_player["title"] == "Tidewater by Mara Lind"


def test_oembed_honours_maxwidth_and_maxheight(client, release):
    url = f"http://localhost{page_of(release)}"

    narrow = _oembed(client, url, maxwidth="320").get_json()
    short = _oembed(client, url, maxheight="200").get_json()
    tiny = _oembed(client, url, maxwidth="100", maxheight="90").get_json()

    assert (narrow["width"], narrow["height"]) == (320, 420)
    # Too short for the standard player: the compact one, which fits.
    assert (short["width"], short["height"]) == (480, 150)
    assert "?size=compact" in short["html"]
    assert (tiny["width"], tiny["height"]) == (100, 90)
    assert 'width="100" height="90"' in tiny["html"]
    assert "thumbnail_url" not in tiny  # a 300 px thumbnail does not fit


def test_oembed_refuses_what_it_cannot_answer(client, release):
    url = f"http://localhost{page_of(release)}"

    assert _oembed(client, url, format="xml").status_code == 501
    assert client.get("/oembed").status_code == 400
    assert _oembed(client, url, maxwidth="wide").status_code == 400
    assert _oembed(client, url, maxheight="-5").status_code == 400
    assert _oembed(client, url, maxheight="0").status_code == 400
    # Only this site's release and track pages.
    assert _oembed(client, f"https://elsewhere.example{page_of(release)}").status_code == 404
    assert _oembed(client, "http://localhost/artists/mara-lind").status_code == 404
    assert _oembed(client, "http://localhost/no/such/page").status_code == 404
    assert _oembed(client, f"http://localhost{page_of(release)}/track/9").status_code == 404
    assert _oembed(client, "javascript:alert(1)").status_code == 404


def test_oembed_escapes_hostile_titles_in_its_html(client, db, platform):
    artist = make_artist(db, make_user(db, platform), name=HOSTILE)
    release = public_release(db, artist, title=HOSTILE)

    answer = _oembed(client, f"http://localhost{page_of(release)}").get_json()

    assert answer["title"] == f"{HOSTILE} by {HOSTILE}"
    assert "<script>" not in answer["html"] and "&lt;/script&gt;" in answer["html"]
    assert answer["html"].count("<iframe ") == 1 and answer["html"].endswith("></iframe>")


def test_release_and_track_pages_advertise_their_oembed(client, release):
    page = text_of(client.get(page_of(release)))
    track = text_of(client.get(f"{page_of(release)}/track/1"))

    link = '<link rel="alternate" type="application/json+oembed" href="http://localhost/oembed?url='
    assert link + quote(f"http://localhost{page_of(release)}", safe="") + '&amp;format=json"' in page
    assert link + quote(f"http://localhost{page_of(release)}/track/1", safe="") + '&amp;format=json"' in track


def test_a_taken_down_release_page_is_gone_and_its_player_is_not_found(client, db, release):
    release.status = ReleaseStatus.TAKEN_DOWN
    commit(db)

    assert client.get(page_of(release)).status_code == 410
    assert client.get(f"/embed/release/{release.id}").status_code == 404
