"""A worker killed between the charge and the transfers: the order is paid, both transfers are on record,
the first reached Stripe but its answer was lost, the second was never asked for. `flask reconcile` reports
both, `--repair` asks again with the transfers' own keys (Stripe answers the first with the transfer it
made), a second run finds nothing, and neither more repairs nor the dead worker's job coming back pay
anyone twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from storefront.db import utcnow
from storefront.jobs.models import Job, JobStatus
from storefront.orders.hooks import PAY_ORDER
from storefront.orders.models import OrderStatus
from storefront.payments.interfaces import PaymentGateway, TransferRecord
from storefront.payouts.models import TransferStatus
from storefront.releases.identifiers import format_price
from tests.integration.selling.conftest import Purchase, Shop, books


class WorkerKilled(BaseException):
    """The worker's process dies: no handler runs, nothing after this point happens."""


class DiesAfterTransfer:
    """The gateway as a doomed worker uses it: its transfer request reaches Stripe, then the process dies
    before the answer is read."""

    def __init__(self, real: PaymentGateway) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def create_transfer(self, **request: Any) -> TransferRecord:
        self.real.create_transfer(**request)
        raise WorkerKilled()


def _sold(shop: Shop) -> tuple[Purchase, dict[str, str]]:
    """A fan pays for two artists' releases and Stripe's webhook is in; no job has run yet."""
    gull, wren = shop.seller("Gull"), shop.seller("Wren")
    purchase = shop.buy(
        [
            (shop.release(gull, "Saltmarsh", 1500), None, None),
            (shop.release(wren, "Hedgerow", 800), None, None),
        ]
    )
    shop.pay(purchase)
    assert shop.webhook("checkout.session.completed").status_code == 200
    return purchase, {gull.payee_key: gull.account_id, wren.payee_key: wren.account_id}


def test_a_crash_between_the_charge_and_the_transfers_is_repaired_by_reconcile(
    open_shop: Callable[..., Shop],
) -> None:
    shop = open_shop()
    platform = shop.platform
    real = platform.payments
    purchase, accounts = _sold(shop)

    platform.payments = DiesAfterTransfer(real)
    with pytest.raises(WorkerKilled):
        shop.drain()
    platform.payments = real

    order = shop.order(purchase)
    assert order.status == OrderStatus.PAID
    rows = shop.transfers(order)
    assert {row.status for row in rows.values()} == {TransferStatus.REQUESTED}
    [made] = shop.stripe.objects("transfer")
    first = next(key for key, row in rows.items() if str(row.id) == made["metadata"]["transfer"])
    [killed] = shop.jobs(JobStatus.RUNNING)
    assert killed.name == PAY_ORDER.name  # as a dead worker leaves it: running, its lease not yet over
    shares = {line.payee_key: line.payee_amount_minor or 0 for line in order.lines}

    report = shop.reconcile()

    assert report.exit_code == 1, report.output
    expected = sorted(
        f"missing transfer: {order.reference} to {key}: {format_price(amount, 'USD')} recorded but never "
        "confirmed by the gateway"
        for key, amount in shares.items()
    )
    assert sorted(report.output.splitlines()[:-1]) == expected
    assert len(shop.stripe.objects("transfer")) == 1

    repaired = shop.reconcile("--repair")

    assert repaired.exit_code == 0, repaired.output
    assert repaired.output.count("[repair: transfer asked for with its own key]") == 2
    assert repaired.output.splitlines()[-1].startswith("No differences remain")
    assert books(shop, order, accounts) == shares
    transfers = {t["destination"]: t for t in shop.stripe.objects("transfer")}
    assert len(transfers) == 2
    assert transfers[accounts[first]]["id"] == made["id"]  # Stripe's answer to the same key: the same one
    assert shop.transfers(order)[first].provider_transfer_id == made["id"]
    assert len(shop.stripe.requests("POST", "/v1/transfers")) == 3
    keys = {key for endpoint, key in shop.stripe.store.idempotency if endpoint == "POST /v1/transfers"}
    assert keys == {f"velvet-transfer-{order.id}-{payee}" for payee in shares}

    again = shop.reconcile()
    assert (again.exit_code, again.output.splitlines()) == (0, [again.output.strip()])
    assert again.output.startswith("No differences remain")
    twice = shop.reconcile("--repair")
    assert twice.exit_code == 0 and "repair" not in twice.output

    # The dead worker's lease runs out and another worker takes its job up again: nothing more is sent.
    with platform.database.transaction() as session:
        session.execute(
            update(Job).where(Job.id == killed.id).values(locked_until=utcnow() - timedelta(seconds=1))
        )
    shop.drain()
    [resumed] = [job for job in shop.jobs() if job.id == killed.id]
    assert (resumed.status, resumed.attempts) == (JobStatus.DONE, 2)
    assert len(shop.stripe.objects("transfer")) == 2
    assert len(shop.stripe.requests("POST", "/v1/transfers")) == 3
    assert books(shop, order, accounts) == shares
    assert shop.failed_jobs() == []


def test_transfers_stripe_failed_until_the_job_gave_up_are_repaired_once(
    open_shop: Callable[..., Shop],
) -> None:
    shop = open_shop()
    purchase, accounts = _sold(shop)
    shop.stripe.fail_next("/v1/transfers", status=500, times=5)  # every attempt the job gets

    shop.drain()

    order = shop.order(purchase)
    assert {row.status for row in shop.transfers(order).values()} == {TransferStatus.REQUESTED}
    [gave_up] = shop.jobs(JobStatus.FAILED)
    assert (gave_up.name, gave_up.attempts) == (PAY_ORDER.name, 5)
    assert shop.stripe.objects("transfer") == []

    repaired = shop.reconcile("--repair")
    again = shop.reconcile("--repair")

    assert repaired.exit_code == 0, repaired.output
    assert repaired.output.count("[repair: transfer asked for with its own key]") == 2
    assert again.exit_code == 0 and "repair" not in again.output
    books(shop, order, accounts)
    assert len(shop.stripe.objects("transfer")) == 2


def test_a_paid_session_whose_webhook_never_came_is_fulfilled_by_reconcile(
    open_shop: Callable[..., Shop],
) -> None:
    shop = open_shop()
    gull, wren = shop.seller("Gull"), shop.seller("Wren")
    accounts = {gull.payee_key: gull.account_id, wren.payee_key: wren.account_id}
    purchase = shop.buy(
        [
            (shop.release(gull, "Saltmarsh", 1500), None, None),
            (shop.release(wren, "Hedgerow", 800), None, None),
        ]
    )
    shop.pay(purchase)  # and Stripe's webhook is lost on the way

    repaired = shop.reconcile("--repair")

    found = (
        f"missing order: {purchase.session_id}: paid 23.00 USD; order {purchase.reference} is pending "
        "[repair: fulfilment queued]"
    )
    assert repaired.output.splitlines()[0] == found
    shop.drain()
    order = shop.order(purchase)
    assert order.status == OrderStatus.PAID
    books(shop, order, accounts)
    again = shop.reconcile("--repair")
    assert again.exit_code == 0 and again.output.startswith("No differences remain"), again.output
    # The webhook turns up after all: nothing more happens.
    assert shop.webhook("checkout.session.completed").status_code == 200
    shop.drain()
    assert len(shop.orders()) == 1 and len(shop.stripe.objects("transfer")) == 2
    assert shop.failed_jobs() == []
