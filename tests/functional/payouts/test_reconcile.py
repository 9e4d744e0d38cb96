"""`flask reconcile`: each difference between the gateway and our books on its own line, a non-zero exit
while any remains, and `--repair` doing only what is safe: fulfilling a paid session's order and asking for a
missing transfer with its own key, so that nothing is paid twice and a second run finds nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist
from storefront.container import Platform
from storefront.orders.models import Order, OrderStatus
from storefront.payments.interfaces import TransferRecord
from storefront.payouts.models import PayoutTransfer, TransferStatus
from storefront.payouts.transfers import Payouts, record_transfers
from tests.factories.accounts import make_artist, make_user
from tests.functional.payees.support import (
    Crash,
    FakeGateway,
    paid_order,
    paid_session,
    payee_account,
    release_of,
    use_gateway,
)
from tests.helpers import fresh

TODAY = datetime.now(UTC).date().isoformat()


@dataclass
class Books:
    app: Flask
    platform: Platform
    db: Session
    gateway: FakeGateway
    artist: Artist

    def reconcile(self, *args: str) -> Any:
        return self.app.test_cli_runner().invoke(args=["reconcile", "--since", TODAY, *args])

    def order(self, amount: int = 1000, share: int = 940, **kwargs: Any) -> Order:
        return paid_order(self.db, [(release_of(self.db, self.artist), amount, share)], **kwargs)

    def settled(self, amount: int = 1000, share: int = 940) -> Order:
        """A sale as it should be: paid at the gateway and here, its transfer sent."""
        order = self.order(amount, share)
        self.gateway.paid_sessions.append(paid_session(order))
        Payouts(self.platform.database, self.gateway).pay_order(order.id)
        return order

    def transfers(self, order: Order) -> list[PayoutTransfer]:
        fresh(self.db)
        return list(self.db.scalars(select(PayoutTransfer).where(PayoutTransfer.order_id == order.id)))


@pytest.fixture
def books(app: Flask, platform: Platform, db: Session) -> Books:
    gateway = FakeGateway()
    use_gateway(platform, gateway)
    artist = make_artist(db, make_user(db, platform), name="Pale Orchard")
    payee_account(db, artist, gateway)
    return Books(app, platform, db, gateway, artist)


def _record_only(books: Books, order: Order) -> None:
    """The transfer is on record, and then the process died before the gateway was asked."""
    with books.platform.database.transaction() as session:
        record_transfers(session, order.id)


def test_nothing_to_report_exits_zero(books: Books) -> None:
    books.settled()

    result = books.reconcile()

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"No differences remain for {TODAY} to {TODAY}."


def test_each_difference_is_reported_on_its_own_line_and_nothing_is_changed(books: Books) -> None:
    books.settled()
    unpaid = books.order(status=OrderStatus.PENDING)
    books.gateway.paid_sessions.append(paid_session(unpaid, fee=59))
    overcharged = books.settled()
    books.gateway.paid_sessions[-1] = paid_session(overcharged, amount=1200)
    crashed = books.order()
    books.gateway.paid_sessions.append(paid_session(crashed))
    _record_only(books, crashed)
    never_paid = books.order()
    shortened = books.settled()
    (sent,) = books.transfers(shortened)
    assert sent.provider_transfer_id is not None
    books.gateway.transfers[sent.provider_transfer_id] = replace(
        books.gateway.transfers[sent.provider_transfer_id], amount_minor=900
    )
    books.gateway.transfers["tr_stranger"] = TransferRecord(
        "tr_stranger", 5000, "USD", "acct_somebody", None, None, 0, {}, int(datetime.now(UTC).timestamp())
    )
    asked = len(books.gateway.calls)

    result = books.reconcile()

    assert result.exit_code == 1
    lines = result.output.splitlines()
    key = f"artist:{books.artist.id}"
    expected = [
        f"missing order: {unpaid.checkout_session_id}: paid 10.00 USD; order {unpaid.reference} is pending",
        f"amount mismatch: {overcharged.checkout_session_id}: the gateway charged 12.00 USD; "
        f"order {overcharged.reference} records 10.00 USD",
        f"missing transfer: {crashed.reference} to {key}: "
        "9.40 USD recorded but never confirmed by the gateway",
        f"missing transfer: {never_paid.reference} to {key}: 9.40 USD owed; no transfer on record",
        f"amount mismatch: {sent.provider_transfer_id}: the gateway sent 9.00 USD; we recorded 9.40 USD",
        "unknown transfer: tr_stranger: 50.00 USD to acct_somebody (group -): none of ours",
    ]
    for line in expected:
        assert line in lines, result.output
    assert len(lines) == len(expected) + 1 and lines[-1] == f"6 difference(s) remain for {TODAY} to {TODAY}."
    assert len(books.gateway.calls) == asked  # reporting asks the gateway for nothing


def test_a_crash_between_the_charge_and_the_transfers_is_repaired_once(books: Books) -> None:
    crashed = books.order()
    books.gateway.paid_sessions.append(paid_session(crashed))
    _record_only(books, crashed)
    (row,) = books.transfers(crashed)

    result = books.reconcile("--repair")

    assert result.exit_code == 0, result.output
    assert f"missing transfer: {crashed.reference}" in result.output
    assert "[repair: transfer asked for with its own key]" in result.output
    assert result.output.splitlines()[-1] == f"No differences remain for {TODAY} to {TODAY}."
    (sent,) = books.transfers(crashed)
    assert (sent.status, sent.amount_minor) == (TransferStatus.SENT, 940)
    assert [c["idempotency_key"] for c in books.gateway.calls_to("create_transfer")] == [row.idempotency_key]

    again = books.reconcile("--repair")

    assert again.exit_code == 0 and again.output.strip() == f"No differences remain for {TODAY} to {TODAY}."
    assert len(books.gateway.calls_to("create_transfer")) == 1
    assert len(books.gateway.transfers) == 1


def test_a_transfer_the_gateway_made_but_we_never_heard_of_is_recorded_not_made_again(books: Books) -> None:
    order = books.order()
    books.gateway.paid_sessions.append(paid_session(order))
    books.gateway.crash_after = 1
    with pytest.raises(Crash):
        Payouts(books.platform.database, books.gateway).pay_order(order.id)
    (made,) = books.gateway.transfers

    report = books.reconcile()
    assert "unknown transfer" not in report.output
    assert f"missing transfer: {order.reference}" in report.output

    result = books.reconcile("--repair")

    assert result.exit_code == 0, result.output
    (row,) = books.transfers(order)
    assert (row.status, row.provider_transfer_id) == (TransferStatus.SENT, made)
    assert list(books.gateway.transfers) == [made]


def test_a_paid_session_without_a_paid_order_is_fulfilled_and_its_payee_paid(books: Books) -> None:
    unpaid = books.order(status=OrderStatus.PENDING)
    books.gateway.paid_sessions.append(paid_session(unpaid, fee=59))

    result = books.reconcile("--repair")

    assert result.exit_code == 0, result.output
    assert f"missing order: {unpaid.checkout_session_id}" in result.output
    assert "[repair: fulfilment queued]" in result.output
    fresh(books.db)
    order = books.db.get(Order, unpaid.id)
    assert order is not None and order.status == OrderStatus.PAID
    (row,) = books.transfers(order)
    assert (row.status, row.amount_minor) == (TransferStatus.SENT, 941)
    assert books.reconcile().exit_code == 0


def test_a_held_transfer_whose_payee_can_now_receive_is_sent(books: Books) -> None:
    other = make_artist(books.db, make_user(books.db, books.platform))
    account = payee_account(books.db, other, books.gateway, enabled=False)
    order = paid_order(books.db, [(release_of(books.db, other), 500, 470)])
    books.gateway.paid_sessions.append(paid_session(order))
    Payouts(books.platform.database, books.gateway).pay_order(order.id)
    assert books.reconcile().exit_code == 0  # held for a payee that cannot receive: as it should be
    with books.platform.database.transaction() as session:
        row = session.get(type(account), account.id)
        assert row is not None
        row.transfers_enabled = True  # the account.updated that said so was lost
    books.gateway.enable(account.provider_account_id)

    assert "held although the payee can receive transfers now" in books.reconcile().output
    result = books.reconcile("--repair")

    assert result.exit_code == 0, result.output
    assert [row.status for row in books.transfers(order)] == [TransferStatus.SENT]


def test_the_period_must_make_sense(books: Books) -> None:
    result = books.app.test_cli_runner().invoke(
        args=["reconcile", "--since", "2030-02-01", "--until", "2030-01-01"]
    )
    assert result.exit_code == 2 and "--until must not be before --since" in result.output
    missing = books.app.test_cli_runner().invoke(args=["reconcile"])
    assert missing.exit_code == 2 and "--since" in missing.output
