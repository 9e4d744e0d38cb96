"""The sandbox payment gateway for the embedded default: no card is charged and no money moves.

It answers the whole `PaymentGateway` contract from the sandbox's own records (sandbox_store.py), with
Stripe-like ids that say "_sandbox_" and a processing fee by Stripe's published card price, so the ledger
reads like a real one. The tester pays on the local page /sandbox/checkout/<id> (views.py), whose buttons
call `pay`, `settle` and `expire` here; whatever Stripe would send a webhook about (a session completed,
settled, failed or expired, an account able to receive transfers) goes through `record_event` and is
handled by exactly the code that handles Stripe's. Nothing here ever reaches a bank.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from .interfaces import (
    ChargeRecord,
    CheckoutOutcome,
    CheckoutRequest,
    CheckoutStarted,
    DisputeRecord,
    GatewayError,
    GatewayEvent,
    InvalidWebhook,
    PayeeState,
    PaymentsHealth,
    RefundResult,
    TransferRecord,
)
from .models import SandboxObject
from .sandbox_store import DAY, SandboxRefused, SandboxStore, card_fee

__all__ = ["SandboxGateway", "SandboxRefused", "card_fee"]


class SandboxGateway(SandboxStore):
    backend_name = "sandbox"
    # No money moves: every page that takes or shows a payment says so.
    is_sandbox = True

    # -- health --------------------------------------------------------------------------------------------
    def check(self) -> PaymentsHealth:
        return PaymentsHealth(True, self.backend_name, "sandbox: no real payments are taken")

    # -- checkout ------------------------------------------------------------------------------------------
    def create_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        if not request.lines or any(ln.amount_minor < 0 or ln.quantity < 1 for ln in request.lines):
            raise GatewayError("A checkout needs lines with a price and a quantity.", retryable=False)
        subtotal = sum(line.amount_minor * line.quantity for line in request.lines)
        if subtotal < 1:
            raise GatewayError("There is nothing to pay: free orders need no checkout.", retryable=False)
        params = {k: v for k, v in asdict(request).items() if k != "idempotency_key"}

        def create(session: Session) -> SandboxObject:
            now = self._now()
            return self._add(
                session,
                "checkout.session",
                "cs",
                {
                    "status": "open",
                    "payment_status": "unpaid",
                    "order_reference": request.order_reference,
                    "currency": request.currency.upper(),
                    "lines": [asdict(line) for line in request.lines],
                    "amount_subtotal": subtotal,
                    "amount_tax": 0,  # the sandbox computes no tax
                    "amount_total": subtotal,
                    "success_url": request.success_url,
                    "cancel_url": request.cancel_url,
                    "transfer_group": request.transfer_group,
                    "customer_email": request.customer_email,
                    "expires_at": request.expires_at or now + DAY,
                    "payment_intent": None,
                    "charge": None,
                    "payment_failed": False,
                },
            )

        session_id, _ = self._idempotent("checkout.session", request.idempotency_key, params, create)
        return CheckoutStarted(session_id=session_id, url=f"{self.base_url}/sandbox/checkout/{session_id}")

    def checkout_data(self, session_id: str) -> dict[str, Any] | None:
        """The session as its page shows it (None if there is no such session); an overdue open session
        reads as expired."""
        with self._reading() as session:
            row = session.get(SandboxObject, session_id)
            if row is None or row.kind != "checkout.session":
                return None
            data = dict(row.data)
        overdue = data["status"] == "open" and data["expires_at"] <= self._now()
        return {
            **data,
            "id": session_id,
            "overdue": overdue,
            "status": "expired" if overdue else data["status"],
        }

    def fetch_checkout(self, session_id: str) -> CheckoutOutcome:
        data = self.checkout_data(session_id)
        if data is None:
            raise GatewayError(f"No such checkout.session: '{session_id}'", retryable=False)
        fee = None
        if data["charge"]:
            fee = self.fetch_charge(data["charge"]).fee_minor
        return CheckoutOutcome(
            session_id=session_id,
            status=data["status"],
            payment_status=data["payment_status"],
            order_reference=data["order_reference"],
            currency=data["currency"],
            amount_total=data["amount_total"],
            amount_tax=data["amount_tax"],
            customer_email=data["customer_email"],
            payment_intent=data["payment_intent"],
            charge=data["charge"],
            fee_minor=fee,
            created=data["created"],
        )

    def expire_checkout(self, session_id: str) -> None:
        self.expire(session_id)

    def list_checkouts(self, *, created_from: int, created_to: int) -> Iterator[CheckoutOutcome]:
        for session_id in self._ids("checkout.session", created_from, created_to):
            outcome = self.fetch_checkout(session_id)
            if outcome.paid:
                yield outcome

    def _charge(self, session: Session, data: Mapping[str, Any]) -> str:
        amount = int(data["amount_total"])
        row = self._add(
            session,
            "charge",
            "ch",
            {
                "amount": amount,
                "currency": data["currency"],
                "amount_refunded": 0,
                "payment_intent": data["payment_intent"],
                "fee": card_fee(amount),
                "transferred": 0,
                "transfer_group": data["transfer_group"],
            },
        )
        intent = self._get(session, "payment_intent", data["payment_intent"])
        self._update(intent, status="succeeded", charge=row.id)
        return row.id

    def pay(self, session_id: str, outcome: str) -> list[GatewayEvent]:
        """`outcome`: "succeeds" (card paid), "pending" (a bank debit that settles later) or "fails" (the
        card is declined: the session stays open and the fan may try again, as on Stripe's page)."""
        if outcome not in ("succeeds", "pending", "fails"):
            raise SandboxRefused("Choose how the sandbox payment ends.")
        with self._writing() as session:
            row = self._get(session, "checkout.session", session_id, lock=True)
            if row.data["status"] != "open" or row.data["expires_at"] <= self._now():
                raise SandboxRefused("This checkout is no longer open.")
            intent = row.data["payment_intent"]
            if intent is None:
                intent = self._add(
                    session,
                    "payment_intent",
                    "pi",
                    {"amount": row.data["amount_total"], "currency": row.data["currency"], "status": "open"},
                ).id
                self._update(row, payment_intent=intent)
            if outcome == "fails":
                pi = self._get(session, "payment_intent", intent)
                self._update(pi, status="requires_payment_method")
                return [self._event(session, "payment_intent.payment_failed", intent, pi.data)]
            data = self._update(row, status="complete")
            if outcome == "succeeds":
                data = self._update(row, payment_status="paid", charge=self._charge(session, data))
            return [self._event(session, "checkout.session.completed", session_id, data)]

    def settle(self, session_id: str, *, succeeds: bool) -> list[GatewayEvent]:
        """A pending payment's outcome: async_payment_succeeded (with its charge) or _failed."""
        with self._writing() as session:
            row = self._get(session, "checkout.session", session_id, lock=True)
            data = row.data
            if data["status"] != "complete" or data["payment_status"] != "unpaid" or data["payment_failed"]:
                raise SandboxRefused("This checkout has no payment waiting to settle.")
            if succeeds:
                data = self._update(row, payment_status="paid", charge=self._charge(session, data))
                return [self._event(session, "checkout.session.async_payment_succeeded", session_id, data)]
            data = self._update(row, payment_failed=True)
            return [self._event(session, "checkout.session.async_payment_failed", session_id, data)]

    def expire(self, session_id: str) -> GatewayEvent | None:
        """Expire an open session, as Stripe's API and clock do: the event, or None if it was not open."""
        with self._writing() as session:
            row = self._get(session, "checkout.session", session_id, lock=True)
            if row.data["status"] != "open":
                if row.data["status"] == "complete":
                    raise SandboxRefused("Only open checkout sessions can be expired.")
                return None
            data = self._update(row, status="expired")
            return self._event(session, "checkout.session.expired", session_id, data)

    # -- charges, refunds, disputes ------------------------------------------------------------------------
    def fetch_charge(self, charge_id: str) -> ChargeRecord:
        with self._reading() as session:
            data = dict(self._get(session, "charge", charge_id).data)
        return ChargeRecord(
            charge_id=charge_id,
            amount_minor=data["amount"],
            currency=data["currency"],
            amount_refunded=data["amount_refunded"],
            payment_intent=data["payment_intent"],
            fee_minor=data["fee"],
        )

    def fetch_dispute(self, dispute_id: str) -> DisputeRecord:
        # The sandbox's fans never call their bank.
        raise GatewayError(f"No such dispute: '{dispute_id}'", retryable=False)

    def refund(self, payment_reference: str, amount_minor: int, *, idempotency_key: str) -> RefundResult:
        params = {"payment": payment_reference, "amount": amount_minor}

        def create(session: Session) -> SandboxObject:
            found = session.get(SandboxObject, payment_reference)
            if found is not None and found.kind == "payment_intent":
                found = session.get(SandboxObject, found.data.get("charge") or "")
            charge = found if found is not None and found.kind == "charge" else None
            if charge is not None:
                left = charge.data["amount"] - charge.data["amount_refunded"]
                if not 1 <= amount_minor <= left:
                    raise GatewayError(
                        f"{amount_minor} is more than the {left} left to refund", retryable=False
                    )
                self._update(charge, amount_refunded=charge.data["amount_refunded"] + amount_minor)
            # A payment from before the sandbox kept records (a seeded one) is refunded on its word.
            data = {"charge": charge.id if charge is not None else None, "amount": amount_minor}
            return self._add(session, "refund", "re", {**data, "status": "succeeded"})

        try:
            refund_id, data = self._idempotent("refund", idempotency_key, params, create)
        except GatewayError as error:
            return RefundResult(reference="", status=f"failed: {error}")
        return RefundResult(reference=refund_id, status=data["status"])

    # -- connected accounts ----------------------------------------------------------------------------------
    def create_payee(self, *, display_name: str, email: str, country: str, idempotency_key: str) -> str:
        params = {"display_name": display_name, "email": email, "country": country}

        def create(session: Session) -> SandboxObject:
            return self._add(
                session,
                "account",
                "acct",
                {**params, "transfers_enabled": False, "details_needed": ["sandbox onboarding"]},
            )

        account_id, _ = self._idempotent("account", idempotency_key, params, create)
        return account_id

    def payee_onboarding_link(self, account_id: str, *, return_url: str, refresh_url: str) -> str:
        # The addresses are kept with the account, so the page never redirects to one taken from its URL.
        with self._writing() as session:
            self._update(
                self._get(session, "account", account_id), return_url=return_url, refresh_url=refresh_url
            )
        return f"{self.base_url}/sandbox/onboarding/{account_id}"

    def account_data(self, account_id: str) -> dict[str, Any] | None:
        with self._reading() as session:
            row = session.get(SandboxObject, account_id)
            return {**row.data, "id": account_id} if row is not None and row.kind == "account" else None

    def enable_transfers(self, account_id: str) -> GatewayEvent:
        """The sandbox's onboarding: the account can receive transfers from now on (account.updated)."""
        with self._writing() as session:
            data = self._update(
                self._get(session, "account", account_id, lock=True),
                transfers_enabled=True,
                details_needed=[],
            )
            return self._event(session, "account.updated", account_id, data, account=account_id)

    def fetch_payee(self, account_id: str) -> PayeeState:
        data = self.account_data(account_id)
        if data is None:
            raise GatewayError(f"No such account: '{account_id}'", retryable=False)
        return PayeeState(account_id, bool(data["transfers_enabled"]), tuple(data["details_needed"]))

    # -- transfers -------------------------------------------------------------------------------------------
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
    ) -> TransferRecord:
        params = {
            "amount": amount_minor,
            "currency": currency.upper(),
            "destination": destination,
            "source_transaction": source_transaction,
            "transfer_group": transfer_group,
            "metadata": dict(metadata),
        }

        def create(session: Session) -> SandboxObject:
            account = self._get(session, "account", destination)
            if not account.data["transfers_enabled"]:
                raise GatewayError(
                    f"The account {destination} cannot receive transfers yet.", retryable=False
                )
            if amount_minor < 1:
                raise GatewayError("A transfer must be of a positive amount.", retryable=False)
            if source_transaction is not None:
                charge = self._get(session, "charge", source_transaction, lock=True)
                left = charge.data["amount"] - charge.data["transferred"]
                if charge.data["currency"] != params["currency"] or amount_minor > left:
                    raise GatewayError(
                        f"The transfer of {amount_minor} exceeds what is left of {source_transaction} "
                        f"({left} {charge.data['currency']}).",
                        retryable=False,
                    )
                self._update(charge, transferred=charge.data["transferred"] + amount_minor)
            return self._add(session, "transfer", "tr", {**params, "reversed": 0})

        transfer_id, data = self._idempotent("transfer", idempotency_key, params, create)
        return self._transfer_record(transfer_id, data)

    @staticmethod
    def _transfer_record(transfer_id: str, data: Mapping[str, Any]) -> TransferRecord:
        return TransferRecord(
            transfer_id=transfer_id,
            amount_minor=data["amount"],
            currency=data["currency"],
            destination=data["destination"],
            transfer_group=data["transfer_group"],
            source_transaction=data["source_transaction"],
            reversed_minor=data["reversed"],
            metadata=dict(data["metadata"]),
            created=data["created"],
        )

    def reverse_transfer(
        self, transfer_id: str, amount_minor: int, *, idempotency_key: str, metadata: Mapping[str, str]
    ) -> str:
        params = {"transfer": transfer_id, "amount": amount_minor, "metadata": dict(metadata)}

        def create(session: Session) -> SandboxObject:
            transfer = self._get(session, "transfer", transfer_id, lock=True)
            left = transfer.data["amount"] - transfer.data["reversed"]
            if not 1 <= amount_minor <= left:
                raise GatewayError(
                    f"A reversal of {amount_minor} is more than the {left} left of {transfer_id}.",
                    retryable=False,
                )
            self._update(transfer, reversed=transfer.data["reversed"] + amount_minor)
            return self._add(session, "transfer_reversal", "trr", params)

        reversal_id, _ = self._idempotent("transfer_reversal", idempotency_key, params, create)
        return reversal_id

    def list_transfers(self, *, created_from: int, created_to: int) -> Iterator[TransferRecord]:
        for transfer_id in self._ids("transfer", created_from, created_to):
            with self._reading() as session:
                data = dict(self._get(session, "transfer", transfer_id).data)
            yield self._transfer_record(transfer_id, data)

    # -- webhooks ------------------------------------------------------------------------------------------
    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        raise InvalidWebhook("The sandbox sends no webhooks: its events are recorded by its own pages.")
