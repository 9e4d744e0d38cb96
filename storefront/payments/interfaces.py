"""The payment-gateway contract shared by Stripe and the sandbox.

Amounts are integer minor units of an upper-case ISO currency. Every call that moves money takes an
idempotency key: the same key asked twice gives the same answer and moves the money once. Reads return
plain records, so the rest of the application never sees an SDK object.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class PaymentsHealth:
    ok: bool
    backend: str
    detail: str = ""


@dataclass(frozen=True)
class RefundResult:
    reference: str
    status: str  # "succeeded", "pending" or "failed…", as the gateway says


class GatewayError(Exception):
    """The gateway refused or could not be reached. `retryable` says whether asking again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class InvalidWebhook(Exception):
    """A webhook whose signature, timestamp or body does not check out: answered with 400, never handled."""


@dataclass(frozen=True)
class CheckoutLine:
    name: str  # what the fan sees on the payment page: the release (and track) title and the artist
    amount_minor: int  # the unit amount
    quantity: int = 1


@dataclass(frozen=True)
class CheckoutRequest:
    order_reference: str  # our order's public reference: client_reference_id and metadata["order"]
    currency: str
    lines: tuple[CheckoutLine, ...]
    success_url: str  # may hold the literal {CHECKOUT_SESSION_ID}, which the gateway fills in
    cancel_url: str
    transfer_group: str
    idempotency_key: str
    customer_email: str | None = None
    automatic_tax: bool = False
    expires_at: int | None = None  # unix seconds; None: the gateway's default (24 hours for Stripe)


@dataclass(frozen=True)
class CheckoutStarted:
    session_id: str
    url: str  # where the fan's browser goes to pay


@dataclass(frozen=True)
class CheckoutOutcome:
    """A checkout session as the gateway knows it now, read fresh: fulfilment trusts this, never an event."""

    session_id: str
    status: str  # "open", "complete" or "expired"
    payment_status: str  # "paid", "unpaid" or "no_payment_required"
    order_reference: str | None
    currency: str
    amount_total: int
    amount_tax: int = 0
    customer_email: str | None = None
    payment_intent: str | None = None
    charge: str | None = None  # the charge that settled it, once paid
    fee_minor: int | None = None  # the processing fee from the charge's balance transaction, once known
    created: int = 0

    @property
    def paid(self) -> bool:
        return self.status == "complete" and self.payment_status == "paid"


@dataclass(frozen=True)
class ChargeRecord:
    charge_id: str
    amount_minor: int
    currency: str
    amount_refunded: int
    payment_intent: str | None
    fee_minor: int | None
    disputed: bool = False


@dataclass(frozen=True)
class PayeeState:
    """A connected account as seen for paying it: can it receive transfers, and what does it still owe."""

    account_id: str
    transfers_enabled: bool
    details_needed: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransferRecord:
    transfer_id: str
    amount_minor: int
    currency: str
    destination: str
    transfer_group: str | None = None
    source_transaction: str | None = None
    reversed_minor: int = 0
    metadata: Mapping[str, str] = field(default_factory=dict)
    created: int = 0


@dataclass(frozen=True)
class DisputeRecord:
    dispute_id: str
    charge_id: str
    amount_minor: int
    currency: str
    status: str  # Stripe's: "needs_response", "under_review", "won", "lost", "warning_closed", …
    reason: str = ""


@dataclass(frozen=True)
class GatewayEvent:
    """A notification from the gateway. `data` is the object as sent: handlers use it to know what to
    look at and read the authoritative state back from the gateway before moving money."""

    event_id: str
    type: str
    object_id: str
    created: int
    data: Mapping[str, Any] = field(default_factory=dict)
    account: str | None = None  # the connected account it concerns, for Connect events


class PaymentGateway(Protocol):
    backend_name: str
    # Every page that takes or shows a payment says so plainly when this is true: no real money moves.
    is_sandbox: bool

    def check(self) -> PaymentsHealth: ...

    # Checkout
    def create_checkout(self, request: CheckoutRequest) -> CheckoutStarted: ...

    def fetch_checkout(self, session_id: str) -> CheckoutOutcome: ...

    def expire_checkout(self, session_id: str) -> None: ...

    def list_checkouts(self, *, created_from: int, created_to: int) -> Iterator[CheckoutOutcome]:
        """Every completed, paid session created in [created_from, created_to), all pages."""
        ...

    def fetch_charge(self, charge_id: str) -> ChargeRecord: ...

    def fetch_dispute(self, dispute_id: str) -> DisputeRecord: ...

    # Refunds: `payment_reference` is a charge ("ch_…") or payment intent ("pi_…").
    def refund(self, payment_reference: str, amount_minor: int, *, idempotency_key: str) -> RefundResult:
        """Give back `amount_minor` of a payment. The same key never refunds twice."""
        ...

    # Connected accounts
    def create_payee(self, *, display_name: str, email: str, country: str, idempotency_key: str) -> str:
        """A connected account able to receive transfers; returns its id."""
        ...

    def payee_onboarding_link(self, account_id: str, *, return_url: str, refresh_url: str) -> str: ...

    def fetch_payee(self, account_id: str) -> PayeeState: ...

    # Transfers
    def create_transfer(
        self,
        *,
        amount_minor: int,
        currency: str,
        destination: str,
        source_transaction: str | None,
        transfer_group: str,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> TransferRecord: ...

    def reverse_transfer(
        self, transfer_id: str, amount_minor: int, *, idempotency_key: str, metadata: Mapping[str, str]
    ) -> str:
        """Take back `amount_minor` of a transfer; returns the reversal's id."""
        ...

    def list_transfers(self, *, created_from: int, created_to: int) -> Iterator[TransferRecord]: ...

    # Webhooks
    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        """Check the signature and timestamp and read the event, or raise `InvalidWebhook`."""
        ...
