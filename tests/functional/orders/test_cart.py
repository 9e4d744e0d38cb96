"""Buy buttons and the cart: amounts checked on the server, one line per thing, guests and log-in."""

from __future__ import annotations

import re

import pytest

from storefront.db import commit
from storefront.orders.models import Cart, Entitlement, EntitlementSource
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import PASSWORD
from tests.functional.orders.test_checkout_support import (
    add,
    cart_items,
    fan,
    on_sale,
    page_of,
    seller,
)
from tests.helpers import WebClient, fresh, text_of


def _rows(page: str) -> list[str]:
    """The cart's lines, each as the HTML of its table row."""
    return [row.split("</tr>")[0] for row in page.split('<tr class="cart-line')[1:]]


# -- buy buttons ------------------------------------------------------------------------------------------
def test_a_fixed_price_release_and_its_priced_tracks_have_buy_buttons(app, db, platform) -> None:
    artist = seller(db, platform)
    release = on_sale(db, artist, title="Harbour", price=700, tracks=2)
    release.tracks[0].price_minor = 120
    commit(db)

    page = text_of(WebClient(app).get(page_of(release)))

    assert "Buy 7.00 USD" in page
    assert 'action="/cart/add"' in page
    assert "Buy 1.20 USD" in page  # the track with its own price
    # The other track has none: sold only with the release, so no button of its own.
    assert page.count('name="track_id"') == 1
    assert f'name="track_id" value="{release.tracks[0].id}"' in page


def test_pay_what_you_want_is_prefilled_with_the_suggestion_and_says_the_minimum(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform), price=900, pwyw=True, minimum=500)

    page = text_of(WebClient(app).get(page_of(release)))

    assert "5.00 USD or more" in page
    assert re.search(r'name="amount"\s+value="9\.00"', page)


def test_a_free_release_offers_a_free_download_and_the_choice_to_pay(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform), price=300, pwyw=True, minimum=0)

    page = text_of(WebClient(app).get(page_of(release)))

    assert "Free, or name your price" in page
    assert "Enter 0 to download it for free, or pay what you like." in page


def test_a_release_whose_artist_cannot_be_paid_shows_why_instead_of_a_button(app, db, platform) -> None:
    artist = seller(db, platform, payee=False)
    release = on_sale(db, artist, title="Not Yet")

    page = text_of(WebClient(app).get(page_of(release)))

    assert "has not connected a payout account yet" in page
    assert 'action="/cart/add"' not in page
    response = add(WebClient(app), release, page="/login")
    assert response.status_code == 409
    assert "has not connected a payout account yet" in text_of(response)
    assert cart_items(db) == []


def test_a_free_release_of_an_artist_who_cannot_be_paid_is_free_only(app, db, platform) -> None:
    artist = seller(db, platform, payee=False)
    release = on_sale(db, artist, price=500, pwyw=True, minimum=0)
    web = WebClient(app)

    page = text_of(web.get(page_of(release)))
    assert "You can download it for free." in page
    assert re.search(r'name="amount"\s+value="0\.00"', page)

    refused = add(web, release, "5")
    assert refused.status_code == 422
    assert "You can still take it for free: enter 0." in text_of(refused)
    assert add(web, release, "0").status_code == 303
    assert [(i.amount_minor, i.currency) for i in cart_items(db)] == [(0, "USD")]


# -- amounts ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "minor"), [("7", 700), ("7.50", 750), ("7,50", 750), (" 7.5 ", 750), ("€12", 1200)]
)
def test_amounts_are_read_as_people_type_them(app, db, platform, typed: str, minor: int) -> None:
    release = on_sale(db, seller(db, platform), currency="EUR", pwyw=True, minimum=100)
    web = WebClient(app)

    assert add(web, release, typed).status_code == 303

    assert [(i.amount_minor, i.currency) for i in cart_items(db)] == [(minor, "EUR")]


def test_yen_have_no_decimals(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform), price=900, currency="JPY", pwyw=True, minimum=100)
    web = WebClient(app)

    refused = add(web, release, "700.5")
    assert refused.status_code == 422
    assert "Amounts in JPY have no decimals." in text_of(refused)
    assert add(web, release, "700").status_code == 303
    assert [(i.amount_minor, i.currency) for i in cart_items(db)] == [(700, "JPY")]
    assert "700 JPY or more" not in text_of(web.get(page_of(release)))
    assert "100 JPY or more" in text_of(web.get(page_of(release)))


@pytest.mark.parametrize("typed", ["-5", "1e3", "abc", "", "7.505", "10000.01", "99999999999", "7;DROP"])
def test_hostile_or_impossible_amounts_are_refused(app, db, platform, typed: str) -> None:
    release = on_sale(db, seller(db, platform), pwyw=True, minimum=0)

    response = add(WebClient(app), release, typed)

    assert response.status_code == 422
    assert "Error 422" in text_of(response)
    assert cart_items(db) == []


def test_the_artists_minimum_is_enforced_on_the_server(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform), price=900, pwyw=True, minimum=500)
    web = WebClient(app)

    response = add(web, release, "4.99")

    assert response.status_code == 422
    assert "The artist asks at least 5.00 USD for this." in text_of(response)
    assert cart_items(db) == []
    assert add(web, release, "5").status_code == 303


def test_a_fixed_price_is_the_artists_whatever_the_form_says(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform), price=700)

    assert add(WebClient(app), release, "0.01").status_code == 303

    assert [i.amount_minor for i in cart_items(db)] == [700]


@pytest.mark.parametrize(
    ("currency", "refused", "accepted", "smallest"),
    [("USD", "0.49", "0.50", "0.50 USD"), ("GBP", "0.29", "0.30", "0.30 GBP"), ("JPY", "49", "50", "50 JPY")],
)
def test_amounts_below_the_gateways_minimum_charge_are_refused(
    app, db, platform, currency: str, refused: str, accepted: str, smallest: str
) -> None:
    release = on_sale(db, seller(db, platform), currency=currency, price=0, pwyw=True, minimum=0)
    web = WebClient(app)

    response = add(web, release, refused)

    assert response.status_code == 422
    assert f"The smallest payment we can take is {smallest}: enter 0 for a free download" in text_of(response)
    assert add(web, release, accepted).status_code == 303
    assert add(web, release, "0").status_code == 303  # and 0 is a free download


def test_amounts_are_capped(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform), pwyw=True, minimum=100)
    web = WebClient(app)

    response = add(web, release, "10000.01")

    assert response.status_code == 422
    assert "The most we accept for one item is 10000.00 USD." in text_of(response)
    assert add(web, release, "10000").status_code == 303


# -- what may be added ------------------------------------------------------------------------------------
def test_adding_needs_the_forms_token(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform))

    response = WebClient(app).post("/cart/add", {"release_id": str(release.id)})

    assert response.status_code == 400
    assert cart_items(db) == []


def test_releases_that_are_not_public_or_do_not_exist_are_not_found(app, db, platform) -> None:
    artist = seller(db, platform)
    draft = on_sale(db, artist)
    draft.status = ReleaseStatus.IN_REVIEW
    commit(db)
    other = on_sale(db, artist, tracks=1, track_price=100)
    web = WebClient(app)
    token = web.token(page_of(other))

    def post(**data: str) -> int:
        return web.post("/cart/add", {"csrf_token": token, **data}).status_code

    assert post(release_id=str(draft.id)) == 404
    assert post(release_id="999999") == 404
    assert post(release_id="99999999999999999999999") == 400
    assert post(release_id="1; DROP TABLE carts") == 400
    assert post(release_id="²") == 400  # a digit to str.isdigit, not to int()
    assert post() == 404
    # A track of another release is as unknown as one that never existed.
    mine = on_sale(db, artist, tracks=1, track_price=100)
    assert post(release_id=str(mine.id), track_id=str(other.tracks[0].id)) == 404
    assert cart_items(db) == []


def test_a_taken_down_release_cannot_be_added(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform))
    web = WebClient(app)
    token = web.token(page_of(release))
    release.status = ReleaseStatus.TAKEN_DOWN
    commit(db)

    response = web.post("/cart/add", {"csrf_token": token, "release_id": str(release.id)})

    assert response.status_code == 409
    assert "withdrawn from sale" in text_of(response)


def test_a_track_without_its_own_price_is_not_sold_alone(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform), tracks=2)

    response = add(WebClient(app), release, track_id=release.tracks[0].id)

    assert response.status_code == 409
    assert "sold only as part of the release" in text_of(response)


def test_the_same_item_twice_is_one_line_and_a_new_amount_replaces_the_old(app, db, platform) -> None:
    artist = seller(db, platform)
    fixed = on_sale(db, artist, price=700)
    pwyw = on_sale(db, artist, price=700, pwyw=True, minimum=100)
    web = WebClient(app)

    add(web, fixed)
    again = add(web, fixed)
    assert again.status_code == 303
    assert "is already in your cart" in text_of(web.get("/cart"))
    add(web, pwyw, "3")
    add(web, pwyw, "8.50")
    assert "was already in your cart; it now costs 8.50 USD." in text_of(web.get("/cart"))

    assert [(i.release_id, i.amount_minor) for i in cart_items(db)] == [(fixed.id, 700), (pwyw.id, 850)]


def test_a_track_of_a_release_in_the_cart_is_refused_and_the_release_replaces_its_tracks(
    app, db, platform
) -> None:
    release = on_sale(db, seller(db, platform), title="Lanterns", tracks=2, track_price=150)
    first, second = release.tracks
    web = WebClient(app)

    add(web, release, track_id=first.id)
    add(web, release, track_id=second.id)
    assert [i.track_id for i in cart_items(db)] == [first.id, second.id]

    add(web, release)
    assert [i.track_id for i in cart_items(db)] == [None]
    refused = add(web, release, track_id=first.id)
    assert refused.status_code == 409
    assert "The whole of Lanterns is in your cart already, this track included." in text_of(refused)
    assert [i.track_id for i in cart_items(db)] == [None]


def test_what_the_fan_owns_cannot_be_added_and_is_flagged_in_the_cart(app, db, platform) -> None:
    artist = seller(db, platform)
    owned = on_sale(db, artist, title="Already Mine", tracks=1, track_price=100)
    user, web = fan(app, db, platform)
    add(web, owned)
    db.add(Entitlement(user_id=user.id, release_id=owned.id, source=EntitlementSource.PURCHASE))
    commit(db)

    page = text_of(web.get("/cart"))
    assert "Already in your collection: it will not be charged." in page
    assert "Subtotal: 0.00 USD" in page
    refused = add(web, owned, track_id=owned.tracks[0].id)  # the release covers its tracks
    assert refused.status_code == 409
    assert "is already in your collection" in text_of(refused)
    assert "In your collection" in text_of(web.get(page_of(owned)))


# -- the cart page ----------------------------------------------------------------------------------------
def test_the_cart_groups_lines_by_currency_and_says_how_many_checkouts(app, db, platform) -> None:
    a, b = seller(db, platform, "Alpha"), seller(db, platform, "Beta")
    web = WebClient(app)
    add(web, on_sale(db, a, title="Dollars One", price=700))
    add(web, on_sale(db, b, title="Dollars Two", price=500))
    add(web, on_sale(db, b, title="Euros", price=500, currency="EUR"))

    page = text_of(web.get("/cart"))

    assert "You will pay in 2 checkouts: USD 12.00, EUR 5.00." in page
    assert "Subtotal: 12.00 USD" in page and "Subtotal: 5.00 EUR" in page
    assert "Dollars One — Alpha" in page and "Euros — Beta" in page
    assert 'formaction="/checkout/USD"' in page and 'formaction="/checkout/EUR"' in page
    assert page.index("Dollars Two") < page.index("Paid in EUR")


def test_where_the_money_goes_is_shown_to_the_cent_before_paying(make_app, db) -> None:
    app = make_app(platform_fee_bps=500)
    platform = app.extensions["storefront"]
    artist = seller(db, platform, "Gamma")
    web = WebClient(app)
    add(web, on_sale(db, artist, title="Big", price=1000))
    add(web, on_sale(db, artist, title="Small", price=500))

    page = text_of(web.get("/cart"))

    # One charge of 15.00: fee 2.9 % + 0.30 = 0.74 (0.435 rounds to 0.44), shared 10:5 -> 0.49 and 0.25;
    # platform 5 % -> 0.50 and 0.25; the artist keeps the rest.
    big, small = (re.findall(r"<td>\s*([\d.]+ USD)\s*</td>", row) for row in _rows(page))
    assert big == ["10.00 USD", "9.01 USD", "0.49 USD", "0.50 USD"]
    assert small == ["5.00 USD", "4.50 USD", "0.25 USD", "0.25 USD"]
    assert "Processing fee (estimate)" in page
    assert "The platform fee is 5.00 % of each price." in page


def test_amounts_can_be_changed_and_lines_removed(app, db, platform) -> None:
    artist = seller(db, platform)
    pwyw = on_sale(db, artist, pwyw=True, minimum=200, price=500)
    fixed = on_sale(db, artist, price=700)
    web = WebClient(app)
    add(web, pwyw)
    add(web, fixed)
    pwyw_line, fixed_line = cart_items(db)

    assert (
        web.submit("/cart", {"amount": "6,25"}, action=f"/cart/items/{pwyw_line.id}/amount").status_code
        == 303
    )
    low = web.submit("/cart", {"amount": "1"}, action=f"/cart/items/{pwyw_line.id}/amount")
    assert low.status_code == 422
    fixed_change = web.submit("/cart", {"amount": "1"}, action=f"/cart/items/{fixed_line.id}/amount")
    assert fixed_change.status_code == 409
    assert [i.amount_minor for i in cart_items(db)] == [625, 700]

    assert web.submit("/cart", action=f"/cart/items/{fixed_line.id}/remove").status_code == 303
    assert [i.release_id for i in cart_items(db)] == [pwyw.id]


def test_nobody_can_change_or_remove_another_persons_cart_lines(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform), pwyw=True, minimum=100)
    victim, victim_web = fan(app, db, platform, "Victim")
    add(victim_web, release, "5")
    (line,) = cart_items(db)
    _, attacker = fan(app, db, platform, "Attacker")
    guest = WebClient(app)
    add(guest, on_sale(db, release.artist, title="Guest's"))  # a guest with a cart of their own

    for web in (attacker, guest):
        assert web.submit("/cart", {"amount": "1"}, action=f"/cart/items/{line.id}/amount").status_code == 404
        assert web.submit("/cart", action=f"/cart/items/{line.id}/remove").status_code == 404
    assert [(i.id, i.amount_minor) for i in cart_items(db, victim)] == [(line.id, 500)]
    assert "Victim" not in text_of(attacker.get("/cart"))


def test_a_release_taken_down_after_adding_is_shown_unavailable_and_not_charged(app, db, platform) -> None:
    artist = seller(db, platform)
    kept = on_sale(db, artist, title="Kept", price=700)
    gone = on_sale(db, artist, title="Gone", price=500)
    web = WebClient(app)
    add(web, kept)
    add(web, gone)
    gone.status = ReleaseStatus.TAKEN_DOWN
    commit(db)

    page = text_of(web.get("/cart"))

    assert "Unavailable:</strong> This release has been withdrawn from sale. It will not be charged." in page
    assert "Subtotal: 7.00 USD" in page


def test_a_price_change_is_shown_and_a_minimum_raised_above_the_amount_blocks_paying(
    app, db, platform
) -> None:
    artist = seller(db, platform)
    fixed = on_sale(db, artist, title="Fixed", price=700)
    pwyw = on_sale(db, artist, title="Named", price=500, pwyw=True, minimum=200)
    web = WebClient(app)
    add(web, fixed)
    add(web, pwyw, "3")
    fixed.price_minor = 800
    pwyw.minimum_price_minor = 400
    commit(db)

    page = text_of(web.get("/cart"))

    assert "The price is now 8.00 USD." in page
    assert "The artist asks at least 4.00 USD for this." in page
    assert "Change the amounts marked below before paying in USD." in page
    assert re.search(r'formaction="/checkout/USD"\s+disabled', page)


def test_an_empty_cart_for_a_new_visitor(app) -> None:
    page = WebClient(app).get("/cart")

    assert page.status_code == 200
    assert "Your cart is empty." in text_of(page)


# -- guests and log-in ------------------------------------------------------------------------------------
def test_a_guests_cart_belongs_to_their_browser(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform), title="Mine Only")
    first, second = WebClient(app), WebClient(app)

    add(first, release)

    assert "Mine Only" in text_of(first.get("/cart"))
    assert "Mine Only" not in text_of(second.get("/cart"))
    fresh(db)
    (cart,) = db.query(Cart).all()
    assert cart.user_id is None and len(cart.token) >= 20


def test_the_guest_cart_merges_into_the_account_on_log_in(app, db, platform) -> None:
    artist = seller(db, platform)
    both = on_sale(db, artist, title="In Both", price=600, pwyw=True, minimum=100)
    only_guest = on_sale(db, artist, title="Only Guest", tracks=2, track_price=100)
    only_account = on_sale(db, artist, title="Only Account")
    user, account_web = fan(app, db, platform, "Merger")
    add(account_web, both, "2")
    add(account_web, only_account)
    add(account_web, only_guest, track_id=only_guest.tracks[0].id)

    guest = WebClient(app)
    add(guest, both, "9")
    add(guest, only_guest)  # the whole release: replaces the account's line for one of its tracks
    guest.login(user.email, PASSWORD)

    lines = {(i.release_id, i.track_id): i.amount_minor for i in cart_items(db, user)}
    assert lines == {(both.id, None): 200, (only_account.id, None): 700, (only_guest.id, None): 700}
    fresh(db)
    assert db.query(Cart).count() == 1  # the guest's cart is gone
    assert "Only Guest" in text_of(guest.get("/cart"))


def test_a_guest_cart_becomes_the_accounts_cart_when_it_had_none(app, db, platform) -> None:
    release = on_sale(db, seller(db, platform), title="Carried")
    user, web = fan(app, db, platform, "Newcomer")
    web.logout()
    add(web, release)

    web.login(user.email, PASSWORD)

    assert [i.release_id for i in cart_items(db, user)] == [release.id]
    web.logout()
    assert "Carried" not in text_of(web.get("/cart"))  # logged out: the cart stays with the account


def test_the_cart_is_linked_from_every_page(app) -> None:
    assert 'href="/cart"' in text_of(WebClient(app).get("/"))


def test_a_cart_has_a_size_limit(app, db, platform, monkeypatch) -> None:
    import storefront.orders.cart as cart_module

    monkeypatch.setattr(cart_module, "MAX_ITEMS", 2)
    artist = seller(db, platform)
    web = WebClient(app)
    for n in range(2):
        assert add(web, on_sale(db, artist, title=f"Fill {n}")).status_code == 303

    response = add(web, on_sale(db, artist, title="One Too Many"))

    assert response.status_code == 409
    assert "A cart holds at most 2 items" in text_of(response)
    assert len(cart_items(db)) == 2
