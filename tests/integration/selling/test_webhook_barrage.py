"""Every event of four purchases (paid at once; paid by a delayed method that then settles; by one that then
fails; abandoned until it expired) delivered five times in a shuffled order, with jobs running in between.
The first delivery is answered 500 (the database failed under it), Stripe's first answer to the fulfilment
job is a 500, and a stale and a forged delivery come along: the end is one paid order per paid session,
each payee paid once, and nothing at all for the failed and the expired session. Then the same events
delivered all at once from many threads: each is kept once."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from storefront.jobs.models import JobStatus
from storefront.orders.fulfilment import FULFIL_ORDER
from storefront.orders.models import Entitlement, LedgerEntry, OrderStatus
from storefront.payments.models import PaymentEvent
from storefront.payouts.models import PayoutTransfer
from tests.helpers import fresh, mail_to, text_of
from tests.integration.selling.conftest import Purchase, Shop, books

BARRIER_BOUND = 120.0  # a hang detector, not a measure of speed
CHECKOUT_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)


@contextmanager
def database_fails_once(engine: Engine, table: str) -> Iterator[list[int]]:
    """The next INSERT into `table` fails as if the connection dropped; yields how many failures are left."""
    left = [1]
    prefix = f"INSERT INTO {table} "

    def fail(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if left[0] and statement.lstrip().startswith(prefix):
            left[0] -= 1
            raise OperationalError(
                statement, parameters, ConnectionResetError("server closed the connection")
            )

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield left
    finally:
        event.remove(engine, "before_cursor_execute", fail)


def _events_of(shop: Shop, purchases: list[Purchase]) -> list[dict[str, Any]]:
    sessions = {p.session_id for p in purchases}
    return [
        e
        for e in shop.stripe.events()
        if e["type"] in CHECKOUT_EVENTS and e["data"]["object"]["id"] in sessions
    ]


@pytest.mark.parametrize("seed", [3, 17, 2024])
def test_each_webhook_five_times_shuffled_after_a_500_stale_and_forged(
    open_shop: Callable[..., Shop], seed: int
) -> None:
    shop = open_shop()
    shop.app.config["PROPAGATE_EXCEPTIONS"] = False  # answer a failure with a 500, as in production
    pale, dune = shop.seller("Pale Dunes"), shop.seller("Copper Sky")
    first, second = shop.release(pale, "Static Bloom", 1000), shop.release(dune, "Ferrous", 700)
    paid = shop.buy([(first, None, None), (second, None, None)])
    delayed = shop.buy([(first, None, None)], guest=True)
    declined = shop.buy([(second, None, None)], guest=True)
    abandoned = shop.buy([(second, None, None)])
    shop.pay(paid)
    shop.pay(delayed, pending=True)
    shop.stripe.settle_async_payment(delayed.session_id)
    shop.pay(declined, pending=True)
    shop.stripe.settle_async_payment(declined.session_id, succeeded=False)
    shop.stripe.expire_checkout(abandoned.session_id)
    events = _events_of(shop, [paid, delayed, declined, abandoned])
    assert sorted(e["type"] for e in events) == sorted(
        [*["checkout.session.completed"] * 3, *CHECKOUT_EVENTS[1:]]
    )
    rng = random.Random(seed)
    deliveries: list[tuple[str, bytes, str]] = []
    for e in events:
        deliveries += [("good", *shop.stripe.signed(e)) for _ in range(5)]
    rng.shuffle(deliveries)
    stale = shop.stripe.signed(rng.choice(events), timestamp=int(time.time()) - 600)
    forged = shop.stripe.signed(rng.choice(events), secret="whsec_not_ours")
    deliveries.insert(rng.randrange(len(deliveries)), ("stale", *stale))
    deliveries.insert(rng.randrange(len(deliveries)), ("forged", *forged))
    # Stripe's first answer to reading the paid session back is a 500: that fulfilment job runs again.
    shop.stripe.fail_next(f"/v1/checkout/sessions/{paid.session_id}", status=500)

    answers: list[tuple[str, int, str]] = []
    with database_fails_once(shop.platform.database.engine, "payment_events") as left:
        for kind, payload, signature in deliveries:
            answer = shop.post_webhook(payload, signature)
            answers.append((kind, answer.status_code, text_of(answer).strip()))
            if rng.random() < 0.4:
                shop.drain()
    assert left == [0]
    shop.drain()

    assert next(status for kind, status, _ in answers if kind == "good") == 500
    statuses = [(kind, status) for kind, status, _ in answers]
    assert statuses.count(("good", 500)) == 1
    assert sorted(s for k, s in statuses if k != "good") == [400, 400]
    recorded = [text for kind, status, text in answers if kind == "good" and status == 200]
    assert sorted(set(recorded)) == ["already recorded", "recorded"]
    assert recorded.count("recorded") == len(events)
    kept = fresh(shop.db).scalars(select(PaymentEvent)).all()
    checkout_rows = [row for row in kept if row.type in CHECKOUT_EVENTS]
    assert sorted(row.event_id for row in checkout_rows) == sorted(e["id"] for e in events)
    assert all(row.handled_at is not None for row in kept)

    orders = {order.checkout_session_id: order for order in shop.orders()}
    assert {sid: order.status for sid, order in orders.items()} == {
        paid.session_id: OrderStatus.PAID,
        delayed.session_id: OrderStatus.PAID,
        declined.session_id: OrderStatus.FAILED,
        abandoned.session_id: OrderStatus.EXPIRED,
    }
    accounts = {pale.payee_key: pale.account_id, dune.payee_key: dune.account_id}
    assert books(shop, orders[paid.session_id], accounts).keys() == {pale.payee_key, dune.payee_key}
    assert books(shop, orders[delayed.session_id], accounts).keys() == {pale.payee_key}
    assert len(shop.stripe.objects("transfer")) == 3
    for unpaid in (orders[declined.session_id], orders[abandoned.session_id]):
        db = fresh(shop.db)
        assert db.scalars(select(LedgerEntry).where(LedgerEntry.order_id == unpaid.id)).all() == []
        assert db.scalars(select(PayoutTransfer).where(PayoutTransfer.order_id == unpaid.id)).all() == []
        lines = [line.id for line in unpaid.lines]
        assert db.scalars(select(Entitlement).where(Entitlement.order_line_id.in_(lines))).all() == []
        assert unpaid.charge_id is None and unpaid.paid_at is None
    assert [m.kind for m in mail_to(shop.app, declined.email)] == ["payment_failed"]

    fulfilments = shop.jobs(name=FULFIL_ORDER.name)
    assert {job.status for job in fulfilments} == {JobStatus.DONE}
    assert sorted(job.payload["session_id"] for job in fulfilments) == sorted(
        [paid.session_id, delayed.session_id, delayed.session_id, declined.session_id]
    )
    assert max(job.attempts for job in fulfilments) == 2
    assert shop.failed_jobs() == []

    # Later, Stripe delivers everything it sent about these purchases once more, transfers included.
    transfers_before = shop.stripe.objects("transfer")
    everything = [e for e in shop.stripe.events() if e["type"] != "account.updated"]
    rng.shuffle(everything)
    for e in everything + everything:
        assert shop.webhook(e).status_code == 200
    shop.drain()
    assert shop.stripe.objects("transfer") == transfers_before
    assert [(o.checkout_session_id, o.status) for o in shop.orders()] == [
        (p.session_id, orders[p.session_id].status) for p in (paid, delayed, declined, abandoned)
    ]
    assert [m.kind for m in mail_to(shop.app, declined.email)] == ["payment_failed"]
    assert shop.failed_jobs() == []
    shop.reconciled()


def test_the_same_events_delivered_at_the_same_moment_are_each_kept_once(
    open_shop: Callable[..., Shop],
) -> None:
    shop = open_shop()
    pale, dune = shop.seller("Pale Dunes"), shop.seller("Copper Sky")
    first, second = shop.release(pale, "Static Bloom", 1000), shop.release(dune, "Ferrous", 700)
    purchases = [shop.buy([(first, None, None), (second, None, None)]) for _ in range(4)]
    for purchase in purchases:
        shop.pay(purchase)
    events = shop.stripe.events("checkout.session.completed")
    deliveries = [shop.stripe.signed(e) for e in events for _ in range(5)]
    start = threading.Barrier(len(deliveries))
    answers: list[tuple[int, str]] = []

    def deliver(payload: bytes, signature: str) -> None:
        start.wait(BARRIER_BOUND)
        answer = shop.post_webhook(payload, signature)
        answers.append((answer.status_code, text_of(answer).strip()))

    threads = [threading.Thread(target=deliver, args=delivery) for delivery in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_BOUND)
    assert not any(thread.is_alive() for thread in threads)
    shop.drain()

    assert Counter(answers) == {(200, "recorded"): 4, (200, "already recorded"): 16}
    assert {order.status for order in shop.orders()} == {OrderStatus.PAID}
    accounts = {pale.payee_key: pale.account_id, dune.payee_key: dune.account_id}
    for purchase in purchases:
        books(shop, shop.order(purchase), accounts)
    assert len(shop.stripe.objects("transfer")) == 8
    assert len(shop.jobs(name=FULFIL_ORDER.name)) == 4
    assert shop.failed_jobs() == []
    shop.reconciled()
