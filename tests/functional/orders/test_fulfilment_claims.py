"""Free orders, guests' purchases claimed by the address they were made with, and a fee not known yet."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from storefront.db import commit, get_session, utcnow
from storefront.jobs.interfaces import JobQueue
from storefront.jobs.models import JobStatus
from storefront.orders.fulfilment import FULFIL_ORDER, fulfil_free
from storefront.orders.hooks import PAY_ORDER
from storefront.orders.models import Order, OrderStatus
from storefront.payments.interfaces import CheckoutOutcome
from storefront.payments.sandbox import SandboxGateway
from storefront.web.services import find_service
from tests.factories.accounts import PASSWORD, make_user
from tests.functional.payments.selling import (
    entitlements,
    jobs,
    ledger,
    on_sale,
    open_checkout,
    place_order,
    press,
    reload,
    seller,
)
from tests.helpers import ManualClock, WebClient, fresh, last_link, mail_to, text_of

GUEST = "guest@example.com"


def _guest_purchase(app, db, platform, *, email=GUEST):
    release = on_sale(db, seller(db, platform), price=800)
    order = place_order(db, [(release, None, 800)], email=email)
    press(WebClient(app), open_checkout(db, platform.payments, order), "pay", "succeeds")
    return reload(db, order), release


def _claim_path(app, address=GUEST) -> str:
    [receipt] = [m for m in mail_to(app, address) if m.kind == "receipt"]
    match = re.search(r"http://localhost(/claim/\S+)", receipt.text_body)
    assert match, receipt.text_body
    return match.group(1)


def test_a_free_order_is_paid_without_the_gateway_with_rights_and_a_receipt_but_no_money(app, db, platform):
    release = on_sale(db, seller(db, platform), price=0)
    fan = make_user(db, platform)
    order = place_order(db, [(release, None, 0)], buyer=fan)
    with platform.database.transaction() as session:
        assert fulfil_free(session, session.get(Order, order.id), JobQueue(session, platform.jobs))

    order = reload(db, order)
    assert (order.status, order.free, order.amount_total_minor, order.charge_id) == (
        OrderStatus.PAID,
        True,
        0,
        None,
    )
    assert [line.payee_amount_minor for line in order.lines] == [0]
    assert ledger(db, order) == [] and jobs(db, PAY_ORDER.name) == []
    assert [(r.release_id, r.payment_reference) for r in entitlements(db, fan)] == [(release.id, None)]
    [receipt] = mail_to(app, fan.email)
    assert "free download" in receipt.text_body and "no money moved" not in receipt.text_body
    # A second call finds it paid and does nothing; an order with something to pay is refused.
    with platform.database.transaction() as session:
        assert not fulfil_free(session, session.get(Order, order.id), JobQueue(session, platform.jobs))
    paying = place_order(db, [(release, None, 100)], buyer=fan)
    with platform.database.transaction() as session, pytest.raises(ValueError, match="something to pay"):
        fulfil_free(session, session.get(Order, paying.id), JobQueue(session, platform.jobs))
    assert len(mail_to(app, fan.email)) == 1


def test_a_free_order_fulfilled_in_a_request_uses_the_requests_queue(app, db, platform):
    release = on_sale(db, seller(db, platform), price=0)
    order = place_order(db, [(release, None, 0)], email=GUEST)
    with app.test_request_context("/checkout", method="POST"):
        session = get_session()
        assert fulfil_free(session, session.get(Order, order.id), find_service(JobQueue))
        commit(session)
    assert reload(db, order).status == OrderStatus.PAID
    [receipt] = mail_to(app, GUEST)
    assert "free download" in receipt.text_body and "/claim/" in receipt.text_body


def test_a_guest_purchase_is_claimed_only_once_the_address_is_verified(app, db, platform):
    order, release = _guest_purchase(app, db, platform)
    assert order.status == OrderStatus.PAID and order.buyer_id is None
    assert "/claim/" in _claim_path(app)

    # Someone signs up with the guest's address: an unproven address claims nothing, log-in or not.
    user = make_user(db, platform, email=GUEST, verified=False)
    web = WebClient(app)
    web.login(GUEST, PASSWORD)
    assert reload(db, order).buyer_id is None and entitlements(db, user) == []

    web.submit("/account/unverified")
    verify = last_link(app, GUEST)
    assert web.submit(verify).status_code == 302
    assert reload(db, order).buyer_id == user.id
    rights = entitlements(db, user)
    assert [(r.release_id, r.order_line_id, r.payment_reference) for r in rights] == [
        (release.id, order.lines[0].id, order.charge_id)
    ]
    # Logging in again claims nothing twice.
    WebClient(app).login(GUEST, PASSWORD)
    assert len(entitlements(db, user)) == 1


def test_a_verified_account_claims_its_guest_purchases_when_it_logs_in(app, db, platform):
    user = make_user(db, platform, email=GUEST)
    other = make_user(db, platform, email="someone@example.com")
    order, release = _guest_purchase(app, db, platform)
    WebClient(app).login(other.email, PASSWORD)
    assert reload(db, order).buyer_id is None

    WebClient(app).login(GUEST, PASSWORD)
    assert reload(db, order).buyer_id == user.id
    assert [r.release_id for r in entitlements(db, user)] == [release.id]
    assert entitlements(db, other) == []


def test_the_receipts_claim_link_adds_the_purchase_for_the_address_it_was_sent_to(app, db, platform):
    user = make_user(db, platform, email=GUEST)
    web = WebClient(app)
    web.login(GUEST, PASSWORD)  # logged in before the purchase, made as a guest in another browser
    order, release = _guest_purchase(app, db, platform)
    path = _claim_path(app)

    assert "Log in" in text_of(WebClient(app).get(path))
    stranger = WebClient(app)
    stranger.login(make_user(db, platform).email, PASSWORD)
    assert "Log out and log in with" in text_of(stranger.get(path))
    assert stranger.submit(path).status_code == 200
    assert reload(db, order).buyer_id is None

    claimed = web.submit(path)
    assert claimed.status_code == 302 and claimed.headers["Location"].endswith("/collection")
    assert reload(db, order).buyer_id == user.id
    assert [r.release_id for r in entitlements(db, user)] == [release.id]
    assert WebClient(app).get("/claim/not-a-token").status_code == 400


class FeeLater(SandboxGateway):
    """The sandbox, except that the charge's fee is not known until `settled` is set."""

    settled = False

    def fetch_checkout(self, session_id: str) -> CheckoutOutcome:
        outcome = super().fetch_checkout(session_id)
        if self.settled:
            return outcome
        return CheckoutOutcome(**{**outcome.__dict__, "fee_minor": None})


def test_fulfilment_waits_for_the_fee_and_retries(app, db, platform):
    clock = ManualClock(utcnow() + timedelta(hours=1))
    platform.executor.clock = clock
    gateway = FeeLater(platform.database, base_url="http://localhost")
    gateway.jobs = platform.jobs
    platform.payments = gateway
    fan = make_user(db, platform)
    order = place_order(db, [(on_sale(db, seller(db, platform)), None, 700)], buyer=fan)
    press(WebClient(app), open_checkout(db, gateway, order), "pay", "succeeds")

    [job] = jobs(db, FULFIL_ORDER.name)
    assert job.status == JobStatus.QUEUED and "not known yet" in job.last_error
    assert reload(db, order).status == OrderStatus.PENDING

    gateway.settled = True
    clock.advance(timedelta(minutes=5))
    platform.jobs.drain()
    order = reload(db, order)
    assert order.status == OrderStatus.PAID and order.processing_fee_minor is not None
    assert fresh(db).get(type(job), job.id).status == JobStatus.DONE
