"""An artist's page: who they are (bio, links, place, labels) and their discography, grouped by type."""

from __future__ import annotations

from datetime import timedelta

from storefront.accounts.models import RosterLink
from storefront.db import commit, utcnow
from storefront.releases.models import ReleaseType
from tests.factories.accounts import make_artist, make_label, make_user
from tests.functional.catalog.test_browse_support import (
    assert_only_public,
    card_titles,
    every_state,
    on_roster,
    release,
)
from tests.helpers import text_of


def test_discography_is_grouped_albums_eps_singles_each_newest_first(web, db, platform):
    artist = make_artist(db, make_user(db, platform), slug="kelp")
    now = utcnow()
    for title, kind, days in [
        ("Single Old", ReleaseType.SINGLE, 9),
        ("Album Old", ReleaseType.ALBUM, 8),
        ("EP One", ReleaseType.EP, 5),
        ("Album New", ReleaseType.ALBUM, 1),
        ("Single New", ReleaseType.SINGLE, 0),
    ]:
        release(db, artist, title, release_type=kind, approved_at=now - timedelta(days=days))
    other = make_artist(db, make_user(db, platform))
    release(db, other, "Not Theirs")

    html = text_of(web.get("/artists/kelp"))
    assert html.index(">Albums</h3>") < html.index(">EPs</h3>") < html.index(">Singles</h3>")
    assert card_titles(html) == ["Album New", "Album Old", "EP One", "Single New", "Single Old"]
    assert "Not Theirs" not in html and '<h2 id="discography">Discography</h2>' in html


def test_the_profile_shows_bio_links_place_and_labels(web, db, platform):
    artist = make_artist(db, make_user(db, platform), name="Kelp", slug="kelp")
    artist.bio, artist.location = "We record by the sea.\nTwo of us.", "Styrsö"
    artist.links = ["https://kelp.example/"]
    commit(db)
    current = make_label(db, make_user(db, platform), name="Tidal Records")
    past = make_label(db, make_user(db, platform), name="Old Harbour")
    left = make_label(db, make_user(db, platform), name="Left Long Ago")
    on_roster(db, current, artist)
    now = utcnow()
    db.add(RosterLink(label=left, artist=artist, label_consent_at=now, artist_consent_at=now, ended_at=now))
    commit(db)
    release(db, artist, "Back Catalogue", label=past)

    html = text_of(web.get("/artists/kelp"))
    assert "<h1>Kelp" in html and "<p>We record by the sea.</p><p>Two of us.</p>" in html
    assert "Styrsö" in html and 'href="https://kelp.example/"' in html
    assert f'href="/labels/{current.slug}">Tidal Records</a>' in html
    assert f'href="/labels/{past.slug}">Old Harbour</a>' in html  # it released them
    assert "Left Long Ago" not in html


def test_an_artist_page_lists_only_public_releases(web, db, platform):
    artist = make_artist(db, make_user(db, platform), slug="states")
    made = every_state(db, artist, "Stately")
    assert_only_public(text_of(web.get("/artists/states")), made)


def test_an_artist_with_nothing_on_sale_has_a_page_and_a_missing_artist_is_404(web, db, platform):
    make_artist(db, make_user(db, platform), slug="quiet")
    assert "No release on sale yet." in text_of(web.get("/artists/quiet"))
    response = web.get("/artists/nobody-here")
    assert response.status_code == 404 and "There is no artist at this address." in text_of(response)
