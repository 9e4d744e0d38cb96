"""Stripe's webhook over HTTP, against the fake Stripe API: signed events are kept once and fulfil orders;
forged, stale, oversized or unknown ones do what they should; the endpoint exists only with Stripe."""

from __future__ import annotations

import json
import random
import time

import pytest

from storefront.orders.models import LedgerKind, OrderStatus
from storefront.payments.models import PaymentEvent
from tests.factories.accounts import make_user
from tests.functional.payments.selling import (
    entitlements,
    events,
    ledger,
    on_sale,
    open_checkout,
    place_order,
    platform_of,
    reload,
    seller,
)
from tests.helpers import fresh, mail_to, text_of
from tests.services.fake_stripe import FakeStripe
from tests.services.fake_stripe.webhooks import sign


@pytest.fixture
def stripe_app(make_app, fake_stripe: FakeStripe):
    return make_app(
        payments="stripe",
        stripe_secret_key=fake_stripe.secret_key,
        stripe_webhook_secret=fake_stripe.webhook_secret,
        stripe_api_base=fake_stripe.url,
    )


@pytest.fixture
def sdb(stripe_app):
    session = platform_of(stripe_app).database.session()
    yield session
    session.close()


def _deliver(app, payload: bytes, signature: str | None, **headers: str):
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return app.test_client().post(
        "/webhooks/stripe", data=payload, headers=headers, content_type="application/json"
    )


def _send_last(app, fake_stripe: FakeStripe, event_type: str):
    """The latest event of a type, delivered signed as Stripe sends it."""
    return _deliver(app, *fake_stripe.signed(fake_stripe.last_event(event_type)))


def _paid_order(stripe_app, sdb, fake_stripe, *, pending=False):
    platform = platform_of(stripe_app)
    fan = make_user(sdb, platform)
    a, b = on_sale(sdb, seller(sdb, platform), price=1200), on_sale(sdb, seller(sdb, platform), price=300)
    order = place_order(sdb, [(a, None, 1200), (b, None, 300)], buyer=fan, gateway="stripe")
    session_id = open_checkout(sdb, platform.payments, order)
    fake_stripe.complete_checkout(session_id, email=fan.email, pending=pending)
    return order, fan, session_id


def test_a_signed_completed_event_fulfils_the_order_once_however_often_it_comes(stripe_app, sdb, fake_stripe):
    order, fan, _ = _paid_order(stripe_app, sdb, fake_stripe)
    event = fake_stripe.last_event("checkout.session.completed")
    deliveries = [fake_stripe.signed(event) for _ in range(5)]
    random.Random(7).shuffle(deliveries)

    answers = [_deliver(stripe_app, *delivery) for delivery in deliveries]
    assert [a.status_code for a in answers] == [200] * 5
    assert sorted(text_of(a).strip() for a in answers) == ["already recorded"] * 4 + ["recorded"]

    [row] = events(sdb, event_id=event["id"])
    assert row.gateway == "stripe" and row.handled_at is not None
    order = reload(sdb, order)
    charge = fake_stripe.get(order.charge_id)
    fee = fake_stripe.get(charge["balance_transaction"])["fee"]
    assert (order.status, order.amount_total_minor, order.processing_fee_minor) == (
        OrderStatus.PAID,
        1500,
        fee,
    )
    rows = ledger(sdb, order)
    assert sum(r.amount_minor for r in rows if r.kind == LedgerKind.SALE) == 1500
    assert sum(r.amount_minor for r in rows if r.kind == LedgerKind.PROCESSING_FEE) == -fee
    assert len(rows) == len({r.key for r in rows})
    assert len(entitlements(sdb, fan)) == 2
    assert len([m for m in mail_to(stripe_app, fan.email) if m.kind == "receipt"]) == 1


def test_a_delayed_payment_is_processing_until_it_settles(stripe_app, sdb, fake_stripe):
    order, _, session_id = _paid_order(stripe_app, sdb, fake_stripe, pending=True)
    assert _send_last(stripe_app, fake_stripe, "checkout.session.completed").status_code == 200
    assert reload(sdb, order).status == OrderStatus.PROCESSING

    fake_stripe.settle_async_payment(session_id, succeeded=True)
    assert _send_last(stripe_app, fake_stripe, "checkout.session.async_payment_succeeded").status_code == 200
    assert reload(sdb, order).status == OrderStatus.PAID
    # The completed event again, late: the order stays paid, with one set of rows.
    assert _send_last(stripe_app, fake_stripe, "checkout.session.completed").status_code == 200
    assert reload(sdb, order).status == OrderStatus.PAID
    assert len(ledger(sdb, order, LedgerKind.SALE)) == 2


def test_the_expired_event_expires_an_unpaid_order(stripe_app, sdb, fake_stripe):
    platform = platform_of(stripe_app)
    order = place_order(
        sdb, [(on_sale(sdb, seller(sdb, platform)), None, 700)], email="g@example.com", gateway="stripe"
    )
    session_id = open_checkout(sdb, platform.payments, order)
    fake_stripe.expire_checkout(session_id)
    assert _send_last(stripe_app, fake_stripe, "checkout.session.expired").status_code == 200
    assert reload(sdb, order).status == OrderStatus.EXPIRED


def test_forged_stale_unsigned_or_oversized_deliveries_are_refused_and_kept_nowhere(
    stripe_app, sdb, fake_stripe
):
    _paid_order(stripe_app, sdb, fake_stripe)
    event = fake_stripe.last_event("checkout.session.completed")
    payload, _ = fake_stripe.signed(event)
    _, forged = fake_stripe.signed(event, secret="whsec_someone_else")
    _, stale = fake_stripe.signed(event, timestamp=int(time.time()) - 3600)

    for signature in (forged, stale, "t=1,v1=00", None):
        refused = _deliver(stripe_app, payload, signature)
        assert refused.status_code == 400, signature
        assert refused.mimetype == "text/plain"
    huge = b'{"id": "evt_big", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert _deliver(stripe_app, huge, "t=1,v1=00").status_code == 413
    assert fresh(sdb).query(PaymentEvent).count() == 0


def test_an_event_nobody_handles_is_kept_and_marked_handled(stripe_app, sdb, fake_stripe):
    event = {
        "id": "evt_unrouted_1",
        "object": "event",
        "type": "customer.created",
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2020-01-01",
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    answer = _deliver(stripe_app, *sign(event, fake_stripe.webhook_secret))
    assert answer.status_code == 200
    [row] = events(sdb, event_id="evt_unrouted_1")
    assert (row.type, row.object_id, row.handled_at is not None) == ("customer.created", "cus_1", True)
    assert json.loads(json.dumps(row.data))["id"] == "cus_1"


def test_the_sandbox_pages_do_not_exist_with_stripe(stripe_app):
    client = stripe_app.test_client()
    assert client.get("/sandbox/checkout/cs_test_1").status_code == 404
    assert client.post("/sandbox/checkout/cs_test_1/pay", data={"outcome": "succeeds"}).status_code in (
        400,
        404,
    )
    assert client.get("/sandbox/onboarding/acct_1").status_code == 404


def test_the_webhook_does_not_exist_with_the_sandbox(client):
    assert (
        client.post("/webhooks/stripe", data=b"{}", headers={"Stripe-Signature": "t=1,v1=0"}).status_code
        == 404
    )
