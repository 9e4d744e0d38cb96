"""Paying a paid order's payees: one transfer per payee of the sum of its lines' shares, recorded before the
gateway is asked and keyed so that retries and crashes never pay twice; held for a payee that cannot receive
transfers and sent when its account is ready; reversals capped by the line's share and the transfer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, RosterLink
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.events import AuditEvent
from storefront.jobs.models import JobStatus
from storefront.orders.hooks import PAY_ORDER, REVERSE_LINE
from storefront.orders.models import LedgerEntry, LedgerKind, Order, OrderStatus
from storefront.payments.interfaces import GatewayError
from storefront.payouts.models import PayoutTransfer, ReversalStatus, TransferReversal, TransferStatus
from tests.factories.accounts import make_artist, make_label, make_user
from tests.functional.payees.support import (
    FakeGateway,
    deliver,
    enqueue,
    job,
    paid_order,
    payee_account,
    release_of,
    run_jobs,
    use_gateway,
)
from tests.helpers import fresh


@dataclass
class Shop:
    platform: Platform
    db: Session
    gateway: FakeGateway
    artist: Artist
    other: Artist


@pytest.fixture
def shop(make_app: Any) -> Any:
    app = make_app(inline_jobs="manual")
    platform: Platform = app.extensions["storefront"]
    gateway = FakeGateway()
    use_gateway(platform, gateway)
    session = platform.database.session()
    artist = make_artist(session, make_user(session, platform), name="Pale Orchard")
    other = make_artist(session, make_user(session, platform), name="Lantern Choir")
    yield Shop(platform, session, gateway, artist, other)
    session.close()


def _transfers(shop: Shop, order: Order) -> dict[str, PayoutTransfer]:
    fresh(shop.db)
    rows = shop.db.scalars(select(PayoutTransfer).where(PayoutTransfer.order_id == order.id))
    return {row.payee_key: row for row in rows}


def _ledger(shop: Shop, kind: LedgerKind) -> dict[str, int]:
    fresh(shop.db)
    return {
        e.key: e.amount_minor for e in shop.db.scalars(select(LedgerEntry).where(LedgerEntry.kind == kind))
    }


def _pay(shop: Shop, order: Order) -> int:
    job_id = enqueue(shop.platform, PAY_ORDER, {"order_id": order.id})
    run_jobs(shop.platform)
    return job_id


def _two_payee_order(shop: Shop) -> Order:
    first, second = release_of(shop.db, shop.artist), release_of(shop.db, shop.artist)
    third = release_of(shop.db, shop.other)
    return paid_order(shop.db, [(first, 700, 640), (second, 400, 352), (third, 1000, 931)])


def test_each_payee_gets_one_transfer_of_its_lines_shares(shop: Shop) -> None:
    a = payee_account(shop.db, shop.artist, shop.gateway)
    b = payee_account(shop.db, shop.other, shop.gateway)
    order = _two_payee_order(shop)

    _pay(shop, order)

    rows = _transfers(shop, order)
    mine, theirs = rows[f"artist:{shop.artist.id}"], rows[f"artist:{shop.other.id}"]
    assert (mine.status, mine.amount_minor, theirs.status, theirs.amount_minor) == (
        TransferStatus.SENT,
        992,
        TransferStatus.SENT,
        931,
    )
    assert mine.idempotency_key == f"velvet-transfer-{order.id}-artist:{shop.artist.id}"
    sent = {t.destination: t for t in shop.gateway.transfers.values()}
    assert sent[a.provider_account_id].amount_minor == 992
    assert sent[b.provider_account_id].amount_minor == 931
    for transfer in sent.values():
        assert transfer.source_transaction == order.charge_id
        assert transfer.transfer_group == order.transfer_group
    assert mine.provider_transfer_id in shop.gateway.transfers
    assert _ledger(shop, LedgerKind.TRANSFER) == {
        f"transfer:{order.id}:artist:{shop.artist.id}": -992,
        f"transfer:{order.id}:artist:{shop.other.id}": -931,
    }


def test_paying_again_changes_nothing(shop: Shop) -> None:
    payee_account(shop.db, shop.artist, shop.gateway)
    payee_account(shop.db, shop.other, shop.gateway)
    order = _two_payee_order(shop)
    _pay(shop, order)
    calls = len(shop.gateway.calls_to("create_transfer"))

    _pay(shop, order)

    assert len(shop.gateway.calls_to("create_transfer")) == calls == 2
    assert len(shop.gateway.transfers) == 2
    assert len(_ledger(shop, LedgerKind.TRANSFER)) == 2


def test_a_crash_after_the_gateway_answered_is_repaired_by_the_retry_with_the_same_key(shop: Shop) -> None:
    payee_account(shop.db, shop.artist, shop.gateway)
    order = paid_order(shop.db, [(release_of(shop.db, shop.artist), 900, 850)])
    shop.gateway.crash_after = 1

    job_id = enqueue(shop.platform, PAY_ORDER, {"order_id": order.id})
    shop.platform.executor.run(job_id)

    (row,) = _transfers(shop, order).values()
    assert row.status == TransferStatus.REQUESTED  # on record before the gateway was asked
    assert len(shop.gateway.transfers) == 1  # the gateway made it; we never heard
    assert job(shop.platform, job_id).status == JobStatus.QUEUED  # the job retries
    run_jobs(shop.platform)
    (row,) = _transfers(shop, order).values()
    assert row.status == TransferStatus.SENT
    keys = {call["idempotency_key"] for call in shop.gateway.calls_to("create_transfer")}
    assert keys == {row.idempotency_key}
    assert len(shop.gateway.transfers) == 1  # asked twice, paid once
    assert row.provider_transfer_id == next(iter(shop.gateway.transfers))
    assert _ledger(shop, LedgerKind.TRANSFER) == {f"transfer:{order.id}:artist:{shop.artist.id}": -850}


def test_a_retryable_refusal_retries_and_a_final_one_is_failed_with_its_reason(shop: Shop) -> None:
    payee_account(shop.db, shop.artist, shop.gateway)
    payee_account(shop.db, shop.other, shop.gateway)
    order = _two_payee_order(shop)
    shop.gateway.failures = [
        GatewayError("the provider timed out"),  # retryable: the job raises and runs again
        GatewayError("Your balance is insufficient for this transfer.", retryable=False),
    ]

    _pay(shop, order)

    rows = _transfers(shop, order)
    statuses = sorted((row.status.value, row.last_error) for row in rows.values())
    assert statuses == [
        ("failed", "Your balance is insufficient for this transfer."),
        ("sent", ""),
    ]
    assert len(_ledger(shop, LedgerKind.TRANSFER)) == 1
    notes = shop.db.scalars(select(AuditEvent).where(AuditEvent.tag == "payouts:transfer_failed")).all()
    assert [note.data["error"] for note in notes] == ["Your balance is insufficient for this transfer."]


def test_a_payee_that_cannot_receive_is_held_and_paid_once_its_account_is_ready(shop: Shop) -> None:
    account = payee_account(shop.db, shop.artist, shop.gateway, enabled=False)
    order = paid_order(shop.db, [(release_of(shop.db, shop.artist), 900, 850)])
    no_account = paid_order(shop.db, [(release_of(shop.db, shop.other), 500, 470)])

    _pay(shop, order)
    _pay(shop, no_account)

    assert [row.status for row in _transfers(shop, order).values()] == [TransferStatus.HELD]
    assert [row.status for row in _transfers(shop, no_account).values()] == [TransferStatus.HELD]
    assert shop.gateway.calls_to("create_transfer") == []
    assert _ledger(shop, LedgerKind.TRANSFER) == {}

    shop.gateway.enable(account.provider_account_id)
    deliver(
        shop.platform, "account.updated", account.provider_account_id, account=account.provider_account_id
    )
    run_jobs(shop.platform)

    (row,) = _transfers(shop, order).values()
    assert (row.status, row.payee_account_id, row.amount_minor) == (TransferStatus.SENT, account.id, 850)
    assert [row.status for row in _transfers(shop, no_account).values()] == [TransferStatus.HELD]
    assert len(shop.gateway.transfers) == 1


def test_a_zero_share_makes_no_transfer_and_an_unpaid_order_none_at_all(shop: Shop) -> None:
    payee_account(shop.db, shop.artist, shop.gateway)
    payee_account(shop.db, shop.other, shop.gateway)
    release = release_of(shop.db, shop.artist)
    order = paid_order(shop.db, [(release, 50, 0), (release_of(shop.db, shop.other), 500, 470)])
    pending = paid_order(shop.db, [(release_of(shop.db, shop.artist), 500, 470)], status=OrderStatus.PENDING)

    _pay(shop, order)
    _pay(shop, pending)

    assert list(_transfers(shop, order)) == [f"artist:{shop.other.id}"]
    assert _transfers(shop, pending) == {}


def test_a_label_that_collects_by_agreement_is_paid_for_the_artists_release(shop: Shop) -> None:
    label_owner = make_user(shop.db, shop.platform)
    label = make_label(shop.db, label_owner, name="Night Ferry")
    shop.db.add(
        RosterLink(
            label=label,
            artist=shop.artist,
            label_consent_at=utcnow(),
            artist_consent_at=utcnow(),
            label_collects=True,
        )
    )
    commit(shop.db)
    payee_account(shop.db, shop.artist, shop.gateway)
    label_account = payee_account(shop.db, label, shop.gateway)
    order = paid_order(
        shop.db,
        [
            (release_of(shop.db, shop.artist, label=label), 700, 640),
            (release_of(shop.db, shop.artist), 300, 270),
        ],
    )

    _pay(shop, order)

    rows = _transfers(shop, order)
    assert {key: row.amount_minor for key, row in rows.items()} == {
        f"label:{label.id}": 640,
        f"artist:{shop.artist.id}": 270,
    }
    assert rows[f"label:{label.id}"].payee_account_id == label_account.id


# -- reversals ------------------------------------------------------------------------------------------
def _reverse(shop: Shop, line_id: int, amount: int, cause: str, reason: str = "refund") -> None:
    payload = {"order_line_id": line_id, "amount_minor": amount, "reason": reason, "cause": cause}
    enqueue(shop.platform, REVERSE_LINE, payload)
    run_jobs(shop.platform)


def _reversals(shop: Shop) -> list[tuple[int, int, str]]:
    fresh(shop.db)
    rows = shop.db.scalars(select(TransferReversal).order_by(TransferReversal.id))
    return [(r.order_line_id, r.amount_minor, r.status.value) for r in rows]


def test_reversals_never_take_back_more_than_the_lines_share_or_the_transfer(shop: Shop) -> None:
    payee_account(shop.db, shop.artist, shop.gateway)
    first, second = release_of(shop.db, shop.artist), release_of(shop.db, shop.artist)
    order = paid_order(shop.db, [(first, 700, 640), (second, 400, 352)])
    _pay(shop, order)
    line, other_line = order.lines
    (transfer,) = _transfers(shop, order).values()

    _reverse(shop, line.id, 300, "refund-1")
    _reverse(shop, line.id, 300, "refund-1")  # the same cause again: nothing more
    _reverse(shop, line.id, 500, "refund-2")  # capped at what is left of the line's share
    _reverse(shop, line.id, 100, "refund-3")  # nothing left of this line
    _reverse(shop, other_line.id, 352, "dispute-9", reason="dispute_lost")

    assert _reversals(shop) == [(line.id, 300, "done"), (line.id, 340, "done"), (other_line.id, 352, "done")]
    gateway_transfer = shop.gateway.transfers[str(transfer.provider_transfer_id)]
    assert gateway_transfer.reversed_minor == 992
    assert [c["idempotency_key"] for c in shop.gateway.calls_to("reverse_transfer")] == [
        "velvet-reversal-refund-1",
        "velvet-reversal-refund-2",
        "velvet-reversal-dispute-9",
    ]
    assert _ledger(shop, LedgerKind.REVERSAL) == {
        "reversal:refund-1": 300,
        "reversal:refund-2": 340,
        "reversal:dispute-9": 352,
    }
    (transfer,) = _transfers(shop, order).values()
    assert transfer.reversed_minor == 992


def test_a_reversal_for_a_held_transfer_waits_and_follows_the_transfer(shop: Shop) -> None:
    account = payee_account(shop.db, shop.artist, shop.gateway, enabled=False)
    order = paid_order(shop.db, [(release_of(shop.db, shop.artist), 700, 640)])
    _pay(shop, order)
    (line,) = order.lines

    _reverse(shop, line.id, 640, "refund-7")

    assert _reversals(shop) == [(line.id, 640, "requested")]
    assert shop.gateway.calls_to("reverse_transfer") == []
    shop.gateway.enable(account.provider_account_id)
    deliver(shop.platform, "account.updated", account.provider_account_id)
    run_jobs(shop.platform)
    assert _reversals(shop) == [(line.id, 640, "done")]
    (transfer,) = _transfers(shop, order).values()
    assert (transfer.status, transfer.reversed_minor) == (TransferStatus.SENT, 640)
    assert shop.gateway.transfers[str(transfer.provider_transfer_id)].reversed_minor == 640


def test_a_reversal_the_gateway_refuses_for_good_is_failed_and_noted_for_admins(shop: Shop) -> None:
    payee_account(shop.db, shop.artist, shop.gateway)
    order = paid_order(shop.db, [(release_of(shop.db, shop.artist), 700, 640)])
    _pay(shop, order)
    shop.gateway.failures = [GatewayError("The account has insufficient funds.", retryable=False)]

    _reverse(shop, order.lines[0].id, 640, "refund-8")

    assert _reversals(shop) == [(order.lines[0].id, 640, ReversalStatus.FAILED.value)]
    notes = shop.db.scalars(select(AuditEvent).where(AuditEvent.tag == "payouts:reversal_failed")).all()
    assert [note.data["error"] for note in notes] == ["The account has insufficient funds."]
    assert _ledger(shop, LedgerKind.REVERSAL) == {}


def test_a_reversal_made_at_the_provider_is_read_back_and_recorded_once(shop: Shop) -> None:
    payee_account(shop.db, shop.artist, shop.gateway)
    order = paid_order(shop.db, [(release_of(shop.db, shop.artist), 700, 640)])
    _pay(shop, order)
    _reverse(shop, order.lines[0].id, 100, "refund-1")
    (transfer,) = _transfers(shop, order).values()
    tr_id = transfer.provider_transfer_id
    assert tr_id is not None
    shop.gateway.reverse_outside(tr_id, 200)
    created = shop.gateway.transfers[tr_id].created

    for _ in range(2):
        deliver(
            shop.platform,
            "transfer.reversed",
            tr_id,
            data={"id": tr_id, "created": created, "amount_reversed": 1},
        )
        run_jobs(shop.platform)

    (transfer,) = _transfers(shop, order).values()
    assert transfer.reversed_minor == 300
    assert _ledger(shop, LedgerKind.REVERSAL) == {
        "reversal:refund-1": 100,
        f"reversal:gateway:{tr_id}:300": 200,
    }


def test_a_payout_to_the_payees_bank_is_noted_once(shop: Shop) -> None:
    account = payee_account(shop.db, shop.artist, shop.gateway)
    data = {"id": "po_1", "amount": 1890, "currency": "usd", "arrival_date": 1_900_000_000, "status": "paid"}

    for n in range(2):
        deliver(
            shop.platform,
            "payout.paid",
            "po_1",
            account=account.provider_account_id,
            data=data,
            event_id=f"evt_payout_{n}",
        )
    run_jobs(shop.platform)

    fresh(shop.db)
    notes = shop.db.scalars(select(AuditEvent).where(AuditEvent.tag == "payee:payout_paid")).all()
    assert [(n.subject_id, n.data["amount_minor"], n.data["currency"]) for n in notes] == [
        (account.id, 1890, "USD")
    ]
    assert _ledger(shop, LedgerKind.TRANSFER) == {}
