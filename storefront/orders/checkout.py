"""Turning the cart's lines in one currency into an order and a checkout session at the payment gateway.

One order per currency: a cart holding dollars and euros is paid in two checkouts. The order and its lines
are written first (status pending, each line's payee fixed), then the gateway is asked for a session with
an idempotency key made from the order's reference. If the gateway refuses or cannot be reached, the order
is removed again and the cart is left as it was, so nothing is half made. An order with nothing to pay
never touches the gateway: it is fulfilled at once through the free path.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.payees.services import payee_for
from ..jobs.interfaces import JobQueue
from ..payments.interfaces import CheckoutLine, CheckoutRequest, GatewayError, PaymentGateway
from .cart import CartSummary
from .fulfilment import fulfil_free
from .gifts.service import attach as attach_gifts
from .models import Order, OrderLine, OrderStatus

log = logging.getLogger(__name__)
# The address of an order's confirmation page, given its reference.
ThanksUrl = Callable[[str], str]


class CheckoutError(Exception):
    """Checkout cannot start; `status` is the HTTP answer (409 nothing to pay, 422 input, 502/503 gateway)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Started:
    order: Order
    payment_url: str | None  # where the fan pays; None when there was nothing to pay


def new_reference() -> str:
    return "ord_" + secrets.token_urlsafe(12)


def checked_email(raw: str | None) -> str:
    """A receipt address as typed by a guest, normalised; refused with a readable message."""
    text = (raw or "").strip()
    if not text:
        raise CheckoutError("Enter your email address: the receipt and your download links go there.", 422)
    if len(text) > 320:
        raise CheckoutError("That email address is too long.", 422)
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise CheckoutError("Enter a valid email address, like name@example.com.", 422) from None


class CheckoutService:
    def __init__(
        self,
        session: Session,
        *,
        payments: PaymentGateway,
        queue: JobQueue,
        platform_fee_bps: int,
        automatic_tax: bool,
        thanks_url: ThanksUrl,
        cart_url: str,
    ) -> None:
        self.session = session
        self.payments = payments
        self.queue = queue
        self.platform_fee_bps = platform_fee_bps
        self.automatic_tax = automatic_tax
        self.thanks_url = thanks_url
        self.cart_url = cart_url

    def start(self, summary: CartSummary, currency: str, *, buyer_id: int | None, email: str) -> Started:
        group = summary.group(currency)
        if group is not None and group.blocked:
            raise CheckoutError(group.blocked)
        if group is None or summary.cart is None or not group.charged:
            raise CheckoutError(f"There is nothing to pay in {currency} in your cart.", 404)
        self._expire_earlier(summary.cart.id, currency)
        order = Order(
            reference=new_reference(),
            buyer_id=buyer_id,
            email=email,
            currency=currency,
            subtotal_minor=group.subtotal_minor,
            status=OrderStatus.PENDING,
            gateway=self.payments.backend_name,
            platform_fee_bps=self.platform_fee_bps,
            free=group.subtotal_minor == 0,
            cart_id=summary.cart.id,
        )
        order.transfer_group = "order_" + order.reference
        for line in group.charged:
            release = line.offer.release
            payee = payee_for(self.session, release)
            order.lines.append(
                OrderLine(
                    release_id=release.id,
                    track_id=line.offer.track.id if line.offer.track is not None else None,
                    artist_id=release.artist_id,
                    payee_artist_id=payee.artist_id,
                    payee_label_id=payee.label_id,
                    title=line.offer.name,
                    amount_minor=line.amount_minor,
                    currency=currency,
                )
            )
        self.session.add(order)
        self.session.flush()
        attach_gifts(self.session, order, summary.cart)
        if order.free:
            return Started(self._fulfil_free(order), None)
        return Started(order, self._open_session(order))

    def _expire_earlier(self, cart_id: int, currency: str) -> None:
        """Close the sessions this cart opened before in this currency (a second tab, a back button), so
        the same things cannot be paid for twice. One that was already paid refuses, and is fulfilled as
        usual; its order's status is left to the gateway's events."""
        earlier = self.session.scalars(
            select(Order.checkout_session_id).where(
                Order.cart_id == cart_id,
                Order.currency == currency,
                Order.status == OrderStatus.PENDING,
                Order.checkout_session_id.is_not(None),
            )
        )
        for session_id in earlier:
            if session_id is None:
                continue
            try:
                self.payments.expire_checkout(session_id)
            except GatewayError as error:
                log.info("earlier checkout %s not expired: %s", session_id, error)

    def _fulfil_free(self, order: Order) -> Order:
        # Paid at once: download rights (or, for a guest, the mail to claim them) and the cart emptied.
        fulfil_free(self.session, order, self.queue)
        return order

    def _open_session(self, order: Order) -> str:
        request = CheckoutRequest(
            order_reference=order.reference,
            currency=order.currency,
            lines=tuple(
                CheckoutLine(name=line.title, amount_minor=line.amount_minor) for line in order.lines
            ),
            success_url=self.thanks_url(order.reference) + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=self.cart_url,
            transfer_group=order.transfer_group,
            idempotency_key=f"velvet-checkout-{order.reference}",
            customer_email=order.email,
            automatic_tax=self.automatic_tax,
        )
        try:
            started = self.payments.create_checkout(request)
        except GatewayError as error:
            # No half order: the order goes again, and the cart is as it was.
            self.session.delete(order)
            self.session.flush()
            if error.retryable:
                raise CheckoutError(
                    "The payment service is not answering right now. Nothing was charged and your cart is "
                    "unchanged; please try again in a few minutes.",
                    503,
                ) from error
            raise CheckoutError(
                "The payment service refused to start this checkout. Nothing was charged and your cart is "
                "unchanged.",
                502,
            ) from error
        order.checkout_session_id = started.session_id
        self.session.flush()
        return started.url
