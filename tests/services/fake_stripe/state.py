"""The fake's memory: objects by id, lists in Stripe's order, events, idempotent replays and a clock."""

from __future__ import annotations

import copy
import json
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

API_VERSION = stripe.api_version
_ALPHABET = string.ascii_letters + string.digits
# What each object's "No such …" error calls it, as Stripe words it.
_LABELS = {
    "checkout.session": "checkout.session",
    "payment_intent": "payment_intent",
    "charge": "charge",
    "balance_transaction": "balance transaction",
    "refund": "refund",
    "transfer": "transfer",
    "transfer_reversal": "transfer reversal",
    "dispute": "dispute",
    "event": "event",
    "payout": "payout",
    "v2.core.account": "account",
}


class StripeFailure(Exception):
    """An answer Stripe gives as an error body: `{"error": {"type", "message", "param", "code"}}`."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": {"type": type, "message": message}}
        if param is not None:
            self.body["error"]["param"] = param
        if code is not None:
            self.body["error"]["code"] = code


def resource_missing(kind: str, object_id: str, param: str = "id") -> StripeFailure:
    label = _LABELS.get(kind, kind)
    return StripeFailure(f"No such {label}: '{object_id}'", status=404, param=param, code="resource_missing")


@dataclass
class Stored:
    """What an idempotency key answered the first time."""

    fingerprint: str
    status: int
    body: bytes


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._request = threading.local()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.objects: dict[str, dict[str, Any]] = {}
            self.private: dict[str, dict[str, Any]] = {}  # what Stripe knows but does not show
            self.idempotency: dict[tuple[str, str], Stored] = {}
            self.frozen_at: int | None = None
            self.failures: list[tuple[str, int, bool]] = []  # (path prefix, status, should_retry)
            self.requests: list[tuple[str, str, str]] = []  # (method, path, query) of each API call
            self._sequence = 0

    # Time
    def now(self) -> int:
        return self.frozen_at if self.frozen_at is not None else int(time.time())

    def rfc3339(self, at: int | None = None) -> str:
        moment = datetime.fromtimestamp(self.now() if at is None else at, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    # Objects
    def new_id(self, prefix: str, length: int = 24) -> str:
        return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))

    def put(self, obj: dict[str, Any], **private: Any) -> dict[str, Any]:
        with self.lock:
            self._sequence += 1
            self.objects[obj["id"]] = obj
            self.private[obj["id"]] = {"sequence": self._sequence, **private}
            return obj

    def get(self, object_id: str, kind: str, *, param: str = "id") -> dict[str, Any]:
        obj = self.objects.get(object_id)
        if obj is None or obj.get("object") != kind:
            raise resource_missing(kind, object_id, param)
        return obj

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects.values() if o.get("object") == kind]

    def view(self, obj: Mapping[str, Any], expand: Iterable[str] = ()) -> dict[str, Any]:
        """A copy of `obj` as sent, the expandable ids on each dotted `expand` path replaced by objects."""
        out = copy.deepcopy(dict(obj))
        for path in expand:
            self._expand(out, path.split("."), path)
        return out

    def _expand(self, node: dict[str, Any], parts: list[str], path: str) -> None:
        if len(parts) > 4:
            raise StripeFailure(f"You cannot expand more than 4 levels of a property: {path}", param="expand")
        head, rest = parts[0], parts[1:]
        if head == "data" and isinstance(node.get("data"), list) and node.get("object") == "list":
            for item in node["data"]:
                if rest:
                    self._expand(item, rest, path)
            return
        if head not in node:
            raise StripeFailure(f"This property cannot be expanded ({head}).", param="expand")
        value = node[head]
        if isinstance(value, str):
            target = self.objects.get(value)
            if target is None:
                return
            value = node[head] = copy.deepcopy(target)
        if rest and isinstance(value, dict):
            self._expand(value, rest, path)

    # Lists
    def page(
        self, kind: str, params: Mapping[str, Any], url: str, keep: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """One page of `kind`, newest first, with Stripe's `created`, `limit`, cursor and `has_more`."""
        limit = params.get("limit", 10)
        if not 1 <= limit <= 100:
            raise StripeFailure("Invalid limit: must be between 1 and 100", param="limit")
        created = params.get("created")
        items = [o for o in self.of_kind(kind) if _created_matches(o["created"], created) and keep(o)]
        items.sort(key=self._order, reverse=True)
        if "starting_after" in params:
            cursor = self._order(self.get(params["starting_after"], kind, param="starting_after"))
            items = [o for o in items if self._order(o) < cursor]
            chosen, has_more = items[:limit], len(items) > limit
        elif "ending_before" in params:
            cursor = self._order(self.get(params["ending_before"], kind, param="ending_before"))
            items = [o for o in items if self._order(o) > cursor]
            chosen, has_more = items[-limit:], len(items) > limit
        else:
            chosen, has_more = items[:limit], len(items) > limit
        expand = [p.removeprefix("data.") for p in params.get("expand", []) if p.startswith("data.")]
        data = [self.view(o, expand) for o in chosen]
        return {"object": "list", "data": data, "has_more": has_more, "url": url}

    def _order(self, obj: Mapping[str, Any]) -> tuple[int, int]:
        return obj["created"], self.private[obj["id"]]["sequence"]

    # Events
    def set_request(self, request_id: str | None, idempotency_key: str | None) -> None:
        self._request.value = {"id": request_id, "idempotency_key": idempotency_key}

    def record_event(
        self,
        type: str,
        obj: Mapping[str, Any],
        *,
        account: str | None = None,
        previous: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"object": copy.deepcopy(dict(obj))}
        if previous:
            data["previous_attributes"] = dict(previous)
        event: dict[str, Any] = {
            "id": self.new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": getattr(self._request, "value", None) or {"id": None, "idempotency_key": None},
            "type": type,
        }
        if account:
            event["account"] = account
        self.put(event)
        for listener in list(self.listeners):
            listener(event)
        return event

    # Idempotency: per endpoint and key, as Stripe keeps them
    def replay(self, endpoint: str, key: str, params: Mapping[str, Any]) -> Stored | None:
        stored = self.idempotency.get((endpoint, key))
        if stored is None:
            return None
        if stored.fingerprint != fingerprint(params):
            raise StripeFailure(
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                type="idempotency_error",
            )
        return stored

    def remember(self, endpoint: str, key: str, params: Mapping[str, Any], status: int, body: bytes) -> None:
        self.idempotency[(endpoint, key)] = Stored(fingerprint(params), status, body)


def fingerprint(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _created_matches(created: int, condition: Any) -> bool:
    if condition is None:
        return True
    if isinstance(condition, int):
        return created == condition
    checks = {
        "gt": lambda v: created > v,
        "gte": lambda v: created >= v,
        "lt": lambda v: created < v,
        "lte": lambda v: created <= v,
    }
    return all(checks[op](value) for op, value in condition.items())


def minor_fee(amount: int) -> int:
    """Stripe's standard card pricing as the fake charges it: 2.9 % (rounded half up) + 30 minor units."""
    return (amount * 29 + 500) // 1000 + 30
