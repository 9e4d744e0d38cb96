"""Stripe as the payment gateway, through the official SDK with a per-instance client (no global key).

Every request goes through the SDK's typed services with its TypedDict parameters, so a misspelt parameter is
a type error before it is ever a 400 from Stripe. Connected accounts and transfers live in `stripe_connect`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import stripe as stripe_sdk
from stripe._base_address import BaseAddresses

from .interfaces import (
    ChargeRecord,
    CheckoutOutcome,
    CheckoutRequest,
    CheckoutStarted,
    DisputeRecord,
    GatewayError,
    GatewayEvent,
    InvalidWebhook,
    PaymentsHealth,
    RefundResult,
)
from .stripe_connect import StripeConnect, expanded, object_id, stripe_errors

if TYPE_CHECKING:
    from stripe.checkout import Session
    from stripe.params import RefundCreateParams
    from stripe.params.checkout import SessionCreateParams, SessionCreateParamsLineItem, SessionListParams

# Stripe's own default: a signature older than five minutes is a replay, not a delivery.
WEBHOOK_TOLERANCE_SECONDS = 300
# Session -> payment intent -> charge -> balance transaction: the charge id and its fee in one read.
_CHARGE_PATH = "payment_intent.latest_charge.balance_transaction"


class StripeGateway(StripeConnect):
    backend_name = "stripe"
    is_sandbox = False
    page_size = 100  # items per list request; every page is read either way

    def __init__(self, secret_key: str, *, webhook_secret: str, api_base: str | None = None) -> None:
        self.webhook_secret = webhook_secret
        addresses: BaseAddresses = {"api": api_base} if api_base else {}
        self.client = stripe_sdk.StripeClient(secret_key, base_addresses=addresses, max_network_retries=2)

    def check(self) -> PaymentsHealth:
        try:
            balance = self.client.v1.balance.retrieve()
        except stripe_sdk.StripeError as exc:
            return PaymentsHealth(
                False, self.backend_name, f"Stripe did not answer: {exc.__class__.__name__}"
            )
        return PaymentsHealth(True, self.backend_name, f"livemode={balance.livemode}")

    # Checkout
    def create_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        if not request.lines:
            raise GatewayError("A checkout needs at least one line.", retryable=False)
        currency = request.currency.lower()
        line_items: list[SessionCreateParamsLineItem] = [
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": currency,
                    "unit_amount": line.amount_minor,
                    "product_data": {"name": line.name},
                },
            }
            for line in request.lines
        ]
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": line_items,
            "client_reference_id": request.order_reference,
            "metadata": {"order": request.order_reference},
            "payment_intent_data": {
                "transfer_group": request.transfer_group,
                "metadata": {"order": request.order_reference},
            },
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        if request.automatic_tax:
            params["automatic_tax"] = {"enabled": True}
        if request.expires_at is not None:
            params["expires_at"] = request.expires_at
        with stripe_errors("start the checkout"):
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        if not session.url:
            raise GatewayError(f"Stripe gave checkout {session.id} no payment page", retryable=False)
        return CheckoutStarted(session_id=session.id, url=session.url)

    def fetch_checkout(self, session_id: str) -> CheckoutOutcome:
        with stripe_errors("read the checkout"):
            session = self.client.v1.checkout.sessions.retrieve(session_id, params={"expand": [_CHARGE_PATH]})
        return checkout_outcome(session)

    def expire_checkout(self, session_id: str) -> None:
        try:
            with stripe_errors("expire the checkout"):
                self.client.v1.checkout.sessions.expire(session_id)
        except GatewayError as refused:
            # Expiring twice is not an error for us; expiring a session that was paid is.
            try:
                status = self.fetch_checkout(session_id).status
            except GatewayError:
                raise refused from None
            if status != "expired":
                raise

    def list_checkouts(self, *, created_from: int, created_to: int) -> Iterator[CheckoutOutcome]:
        params: SessionListParams = {
            "status": "complete",
            "created": {"gte": created_from, "lt": created_to},
            "limit": self.page_size,
            "expand": [f"data.{_CHARGE_PATH}"],
        }
        with stripe_errors("list checkouts"):
            for session in self.client.v1.checkout.sessions.list(params=params).auto_paging_iter():
                if session.payment_status == "paid":
                    yield checkout_outcome(session)

    def fetch_charge(self, charge_id: str) -> ChargeRecord:
        with stripe_errors("read the charge"):
            charge = self.client.v1.charges.retrieve(charge_id, params={"expand": ["balance_transaction"]})
        return ChargeRecord(
            charge_id=charge.id,
            amount_minor=charge.amount,
            currency=charge.currency.upper(),
            amount_refunded=charge.amount_refunded,
            payment_intent=object_id(charge.payment_intent),
            fee_minor=_fee(charge),
            disputed=charge.disputed,
        )

    def fetch_dispute(self, dispute_id: str) -> DisputeRecord:
        with stripe_errors("read the dispute"):
            dispute = self.client.v1.disputes.retrieve(dispute_id)
        return DisputeRecord(
            dispute_id=dispute.id,
            charge_id=object_id(dispute.charge) or "",
            amount_minor=dispute.amount,
            currency=dispute.currency.upper(),
            status=dispute.status,
            reason=dispute.reason or "",
        )

    # Refunds
    def refund(self, payment_reference: str, amount_minor: int, *, idempotency_key: str) -> RefundResult:
        params: RefundCreateParams = {"amount": amount_minor, "reason": "requested_by_customer"}
        if payment_reference.startswith("ch_"):
            params["charge"] = payment_reference
        elif payment_reference.startswith("pi_"):
            params["payment_intent"] = payment_reference
        else:
            raise GatewayError(
                f"{payment_reference!r} is neither a charge nor a payment intent", retryable=False
            )
        with stripe_errors("refund the payment"):
            refund = self.client.v1.refunds.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        return RefundResult(reference=refund.id, status=refund.status or "pending")

    # Webhooks
    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        try:
            event = self.client.construct_event(
                payload, signature, self.webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
            body = event.to_dict()
            obj = body["data"]["object"]
        except (
            stripe_sdk.SignatureVerificationError,
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
        ) as exc:
            raise InvalidWebhook(f"Not a Stripe webhook we can trust: {exc}") from exc
        if (
            not isinstance(obj, dict)
            or not isinstance(obj.get("id"), str)
            or not isinstance(body.get("type"), str)
        ):
            raise InvalidWebhook("The event names no object.")
        account = body.get("account")
        return GatewayEvent(
            event_id=str(body.get("id", "")),
            type=body["type"],
            object_id=obj["id"],
            created=int(body.get("created") or 0),
            data=obj,
            account=account if isinstance(account, str) else None,
        )


def checkout_outcome(session: Session) -> CheckoutOutcome:
    intent = expanded(session.payment_intent)
    # A delayed payment has a charge before it settles; only a paid session names the charge that settled it.
    paid = session.payment_status == "paid"
    charge = expanded(intent.latest_charge) if intent and paid else None
    metadata: dict[str, Any] = session.metadata.to_dict() if session.metadata else {}
    order = session.client_reference_id or metadata.get("order")
    details = session.customer_details
    return CheckoutOutcome(
        session_id=session.id,
        status=session.status or "open",
        payment_status=session.payment_status,
        order_reference=str(order) if order else None,
        currency=(session.currency or "").upper(),
        amount_total=session.amount_total or 0,
        amount_tax=session.total_details.amount_tax if session.total_details else 0,
        customer_email=(details.email if details else None) or session.customer_email,
        payment_intent=object_id(session.payment_intent),
        charge=object_id(intent.latest_charge) if intent and paid else None,
        fee_minor=_fee(charge) if charge else None,
        created=session.created,
    )


def _fee(charge: stripe_sdk.Charge) -> int | None:
    """The processing fee once the charge has a balance transaction (and it was expanded), else None."""
    transaction = expanded(charge.balance_transaction)
    return transaction.fee if transaction else None
