"""200 fulfilments of 22 checkout sessions (20 paid, 2 expired) run at once by four worker processes on
PostgreSQL, each session's attempts spread over all of them so they race for the same order, each attempt
followed by the order's transfers asked for again: one paid order per paid session, one transfer per order
and payee at Stripe, each of the exact share, and nothing for the expired sessions."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from storefront.config import Settings
from storefront.jobs.interfaces import JobQueue
from storefront.jobs.models import JobStatus
from storefront.orders.fulfilment import FULFIL_ORDER
from storefront.orders.models import Entitlement, LedgerEntry, OrderStatus
from storefront.payouts.models import PayoutTransfer
from tests.helpers import fresh
from tests.integration.selling.conftest import Purchase, Seller, Shop, books
from tests.integration.selling.workers import Plan, fulfil

WORKERS = 4
PAID, EXPIRED = 20, 2
ATTEMPTS = 200
JOIN_BOUND = 300.0  # a hang detector: a worker still running by then is stuck, however slow the machine


def _buy_all(shop: Shop, sellers: list[Seller]) -> list[Purchase]:
    """22 carts, each from a fan of its own (half of them guests), holding one to three artists' work."""
    releases = [
        shop.release(seller, f"{seller.artist.name} {n}", 500 + 150 * i + 75 * n)
        for i, seller in enumerate(sellers)
        for n in range(2)
    ]
    purchases = []
    for i in range(PAID + EXPIRED):
        picked = [releases[(i + step * 3) % len(releases)] for step in range(1 + i % 3)]
        items = [(release, None, None) for release in dict.fromkeys(picked)]
        purchases.append(shop.buy(items, guest=i % 2 == 1))
    return purchases


@pytest.mark.slow
def test_200_concurrent_fulfilments_make_one_order_per_paid_session_and_one_transfer_per_payee(
    settings: Settings, open_shop: Callable[..., Shop]
) -> None:
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        pytest.skip(
            "needs PostgreSQL (STOREFRONT_TEST_DATABASE_URL=postgresql+psycopg://…): SQLite lets one writer "
            "in at a time, so worker processes could not race there"
        )
    shop = open_shop()
    sellers = [shop.seller(name) for name in ("Lumen", "Harbour", "Moth", "Quarry")]
    accounts = {seller.payee_key: seller.account_id for seller in sellers}
    purchases = _buy_all(shop, sellers)
    paid, expired = purchases[:PAID], purchases[PAID:]
    for purchase in paid:
        shop.pay(purchase)
    for purchase in expired:
        shop.stripe.expire_checkout(purchase.session_id)

    # Each session's attempts go round the workers, and the workers meet at a barrier before each session:
    # the attempts on one session run at the same moment in different processes.
    attempts = [p.session_id for p in paid for _ in range(9)]
    attempts += [p.session_id for p in expired for _ in range(10)]
    assert len(attempts) == ATTEMPTS
    with shop.platform.database.transaction() as session:
        queue = JobQueue(session, shop.platform.jobs)
        jobs = [(queue.enqueue(FULFIL_ORDER, {"session_id": sid}).id, sid) for sid in attempts]
    portions: list[dict[str, list[int]]] = [{p.session_id: [] for p in purchases} for _ in range(WORKERS)]
    for n, (job_id, session_id) in enumerate(jobs):
        portions[n % WORKERS][session_id].append(job_id)
    plans: list[Plan] = [list(portion.items()) for portion in portions]

    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(WORKERS)
    settings_of_app = shop.platform.settings
    workers = [spawn.Process(target=fulfil, args=(settings_of_app, plan, barrier)) for plan in plans]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(JOIN_BOUND)
    stuck = [worker.pid for worker in workers if worker.is_alive()]
    for worker in workers:
        if worker.is_alive():
            worker.kill()
            worker.join()
    assert stuck == [], f"workers {stuck} never finished"
    assert [worker.exitcode for worker in workers] == [0] * WORKERS
    shop.drain()

    # Every attempt ran once and none failed: no deadlock, no duplicate key, no lost lock.
    fulfilments = shop.jobs(name=FULFIL_ORDER.name)
    assert len(fulfilments) == ATTEMPTS
    assert Counter(job.status for job in fulfilments) == {JobStatus.DONE: ATTEMPTS}
    assert sum(job.attempts for job in fulfilments) == ATTEMPTS
    assert shop.failed_jobs() == []

    orders = {order.checkout_session_id: order for order in shop.orders()}
    assert len(orders) == PAID + EXPIRED
    assert {p.session_id: orders[p.session_id].status for p in purchases} == {
        **{p.session_id: OrderStatus.PAID for p in paid},
        **{p.session_id: OrderStatus.EXPIRED for p in expired},
    }
    expected_transfers = 0
    for purchase in paid:
        order = orders[purchase.session_id]
        shares = books(shop, order, accounts)
        expected_transfers += len(shares)
    made = shop.stripe.objects("transfer")
    assert len(made) == expected_transfers
    assert len({(t["transfer_group"], t["destination"]) for t in made}) == expected_transfers
    db = fresh(shop.db)
    assert db.scalar(select(func.count(PayoutTransfer.id))) == expected_transfers
    expired_ids = [orders[p.session_id].id for p in expired]
    assert db.scalars(select(LedgerEntry).where(LedgerEntry.order_id.in_(expired_ids))).all() == []
    for purchase in paid:
        order = orders[purchase.session_id]
        line_ids = [line.id for line in order.lines]
        rights = db.scalars(select(Entitlement.order_line_id).where(Entitlement.order_line_id.in_(line_ids)))
        # One right per line for a fan with an account; a guest's wait for the address to be claimed.
        assert Counter(rights) == Counter(line_ids if purchase.buyer is not None else [])
    shop.reconciled()
