"""Refunds and a lost dispute unwind a two-artist order through the fake Stripe and its signed webhooks:
one artist refunds its line in part and then the rest, which takes back exactly its share; the fan's bank
disputes what is left and wins, which takes back the other artist's share. Each event comes twice, the
dispute's closing before its opening, and the books end even for both payees."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from storefront.orders.models import (
    Entitlement,
    LedgerKind,
    LineRefund,
    LineStatus,
    Order,
    OrderLine,
    RefundStatus,
)
from storefront.payouts.models import ReversalStatus, TransferReversal
from tests.helpers import fresh, mail_to, text_of
from tests.integration.selling.conftest import Shop, books


def _twice(shop: Shop, event: dict[str, Any]) -> None:
    answers = [text_of(shop.webhook(event)).strip() for _ in range(2)]
    assert answers == ["recorded", "already recorded"]
    shop.drain()


def _by_payee(shop: Shop, order: Order, *kinds: LedgerKind) -> dict[str, int]:
    sums: dict[str, int] = {}
    for entry in shop.ledger(order):
        if entry.kind in kinds:
            sums[entry.payee_key] = sums.get(entry.payee_key, 0) + entry.amount_minor
    return sums


def test_a_refunded_line_and_a_lost_dispute_take_back_exactly_each_share(
    open_shop: Callable[..., Shop],
) -> None:
    shop = open_shop(platform_fee_bps=300)
    ash, birch = shop.seller("Ash"), shop.seller("Birch")
    purchase = shop.buy(
        [
            (shop.release(ash, "Cinder", 1000), None, None),
            (shop.release(birch, "Bark", 600), None, None),
            (shop.release(birch, "Sap", 400), None, None),
        ]
    )
    shop.pay(purchase)
    _twice(shop, shop.stripe.last_event("checkout.session.completed"))
    order = shop.order(purchase)
    accounts = {ash.payee_key: ash.account_id, birch.payee_key: birch.account_id}
    shares = books(shop, order, accounts)
    cinder = next(line for line in order.lines if line.payee_key == ash.payee_key)
    sent = {t["destination"]: t for t in shop.fake_transfers(order)}
    charge = order.charge_id or ""

    # Ash refunds 4.00 of its 10.00 sale: Stripe refunds, and 4/10 of Ash's share (rounded down) comes back.
    shop.refund(ash, cinder.id, "4.00")
    shop.drain()
    _twice(shop, shop.stripe.last_event("charge.refunded"))
    partial = shares[ash.payee_key] * 400 // 1000
    assert shop.stripe.get(sent[ash.account_id]["id"])["amount_reversed"] == partial
    assert shop.stripe.get(charge)["amount_refunded"] == 400

    # Then the rest: the whole share is back, the line is refunded and its download right ends.
    shop.refund(ash, cinder.id, "6.00")
    shop.drain()
    _twice(shop, shop.stripe.last_event("charge.refunded"))
    ash_transfer = shop.stripe.get(sent[ash.account_id]["id"])
    assert (ash_transfer["amount_reversed"], ash_transfer["reversed"]) == (shares[ash.payee_key], True)
    assert shop.stripe.get(sent[birch.account_id]["id"])["amount_reversed"] == 0
    db = fresh(shop.db)
    refunds = db.scalars(select(LineRefund).order_by(LineRefund.id)).all()
    assert [(r.order_line_id, r.amount_minor, r.status) for r in refunds] == [
        (cinder.id, 400, RefundStatus.SUCCEEDED),
        (cinder.id, 600, RefundStatus.SUCCEEDED),
    ]
    assert sorted(r.provider_refund_id or "" for r in refunds) == sorted(
        r["id"] for r in shop.stripe.objects("refund")
    )
    assert db.get(OrderLine, cinder.id).status == LineStatus.REFUNDED  # type: ignore[union-attr]

    # The fan's bank disputes the 10.00 left and wins. Stripe's events arrive closing first.
    dispute = shop.stripe.open_dispute(charge, amount=1000)
    shop.stripe.close_dispute(dispute["id"], won=False)
    _twice(shop, shop.stripe.last_event("charge.dispute.closed"))
    _twice(shop, shop.stripe.last_event("charge.dispute.created"))

    db = fresh(shop.db)
    assert {line.title: line.status for line in shop.order(purchase).lines} == {
        cinder.title: LineStatus.REFUNDED,
        **{line.title: LineStatus.CHARGED_BACK for line in order.lines if line.payee_key == birch.payee_key},
    }
    for transfer in shop.fake_transfers(order):
        assert (transfer["amount_reversed"], transfer["reversed"]) == (transfer["amount"], True)
    reversals = db.scalars(select(TransferReversal)).all()
    assert {r.status for r in reversals} == {ReversalStatus.DONE}
    taken: dict[int, int] = {}
    for reversal in reversals:
        taken[reversal.order_line_id] = taken.get(reversal.order_line_id, 0) + reversal.amount_minor
    assert taken == {line.id: line.payee_amount_minor for line in order.lines}
    assert len(shop.stripe.objects("transfer_reversal")) == len(reversals) == 4  # two refunds, two lines lost

    # The books: what each payee was sent has all come back; the fan got its money back by refund or bank.
    assert _by_payee(shop, order, LedgerKind.TRANSFER, LedgerKind.REVERSAL) == {
        ash.payee_key: 0,
        birch.payee_key: 0,
    }
    assert _by_payee(shop, order, LedgerKind.REVERSAL) == shares
    assert _by_payee(shop, order, LedgerKind.REFUND) == {ash.payee_key: -1000}
    assert _by_payee(shop, order, LedgerKind.DISPUTE) == {birch.payee_key: -1000}
    line_ids = [line.id for line in order.lines]
    rights = db.scalars(select(Entitlement).where(Entitlement.order_line_id.in_(line_ids)))
    assert sorted((r.order_line_id, r.revoked_at is not None) for r in rights) == sorted(
        (line.id, True) for line in order.lines
    )
    # Stripe sends every event of the order again, in another order (transfer reversals included): the
    # books do not move.
    settled = sorted((e.key, e.amount_minor) for e in shop.ledger(order))
    again = [e for e in shop.stripe.events() if e["type"] != "account.updated"]
    random.Random(5).shuffle(again)
    for e in again:
        assert shop.webhook(e).status_code == 200
    shop.drain()
    assert sorted((e.key, e.amount_minor) for e in shop.ledger(order)) == settled
    assert {e["type"] for e in again} >= {"transfer.created", "transfer.reversed", "charge.refunded"}

    fan_mail = [m.kind for m in mail_to(shop.app, purchase.email)]
    assert fan_mail.count("refund_fan") == 2
    assert "dispute_lost" in [m.kind for m in mail_to(shop.app, birch.owner.email)]
    assert shop.failed_jobs() == []
    shop.reconciled()  # refunds and reversals leave the charge and the transfers as they were made
