"""A fulfilment worker in a process of its own (started with `spawn`), for the concurrency test.

It builds the real application from the test's settings, so it has its own Platform, database pool and
Stripe client. For each checkout session in turn it waits at the barrier until every worker has reached the
same session, then runs its share of that session's fulfilment jobs, each followed by the order's transfers
asked for once more, as a second PAY_ORDER (or a `reconcile --repair` at the same moment) would. At the end
it runs whatever else is due, racing the other workers for it.
"""

from __future__ import annotations

from threading import Barrier

from sqlalchemy import select

from storefront import create_app
from storefront.config import Settings
from storefront.container import Platform
from storefront.orders.models import Order, OrderStatus
from storefront.payouts.transfers import Payouts

BARRIER_BOUND = 300.0  # a hang detector for a worker that never came up, not a measure of speed

# (checkout session id, the ids of the fulfilment jobs of it this worker runs); the same sessions in the
# same order for every worker.
Plan = list[tuple[str, list[int]]]


def fulfil(settings: Settings, plan: Plan, barrier: Barrier) -> None:
    try:
        app = create_app(settings)
    except BaseException:
        barrier.abort()  # the others stop waiting for this worker at once
        raise
    platform: Platform = app.extensions["storefront"]
    payouts = Payouts(platform.database, platform.payments)
    try:
        for session_id, job_ids in plan:
            barrier.wait(BARRIER_BOUND)
            for job_id in job_ids:
                platform.executor.run(job_id)
                with platform.database.session() as session:
                    order_id = session.scalar(
                        select(Order.id).where(
                            Order.checkout_session_id == session_id, Order.status == OrderStatus.PAID
                        )
                    )
                if order_id is not None:
                    payouts.pay_order(order_id)
        while platform.jobs.drain_once():  # type: ignore[attr-defined]
            pass
    except BaseException:
        barrier.abort()
        raise
    finally:
        platform.jobs.stop()
        platform.database.dispose()
