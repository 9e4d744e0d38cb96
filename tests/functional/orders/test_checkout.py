"""Checkout: one order and one gateway session per currency, exactly what the gateway is asked, no half
orders when it fails, free orders without a gateway, and limits on how fast checkouts can be started."""

from __future__ import annotations

from sqlalchemy import select

from storefront.accounts.models import RosterLink
from storefront.accounts.payees.models import PayeeAccount
from storefront.db import commit, utcnow
from storefront.orders.cart import clear_bought
from storefront.orders.models import Entitlement, EntitlementSource, OrderLine, OrderStatus
from storefront.payments.interfaces import CheckoutLine, GatewayError
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import make_label
from tests.functional.orders.test_checkout_support import (
    add,
    cart_items,
    fan,
    on_sale,
    orders,
    pay,
    recording,
    recording_for,
    seller,
)
from tests.helpers import WebClient, fresh, text_of


def test_checkout_makes_a_pending_order_and_sends_the_fan_to_the_gateway(app, db, platform, override_service):
    gateway = recording(override_service)
    alpha, beta = seller(db, platform, "Alpha"), seller(db, platform, "Beta")
    album = on_sale(db, alpha, title="Harbour", price=700)
    single = on_sale(db, beta, title="Lanterns", tracks=2, track_price=150)
    named = on_sale(db, beta, title="Named", price=500, pwyw=True, minimum=300)
    user, web = fan(app, db, platform)
    add(web, album)
    add(web, single, track_id=single.tracks[1].id)
    add(web, named, "6.25")

    response = pay(web, "USD")

    assert response.status_code == 303
    assert response.headers["Location"] == "https://pay.example/session/1"
    (order,) = orders(db)
    assert order.status == OrderStatus.PENDING
    assert (order.buyer_id, order.email, order.currency, order.subtotal_minor) == (
        user.id,
        user.email,
        "USD",
        1475,
    )
    assert order.reference.startswith("ord_") and len(order.reference) == 20
    assert order.transfer_group == "order_" + order.reference
    assert (order.gateway, order.checkout_session_id, order.free) == ("sandbox", "cs_test_1", False)
    assert [(line.title, line.amount_minor, line.payee_artist_id) for line in order.lines] == [
        ("Harbour — Alpha", 700, alpha.id),
        ("Song 2 — Lanterns — Beta", 150, beta.id),
        ("Named — Beta", 625, beta.id),
    ]
    (request,) = gateway.requests
    assert request.order_reference == order.reference
    assert request.currency == "USD"
    assert request.lines == (
        CheckoutLine("Harbour — Alpha", 700),
        CheckoutLine("Song 2 — Lanterns — Beta", 150),
        CheckoutLine("Named — Beta", 625),
    )
    assert (
        request.success_url
        == f"http://localhost/orders/{order.reference}/thanks?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert request.cancel_url == "http://localhost/cart"
    assert request.transfer_group == order.transfer_group
    assert request.idempotency_key == f"velvet-checkout-{order.reference}"
    assert (request.customer_email, request.automatic_tax) == (user.email, False)
    # Nothing leaves the cart until the order is paid.
    assert len(cart_items(db, user)) == 3


def test_each_currency_is_its_own_checkout(app, db, platform, override_service) -> None:
    gateway = recording(override_service)
    artist = seller(db, platform)
    _, web = fan(app, db, platform)
    add(web, on_sale(db, artist, title="Dollars", price=1200))
    add(web, on_sale(db, artist, title="Euros", price=500, currency="EUR"))

    assert pay(web, "EUR").status_code == 303
    assert pay(web, "USD").status_code == 303

    assert [(o.currency, o.subtotal_minor, [line.title for line in o.lines]) for o in orders(db)] == [
        ("EUR", 500, [f"Euros — {artist.name}"]),
        ("USD", 1200, [f"Dollars — {artist.name}"]),
    ]
    assert [(r.currency, len(r.lines)) for r in gateway.requests] == [("EUR", 1), ("USD", 1)]


def test_automatic_tax_follows_the_setting(make_app, db) -> None:
    app = make_app(stripe_automatic_tax="on")
    gateway = recording_for(app)
    platform = app.extensions["storefront"]
    _, web = fan(app, db, platform)
    add(web, on_sale(db, seller(db, platform)))

    assert pay(web, "USD").status_code == 303

    assert gateway.requests[0].automatic_tax is True


def test_a_guest_pays_with_a_checked_email_address(app, db, platform, override_service) -> None:
    gateway = recording(override_service)
    web = WebClient(app)
    add(web, on_sale(db, seller(db, platform)))

    for typed in ("", "not-an-address", "a@b", "x" * 330 + "@example.com"):
        refused = pay(web, "USD", email=typed)
        assert refused.status_code == 422, typed
        assert "email address" in text_of(refused)
    assert orders(db) == [] and gateway.requests == []

    assert pay(web, "USD", email="  Guest@Example.com ").status_code == 303
    (order,) = orders(db)
    assert (order.buyer_id, order.email) == (None, "Guest@example.com")
    assert gateway.requests[0].customer_email == "Guest@example.com"
    assert 'value="Guest@example.com"' in text_of(web.get("/cart"))  # remembered for the next checkout


def test_a_gateway_failure_leaves_no_order_and_the_cart_as_it_was(
    app, db, platform, override_service
) -> None:
    gateway = recording(override_service)
    user, web = fan(app, db, platform)
    add(web, on_sale(db, seller(db, platform), title="Kept"))

    gateway.fail_with = GatewayError("connection reset", retryable=True)
    busy = pay(web, "USD")
    gateway.fail_with = GatewayError("No such price", retryable=False)
    refused = pay(web, "USD")

    assert busy.status_code == 503
    assert "not answering right now. Nothing was charged and your cart is unchanged" in text_of(busy)
    assert refused.status_code == 502
    assert "refused to start this checkout" in text_of(refused)
    fresh(db)
    assert orders(db) == [] and db.scalars(select(OrderLine)).all() == []
    assert [i.release.title for i in cart_items(db, user)] == ["Kept"]
    gateway.fail_with = None
    assert pay(web, "USD").status_code == 303


def test_a_currency_that_needs_attention_or_is_too_small_to_charge_is_refused(
    app, db, platform, override_service
) -> None:
    gateway = recording(override_service)
    artist = seller(db, platform)
    _, web = fan(app, db, platform)
    named = on_sale(db, artist, title="Named", pwyw=True, minimum=100, price=300)
    add(web, named, "2")
    named.minimum_price_minor = 250
    commit(db)
    tiny = on_sale(db, artist, title="Tiny", tracks=1, track_price=30, currency="GBP")
    cheaper = on_sale(db, artist, title="Cheaper", tracks=1, track_price=29, currency="GBP")
    add(web, cheaper, track_id=cheaper.tracks[0].id)

    attention = pay(web, "USD")
    too_small = pay(web, "GBP")

    assert attention.status_code == 409
    assert "Change the amounts marked below before paying in USD." in text_of(attention)
    assert too_small.status_code == 409
    assert "The smallest payment we can take is 0.30 GBP; this checkout comes to 0.29 GBP." in text_of(
        too_small
    )
    assert orders(db) == [] and gateway.requests == []
    add(web, tiny, track_id=tiny.tracks[0].id)
    assert pay(web, "GBP").status_code == 303  # 0.59 GBP together


def test_checkout_of_a_currency_with_nothing_in_it_is_not_found(app, db, platform, override_service) -> None:
    recording(override_service)
    _, web = fan(app, db, platform)
    add(web, on_sale(db, seller(db, platform)))

    for currency in ("EUR", "usd", "US", "USDX", "../x"):
        assert pay(web, currency).status_code == 404, currency
    assert orders(db) == []


def test_checkout_needs_the_forms_token(app, db, platform, override_service) -> None:
    recording(override_service)
    _, web = fan(app, db, platform)
    add(web, on_sale(db, seller(db, platform)))

    assert web.post("/checkout/USD").status_code == 400
    assert orders(db) == []


def test_taken_down_and_owned_items_are_left_out_of_the_charge(app, db, platform, override_service) -> None:
    gateway = recording(override_service)
    artist = seller(db, platform)
    user, web = fan(app, db, platform)
    kept, gone, owned = (on_sale(db, artist, title=t, price=500) for t in ("Kept", "Gone", "Owned"))
    for release in (kept, gone, owned):
        add(web, release)
    gone.status = ReleaseStatus.TAKEN_DOWN
    db.add(Entitlement(user_id=user.id, release_id=owned.id, source=EntitlementSource.GIFT))
    commit(db)

    assert pay(web, "USD").status_code == 303

    (order,) = orders(db)
    assert [line.release_id for line in order.lines] == [kept.id]
    assert order.subtotal_minor == 500
    assert [line.name for line in gateway.requests[0].lines] == [f"Kept — {artist.name}"]


def test_nothing_on_sale_is_nothing_to_pay(app, db, platform, override_service) -> None:
    recording(override_service)
    release = on_sale(db, seller(db, platform))
    _, web = fan(app, db, platform)
    add(web, release)
    release.status = ReleaseStatus.TAKEN_DOWN
    commit(db)

    response = pay(web, "USD")

    assert response.status_code == 404
    assert "There is nothing to pay in USD in your cart." in text_of(response)


def test_a_label_that_collects_for_the_artist_is_the_lines_payee(app, db, platform, override_service) -> None:
    recording(override_service)
    artist = seller(db, platform, "Signed", payee=False)
    label = make_label(db, artist.members[0].user, name="Label")
    db.add(
        RosterLink(
            label_id=label.id,
            artist_id=artist.id,
            label_consent_at=utcnow(),
            artist_consent_at=utcnow(),
            label_collects=True,
        )
    )
    db.add(
        PayeeAccount(
            label_id=label.id, gateway="sandbox", provider_account_id="acct_label", transfers_enabled=True
        )
    )
    release = on_sale(db, artist, title="On The Label")
    release.label_id = label.id
    commit(db)
    _, web = fan(app, db, platform)
    assert add(web, release).status_code == 303

    assert pay(web, "USD").status_code == 303

    (line,) = orders(db)[0].lines
    assert (line.artist_id, line.payee_artist_id, line.payee_label_id) == (artist.id, None, label.id)


def test_a_new_checkout_closes_the_earlier_session_of_the_same_cart(
    app, db, platform, override_service
) -> None:
    gateway = recording(override_service)
    _, web = fan(app, db, platform)
    add(web, on_sale(db, seller(db, platform)))

    pay(web, "USD")
    pay(web, "USD")

    assert gateway.expired == ["cs_test_1"]
    assert [o.checkout_session_id for o in orders(db)] == ["cs_test_1", "cs_test_2"]


def test_a_paid_order_takes_exactly_its_items_out_of_the_cart(app, db, platform, override_service) -> None:
    recording(override_service)
    artist = seller(db, platform)
    user, web = fan(app, db, platform)
    album = on_sale(db, artist, title="Album", tracks=2, track_price=100)
    later = on_sale(db, artist, title="Later")
    euros = on_sale(db, artist, title="Euros", currency="EUR")
    add(web, album)
    add(web, euros)
    pay(web, "USD")
    add(web, later)  # added after the checkout started: stays
    (order,) = orders(db)

    clear_bought(db, order)
    clear_bought(db, order)  # twice changes nothing more
    commit(db)

    assert [i.release.title for i in cart_items(db, user)] == ["Euros", "Later"]


def test_a_free_order_is_fulfilled_at_once_without_the_gateway(app, db, platform, override_service) -> None:
    gateway = recording(override_service)
    artist = seller(db, platform, payee=False)  # nobody to pay: free downloads need no payee
    release = on_sale(db, artist, title="Gift", price=300, pwyw=True, minimum=0)
    user, web = fan(app, db, platform)
    add(web, release, "0")
    assert "Get it for free" in text_of(web.get("/cart"))

    response = pay(web, "USD")

    (order,) = orders(db)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{order.reference}/thanks"
    assert (order.status, order.free, order.subtotal_minor) == (OrderStatus.PAID, True, 0)
    assert gateway.requests == []
    fresh(db)
    rights = db.scalars(select(Entitlement).where(Entitlement.user_id == user.id)).all()
    assert [(r.release_id, r.source) for r in rights] == [(release.id, EntitlementSource.PURCHASE)]
    assert cart_items(db, user) == []


def test_a_guest_takes_a_free_download_with_an_email_address(app, db, platform, override_service) -> None:
    from tests.helpers import mail_to

    recording(override_service)
    release = on_sale(db, seller(db, platform), title="Free For All", pwyw=True, minimum=0)
    web = WebClient(app)
    add(web, release, "0")

    assert pay(web, "USD").status_code == 422  # an address is needed for the link
    response = pay(web, "USD", email="listener@example.com")

    (order,) = orders(db)
    assert response.status_code == 303
    assert (order.status, order.buyer_id, order.email) == (OrderStatus.PAID, None, "listener@example.com")
    assert mail_to(app, "listener@example.com"), "the guest is mailed the link"


def test_the_cart_lets_its_form_lead_to_stripes_payment_page(make_app) -> None:
    app = make_app(payments="stripe", stripe_secret_key="sk_test_x", stripe_webhook_secret="whsec_x")

    response = WebClient(app).get("/cart")

    policy = response.headers["Content-Security-Policy"]
    assert "form-action 'self' https://checkout.stripe.com;" in policy
    assert "script-src 'self';" in policy


def test_the_sandboxs_cart_keeps_the_sites_own_policy(app) -> None:
    policy = WebClient(app).get("/cart").headers["Content-Security-Policy"]

    assert "checkout.stripe.com" not in policy


def test_currency_is_checked_against_the_release_as_it_is_now(app, db, platform, override_service) -> None:
    gateway = recording(override_service)
    artist = seller(db, platform)
    named = on_sale(db, artist, title="Named", pwyw=True, minimum=100, price=500)
    fixed = on_sale(db, artist, title="Fixed", price=700)
    _, web = fan(app, db, platform)
    add(web, named, "5")
    add(web, fixed)
    named.currency = fixed.currency = "EUR"
    commit(db)

    assert "This is now sold in EUR: enter your amount again." in text_of(web.get("/cart"))
    assert pay(web, "USD").status_code == 404  # nothing is in USD any more
    assert pay(web, "EUR").status_code == 409  # the named price must be entered again, in euros
    (line, _) = cart_items(db)
    assert web.submit("/cart", {"amount": "6"}, action=f"/cart/items/{line.id}/amount").status_code == 303
    assert pay(web, "EUR").status_code == 303
    assert [(c.name, c.amount_minor) for c in gateway.requests[0].lines] == [
        (f"Named — {artist.name}", 600),
        (f"Fixed — {artist.name}", 700),
    ]
    assert gateway.requests[0].currency == "EUR"
