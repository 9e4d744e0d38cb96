"""A gift in a real browser: a fan gives a release from its page and pays on the sandbox checkout; the
recipient's mail in the outbox carries the claim link, which the recipient opens in a browser of their own,
claims, and finds the release in their collection; the giver's gifts page says it was claimed."""

from __future__ import annotations

import pytest

from storefront.db import commit
from tests.browser.journeys import log_in, read_mail_link
from tests.factories.accounts import make_artist, make_user
from tests.functional.media.builders import on_sale_release
from tests.functional.orders.test_checkout_support import connect_payee

pytestmark = pytest.mark.browser


def test_a_fan_gives_a_release_and_the_recipient_claims_it(open_page, shop, tmp_path) -> None:
    app, _ = shop
    platform = app.extensions["storefront"]
    db = platform.database.session(write=True)
    try:
        make_user(db, platform, name="Admin", email="admin@example.com", admin=True)
        ana = make_user(db, platform, name="Ana", email="ana@example.com")
        giver = make_user(db, platform, name="Fern", email="fern@example.com")
        recipient = make_user(db, platform, name="Rosa", email="rosa@example.com")
        band = make_artist(db, ana, name="Harbour Band", slug="harbour-band")
        connect_payee(db, band)
        release = on_sale_release(db, platform, band, tmp_path, tracks=1, title="Harbour")
        release.price_minor, release.currency = 700, "USD"
        commit(db)
        release_id, release_page = release.id, f"/artists/harbour-band/album/{release.slug}"
    finally:
        db.close()

    page = open_page()
    log_in(page, giver.email)
    page.goto(release_page)
    page.get_by_role("link", name="Give it as a gift").click()
    page.wait_for_selector("text=Give “Harbour” as a gift")
    page.get_by_label("Their email address").fill(recipient.email)
    page.get_by_label("A message (optional)").fill("Happy birthday, Rosa!")
    page.get_by_role("button", name="Put it in my cart as a gift").click()
    page.wait_for_url("**/cart")
    assert "as a gift for rosa@example.com" in page.locator(".flashes").inner_text()
    page.get_by_role("button", name="Pay 7.00 USD").click()
    page.get_by_role("button", name="Pay (succeeds)").click()
    page.wait_for_url("**/thanks**")
    page.wait_for_selector("text=The music is yours.")

    # The gift is the recipient's to claim, not the giver's: it is not in the giver's collection.
    page.goto("/collection")
    assert page.locator(f'[data-release="{release_id}"]').count() == 0
    page.goto("/gifts")
    waiting = page.locator("tr.gift").filter(has_text="Harbour")
    assert "not claimed yet" in waiting.inner_text() and "rosa@example.com" in waiting.inner_text()

    admin_page = open_page()
    log_in(admin_page, "admin@example.com")
    body, link = read_mail_link(admin_page, recipient.email)
    assert "Fern bought you “Harbour” by Harbour Band" in body and "Happy birthday, Rosa!" in body
    assert link.startswith("/gift/")

    # The recipient, in a browser of their own, opens the link, claims it and finds it in the collection.
    rosa = open_page()
    log_in(rosa, recipient.email)
    rosa.goto(link)
    gift_page = rosa.locator("main").inner_text()
    assert "A gift for you: “Harbour" in gift_page and "Fern gave you “Harbour” by Harbour Band" in gift_page
    assert "Happy birthday, Rosa!" in gift_page
    rosa.get_by_role("button", name="Add it to my collection").click()
    rosa.wait_for_url("**/collection")
    assert "“Harbour — Harbour Band” is in your collection" in rosa.locator(".flashes").inner_text()
    card = rosa.locator(f'[data-release="{release_id}"]')
    assert "Harbour" in card.inner_text()
    assert card.get_by_role("link", name="Download").count() == 1

    # The link worked once: opened again, it is refused.
    rosa.goto(link)
    assert "Add it to my collection" not in rosa.locator("main").inner_text()

    page.goto("/gifts")
    claimed = page.locator("tr.gift").filter(has_text="Harbour")
    assert "Claimed on" in claimed.inner_text()
    assert claimed.get_by_role("button").count() == 0  # nothing left to resend or take back
