"""Connect: v2 accounts that receive transfers, their onboarding links, transfers, reversals and payouts."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from .state import Store, StripeFailure, resource_missing

# What a fresh recipient owes before Stripe turns its transfers capability on.
ONBOARDING_REQUIREMENTS = (
    "identity.individual.given_name",
    "identity.individual.surname",
    "identity.individual.date_of_birth",
    "identity.individual.address",
)
_INCLUDABLE = ("configuration", "defaults", "identity", "requirements", "future_requirements")
CAPABILITY_STATUSES = ("active", "pending", "rejected", "restricted", "unsupported")


class Connect:
    def __init__(self, store: Store, base_url: str) -> None:
        self.store = store
        self.base_url = base_url

    # v2 accounts
    def create_account(self, params: Mapping[str, Any]) -> dict[str, Any]:
        store = self.store
        configuration = params.get("configuration", {})
        if "recipient" in configuration and "contact_email" not in params:
            raise StripeFailure(
                "contact_email is required when configuring the account as a merchant or recipient.",
                param="contact_email",
            )
        recipient = None
        if "recipient" in configuration:
            wanted = configuration["recipient"].get("capabilities", {}).get("stripe_balance", {})
            transfers = wanted.get("stripe_transfers", {}).get("requested", False)
            stripe_balance = {
                "payouts": None,
                "stripe_transfers": _capability("restricted") if transfers else None,
            }
            recipient = {
                "applied": True,
                "capabilities": {"bank_accounts": None, "cards": None, "stripe_balance": stripe_balance},
            }
        country = params.get("identity", {}).get("country")
        account = {
            "id": store.new_id("acct_1", 16),
            "object": "v2.core.account",
            "applied_configurations": ["recipient"] if recipient else [],
            "closed": False,
            "configuration": {"customer": None, "merchant": None, "recipient": recipient},
            "contact_email": params.get("contact_email"),
            "contact_phone": params.get("contact_phone"),
            "created": store.rfc3339(),
            "dashboard": params.get("dashboard", "none"),
            "defaults": copy.deepcopy(dict(params.get("defaults", {}))) or None,
            "display_name": params.get("display_name"),
            "future_requirements": {"entries": [], "minimum_transition_date": None, "summary": None},
            "identity": {"country": country.lower() if country else None, "entity_type": None},
            "livemode": False,
            "metadata": dict(params.get("metadata", {})),
            "requirements": _requirements(ONBOARDING_REQUIREMENTS if recipient else ()),
        }
        store.put(account, created_at=store.now())
        return self.account_view(account["id"], params.get("include", ()))

    def account_view(self, account_id: str, include: Iterable[str] = ()) -> dict[str, Any]:
        """The account as v2 sends it: properties not asked for with `include` come back null."""
        account = self.store.view(self.store.get(account_id, "v2.core.account"))
        include = set(include)
        for key in _INCLUDABLE:
            if key == "configuration":
                config = account[key]
                shown = {
                    name: config[name] if f"configuration.{name}" in include else None for name in config
                }
                account[key] = shown if any(v is not None for v in shown.values()) else None
            elif key not in include:
                account[key] = None
        return account

    def set_transfers_capability(self, account_id: str, status: str = "active") -> dict[str, Any]:
        """Stripe decides (after onboarding, or on review) whether the account may receive transfers."""
        if status not in CAPABILITY_STATUSES:
            raise ValueError(f"status must be one of {CAPABILITY_STATUSES}")
        account = self.store.get(account_id, "v2.core.account")
        recipient = (account["configuration"] or {}).get("recipient")
        if recipient is None:
            raise StripeFailure(f"Account {account_id} has no recipient configuration.")
        recipient["capabilities"]["stripe_balance"]["stripe_transfers"] = _capability(status)
        account["requirements"] = _requirements(() if status == "active" else ONBOARDING_REQUIREMENTS)
        self.store.record_event("account.updated", _v1_account(account), account=account_id)
        return self.account_view(account_id, ("configuration.recipient", "requirements"))

    def transfers_active(self, account: Mapping[str, Any]) -> bool:
        recipient = (account.get("configuration") or {}).get("recipient") or {}
        balance = (recipient.get("capabilities") or {}).get("stripe_balance") or {}
        return (balance.get("stripe_transfers") or {}).get("status") == "active"

    def create_account_link(self, params: Mapping[str, Any]) -> dict[str, Any]:
        store = self.store
        account = self.store.objects.get(params["account"])
        if account is None or account["object"] != "v2.core.account":
            raise resource_missing("v2.core.account", params["account"], "account")
        use_case = params["use_case"]
        kind = use_case["type"]
        if kind not in ("account_onboarding", "account_update") or kind not in use_case:
            raise StripeFailure(
                f"use_case.{kind} is required for use_case.type={kind}.", param=f"use_case.{kind}"
            )
        token = store.new_id("", 32)
        store.private.setdefault(account["id"], {}).setdefault("links", {})[token] = dict(use_case[kind])
        return {
            "object": "v2.core.account_link",
            "account": account["id"],
            "created": store.rfc3339(),
            "expires_at": store.rfc3339(store.now() + 300),
            "livemode": False,
            "url": f"{self.base_url}/connect/setup/{account['id']}/{token}",
            "use_case": {
                "type": kind,
                "account_onboarding": use_case.get("account_onboarding"),
                "account_update": use_case.get("account_update"),
            },
        }

    def link_target(self, account_id: str, token: str) -> dict[str, Any]:
        links = self.store.private.get(account_id, {}).get("links", {})
        if token not in links:
            raise StripeFailure("This onboarding link is invalid or has expired.", status=404)
        return dict(links[token])

    # Transfers
    def create_transfer(self, params: Mapping[str, Any]) -> dict[str, Any]:
        store = self.store
        if "amount" not in params:
            raise StripeFailure("Missing required param: amount.", param="amount")
        amount, currency = params["amount"], params["currency"].lower()
        if amount < 1:
            raise StripeFailure("This value must be greater than or equal to 1.", param="amount")
        destination = store.objects.get(params["destination"])
        if destination is None or destination["object"] != "v2.core.account":
            raise StripeFailure(f"No such destination: '{params['destination']}'", param="destination")
        if not self.transfers_active(destination):
            raise StripeFailure(
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
            )
        source = params.get("source_transaction")
        if source is not None:
            charge = store.get(source, "charge", param="source_transaction")
            if charge["status"] != "succeeded":
                raise StripeFailure(f"Charge {source} has not succeeded yet.", param="source_transaction")
            if charge["currency"] != currency:
                raise StripeFailure(
                    f"The currency of source_transaction's balance transaction ({charge['currency']}) "
                    f"must be the same as the transfer currency ({currency})",
                    param="currency",
                )
            already = sum(
                t["amount"] - t["amount_reversed"]
                for t in store.of_kind("transfer")
                if t["source_transaction"] == source
            )
            if already + amount > charge["amount"]:
                raise StripeFailure(
                    f"Transfers from {source} would total {already + amount}, more than the charge's amount "
                    f"({charge['amount']}); {charge['amount'] - already} remains.",
                    param="amount",
                    code="amount_too_large",
                )
        transfer_id = store.new_id("tr_1")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": store.new_id("txn_1"),
            "created": store.now(),
            "currency": currency,
            "description": params.get("description"),
            "destination": destination["id"],
            "destination_payment": store.new_id("py_1"),
            "livemode": False,
            "metadata": dict(params.get("metadata", {})),
            "reversals": _list([], f"/v1/transfers/{transfer_id}/reversals"),
            "reversed": False,
            "source_transaction": source,
            "source_type": "card",
            "transfer_group": params.get("transfer_group"),
        }
        store.put(transfer)
        store.record_event("transfer.created", transfer)
        return transfer

    def list_transfers(self, params: Mapping[str, Any]) -> dict[str, Any]:
        def keep(transfer: dict[str, Any]) -> bool:
            return all(
                transfer[key] == params[key] for key in ("destination", "transfer_group") if key in params
            )

        return self.store.page("transfer", params, "/v1/transfers", keep)

    def reverse_transfer(self, transfer_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        store = self.store
        transfer = store.get(transfer_id, "transfer")
        remaining = transfer["amount"] - transfer["amount_reversed"]
        if remaining <= 0:
            raise StripeFailure(f"Transfer {transfer_id} has already been fully reversed.")
        amount = params.get("amount", remaining)
        if amount < 1:
            raise StripeFailure("This value must be greater than or equal to 1.", param="amount")
        if amount > remaining:
            raise StripeFailure(
                f"You have attempted to reverse {amount}, but only {remaining} of the transfer remains.",
                param="amount",
                code="amount_too_large",
            )
        reversal = store.put(
            {
                "id": store.new_id("trr_1"),
                "object": "transfer_reversal",
                "amount": amount,
                "balance_transaction": store.new_id("txn_1"),
                "created": store.now(),
                "currency": transfer["currency"],
                "destination_payment_refund": store.new_id("pyr_1"),
                "metadata": dict(params.get("metadata", {})),
                "source_refund": None,
                "transfer": transfer_id,
            }
        )
        previous = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"]}
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        reversals = transfer["reversals"]
        reversals["data"].insert(0, copy.deepcopy(reversal))
        reversals["total_count"] = len(reversals["data"])
        store.record_event("transfer.reversed", transfer, previous=previous)
        return reversal

    # Payouts
    def pay_out(self, account_id: str | None, amount: int, currency: str = "usd") -> dict[str, Any]:
        """A payout lands in the bank: on a connected account when `account_id` is given."""
        store = self.store
        if account_id is not None:
            store.get(account_id, "v2.core.account")
        payout = store.put(
            {
                "id": store.new_id("po_1"),
                "object": "payout",
                "amount": amount,
                "arrival_date": store.now(),
                "automatic": True,
                "balance_transaction": store.new_id("txn_1"),
                "created": store.now(),
                "currency": currency.lower(),
                "destination": store.new_id("ba_1"),
                "failure_code": None,
                "livemode": False,
                "metadata": {},
                "method": "standard",
                "status": "paid",
                "type": "bank_account",
            }
        )
        store.record_event("payout.paid", payout, account=account_id)
        return payout


def _capability(status: str) -> dict[str, Any]:
    details = [] if status == "active" else [{"code": "requirements_past_due", "resolution": "provide_info"}]
    return {"status": status, "status_details": details}


def _requirements(descriptions: Iterable[str]) -> dict[str, Any]:
    entries = [
        {
            "awaiting_action_from": "user",
            "description": description,
            "errors": [],
            "impact": {
                "restricts_capabilities": [
                    {
                        "capability": "stripe_balance.stripe_transfers",
                        "configuration": "recipient",
                        "deadline": {"status": "currently_due"},
                    }
                ]
            },
            "minimum_deadline": {"status": "currently_due"},
            "reference": None,
            "requested_reasons": [{"code": "routine_onboarding"}],
        }
        for description in descriptions
    ]
    summary = {"minimum_deadline": {"status": "currently_due", "time": None}} if entries else None
    return {"entries": entries, "summary": summary}


def _v1_account(account: Mapping[str, Any]) -> dict[str, Any]:
    """The v1 view an `account.updated` event carries for a v2 account."""
    recipient = (account.get("configuration") or {}).get("recipient") or {}
    balance = (recipient.get("capabilities") or {}).get("stripe_balance") or {}
    transfers = (balance.get("stripe_transfers") or {}).get("status")
    due = [e["description"] for e in account["requirements"]["entries"]]
    return {
        "id": account["id"],
        "object": "account",
        "capabilities": {"transfers": "active" if transfers == "active" else "inactive"},
        "charges_enabled": False,
        "country": (account.get("identity") or {}).get("country"),
        "email": account.get("contact_email"),
        "payouts_enabled": transfers == "active",
        "requirements": {"currently_due": due, "disabled_reason": "requirements.past_due" if due else None},
        "type": "express" if account.get("dashboard") == "express" else "custom",
    }


def _list(data: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "total_count": len(data), "url": url}
