"""A fan's collection is searchable without JavaScript and private by default; made public, it is shown at a
random address with releases only (no downloads, prices, orders or account), and hidden again it is a 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.db import commit, utcnow
from storefront.fans.models import CollectionSharing
from storefront.orders.models import Entitlement, EntitlementSource, Order, OrderStatus
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh, text_of


def _on_sale(db, artist, title: str, tracks: int = 0):
    release = make_release(db, artist, title=title, tracks=tracks)
    release.status = ReleaseStatus.APPROVED
    release.approved_at = utcnow()
    return release


@pytest.fixture
def shelf(app, db, platform):
    band = make_artist(db, make_user(db, platform), name="The Harbour Band", slug="harbour-band")
    solo = make_artist(db, make_user(db, platform), name="Mira Solo", slug="mira")
    lights = _on_sale(db, band, "Lighthouse Songs")
    night = _on_sale(db, solo, "Night Walks", tracks=2)
    night.tracks[1].title = "Moth Wing"
    gone = _on_sale(db, solo, "Taken Down Record")
    fan = make_user(db, platform, name="Fan Person", email="fan.person@example.com")
    for release in (lights, night, gone):
        db.add(Entitlement(user_id=fan.id, release_id=release.id, source=EntitlementSource.PURCHASE))
    gone.status = ReleaseStatus.TAKEN_DOWN
    db.add(
        Order(
            reference="VLV-SECRET1",
            buyer_id=fan.id,
            email=fan.email,
            currency="USD",
            subtotal_minor=1234,
            status=OrderStatus.PAID,
            gateway="sandbox",
            transfer_group="group-secret1",
        )
    )
    commit(db)
    web = WebClient(app)
    web.login(fan.email, PASSWORD)
    return fan, web


def _titles(html: str) -> list[str]:
    return re.findall(r'class="card__title">([^<]+)<', html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lighthouse", ["Lighthouse Songs"]),
        ("MIRA", ["Taken Down Record", "Night Walks"]),  # by the artist
        ("moth", ["Night Walks"]),  # by a track's title
        ("night mira", ["Night Walks"]),  # every word
        ("   ", ["Taken Down Record", "Night Walks", "Lighthouse Songs"]),
    ],
)
def test_the_fan_searches_their_collection_with_a_plain_form(shelf, query, expected):
    _, web = shelf
    page = web.get("/collection", query_string={"q": query})
    assert page.status_code == 200
    assert sorted(_titles(page.get_data(as_text=True))) == sorted(expected)


@pytest.mark.parametrize("query", ["%", "_", "' OR 1=1 --", "<script>alert(1)</script>", "x" * 5000, "\x00"])
def test_odd_searches_find_nothing_and_never_fail(shelf, query):
    _, web = shelf
    page = web.get("/collection", query_string={"q": query})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _titles(html) == [] and "<script>alert(1)</script>" not in html
    assert "Nothing in your collection matches" in text_of(page)


def test_a_collection_is_private_until_the_fan_makes_it_public_and_then_shows_releases_only(app, db, shelf):
    fan, web = shelf
    assert "Private: only you see it" in text_of(web.get("/collection"))
    assert fresh(db).get(CollectionSharing, fan.id) is None

    made = web.submit("/collection", {"visibility": "public"}, action="/collection/visibility")
    assert made.status_code == 303
    sharing = fresh(db).get(CollectionSharing, fan.id)
    assert sharing.public and len(sharing.slug) >= 16 and str(fan.id) != sharing.slug
    address = f"/fans/{sharing.slug}/collection"
    assert address in web.get("/collection").get_data(as_text=True)

    stranger = WebClient(app)
    page = stranger.get(address)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert sorted(_titles(html)) == ["Lighthouse Songs", "Night Walks"]  # a taken-down one is not shown
    for private in (
        "fan.person@example.com",
        "Fan Person",
        "/downloads/",
        "VLV-SECRET1",
        "12.34",
        "Download",
    ):
        assert private not in html, private
    assert _titles(stranger.get(address, query_string={"q": "moth"}).get_data(as_text=True)) == [
        "Night Walks"
    ]

    hidden = web.submit("/collection", {"visibility": "private"}, action="/collection/visibility")
    assert hidden.status_code == 303
    assert stranger.get(address).status_code == 404
    assert web.get(address).status_code == 404  # the owner too: the public page is for the public


def test_guessed_addresses_and_bad_choices_find_nothing(app, db, platform, shelf):
    fan, web = shelf
    stranger = WebClient(app)
    for slug in (str(fan.id), "fan-person", "x" * 200, "%2e%2e"):
        assert stranger.get(f"/fans/{slug}/collection").status_code == 404, slug
    refused = web.submit("/collection", {"visibility": "everyone"}, action="/collection/visibility")
    assert refused.status_code == 303
    assert "Choose whether your collection is public or private" in text_of(web.get("/collection"))
    assert fresh(db).scalars(select(CollectionSharing)).all() == []
    # A stranger cannot change anyone's choice: the form acts on the signed-in account only.
    assert stranger.post("/collection/visibility", {"visibility": "public"}).status_code in (302, 400, 401)
    assert fresh(db).scalars(select(CollectionSharing)).all() == []
