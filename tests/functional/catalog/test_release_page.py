"""The release page as a fan gets it: cover sizes, artist and label, date, price, tracks and their lengths,
the player's markup, credits, lyrics, license, genre, tags and location; only ever for public releases."""

from __future__ import annotations

import pytest

from storefront.accounts.models import RosterLink
from storefront.db import commit, utcnow
from storefront.releases.models import License, Release, ReleaseStatus, UploadStatus
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.factories.attestations import approve, attestation_url, signable_release, signature_form
from tests.functional.catalog.test_release_page_support import (
    elements,
    page_of,
    published,
    text_only,
    track_page_of,
)
from tests.functional.orders.test_checkout_support import connect_payee
from tests.helpers import WebClient, fresh, text_of


@pytest.fixture
def band(db, platform):
    return make_artist(db, make_user(db, platform), name="The Band", slug="the-band")


@pytest.fixture
def label(db, platform, band):
    label = make_label(db, make_user(db, platform), name="Harbour Records", slug="harbour-records")
    db.add(RosterLink(label=label, artist=band, label_consent_at=utcnow(), artist_consent_at=utcnow()))
    commit(db)
    return label


def test_the_page_shows_the_release_and_everything_about_it(client, db, band, label):
    connect_payee(db, band)
    release = published(db, band, tracks=3, label=label, title="Low Water")
    response = client.get(page_of(release))
    assert response.status_code == 200
    html = text_of(response)
    text = text_only(html)

    (cover,) = elements(html, "img")
    # Every size made of the artwork, smallest first; the 3000 px master never reaches a page.
    assert cover["srcset"] == ", ".join(f"/covers/{release.id}/{s}.jpg {s}w" for s in (100, 350, 700, 1200))
    assert cover["src"] == f"/covers/{release.id}/700.jpg" and "350px" in cover["sizes"]
    assert cover["alt"] == "Cover of Low Water"

    links = {a["href"] for a in elements(html, "a")}
    assert {"/artists/the-band", "/labels/harbour-records"} <= links
    assert '<time datetime="2024-03-12">12 March 2024</time>' in html
    assert "Buy 7.00 USD" in text

    assert text.index("1. Song 1") < text.index("2. Song 2") < text.index("3. Song 3")
    assert text.count("3:25") == 3
    assert {track_page_of(release, n) for n in (1, 2, 3)} <= links
    # Each track's lyrics are a link away, on its own page.
    assert {track_page_of(release, n) + "#lyrics" for n in (1, 2, 3)} <= links

    assert "Ana Ruiz — composer" in text and "Mia Chen — mastering engineer" in text
    assert "2. Song 2 Ben Okafor — performer (guitar)" in text

    assert {
        "/genres/Post-punk",
        "/tags/dream%20pop",
        "/tags/lo-fi/tape",
        "/locations/G%C3%B6teborg",
    } <= links
    assert "Göteborg" in text
    (deed,) = [a for a in elements(html, "a") if a.get("rel") == "license"]
    assert deed["href"] == "https://creativecommons.org/licenses/by-nc/4.0/"
    assert "CC BY-NC 4.0" in text and "UPC 036000291452" in text


def test_the_player_is_plain_audio_until_the_script_takes_over(client, db, band):
    release = published(db, band, tracks=2)
    html = text_of(client.get(page_of(release)))
    scripts = elements(html, "script")
    assert {"type": "module", "src": "/static/js/player.js"} in scripts
    # No inline script (the CSP forbids it); structured data is not run.
    code = [s for s in scripts if s.get("type") != "application/ld+json"]
    assert all(s.get("type") == "module" and "src" in s for s in code)
    ids = [t.id for t in release.tracks]
    audio = elements(html, "audio")
    assert [(a["src"], a["preload"]) for a in audio] == [(f"/previews/{i}", "none") for i in ids]
    assert [li["data-id"] for li in elements(html, "li") if "data-id" in li] == [str(i) for i in ids]
    (player,) = [s for s in elements(html, "section") if "data-player" in s]
    assert player["data-analysis"].replace("ID", str(ids[0])) == f"/previews/{ids[0]}/analysis.json"
    assert player["data-artist"] == "The Band" and player["data-album"] == release.title
    assert player["data-artwork"] == f"/covers/{release.id}/350.jpg"
    # The controls only work with the script, so they stay hidden without it.
    (controls,) = [d for d in elements(html, "div") if "data-controls" in d]
    assert "hidden" in controls
    (seek,) = [d for d in elements(html, "div") if d.get("role") == "slider"]
    assert seek["tabindex"] == "0" and seek["aria-label"]


@pytest.mark.parametrize(
    ("minimum", "price", "shown"),
    [(0, 0, "Free, or name your price"), (500, 800, "5.00 USD or more")],
)
def test_name_your_price(client, db, band, minimum, price, shown):
    connect_payee(db, band)
    release = published(db, band)
    release.pay_what_you_want, release.minimum_price_minor, release.price_minor = True, minimum, price
    commit(db)
    html = text_of(client.get(page_of(release)))
    assert shown in text_only(html)
    assert "Name your price (USD)" in html


def test_the_human_made_badge_links_to_the_certificate(app, db, platform, tmp_path):
    owner = make_user(db, platform)
    artist = make_artist(db, owner, name="Harbour Lights", slug="harbour")
    release, _ = signable_release(db, artist, tmp_path)
    artist_web = WebClient(app)
    artist_web.login(owner.email, PASSWORD)
    assert artist_web.submit(attestation_url(artist, release), signature_form()).status_code == 302
    approve(db, release.id)
    html = text_of(WebClient(app).get(page_of(release)))
    badge = [a for a in elements(html, "a") if a["href"] == f"/releases/{release.id}/certificate"]
    assert badge and "Human-made" in text_only(html)


def test_a_release_without_cover_or_audio_still_reads_well(client, db, band):
    release = published(db, band, tracks=2, masters=False)
    release.artwork.status = UploadStatus.REPLACED
    release.license, release.genre, release.tags, release.location = License.ALL_RIGHTS_RESERVED, "", [], ""
    release.release_date = None
    commit(db)
    html = text_of(client.get(page_of(release)))
    # Without a release date of its own, it was released the day it went on sale.
    assert f'<time datetime="{release.approved_at.date().isoformat()}">' in html
    assert elements(html, "img") == [] and elements(html, "audio") == []
    assert "1. Song 1" in text_only(html) and "All rights reserved" in text_only(html)
    assert "/genres/" not in html and "/tags/" not in html and "/locations/" not in html


def test_a_cover_with_only_its_master_is_sent_at_one_size(client, db, band):
    release = published(db, band, cover_sides=())
    (cover,) = elements(text_of(client.get(page_of(release))), "img")
    assert cover["src"] == f"/covers/{release.id}/700.jpg" and "srcset" not in cover


@pytest.mark.parametrize(
    "status",
    [ReleaseStatus.DRAFT, ReleaseStatus.IN_REVIEW, ReleaseStatus.CHANGES_REQUESTED, ReleaseStatus.REJECTED],
)
def test_releases_that_are_not_public_are_never_shown(app, db, platform, status):
    owner = make_user(db, platform)
    artist = make_artist(db, owner, slug="hidden-band")
    release = published(db, artist, status=status)
    artist_web = WebClient(app)
    artist_web.login(owner.email, PASSWORD)
    for web in (WebClient(app), artist_web):  # not even its own artist sees it here: the workspace is theirs
        for path in (page_of(release), track_page_of(release, 1)):
            response = web.get(path)
            assert response.status_code == 404, path
            assert release.title not in text_of(response)


def test_a_taken_down_release_is_gone(client, db, band):
    release = published(db, band, status=ReleaseStatus.TAKEN_DOWN)
    for path in (page_of(release), track_page_of(release, 2)):
        response = client.get(path)
        assert response.status_code == 410
        assert "was withdrawn" in text_of(response) and "/previews/" not in text_of(response)


def test_unknown_addresses_are_not_found(client, db, band, platform):
    release = published(db, band)
    other = make_artist(db, make_user(db, platform), slug="other-band")
    for path in (
        f"/artists/nobody/album/{release.slug}",
        f"/artists/{other.slug}/album/{release.slug}",
        f"/artists/{band.slug}/album/no-such-release",
        track_page_of(release, 4),
        track_page_of(release, 0),
        f"{page_of(release)}/track/song-1",
    ):
        assert client.get(path).status_code == 404, path


def test_a_release_approved_after_a_visit_appears(client, db, band):
    release = published(db, band, status=ReleaseStatus.IN_REVIEW)
    assert client.get(page_of(release)).status_code == 404
    approved = fresh(db).get(Release, release.id)
    approved.status, approved.approved_at = ReleaseStatus.APPROVED, utcnow()
    commit(db)
    assert client.get(page_of(release)).status_code == 200
