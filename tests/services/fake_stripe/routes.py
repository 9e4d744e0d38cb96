"""Which endpoint answers which request, and the SDK TypedDict each one's parameters are checked against."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import stripe.params as v1
import stripe.params.checkout as checkout
import stripe.params.v2.core as v2

from .connect import Connect
from .payments import Payments
from .state import Store

Handler = Callable[[Mapping[str, str], Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    params: type
    handler: Handler

    @property
    def v2(self) -> bool:
        return self.pattern.pattern.startswith("^/v2/")


def build_routes(store: Store, payments: Payments, connect: Connect) -> list[Route]:
    def fetch(kind: str) -> Handler:
        return lambda ids, params: store.get(ids["id"], kind)

    def events(ids: Mapping[str, str], params: Mapping[str, Any]) -> dict[str, Any]:
        wanted = set(params.get("types", [])) | ({params["type"]} if "type" in params else set())

        def keep(event: dict[str, Any]) -> bool:
            return not wanted or any(_type_matches(event["type"], pattern) for pattern in wanted)

        return store.page("event", params, "/v1/events", keep)

    table: list[tuple[str, str, type, Handler]] = [
        ("GET", "/v1/balance", v1.BalanceRetrieveParams, lambda ids, params: payments.balance()),
        (
            "POST",
            "/v1/checkout/sessions",
            checkout.SessionCreateParams,
            lambda ids, p: payments.create_session(p),
        ),
        (
            "GET",
            "/v1/checkout/sessions",
            checkout.SessionListParams,
            lambda ids, p: payments.list_sessions(p),
        ),
        ("GET", "/v1/checkout/sessions/{id}", checkout.SessionRetrieveParams, fetch("checkout.session")),
        (
            "POST",
            "/v1/checkout/sessions/{id}/expire",
            checkout.SessionExpireParams,
            lambda ids, p: payments.expire_session(ids["id"]),
        ),
        ("GET", "/v1/charges/{id}", v1.ChargeRetrieveParams, fetch("charge")),
        ("GET", "/v1/payment_intents/{id}", v1.PaymentIntentRetrieveParams, fetch("payment_intent")),
        (
            "GET",
            "/v1/balance_transactions/{id}",
            v1.BalanceTransactionRetrieveParams,
            fetch("balance_transaction"),
        ),
        ("POST", "/v1/refunds", v1.RefundCreateParams, lambda ids, p: payments.create_refund(p)),
        ("GET", "/v1/refunds/{id}", v1.RefundRetrieveParams, fetch("refund")),
        ("POST", "/v1/transfers", v1.TransferCreateParams, lambda ids, p: connect.create_transfer(p)),
        ("GET", "/v1/transfers", v1.TransferListParams, lambda ids, p: connect.list_transfers(p)),
        ("GET", "/v1/transfers/{id}", v1.TransferRetrieveParams, fetch("transfer")),
        (
            "POST",
            "/v1/transfers/{id}/reversals",
            v1.TransferReversalCreateParams,
            lambda ids, p: connect.reverse_transfer(ids["id"], p),
        ),
        ("GET", "/v1/disputes/{id}", v1.DisputeRetrieveParams, fetch("dispute")),
        ("GET", "/v1/payouts/{id}", v1.PayoutRetrieveParams, fetch("payout")),
        ("GET", "/v1/events", v1.EventListParams, events),
        ("GET", "/v1/events/{id}", v1.EventRetrieveParams, fetch("event")),
        ("POST", "/v2/core/accounts", v2.AccountCreateParams, lambda ids, p: connect.create_account(p)),
        (
            "GET",
            "/v2/core/accounts/{id}",
            v2.AccountRetrieveParams,
            lambda ids, p: connect.account_view(ids["id"], p.get("include", ())),
        ),
        (
            "POST",
            "/v2/core/account_links",
            v2.AccountLinkCreateParams,
            lambda ids, p: connect.create_account_link(p),
        ),
    ]
    return [
        Route(method, re.compile("^" + path.replace("{id}", "(?P<id>[A-Za-z0-9_]+)") + "$"), params, handler)
        for method, path, params, handler in table
    ]


def match(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in routes:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, found.groupdict()
    return None


def _type_matches(event_type: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern
