"""Refunding a sale: recorded first, asked of the gateway by a job with a stable key, never more than was
paid, the payee's share taken back in proportion, the download ending with a whole refund, and refunds
made in the provider's dashboard recorded once however often the event comes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from storefront.accounts.models import Artist, User
from storefront.container import Platform
from storefront.db import commit
from storefront.jobs.models import JobStatus
from storefront.orders.models import (
    Entitlement,
    LedgerKind,
    LineRefund,
    LineStatus,
    OrderLine,
    RefundStatus,
)
from storefront.orders.refunds import REFUND_JOB
from storefront.payments.interfaces import GatewayError
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.functional.orders.test_refund_support import (
    RecordingGateway,
    ask_refund,
    deliver,
    jobs_of,
    ledger,
    mail_kinds,
    on_sale,
    paid_order,
    refund_page,
    reversals,
    run_refunds,
    use_gateway,
)
from tests.helpers import WebClient, fresh, text_of


@dataclass
class Shop:
    platform: Platform
    session: object
    gateway: RecordingGateway
    owner: User
    artist: Artist
    fan: User
    web: WebClient


@pytest.fixture
def shop(make_app):
    app = make_app(inline_jobs="manual")
    platform = app.extensions["storefront"]
    gateway = RecordingGateway()
    use_gateway(platform, gateway)
    session = platform.database.session()
    owner = make_user(session, platform, email="owner@example.com")
    artist = make_artist(session, owner, name="Pale Orchard", slug="pale-orchard")
    fan = make_user(session, platform, email="fan@example.com")
    web = WebClient(app)
    web.login(owner.email, PASSWORD)
    yield Shop(platform, session, gateway, owner, artist, fan, web)
    session.close()


def _refunds(session, line) -> list[LineRefund]:
    fresh(session)
    return list(session.scalars(select(LineRefund).where(LineRefund.order_line_id == line.id)))


def _line(session, line) -> OrderLine:
    fresh(session)
    found = session.get(OrderLine, line.id)
    assert found is not None
    return found


def _right(session, line) -> Entitlement:
    fresh(session)
    found = session.scalar(select(Entitlement).where(Entitlement.order_line_id == line.id))
    assert found is not None
    return found


def test_a_partial_then_a_full_refund_gives_back_the_whole_share_and_ends_the_download(shop):
    release = on_sale(shop.session, shop.artist, "Harbour Lights")
    sale = paid_order(shop.session, shop.gateway, shop.fan, [(release, 1000)], fee=59, platform_fee_bps=500)
    line = sale.lines[0]
    payee = line.payee_amount_minor
    assert payee == 1000 - 59 - 50

    response = ask_refund(shop.web, line.id, "3.00", "One track was cut short")
    assert response.status_code == 303, text_of(response)
    [first] = _refunds(shop.session, line)
    assert (first.status, first.amount_minor, first.idempotency_key) == (
        RefundStatus.REQUESTED,
        300,
        f"velvet-refund-{first.id}",
    )
    assert _line(shop.session, line).refunded_minor == 300  # counted while it is being asked
    assert shop.gateway.refunds == []  # the gateway is asked by the job, after the commit

    assert run_refunds(shop.platform) == 1
    assert shop.gateway.refunds == [
        {"reference": sale.order.charge_id, "amount": 300, "key": first.idempotency_key}
    ]
    [first] = _refunds(shop.session, line)
    assert first.status == RefundStatus.SUCCEEDED and first.provider_refund_id
    assert ledger(shop.session, sale.order, LedgerKind.REFUND) == {f"refund:{first.id}": -300}
    assert reversals(shop.session) == [
        {
            "order_line_id": line.id,
            "amount_minor": payee * 300 // 1000,
            "reason": "refund",
            "cause": f"refund-{first.id}",
        }
    ]
    assert _line(shop.session, line).status == LineStatus.OPEN
    assert _right(shop.session, line).revoked_at is None
    assert mail_kinds(shop.session, shop.fan.email) == ["refund_fan"]
    assert mail_kinds(shop.session, shop.owner.email) == ["refund_payee"]

    assert ask_refund(shop.web, line.id, "7.00", "The rest of it").status_code == 303
    run_refunds(shop.platform)
    refunds = _refunds(shop.session, line)
    assert [r.status for r in refunds] == [RefundStatus.SUCCEEDED, RefundStatus.SUCCEEDED]
    assert sum(p["amount_minor"] for p in reversals(shop.session)) == payee  # exactly the whole share
    assert sum(ledger(shop.session, sale.order, LedgerKind.REFUND).values()) == -1000
    done = _line(shop.session, line)
    assert (done.status, done.refunded_minor) == (LineStatus.REFUNDED, 1000)
    right = _right(shop.session, line)
    assert right.revoked_at is not None and right.revoked_reason == "refunded"
    # Nothing is left to refund: the page says so and refuses.
    page = text_of(shop.web.get(f"/sales/{line.id}/refund"))
    assert "already wholly refunded" in page


def test_more_than_was_paid_is_refused_counting_refunds_still_being_asked(shop):
    release = on_sale(shop.session, shop.artist, "Tidewater")
    sale = paid_order(shop.session, shop.gateway, shop.fan, [(release, 800)])
    line = sale.lines[0]

    too_much = ask_refund(shop.web, line.id, "8.01")
    assert too_much.status_code == 422 and "At most 8.00 USD" in text_of(too_much)
    assert ask_refund(shop.web, line.id, "5.00").status_code == 303
    # The first is not yet asked of the gateway: it still counts.
    pending = ask_refund(shop.web, line.id, "3.01")
    assert pending.status_code == 422 and "At most 3.00 USD" in text_of(pending)
    for nothing in ("0", "-1", "abc", "1.234"):
        assert ask_refund(shop.web, line.id, nothing).status_code == 422, nothing
    assert [r.amount_minor for r in _refunds(shop.session, line)] == [500]


def test_a_disputed_line_cannot_be_refunded_and_a_refund_caught_by_a_dispute_fails_cleanly(shop):
    release = on_sale(shop.session, shop.artist, "Quarry")
    sale = paid_order(shop.session, shop.gateway, shop.fan, [(release, 900)])
    line = sale.lines[0]
    assert ask_refund(shop.web, line.id, "4.00").status_code == 303
    # The bank's dispute arrives before the refund job has run.
    _line(shop.session, line).status = LineStatus.DISPUTED
    commit(shop.session)

    page = text_of(shop.web.get(refund_page(line.id)))
    assert "opened a dispute" in page and "Review the refund" not in page
    # Posted all the same (an old tab): refused.
    refused = shop.web.submit(refund_page(line.id), {"amount": "1.00", "reason": "Late", "version": "1"})
    assert refused.status_code == 409 and "opened a dispute" in text_of(refused)
    refused = shop.web.submit(
        refund_page(line.id), {"amount": "1.00", "reason": "Late", "version": "1", "confirm": "yes"}
    )
    assert refused.status_code == 409 and "opened a dispute" in text_of(refused)
    run_refunds(shop.platform)
    assert shop.gateway.refunds == []  # never asked: the provider refuses refunds of disputed charges
    [refund] = _refunds(shop.session, line)
    assert refund.status == RefundStatus.FAILED
    assert _line(shop.session, line).refunded_minor == 0
    assert mail_kinds(shop.session, shop.owner.email) == ["refund_failed"]


def test_a_gateway_failure_is_retried_with_the_same_key_and_a_refusal_gives_the_amount_back(shop):
    release = on_sale(shop.session, shop.artist, "Lantern")
    sale = paid_order(shop.session, shop.gateway, shop.fan, [(release, 1000)])
    line = sale.lines[0]

    shop.gateway.failures = [GatewayError("timed out"), GatewayError("rate limited")]
    assert ask_refund(shop.web, line.id, "2.00").status_code == 303
    run_refunds(shop.platform)
    keys = {call["key"] for call in shop.gateway.refunds}
    assert len(shop.gateway.refunds) == 3 and len(keys) == 1
    [refund] = _refunds(shop.session, line)
    assert refund.status == RefundStatus.SUCCEEDED
    assert shop.gateway.charges[sale.order.charge_id].amount_refunded == 200

    shop.gateway.failures = [GatewayError("timed out"), GatewayError("charge_expired", retryable=False)]
    assert ask_refund(shop.web, line.id, "3.00").status_code == 303
    run_refunds(shop.platform)
    second = _refunds(shop.session, line)[1]
    assert second.status == RefundStatus.FAILED
    assert _line(shop.session, line).refunded_minor == 200  # given back to what can be refunded
    assert list(ledger(shop.session, sale.order, LedgerKind.REFUND)) == [f"refund:{refund.id}"]
    assert [p["cause"] for p in reversals(shop.session)] == [f"refund-{refund.id}"]
    assert mail_kinds(shop.session, shop.owner.email)[-1] == "refund_failed"
    assert {j.status for j in jobs_of(shop.session, REFUND_JOB)} == {JobStatus.DONE}


def test_a_gateway_that_never_answers_fails_the_refund_on_its_last_attempt(shop):
    release = on_sale(shop.session, shop.artist, "Ember")
    sale = paid_order(shop.session, shop.gateway, shop.fan, [(release, 500)])
    line = sale.lines[0]
    shop.gateway.failures = [GatewayError("unreachable") for _ in range(20)]
    assert ask_refund(shop.web, line.id, "5.00").status_code == 303
    run_refunds(shop.platform)
    [refund] = _refunds(shop.session, line)
    assert refund.status == RefundStatus.FAILED
    assert len(shop.gateway.refunds) == jobs_of(shop.session, REFUND_JOB)[0].max_attempts
    assert (
        _line(shop.session, line).refunded_minor == 0 and _line(shop.session, line).status == LineStatus.OPEN
    )


def test_a_refund_made_in_the_dashboard_is_recorded_once_however_often_the_event_comes(shop):
    other_owner = make_user(shop.session, shop.platform, email="other@example.com")
    other = make_artist(shop.session, other_owner, name="Glass Coast")
    first = on_sale(shop.session, shop.artist, "North")
    second = on_sale(shop.session, other, "South")
    sale = paid_order(shop.session, shop.gateway, shop.fan, [(first, 600), (second, 400)], fee=40)
    a, b = sale.lines
    charge = sale.order.charge_id

    # Our own refund, then the event it causes: nothing beyond ours is recorded.
    assert ask_refund(shop.web, a.id, "1.00").status_code == 303
    run_refunds(shop.platform)
    deliver(shop.platform, "charge.refunded", charge)
    assert len(_refunds(shop.session, a)) == 1 and _refunds(shop.session, b) == []

    shop.gateway.refund_outside(charge, 501)
    deliver(shop.platform, "charge.refunded", charge, times=3)
    # 501 shared by what each line can still give back (500 and 400), largest remainder.
    outside_a = [r for r in _refunds(shop.session, a) if r.requested_by_id is None]
    outside_b = _refunds(shop.session, b)
    assert [r.amount_minor for r in outside_a] == [278] and [r.amount_minor for r in outside_b] == [223]
    assert all(r.status == RefundStatus.SUCCEEDED for r in outside_a + outside_b)
    assert outside_a[0].idempotency_key == f"velvet-refund-{outside_a[0].id}"
    refunds = ledger(shop.session, sale.order, LedgerKind.REFUND)
    assert sum(refunds.values()) == -(100 + 501) and len(refunds) == 3
    assert len(reversals(shop.session)) == 3

    # The rest, refunded in the dashboard: the lines are wholly refunded and their shares taken back.
    shop.gateway.refund_outside(charge, 399)
    deliver(shop.platform, "charge.refunded", charge, times=2)
    assert {_line(shop.session, x).status for x in (a, b)} == {LineStatus.REFUNDED}
    by_line: dict[int, int] = {}
    for payload in reversals(shop.session):
        by_line[payload["order_line_id"]] = by_line.get(payload["order_line_id"], 0) + payload["amount_minor"]
    assert by_line == {
        a.id: _line(shop.session, a).payee_amount_minor,
        b.id: _line(shop.session, b).payee_amount_minor,
    }
    assert sum(ledger(shop.session, sale.order, LedgerKind.REFUND).values()) == -1000
    assert _right(shop.session, a).revoked_reason == "refunded"
