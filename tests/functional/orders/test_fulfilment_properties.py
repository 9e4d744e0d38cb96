"""Any delivery of a sandbox session's events (late, repeated, reordered, each handled against the session
as it is when it arrives) ends with the order where the session ended, and a paid order with one
consistent ledger, one set of rights, one receipt and one request for transfers."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storefront.jobs.interfaces import JobQueue
from storefront.orders.hooks import PAY_ORDER
from storefront.orders.models import LedgerKind, OrderStatus
from storefront.payments.handling import record_event
from storefront.payments.interfaces import GatewayEvent
from storefront.payments.sandbox import SandboxGateway
from tests.factories.accounts import make_user
from tests.functional.payments.selling import (
    entitlements,
    jobs,
    ledger,
    on_sale,
    open_checkout,
    place_order,
    reload,
    seller,
)
from tests.helpers import mail_to

Change = Callable[[SandboxGateway, str], list[GatewayEvent]]


def _expire(gateway: SandboxGateway, session_id: str) -> list[GatewayEvent]:
    event = gateway.expire(session_id)
    return [event] if event else []


LIFECYCLES: dict[str, tuple[list[Change], OrderStatus]] = {
    "paid by card": ([lambda g, s: g.pay(s, "succeeds")], OrderStatus.PAID),
    "debit settled": (
        [lambda g, s: g.pay(s, "pending"), lambda g, s: g.settle(s, succeeds=True)],
        OrderStatus.PAID,
    ),
    "debit failed": (
        [lambda g, s: g.pay(s, "pending"), lambda g, s: g.settle(s, succeeds=False)],
        OrderStatus.FAILED,
    ),
    "abandoned": ([_expire], OrderStatus.EXPIRED),
}


@st.composite
def schedules(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, int]]]:
    """A lifecycle, and its deliveries as (change it reports, change it arrives after, delivery id)."""
    name = draw(st.sampled_from(sorted(LIFECYCLES)))
    changes = len(LIFECYCLES[name][0])
    deliveries = [
        (change, draw(st.integers(change, changes - 1)), draw(st.integers(0, 2)))
        for change in range(changes)
        for _ in range(draw(st.integers(1, 3)))
    ]
    return name, draw(st.permutations(deliveries))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schedules())
def test_any_delivery_of_the_events_ends_in_one_consistent_order(app, db, platform, case) -> None:
    name, deliveries = case
    changes, final = LIFECYCLES[name]
    gateway: SandboxGateway = platform.payments
    fan = make_user(db, platform)
    items = [(on_sale(db, seller(db, platform)), None, 700), (on_sale(db, seller(db, platform)), None, 1300)]
    order = place_order(db, items, buyer=fan)
    session_id = open_checkout(db, gateway, order)

    sink, gateway.jobs = gateway.jobs, None  # the gateway's events are held back and delivered below
    happened: list[GatewayEvent] = []
    try:
        for now, change in enumerate(changes):
            happened.extend(change(gateway, session_id))
            for reported, _, copy in (d for d in deliveries if d[1] == now):
                sent = happened[reported]
                # Stripe redelivers under the same id; a copy under another id stands for a second event
                # about the same change.
                late = GatewayEvent(f"{sent.event_id}-{copy}", sent.type, sent.object_id, sent.created)
                with platform.database.transaction() as session:
                    record_event(session, "sandbox", late, JobQueue(session, sink))
    finally:
        gateway.jobs = sink

    order = reload(db, order)
    assert order.status == final
    rows = ledger(db, order)
    receipts = [m for m in mail_to(app, fan.email) if m.kind == "receipt" and order.reference in m.text_body]
    if final == OrderStatus.PAID:
        assert sum(r.amount_minor for r in rows if r.kind == LedgerKind.SALE) == 2000
        assert (
            sum(r.amount_minor for r in rows if r.kind == LedgerKind.PROCESSING_FEE)
            == -order.processing_fee_minor
        )
        assert sum(r.amount_minor for r in rows) == sum(line.payee_amount_minor for line in order.lines)
        assert len([r for r in rows if r.kind == LedgerKind.SALE]) == 2
        assert len([e for e in entitlements(db, fan) if e.revoked_at is None]) == 2
        assert len(receipts) == 1
        assert [j.payload for j in jobs(db, PAY_ORDER.name) if j.payload == {"order_id": order.id}] == [
            {"order_id": order.id}
        ]
    else:
        assert rows == [] and entitlements(db, fan) == [] and receipts == []
