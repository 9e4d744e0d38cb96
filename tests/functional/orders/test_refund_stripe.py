"""Refunds and disputes end to end through the real Stripe SDK against the fake Stripe server: the refund
asked by the artist's page, Stripe's signed webhooks for it, a refund made in Stripe's dashboard, and a
dispute opened and lost."""

from __future__ import annotations

from sqlalchemy import select

from storefront.orders.models import LedgerKind, LineRefund, LineStatus, OrderLine, RefundStatus
from storefront.payments.events import HANDLE_EVENT
from storefront.payments.interfaces import CheckoutLine, CheckoutRequest
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.functional.orders.test_refund_support import (
    ask_refund,
    ledger,
    on_sale,
    paid_order,
    reversals,
    run_jobs,
    run_refunds,
    use_gateway,
)
from tests.helpers import WebClient, fresh
from tests.services.fake_stripe import FakeStripe


def _webhook(web: WebClient, fake_stripe: FakeStripe, event_type: str) -> None:
    """Stripe's latest event of this type, delivered signed, twice (Stripe retries)."""
    payload, signature = fake_stripe.signed(fake_stripe.last_event(event_type))
    for expected in ("recorded", "already recorded"):
        answer = web.post(
            "/webhooks/stripe",
            data=payload,
            headers={"Stripe-Signature": signature},
            content_type="application/json",
        )
        assert answer.status_code == 200 and answer.get_data(as_text=True).strip() == expected


def test_refunds_and_a_lost_dispute_through_stripe(make_app, fake_stripe: FakeStripe) -> None:
    app = make_app(inline_jobs="manual")
    platform = app.extensions["storefront"]
    gateway = fake_stripe.gateway()
    use_gateway(platform, gateway)
    session = platform.database.session()
    owner = make_user(session, platform, email="owner@example.com")
    artist = make_artist(session, owner, name="Low Orbit")
    fan = make_user(session, platform, email="fan@example.com")
    release = on_sale(session, artist, "Perigee")

    started = gateway.create_checkout(
        CheckoutRequest(
            order_reference="ord_stripe1",
            currency="USD",
            lines=(CheckoutLine("Perigee — Low Orbit", 1000),),
            success_url="http://localhost/orders/ord_stripe1/thanks?session_id={CHECKOUT_SESSION_ID}",
            cancel_url="http://localhost/cart",
            transfer_group="order_ord_stripe1",
            idempotency_key="velvet-checkout-ord_stripe1",
        )
    )
    fake_stripe.complete_checkout(started.session_id, email=fan.email)
    paid = gateway.fetch_checkout(started.session_id)
    assert paid.charge and paid.fee_minor is not None
    sale = paid_order(
        session,
        gateway,
        fan,
        [(release, 1000)],
        fee=paid.fee_minor,
        charge=paid.charge,
        payment_intent=paid.payment_intent,
    )
    line = sale.lines[0]
    web = WebClient(app)
    web.login(owner.email, PASSWORD)

    # The artist refunds 4.00: one Stripe refund, with our key, and its webhook records nothing more.
    assert ask_refund(web, line.id, "4.00", "Two tracks were missing").status_code == 303
    run_refunds(platform)
    [stripe_refund] = fake_stripe.objects("refund")
    assert (stripe_refund["amount"], stripe_refund["charge"]) == (400, paid.charge)
    fresh(session)
    [ours] = session.scalars(select(LineRefund)).all()
    assert (ours.status, ours.provider_refund_id) == (RefundStatus.SUCCEEDED, stripe_refund["id"])
    assert fake_stripe.get(paid.charge)["amount_refunded"] == 400
    _webhook(web, fake_stripe, "charge.refunded")
    run_jobs(platform, HANDLE_EVENT)
    fresh(session)
    assert len(session.scalars(select(LineRefund)).all()) == 1

    # 1.50 refunded in Stripe's dashboard: recorded from the webhook, once.
    fake_stripe.client().v1.refunds.create(params={"charge": paid.charge, "amount": 150})
    _webhook(web, fake_stripe, "charge.refunded")
    run_jobs(platform, HANDLE_EVENT)
    fresh(session)
    outside = session.scalars(select(LineRefund).where(LineRefund.requested_by_id.is_(None))).all()
    assert [(r.amount_minor, r.status) for r in outside] == [(150, RefundStatus.SUCCEEDED)]
    assert sum(ledger(session, sale.order, LedgerKind.REFUND).values()) == -550

    # The bank disputes the rest and the fan wins: the payee gives back what is left of its share.
    dispute = fake_stripe.open_dispute(paid.charge, amount=450)
    _webhook(web, fake_stripe, "charge.dispute.created")
    run_jobs(platform, HANDLE_EVENT)
    fresh(session)
    assert session.get(OrderLine, line.id).status == LineStatus.DISPUTED
    fake_stripe.close_dispute(dispute["id"], won=False)
    _webhook(web, fake_stripe, "charge.dispute.closed")
    run_jobs(platform, HANDLE_EVENT)
    fresh(session)
    assert session.get(OrderLine, line.id).status == LineStatus.CHARGED_BACK
    assert ledger(session, sale.order, LedgerKind.DISPUTE) == {f"dispute:{dispute['id']}:{line.id}": -450}
    payee = line.payee_amount_minor or 0
    taken = [p["amount_minor"] for p in reversals(session)]
    assert sum(taken) == payee  # refunds' shares and the chargeback's: the whole share, no more
    session.close()
