"""Starting checkouts is limited per address and per account (card testers love pay-what-you-want)."""

from __future__ import annotations

from tests.factories.accounts import PASSWORD, make_user
from tests.functional.orders.test_checkout_support import (
    add,
    fan,
    on_sale,
    orders,
    pay,
    recording_for,
    seller,
)
from tests.helpers import WebClient, text_of


def test_an_account_is_limited_whatever_address_it_comes_from(make_app, db) -> None:
    app = make_app(checkout_rate_limit="2/3600")
    recording_for(app)
    platform = app.extensions["storefront"]
    _, web = fan(app, db, platform)
    add(web, on_sale(db, seller(db, platform)))

    for n in range(2):
        web.client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        assert pay(web, "USD").status_code == 303
    web.client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    refused = pay(web, "USD")

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "You have started many checkouts in a short time" in text_of(refused)
    assert len(orders(db)) == 2


def test_an_address_is_limited_across_accounts_and_guests(make_app, db) -> None:
    app = make_app(checkout_rate_limit="2/3600")
    gateway = recording_for(app)
    platform = app.extensions["storefront"]
    release = on_sale(db, seller(db, platform))
    guest = WebClient(app)
    add(guest, release)
    assert pay(guest, "USD", email="one@example.com").status_code == 303
    assert pay(guest, "USD", email="two@example.com").status_code == 303

    other = make_user(db, platform, name="Same Network")
    web = WebClient(app)
    web.login(other.email, PASSWORD)
    add(web, release)
    refused = pay(web, "USD")

    assert refused.status_code == 429
    assert refused.headers["Retry-After"]
    assert len(gateway.requests) == 2
    web.client.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # another network: its own count
    assert pay(web, "USD").status_code == 303


def test_a_guest_email_is_limited_like_an_account(make_app, db) -> None:
    app = make_app(checkout_rate_limit="1/3600")
    recording_for(app)
    platform = app.extensions["storefront"]
    guest = WebClient(app)
    add(guest, on_sale(db, seller(db, platform)))
    assert pay(guest, "USD", email="card@example.com").status_code == 303

    guest.client.environ_base["REMOTE_ADDR"] = "198.51.100.3"
    assert pay(guest, "USD", email="CARD@example.com").status_code == 429
