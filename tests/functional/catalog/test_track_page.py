"""A track's own page: its player, lyrics and credits, a buy button when it is sold alone, the way to the
tracks beside it; at /artists/<artist>/album/<release>/track/<position>."""

from __future__ import annotations

import pytest

from storefront.db import commit
from tests.factories.accounts import make_artist, make_user
from tests.functional.catalog.test_release_page_support import (
    elements,
    page_of,
    published,
    text_only,
    track_page_of,
)
from tests.functional.orders.test_checkout_support import connect_payee
from tests.helpers import WebClient, text_of


@pytest.fixture
def band(db, platform):
    return make_artist(db, make_user(db, platform), name="The Band", slug="the-band")


def test_a_track_page_has_its_own_player_lyrics_and_credits(client, db, band):
    release = published(db, band, tracks=3, title="Low Water")
    second = release.tracks[1]
    response = client.get(track_page_of(release, 2))
    assert response.status_code == 200
    html = text_of(response)
    text = text_only(html)
    assert "<h1>Song 2</h1>" in html and "Track 2 of 3" in text
    assert "<title>Song 2 by The Band · Velvet</title>" in html
    links = {a["href"] for a in elements(html, "a")}
    assert {page_of(release), "/artists/the-band"} <= links

    # The player holds this track alone, so it has no previous and next buttons.
    assert [a["src"] for a in elements(html, "audio")] == [f"/previews/{second.id}"]
    assert {"type": "module", "src": "/static/js/player.js"} in elements(html, "script")
    assert all("hidden" in b for b in elements(html, "button") if "data-prev" in b or "data-next" in b)

    assert '<section id="lyrics">' in html
    assert "Verse of song 2\nsecond line of song 2" in html  # line breaks kept
    assert "Ben Okafor — performer (guitar)" in text  # this track's own credit
    assert "On the whole release Ana Ruiz — composer" in text
    assert "ISRC GBVLV2600002" in text and "CC BY-NC 4.0" in text
    assert "/genres/Post-punk" in links and "/locations/G%C3%B6teborg" in links


def test_the_tracks_beside_it_are_a_link_away(client, db, band):
    release = published(db, band, tracks=3)

    def nav(position: int) -> dict[str, str]:
        html = text_of(client.get(track_page_of(release, position)))
        return {a["rel"]: a["href"] for a in elements(html, "a") if a.get("rel") in ("prev", "next")}

    assert nav(1) == {"next": track_page_of(release, 2)}
    assert nav(2) == {"prev": track_page_of(release, 1), "next": track_page_of(release, 3)}
    assert nav(3) == {"prev": track_page_of(release, 2)}


def test_a_track_sold_alone_has_its_own_buy_button(app, db, band):
    connect_payee(db, band)
    release = published(db, band, tracks=2)
    release.tracks[1].price_minor = 150
    commit(db)
    web = WebClient(app)
    html = text_of(web.get(track_page_of(release, 2)))
    assert "1.50 USD" in text_only(html)
    (buy,) = [b for b in elements(html, "button") if b.get("aria-label", "").startswith("Buy")]
    assert buy["aria-label"] == "Buy Song 2 for 1.50 USD"
    hidden = {"type": "hidden", "name": "track_id", "value": str(release.tracks[1].id)}
    assert hidden in elements(html, "input")

    added = web.submit(
        track_page_of(release, 2),
        {"release_id": release.id, "track_id": release.tracks[1].id},
        action="/cart/add",
    )
    assert added.status_code in (302, 303)
    cart = text_only(text_of(web.get("/cart")))
    assert "Song 2" in cart and "1.50 USD" in cart


def test_a_track_sold_only_with_its_release_points_to_the_release(client, db, band):
    connect_payee(db, band)
    release = published(db, band, tracks=2, title="Low Water")
    html = text_of(client.get(track_page_of(release, 1)))
    assert "This track is sold as part of Low Water" in text_only(html)
    assert f"{page_of(release)}#buy" in {a["href"] for a in elements(html, "a")}
    assert not [b for b in elements(html, "button") if b.get("aria-label", "").startswith("Buy")]


def test_a_free_track_needs_no_payout_account(client, db, band):
    release = published(db, band, tracks=1)
    release.tracks[0].price_minor = 0
    commit(db)
    text = text_only(text_of(client.get(track_page_of(release, 1))))
    assert "Free" in text and "Get it free" in text


def test_a_track_without_audio_yet_has_a_page_without_a_player(client, db, band):
    release = published(db, band, tracks=2, masters=False)
    html = text_of(client.get(track_page_of(release, 2)))
    assert elements(html, "audio") == [] and "<h1>Song 2</h1>" in html
