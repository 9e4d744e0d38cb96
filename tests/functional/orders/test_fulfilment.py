"""A paid checkout becomes one paid order: its split and ledger, the buyer's rights, one receipt, transfers
asked for; repeated, late and reordered events change nothing more."""

from __future__ import annotations

import threading

from sqlalchemy import select

from storefront.jobs.interfaces import JobQueue
from storefront.orders.fulfilment import FULFIL_ORDER
from storefront.orders.hooks import PAY_ORDER
from storefront.orders.models import EntitlementSource, LedgerEntry, LedgerKind, OrderStatus
from storefront.payments.handling import record_event
from storefront.payments.interfaces import GatewayEvent
from storefront.payments.sandbox import card_fee
from storefront.releases.identifiers import format_price
from tests.factories.accounts import PASSWORD, make_user
from tests.functional.payments.selling import (
    entitlements,
    events,
    jobs,
    ledger,
    on_sale,
    open_checkout,
    place_order,
    press,
    reload,
    seller,
)
from tests.helpers import WebClient, fresh, mail_to, text_of


def _fan(app, db, platform, email="fan@example.com"):
    fan = make_user(db, platform, email=email, name="Fay Fan")
    web = WebClient(app)
    web.login(fan.email, PASSWORD)
    return fan, web


def test_a_paid_sandbox_checkout_makes_one_paid_order_with_its_ledger_rights_and_receipt(app, db, platform):
    album = on_sale(db, seller(db, platform, "Mara Lind"), title="Harbour", price=700)
    single = on_sale(db, seller(db, platform, "Static Orchard"), title="Lanterns", price=1000, tracks=2)
    fan, web = _fan(app, db, platform)
    order = place_order(db, [(album, None, 700), (single, single.tracks[0], 1000)], buyer=fan)
    session_id = open_checkout(db, platform.payments, order)

    page = web.get(f"/sandbox/checkout/{session_id}")
    assert page.status_code == 200
    assert "Sandbox — no money moves" in text_of(page)
    assert "17.00 USD" in text_of(page)
    paid = press(web, session_id, "pay", "succeeds")
    assert paid.status_code == 302
    assert paid.headers["Location"].endswith(f"/orders/{order.reference}/thanks?session_id={session_id}")

    order = reload(db, order)
    fee = card_fee(1700)  # 2.9 % + 30 of the whole charge
    assert (order.status, order.amount_total_minor, order.processing_fee_minor) == (
        OrderStatus.PAID,
        1700,
        fee,
    )
    assert order.charge_id.startswith("ch_sandbox_") and order.payment_intent_id.startswith("pi_sandbox_")
    assert order.paid_at is not None
    lines = order.lines
    assert sum(line.processing_fee_minor for line in lines) == fee
    assert [line.payee_amount_minor for line in lines] == [
        line.amount_minor - line.processing_fee_minor for line in lines
    ]
    rows = ledger(db, order)
    assert sum(r.amount_minor for r in rows if r.kind == LedgerKind.SALE) == 1700
    assert sum(r.amount_minor for r in rows if r.kind == LedgerKind.PROCESSING_FEE) == -fee
    assert sum(r.amount_minor for r in rows) == sum(line.payee_amount_minor for line in lines)
    assert {r.key for r in rows} >= {f"sale:{lines[0].id}", f"fee:{lines[1].id}"}
    assert all(r.provider_id == order.charge_id and r.currency == "USD" for r in rows)

    rights = entitlements(db, fan)
    assert {(r.release_id, r.track_id) for r in rights} == {
        (album.id, None),
        (single.id, single.tracks[0].id),
    }
    assert all(
        r.source == EntitlementSource.PURCHASE and r.payment_reference == order.charge_id for r in rights
    )
    assert {r.order_line_id for r in rights} == {line.id for line in lines}

    receipts = [m for m in mail_to(app, fan.email) if m.kind == "receipt"]
    assert len(receipts) == 1
    body = receipts[0].text_body
    assert "no money moved" in body and "http://localhost/collection" in body
    for name, line in zip(("Mara Lind", "Static Orchard"), lines, strict=True):
        assert f"{name} receives {format_price(line.payee_amount_minor, 'USD')}" in body
        assert f"Processing fee: {format_price(line.processing_fee_minor, 'USD')}" in body
    assert f"Total charged: {format_price(1700, 'USD')}" in body
    assert fresh(db).get(type(order), order.id).receipt_sent_at is not None
    assert [j.payload for j in jobs(db, PAY_ORDER.name)] == [{"order_id": order.id}]


def test_fulfilling_again_and_late_events_change_nothing(app, db, platform):
    release = on_sale(db, seller(db, platform), price=900)
    fan, web = _fan(app, db, platform)
    order = place_order(db, [(release, None, 900)], buyer=fan)
    session_id = open_checkout(db, platform.payments, order)
    press(web, session_id, "pay", "succeeds")
    before = [(r.key, r.amount_minor) for r in ledger(db, order)]

    # A second worker's fulfilment, a completed event delivered again under another id, and an expiry that
    # arrives after the payment: each reads the paid session back and finds nothing left to do.
    with platform.database.transaction() as session:
        queue = JobQueue(session, platform.jobs)
        queue.enqueue(FULFIL_ORDER, {"session_id": session_id}, dedupe_key="again")
        for n, kind in enumerate(("checkout.session.completed", "checkout.session.expired")):
            record_event(session, "sandbox", GatewayEvent(f"evt_late_{n}", kind, session_id, 1), queue)

    order = reload(db, order)
    assert order.status == OrderStatus.PAID
    assert [(r.key, r.amount_minor) for r in ledger(db, order)] == before
    assert len(entitlements(db, fan)) == 1
    assert len([m for m in mail_to(app, fan.email) if m.kind == "receipt"]) == 1
    assert len(jobs(db, PAY_ORDER.name)) == 1
    assert all(j.status.value == "done" for j in jobs(db, FULFIL_ORDER.name))
    # The page cannot take the money twice.
    assert press(web, session_id, "pay", "succeeds").status_code == 409


def test_the_platform_fee_comes_out_of_each_line_after_its_processing_fee(app, db, platform):
    a, b = on_sale(db, seller(db, platform), price=500), on_sale(db, seller(db, platform), price=2500)
    fan, web = _fan(app, db, platform)
    order = place_order(db, [(a, None, 500), (b, None, 2500)], buyer=fan, platform_fee_bps=1000)
    press(web, open_checkout(db, platform.payments, order), "pay", "succeeds")

    order = reload(db, order)
    assert [line.platform_fee_minor for line in order.lines] == [50, 250]
    for line in order.lines:
        assert (
            line.payee_amount_minor == line.amount_minor - line.processing_fee_minor - line.platform_fee_minor
        )
        assert line.payee_amount_minor >= 0
    platform_rows = ledger(db, order, LedgerKind.PLATFORM_FEE)
    assert sorted(r.amount_minor for r in platform_rows) == [-250, -50]
    assert all(r.payee_key.startswith("artist:") for r in platform_rows)


def test_a_pending_payment_waits_then_succeeds(app, db, platform):
    release = on_sale(db, seller(db, platform))
    fan, web = _fan(app, db, platform)
    order = place_order(db, [(release, None, 700)], buyer=fan)
    session_id = open_checkout(db, platform.payments, order)

    assert press(web, session_id, "pay", "pending").status_code == 302
    assert reload(db, order).status == OrderStatus.PROCESSING
    assert entitlements(db, fan) == [] and ledger(db, order) == []
    assert "Payment succeeds" in text_of(web.get(f"/sandbox/checkout/{session_id}"))

    assert press(web, session_id, "settle", "succeeds").status_code == 302
    order = reload(db, order)
    assert order.status == OrderStatus.PAID and order.charge_id is not None
    assert len(entitlements(db, fan)) == 1
    assert len([m for m in mail_to(app, fan.email) if m.kind == "receipt"]) == 1


def test_a_pending_payment_that_fails_fails_the_order_and_tells_the_fan(app, db, platform):
    release = on_sale(db, seller(db, platform))
    fan, web = _fan(app, db, platform)
    order = place_order(db, [(release, None, 700)], buyer=fan)
    session_id = open_checkout(db, platform.payments, order)
    press(web, session_id, "pay", "pending")
    press(web, session_id, "settle", "fails")

    order = reload(db, order)
    assert order.status == OrderStatus.FAILED
    assert ledger(db, order) == [] and entitlements(db, fan) == []
    failed = [m for m in mail_to(app, fan.email) if m.kind == "payment_failed"]
    assert len(failed) == 1 and order.reference in failed[0].text_body
    assert "pending" not in text_of(web.get(f"/sandbox/checkout/{session_id}")).lower().split("sandbox")[-1]
    assert press(web, session_id, "settle", "succeeds").status_code == 409


def test_a_declined_card_leaves_the_checkout_open_to_try_again(app, db, platform):
    release = on_sale(db, seller(db, platform))
    fan, web = _fan(app, db, platform)
    order = place_order(db, [(release, None, 700)], buyer=fan)
    session_id = open_checkout(db, platform.payments, order)

    declined = press(web, session_id, "pay", "fails")
    assert declined.status_code == 302 and "declined=1" in declined.headers["Location"]
    assert "declined" in text_of(web.get(declined.headers["Location"]))
    assert reload(db, order).status == OrderStatus.PENDING
    # Stripe tells of a declined card with an event nobody here handles: kept, and marked handled.
    [declined_event] = events(db, type="payment_intent.payment_failed")
    assert declined_event.handled_at is not None
    assert fresh(db).scalar(select(LedgerEntry.id)) is None
    press(web, session_id, "pay", "succeeds")
    assert reload(db, order).status == OrderStatus.PAID


def test_an_expired_checkout_expires_its_order_and_takes_no_payment(app, db, platform):
    release = on_sale(db, seller(db, platform))
    fan, web = _fan(app, db, platform)
    order = place_order(db, [(release, None, 700)], buyer=fan)
    session_id = open_checkout(db, platform.payments, order)

    expired = press(web, session_id, "expire")
    assert expired.status_code == 302 and expired.headers["Location"] == "http://localhost/cart"
    assert reload(db, order).status == OrderStatus.EXPIRED
    assert press(web, session_id, "pay", "succeeds").status_code == 409
    assert reload(db, order).status == OrderStatus.EXPIRED


def test_concurrent_fulfilments_of_one_session_make_one_paid_order(make_app):
    """Several workers at once (threads here; processes on PostgreSQL in CI alike): one order, one set."""
    app = make_app(inline_jobs="manual")
    platform = app.extensions["storefront"]
    db = platform.database.session()
    try:
        fan = make_user(db, platform)
        items = [
            (on_sale(db, seller(db, platform)), None, 700),
            (on_sale(db, seller(db, platform)), None, 500),
        ]
        order = place_order(db, items, buyer=fan)
        session_id = open_checkout(db, platform.payments, order)
        platform.payments.pay(session_id, "succeeds")
        with platform.database.transaction() as session:
            queue = JobQueue(session, platform.jobs)
            ids = [
                queue.enqueue(FULFIL_ORDER, {"session_id": session_id}, dedupe_key=f"w{n}").id
                for n in range(8)
            ]
        workers = [threading.Thread(target=platform.executor.run, args=(job_id,)) for job_id in ids]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        platform.jobs.drain()

        order = reload(db, order)
        assert order.status == OrderStatus.PAID
        assert len(ledger(db, order, LedgerKind.SALE)) == 2
        assert len(entitlements(db, fan)) == 2
        assert len(jobs(db, PAY_ORDER.name)) == 1
        assert len([m for m in mail_to(app, fan.email) if m.kind == "receipt"]) == 1
        assert all(j.status.value == "done" for j in jobs(db, FULFIL_ORDER.name))
    finally:
        db.close()
