"""The confirmation page after paying: waits for the payment, updates itself, and shows only to its buyer."""

from __future__ import annotations

import re

from storefront.db import commit
from storefront.orders.models import OrderStatus
from tests.factories.accounts import PASSWORD
from tests.functional.orders.test_checkout_support import add, fan, on_sale, orders, pay, recording, seller
from tests.helpers import WebClient, text_of


def _checked_out(app, db, platform, override_service, web=None, **form):
    recording(override_service)
    if web is None:
        _, web = fan(app, db, platform)
    add(web, on_sale(db, seller(db, platform), title="Harbour"))
    assert pay(web, "USD", **form).status_code == 303
    return web, orders(db)[-1]


def test_the_page_waits_for_the_payment_and_its_status_says_when_it_is_paid(
    app, db, platform, override_service
) -> None:
    web, order = _checked_out(app, db, platform, override_service)

    page = web.get(f"/orders/{order.reference}/thanks")
    text = text_of(page)
    assert page.status_code == 200
    assert "Waiting for your payment to be confirmed…" in text
    assert "Harbour — The Band" in text and "7.00 USD" in text
    assert f'data-status-url="/orders/{order.reference}/status"' in text
    assert '<script src="/static/js/order-status.js" defer></script>' in text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "no inline script: the CSP forbids it"
    assert web.get(f"/orders/{order.reference}/status").get_json() == {
        "reference": order.reference,
        "status": "pending",
        "done": False,
        "collection_url": None,
    }

    order.status = OrderStatus.PAID
    commit(db)

    assert web.get(f"/orders/{order.reference}/status").get_json() == {
        "reference": order.reference,
        "status": "paid",
        "done": True,
        "collection_url": "/collection",
    }
    paid = text_of(web.get(f"/orders/{order.reference}/thanks"))
    assert "data-status-url" not in paid  # nothing left to wait for
    assert re.search(r'<div data-when="paid"\s*>', paid)
    assert 'href="/collection"' in paid


def test_failed_and_expired_orders_say_so(app, db, platform, override_service) -> None:
    web, order = _checked_out(app, db, platform, override_service)

    for status, words in ((OrderStatus.FAILED, "did not go through"), (OrderStatus.EXPIRED, "was closed")):
        order.status = status
        commit(db)
        page = text_of(web.get(f"/orders/{order.reference}/thanks"))
        assert re.search(rf'<p data-when="{status.value}"\s*>\s*<strong>[^<]*{words}', page)
        state = web.get(f"/orders/{order.reference}/status").get_json()
        assert (state["status"], state["done"]) == (status.value, True)


def test_nobody_else_can_see_an_order(app, db, platform, override_service) -> None:
    _, order = _checked_out(app, db, platform, override_service)
    _, stranger = fan(app, db, platform, "Stranger")
    guest = WebClient(app)

    for web in (stranger, guest):
        assert web.get(f"/orders/{order.reference}/thanks").status_code == 404
        assert web.get(f"/orders/{order.reference}/status").status_code == 404
    for reference in ("ord_doesnotexist0000", "nonsense", "ord_" + "x" * 200, "ord_%00abc"):
        assert guest.get(f"/orders/{reference}/thanks").status_code == 404


def test_a_guest_sees_their_order_in_the_browser_they_paid_from(app, db, platform, override_service) -> None:
    guest = WebClient(app)
    _, order = _checked_out(app, db, platform, override_service, web=guest, email="guest@example.com")

    page = guest.get(f"/orders/{order.reference}/thanks")
    assert page.status_code == 200
    assert "Receipt to guest@example.com." in text_of(page)
    assert WebClient(app).get(f"/orders/{order.reference}/thanks").status_code == 404

    order.status = OrderStatus.PAID
    commit(db)
    paid = text_of(guest.get(f"/orders/{order.reference}/thanks"))
    assert "We are emailing the receipt and your download links to guest@example.com." in paid
    assert guest.get(f"/orders/{order.reference}/status").get_json()["collection_url"] is None


def test_a_guest_who_logs_in_still_sees_their_order(app, db, platform, override_service) -> None:
    user, web = fan(app, db, platform, "Later Member")
    web.logout()
    _, order = _checked_out(app, db, platform, override_service, web=web, email="someone@example.com")

    web.login(user.email, PASSWORD)

    assert web.get(f"/orders/{order.reference}/thanks").status_code == 200
