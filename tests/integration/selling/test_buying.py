"""A fan buys from two artists in one checkout, through the shop's pages, the fake Stripe's payment page and
its signed webhook: one paid order, and each artist paid its exact share from the charge, once."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from storefront.orders.models import Entitlement, EntitlementSource, OrderStatus
from tests.helpers import fresh, mail_to, text_of
from tests.integration.selling.conftest import Shop, books
from tests.services.fake_stripe import minor_fee


def test_a_fan_buys_from_two_artists_in_one_checkout(open_shop: Callable[..., Shop]) -> None:
    shop = open_shop(platform_fee_bps=500)
    lumen, harbour = shop.seller("Lumen"), shop.seller("Harbour Lights")
    album = shop.release(lumen, "Night Drives", 1200)
    tidewater = shop.release(harbour, "Tidewater", 500, minimum=500)  # pay what you want, from 5.00
    lanterns = shop.release(harbour, "Lanterns", 900, tracks=2, track_price=150)
    fan, web = shop.fan()
    shop.add(web, album)
    shop.add(web, tidewater, "8.25")
    shop.add(web, lanterns, track=lanterns.tracks[1])
    assert web.get("/cart").status_code == 200

    purchase = shop.checkout(web, fan)

    order = shop.order(purchase)
    assert (order.status, order.subtotal_minor, order.currency) == (OrderStatus.PENDING, 2175, "USD")
    session = shop.stripe.get(purchase.session_id)
    assert (session["amount_total"], session["client_reference_id"]) == (2175, purchase.reference)
    assert shop.stripe.objects("transfer") == []

    back = shop.pay(purchase)
    thanks = back.removeprefix("http://localhost")
    assert web.get(thanks).status_code == 200
    waiting = web.get(f"/orders/{purchase.reference}/status").get_json()
    assert (waiting["status"], waiting["done"]) == ("pending", False)

    delivered = shop.webhook("checkout.session.completed")
    assert (delivered.status_code, text_of(delivered).strip()) == (200, "recorded")
    shop.drain()

    done = web.get(f"/orders/{purchase.reference}/status").get_json()
    assert (done["status"], done["done"], done["collection_url"]) == ("paid", True, "/collection")
    [order] = shop.orders()
    assert order.status == OrderStatus.PAID
    charge = shop.stripe.get(order.charge_id or "")
    assert charge["payment_intent"] == session_intent(shop, purchase.session_id)
    assert order.processing_fee_minor == minor_fee(2175) == 93
    # 12.00, 8.25 and 1.50 less their share of the 0.93 fee (51, 35, 7) and of the 5 % platform fee
    # (60, 41, 7): Lumen 10.89, Harbour Lights 7.49 + 1.36.
    shares = books(shop, order, {lumen.payee_key: lumen.account_id, harbour.payee_key: harbour.account_id})
    assert shares == {lumen.payee_key: 1089, harbour.payee_key: 885}
    assert {t["transfer_group"] for t in shop.stripe.objects("transfer")} == {order.transfer_group}

    rights = fresh(shop.db).scalars(select(Entitlement).where(Entitlement.user_id == fan.id)).all()
    assert sorted((r.release_id, r.order_line_id, r.source, r.payment_reference) for r in rights) == sorted(
        (line.release_id, line.id, EntitlementSource.PURCHASE, charge["id"]) for line in order.lines
    )
    collection = text_of(web.get("/collection"))
    assert all(title in collection for title in ("Night Drives", "Tidewater", "Lanterns"))
    assert [m.kind for m in mail_to(shop.app, fan.email)].count("receipt") == 1
    assert web.get("/cart").status_code == 200 and "Night Drives" not in text_of(web.get("/cart"))

    # Stripe delivers the same event again, and a worker runs the order's payment again: nothing moves.
    again = shop.webhook(shop.stripe.last_event("checkout.session.completed"))
    assert (again.status_code, text_of(again).strip()) == (200, "already recorded")
    shop.drain()
    assert len(shop.orders()) == 1 and len(shop.stripe.objects("transfer")) == 2
    assert shop.failed_jobs() == []
    shop.reconciled()


def session_intent(shop: Shop, session_id: str) -> str:
    intent = shop.stripe.get(session_id)["payment_intent"]
    assert isinstance(intent, str)
    return intent
