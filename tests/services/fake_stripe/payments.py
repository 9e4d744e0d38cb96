"""Checkout Sessions and what paying one leaves behind: payment intent, charge, balance transaction, refunds,
disputes. Amounts are integer minor units; currencies are lower-case on the wire as Stripe sends them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .state import Store, StripeFailure, minor_fee

DAY = 86_400
DISPUTE_FEE = 1500


class Payments:
    def __init__(self, store: Store, base_url: str) -> None:
        self.store = store
        self.base_url = base_url

    # Checkout Sessions
    def create_session(self, params: Mapping[str, Any]) -> dict[str, Any]:
        store = self.store
        if "mode" not in params:
            raise StripeFailure("Missing required param: mode.", param="mode")
        if params["mode"] != "payment":
            raise StripeFailure("The fake Stripe serves mode=payment only.", param="mode")
        lines = params.get("line_items") or []
        if not lines:
            raise StripeFailure("Missing required param: line_items.", param="line_items")
        currencies, subtotal = set(), 0
        for index, line in enumerate(lines):
            price = line.get("price_data")
            if price is None:
                raise StripeFailure(
                    f"No such price: '{line.get('price', '')}'", param=f"line_items[{index}][price]"
                )
            if "unit_amount" not in price:
                raise StripeFailure(
                    f"Missing required param: line_items[{index}][price_data][unit_amount].",
                    param=f"line_items[{index}][price_data][unit_amount]",
                )
            if "product_data" not in price:
                raise StripeFailure(
                    f"Missing required param: line_items[{index}][price_data][product_data].",
                    param=f"line_items[{index}][price_data][product_data]",
                )
            if price["unit_amount"] < 0 or line.get("quantity", 0) < 1:
                raise StripeFailure(
                    "Line items need a unit_amount >= 0 and a quantity >= 1.", param="line_items"
                )
            currencies.add(price["currency"].lower())
            subtotal += price["unit_amount"] * line["quantity"]
        if len(currencies) != 1:
            raise StripeFailure("All line items must share one currency.", param="line_items")
        now = store.now()
        expires_at = params.get("expires_at", now + DAY)
        if not now + 1800 <= expires_at <= now + DAY:
            raise StripeFailure(
                "The `expires_at` timestamp must be at least 30 minutes and at most 24 hours from creation.",
                param="expires_at",
            )
        session_id = store.new_id("cs_test_a1", 56)
        tax = bool(params.get("automatic_tax", {}).get("enabled"))
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": subtotal,
            "amount_total": subtotal,
            "automatic_tax": {"enabled": tax, "liability": None, "status": "complete" if tax else None},
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currencies.pop(),
            "customer": None,
            "customer_details": None,
            "customer_email": params.get("customer_email"),
            "expires_at": expires_at,
            "livemode": False,
            "metadata": dict(params.get("metadata", {})),
            "mode": "payment",
            "payment_intent": None,
            "payment_method_types": ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted",
            "url": f"{self.base_url}/c/pay/{session_id}",
        }
        lines_out = [
            {
                "name": line["price_data"]["product_data"]["name"],
                "unit_amount": line["price_data"]["unit_amount"],
                "quantity": line["quantity"],
            }
            for line in lines
        ]
        return store.put(session, intent=dict(params.get("payment_intent_data", {})), lines=lines_out)

    def expire_session(self, session_id: str) -> dict[str, Any]:
        session = self.store.get(session_id, "checkout.session")
        if session["status"] != "open":
            raise StripeFailure(
                f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has '
                f'a status of "{session["status"]}".',
                param="session",
            )
        session.update(status="expired", url=None)
        self.store.record_event("checkout.session.expired", session)
        return session

    def list_sessions(self, params: Mapping[str, Any]) -> dict[str, Any]:
        def keep(session: dict[str, Any]) -> bool:
            if "status" in params and session["status"] != params["status"]:
                return False
            return "payment_intent" not in params or session["payment_intent"] == params["payment_intent"]

        return self.store.page("checkout.session", params, "/v1/checkout/sessions", keep)

    def complete_session(
        self, session_id: str, *, email: str = "fan@example.com", pending: bool = False
    ) -> dict[str, Any]:
        """The fan paid (or, with `pending`, started a delayed payment such as a bank debit)."""
        store = self.store
        session = store.get(session_id, "checkout.session")
        if session["status"] != "open":
            raise StripeFailure(f"Checkout Session {session_id} is {session['status']}, not open.")
        intent_data = store.private[session_id]["intent"]
        now = store.now()
        intent = store.put(
            {
                "id": store.new_id("pi_3"),
                "object": "payment_intent",
                "amount": session["amount_total"],
                "amount_received": 0,
                "created": now,
                "currency": session["currency"],
                "customer": None,
                "description": intent_data.get("description"),
                "latest_charge": None,
                "livemode": False,
                "metadata": dict(intent_data.get("metadata", {})),
                "payment_method_types": ["card"],
                "receipt_email": email,
                "status": "processing",
                "transfer_group": intent_data.get("transfer_group"),
            }
        )
        charge = store.put(
            {
                "id": store.new_id("ch_3"),
                "object": "charge",
                "amount": session["amount_total"],
                "amount_captured": session["amount_total"],
                "amount_refunded": 0,
                "balance_transaction": None,
                "billing_details": {"email": email, "name": None, "phone": None, "address": None},
                "captured": True,
                "created": now,
                "currency": session["currency"],
                "customer": None,
                "description": intent_data.get("description"),
                "disputed": False,
                "failure_code": None,
                "failure_message": None,
                "livemode": False,
                "metadata": dict(intent_data.get("metadata", {})),
                "paid": False,
                "payment_intent": intent["id"],
                "receipt_email": email,
                "refunded": False,
                "source_transfer": None,
                "status": "pending",
                "transfer_group": intent_data.get("transfer_group"),
            }
        )
        intent["latest_charge"] = charge["id"]
        session.update(
            status="complete",
            payment_intent=intent["id"],
            customer_details={"email": email, "name": None, "phone": None, "address": None},
            url=None,
        )
        if not pending:
            self._settle(session, intent, charge)
        store.record_event("checkout.session.completed", session)
        return session

    def settle_pending(self, session_id: str, *, succeeded: bool) -> dict[str, Any]:
        """A delayed payment that was pending arrives (or fails)."""
        store = self.store
        session = store.get(session_id, "checkout.session")
        if session["status"] != "complete" or session["payment_status"] != "unpaid":
            raise StripeFailure(f"Checkout Session {session_id} has no pending payment.")
        intent = store.get(session["payment_intent"], "payment_intent")
        charge = store.get(intent["latest_charge"], "charge")
        if succeeded:
            self._settle(session, intent, charge)
            store.record_event("checkout.session.async_payment_succeeded", session)
        else:
            charge.update(status="failed", failure_code="payment_failed", failure_message="The debit failed.")
            intent.update(status="requires_payment_method")
            store.record_event("checkout.session.async_payment_failed", session)
        return session

    def _settle(self, session: dict[str, Any], intent: dict[str, Any], charge: dict[str, Any]) -> None:
        txn = self._balance_transaction(charge["amount"], charge["currency"], "charge", charge["id"])
        charge.update(status="succeeded", paid=True, balance_transaction=txn["id"])
        intent.update(status="succeeded", amount_received=charge["amount"])
        session.update(payment_status="paid")

    def _balance_transaction(
        self, amount: int, currency: str, type: str, source: str, *, fee: int | None = None
    ) -> dict[str, Any]:
        store = self.store
        fee = minor_fee(amount) if fee is None else fee
        detail = {
            "amount": fee,
            "currency": currency,
            "description": "Stripe processing fees",
            "type": "stripe_fee",
        }
        return store.put(
            {
                "id": store.new_id("txn_3"),
                "object": "balance_transaction",
                "amount": amount,
                "available_on": store.now() + 2 * DAY,
                "created": store.now(),
                "currency": currency,
                "description": None,
                "exchange_rate": None,
                "fee": fee,
                "fee_details": [detail] if fee else [],
                "net": amount - fee,
                "reporting_category": type,
                "source": source,
                "status": "pending",
                "type": type,
            }
        )

    def balance(self) -> dict[str, Any]:
        pending: dict[str, int] = {}
        for txn in self.store.of_kind("balance_transaction"):
            pending[txn["currency"]] = pending.get(txn["currency"], 0) + txn["net"]
        by_currency = [{"amount": a, "currency": c, "source_types": {"card": a}} for c, a in pending.items()]
        return {
            "object": "balance",
            "available": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
            "livemode": False,
            "pending": by_currency or [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
        }

    # Refunds
    def create_refund(self, params: Mapping[str, Any]) -> dict[str, Any]:
        store = self.store
        if "charge" in params and "payment_intent" in params:
            raise StripeFailure("You cannot specify both charge and payment_intent.", param="payment_intent")
        if "payment_intent" in params:
            intent = store.get(params["payment_intent"], "payment_intent", param="payment_intent")
            if intent["latest_charge"] is None:
                raise StripeFailure(
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                    param="payment_intent",
                )
            charge = store.get(intent["latest_charge"], "charge")
        elif "charge" in params:
            charge = store.get(params["charge"], "charge", param="charge")
        else:
            raise StripeFailure("Missing required param: charge.", param="charge")
        if charge["status"] != "succeeded":
            raise StripeFailure(f"Charge {charge['id']} has not succeeded and cannot be refunded.")
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise StripeFailure(
                f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
            )
        amount = params.get("amount", remaining)
        if amount < 1:
            raise StripeFailure("This value must be greater than or equal to 1.", param="amount")
        if amount > remaining:
            raise StripeFailure(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                param="amount",
                code="amount_too_large",
            )
        txn = self._balance_transaction(-amount, charge["currency"], "refund", "", fee=0)
        refund = store.put(
            {
                "id": store.new_id("re_3"),
                "object": "refund",
                "amount": amount,
                "balance_transaction": txn["id"],
                "charge": charge["id"],
                "created": store.now(),
                "currency": charge["currency"],
                "metadata": dict(params.get("metadata", {})),
                "payment_intent": charge["payment_intent"],
                "reason": params.get("reason"),
                "status": "succeeded",
            }
        )
        txn["source"] = refund["id"]
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        store.record_event("charge.refunded", charge, previous=previous)
        return refund

    # Disputes
    def open_dispute(
        self, charge_id: str, *, reason: str = "fraudulent", amount: int | None = None
    ) -> dict[str, Any]:
        store = self.store
        charge = store.get(charge_id, "charge")
        amount = charge["amount"] if amount is None else amount
        withdrawal = self._balance_transaction(-amount, charge["currency"], "adjustment", "", fee=DISPUTE_FEE)
        dispute = store.put(
            {
                "id": store.new_id("dp_1"),
                "object": "dispute",
                "amount": amount,
                "balance_transactions": [withdrawal["id"]],
                "charge": charge["id"],
                "created": store.now(),
                "currency": charge["currency"],
                "evidence_details": {
                    "due_by": store.now() + 7 * DAY,
                    "has_evidence": False,
                    "past_due": False,
                },
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {},
                "payment_intent": charge["payment_intent"],
                "reason": reason,
                "status": "needs_response",
            }
        )
        withdrawal["source"] = dispute["id"]
        charge["disputed"] = True
        store.record_event("charge.dispute.created", dispute)
        return dispute

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict[str, Any]:
        store = self.store
        dispute = store.get(dispute_id, "dispute")
        if dispute["status"] in ("won", "lost"):
            raise StripeFailure(f"Dispute {dispute_id} is already closed ({dispute['status']}).")
        previous = {"status": dispute["status"]}
        if won:
            charge = store.get(dispute["charge"], "charge")
            back = self._balance_transaction(
                dispute["amount"], charge["currency"], "adjustment", dispute_id, fee=-DISPUTE_FEE
            )
            dispute["balance_transactions"].append(back["id"])
        dispute["status"] = "won" if won else "lost"
        store.record_event("charge.dispute.closed", dispute, previous=previous)
        return dispute
