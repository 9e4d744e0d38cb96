"""Buying in a real browser: two artists connect their payout accounts, a fan buys from both in one sandbox
checkout (one at a price they named), finds both in the collection and downloads a FLAC; the artist sees
the sale and the chart on their earnings page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from storefront.audio.inspect.sniff import sniff
from storefront.db import commit
from storefront.orders.models import Order, OrderStatus
from storefront.payouts.models import PayoutTransfer, TransferStatus
from tests.browser.journeys import download_first_track_as_flac, log_in
from tests.factories.accounts import make_artist, make_user
from tests.functional.media.builders import on_sale_release

pytestmark = pytest.mark.browser


def _connect_payouts(page: Any, slug: str) -> None:
    """An artist's owner connects a payout account and finishes the (sandbox) onboarding."""
    page.goto(f"/artists/{slug}/getting-paid")
    page.get_by_role("button", name="Connect a payout account").click()
    page.get_by_role("button", name="Turn on transfers and go back").click()
    page.wait_for_selector("text=transfers enabled")


def test_a_fan_buys_from_two_artists_in_one_checkout(open_page, shop, tmp_path) -> None:
    app, _ = shop
    platform = app.extensions["storefront"]
    db = platform.database.session(write=True)
    try:
        ana = make_user(db, platform, name="Ana", email="ana@example.com")
        ben = make_user(db, platform, name="Ben", email="ben@example.com")
        fan = make_user(db, platform, name="Fern", email="fern@example.com")
        harbour_band = make_artist(db, ana, name="Harbour Band", slug="harbour-band")
        lantern = make_artist(db, ben, name="Lantern", slug="lantern")
        harbour = on_sale_release(db, platform, harbour_band, tmp_path, tracks=1, title="Harbour")
        lights = on_sale_release(db, platform, lantern, tmp_path, tracks=1, title="Lights")
        harbour.price_minor, harbour.currency = 700, "USD"
        lights.currency, lights.pay_what_you_want = "USD", True
        lights.minimum_price_minor, lights.price_minor = 500, 800
        commit(db)
        harbour_page = f"/artists/harbour-band/album/{harbour.slug}"
        lights_page = f"/artists/lantern/album/{lights.slug}"
    finally:
        db.close()

    for email, slug in (("ana@example.com", "harbour-band"), ("ben@example.com", "lantern")):
        artist_page = open_page(accept_downloads=True)
        log_in(artist_page, email)
        _connect_payouts(artist_page, slug)

    page = open_page(accept_downloads=True)
    log_in(page, fan.email)
    page.goto(harbour_page)
    page.get_by_role("button", name="Buy 7.00 USD").click()
    page.wait_for_url("**/cart")
    page.goto(lights_page)
    # Below the artist's minimum first: refused, with the reason.
    page.get_by_label("Name your price (USD)").fill("3")
    page.get_by_role("button", name="Add to cart").click()
    assert "5.00 USD" in page.locator("main").inner_text()
    page.goto(lights_page)
    page.get_by_label("Name your price (USD)").fill("9.50")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart")
    cart = page.locator("main").inner_text()
    assert "Harbour" in cart and "Lights" in cart
    assert "estimate" in cart  # where the money goes, before paying

    page.get_by_role("button", name="Pay 16.50 USD").click()
    assert "no money moves" in page.locator("main").inner_text().lower()
    page.get_by_role("button", name="Pay (succeeds)").click()
    page.wait_for_url("**/thanks**")
    page.wait_for_selector("text=The music is yours.")

    page.get_by_role("link", name="Go to your collection").click()
    collection = page.locator("main").inner_text()
    assert "Harbour" in collection and "Lights" in collection
    flac = download_first_track_as_flac(page, harbour)
    assert sniff(io.BytesIO(flac), len(flac)).kind == "flac"  # past the Content Credentials' ID3 tag

    # The money: one paid order, each artist sent exactly its share.
    with platform.database.transaction() as db:
        order = db.scalars(select(Order)).one()
        assert order.status == OrderStatus.PAID and order.amount_total_minor == 1650
        transfers = {t.payee_key: t for t in db.scalars(select(PayoutTransfer))}
        shares = {line.payee_key: line.payee_amount_minor for line in order.lines}
        assert {k: t.amount_minor for k, t in transfers.items()} == shares
        assert all(t.status == TransferStatus.SENT for t in transfers.values())
        assert sum(shares.values()) + (order.processing_fee_minor or 0) == 1650

    artist_page = open_page(accept_downloads=True)
    log_in(artist_page, "ana@example.com")
    artist_page.goto("/artists/harbour-band/earnings")
    earnings = artist_page.locator("main").inner_text()
    assert "Harbour" in earnings
    assert artist_page.locator("main svg").count() >= 1
