"""The order's state machine under any delivery of the gateway's events: late, repeated or reordered, each
read against the session as the gateway shows it at that moment. A paid order never leaves PAID, it is
reached at most once, and the order ends where the session ended."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from storefront.orders.fulfilment import move, target_status
from storefront.orders.models import ORDER_MOVES, Order, OrderStatus
from storefront.payments.interfaces import CheckoutOutcome

COMPLETED = "checkout.session.completed"
SUCCEEDED = "checkout.session.async_payment_succeeded"
FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"


def _session(status: str, payment_status: str) -> CheckoutOutcome:
    paid = payment_status == "paid"
    return CheckoutOutcome(
        session_id="cs_1",
        status=status,
        payment_status=payment_status,
        order_reference="ord_1",
        currency="USD",
        amount_total=1000,
        charge="ch_1" if paid else None,
        fee_minor=59 if paid else None,
    )


PAID_NOW = _session("complete", "paid")
PENDING = _session("complete", "unpaid")
# Each lifecycle a session can have at Stripe: the events in the order they happen, each with the session
# as it is from then on. The order must end in the last status.
LIFECYCLES: dict[str, tuple[list[tuple[str, CheckoutOutcome]], OrderStatus]] = {
    "paid by card": ([(COMPLETED, PAID_NOW)], OrderStatus.PAID),
    "debit settled": ([(COMPLETED, PENDING), (SUCCEEDED, PAID_NOW)], OrderStatus.PAID),
    "debit failed": ([(COMPLETED, PENDING), (FAILED, PENDING)], OrderStatus.FAILED),
    "debit pending": ([(COMPLETED, PENDING)], OrderStatus.PROCESSING),
    "abandoned": ([(EXPIRED, _session("expired", "unpaid"))], OrderStatus.EXPIRED),
}


@dataclass(frozen=True)
class Delivery:
    event: int  # index of the event in its lifecycle
    at: int  # the gateway's state it is read against: after this many changes (never before its own)
    tiebreak: int


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[str, list[Delivery]]:
    name = draw(st.sampled_from(sorted(LIFECYCLES)))
    events = LIFECYCLES[name][0]
    out = [
        Delivery(index, draw(st.integers(index + 1, len(events))), draw(st.integers(0, 1000)))
        for index in range(len(events))
        for _ in range(draw(st.integers(1, 4)))
    ]
    return name, sorted(out, key=lambda d: (d.at, d.tiebreak))


@given(deliveries())
def test_any_delivery_of_a_sessions_events_ends_in_its_status_paying_at_most_once(
    case: tuple[str, list[Delivery]],
) -> None:
    name, schedule = case
    events, final = LIFECYCLES[name]
    order = Order(status=OrderStatus.PENDING)
    paid_moves = 0
    for delivery in schedule:
        event_type = events[delivery.event][0]
        seen = events[delivery.at - 1][1]
        was = order.status
        target = target_status(seen, failed=event_type == FAILED)
        if target is not None and move(order, target):
            assert target in ORDER_MOVES[was]
            paid_moves += target == OrderStatus.PAID
        if was == OrderStatus.PAID:
            assert order.status == OrderStatus.PAID
    assert order.status == final
    assert paid_moves == (1 if final == OrderStatus.PAID else 0)


@given(st.lists(st.sampled_from(list(OrderStatus)), max_size=20))
def test_move_follows_order_moves_and_a_paid_order_stays_paid(targets: list[OrderStatus]) -> None:
    order = Order(status=OrderStatus.PENDING)
    for target in targets:
        was = order.status
        moved = move(order, target)
        assert moved == (target in ORDER_MOVES[was])
        assert order.status == (target if moved else was)
        if was == OrderStatus.PAID:
            assert order.status == OrderStatus.PAID
