"""A stateful fake of the Stripe API on 127.0.0.1 that the real `stripe` SDK talks to over HTTP.

`FakeStripe` is the handle tests hold: its URL for the SDK, the actions Stripe's side would take (a fan pays,
a dispute opens, an account finishes onboarding), the events those record and their signed webhook deliveries.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import stripe

from .connect import Connect
from .pages import Pages
from .params import ParamError, check, decode_form
from .payments import Payments
from .routes import build_routes, match
from .state import Store, StripeFailure
from .webhooks import WEBHOOK_SECRET, Deliverer, Delivery, sign

if TYPE_CHECKING:
    from storefront.payments.stripe import StripeGateway

SECRET_KEY = "sk_test_fake"


class FakeStripe:
    secret_key = SECRET_KEY
    webhook_secret = WEBHOOK_SECRET

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = Store()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self.payments = Payments(self.store, self.url)
        self.connect = Connect(self.store, self.url)
        self.pages = Pages(self.store, self.payments, self.connect)
        self.routes = build_routes(self.store, self.payments, self.connect)
        self.webhooks = Deliverer(self.webhook_secret)
        self.store.listeners.append(self.webhooks.enqueue)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-stripe", daemon=True)

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def close(self) -> None:
        self.webhooks.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def reset(self) -> None:
        """Forget everything: objects, events, idempotency keys, the frozen clock and the webhook URL."""
        self.webhooks.flush()
        self.webhooks.url = None
        self.webhooks.deliveries.clear()
        self.store.reset()

    # Clients pointed at the fake
    def client(self, **options: Any) -> stripe.StripeClient:
        return stripe.StripeClient(
            self.secret_key, base_addresses={"api": self.url}, max_network_retries=0, **options
        )

    def gateway(self) -> StripeGateway:
        from storefront.payments.stripe import StripeGateway

        return StripeGateway(self.secret_key, webhook_secret=self.webhook_secret, api_base=self.url)

    # The clock objects are stamped with
    def freeze(self, at: int) -> None:
        self.store.frozen_at = at

    def advance(self, seconds: int) -> None:
        if self.store.frozen_at is None:
            raise RuntimeError("freeze the clock before advancing it")
        self.store.frozen_at += seconds

    def unfreeze(self) -> None:
        self.store.frozen_at = None

    # Reading state
    def get(self, object_id: str) -> dict[str, Any]:
        with self.store.lock:
            return copy.deepcopy(self.store.objects[object_id])

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every object of a kind ("transfer", "refund", "checkout.session", …), oldest first."""
        with self.store.lock:
            found = sorted(self.store.of_kind(kind), key=lambda o: self.store.private[o["id"]]["sequence"])
            return copy.deepcopy(found)

    def requests(self, method: str | None = None, path: str | None = None) -> list[tuple[str, str, str]]:
        """The API calls received, oldest first, as (method, path, query string)."""
        with self.store.lock:
            return [r for r in self.store.requests if method in (None, r[0]) and path in (None, r[1])]

    # What Stripe's side does
    def complete_checkout(
        self, session_id: str, *, email: str = "fan@example.com", pending: bool = False
    ) -> dict[str, Any]:
        """The fan pays: at once, or with `pending` by a delayed method (status complete, payment unpaid)."""
        return self._act(lambda: self.payments.complete_session(session_id, email=email, pending=pending))

    def settle_async_payment(self, session_id: str, *, succeeded: bool = True) -> dict[str, Any]:
        return self._act(lambda: self.payments.settle_pending(session_id, succeeded=succeeded))

    def expire_checkout(self, session_id: str) -> dict[str, Any]:
        return self._act(lambda: self.payments.expire_session(session_id))

    def open_dispute(
        self, charge_id: str, *, reason: str = "fraudulent", amount: int | None = None
    ) -> dict[str, Any]:
        return self._act(lambda: self.payments.open_dispute(charge_id, reason=reason, amount=amount))

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict[str, Any]:
        return self._act(lambda: self.payments.close_dispute(dispute_id, won=won))

    def set_transfers_capability(self, account_id: str, status: str = "active") -> dict[str, Any]:
        """Status "active" lets the account receive transfers; any other stops that (account.updated)."""
        return self._act(lambda: self.connect.set_transfers_capability(account_id, status))

    def pay_out(self, account_id: str | None, amount: int, currency: str = "usd") -> dict[str, Any]:
        return self._act(lambda: self.connect.pay_out(account_id, amount, currency))

    def fail_next(
        self, path_prefix: str, *, status: int = 500, times: int = 1, should_retry: bool = False
    ) -> None:
        """The next `times` API calls under `path_prefix` answer `status` (an api_error) and do nothing."""
        with self.store.lock:
            self.store.failures.extend([(path_prefix, status, should_retry)] * times)

    def _act(self, action: Any) -> dict[str, Any]:
        with self.store.lock:
            self.store.set_request(None, None)
            return copy.deepcopy(action())

    # Events and webhooks
    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Recorded events, oldest first, optionally of one type."""
        return [e for e in self.objects("event") if type is None or e["type"] == type]

    def last_event(self, type: str) -> dict[str, Any]:
        found = self.events(type)
        if not found:
            raise LookupError(f"no {type} event was recorded")
        return found[-1]

    def signed(
        self, event: Mapping[str, Any] | str, *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, str]:
        """`(payload, Stripe-Signature header)` for an event (or its id), as Stripe would deliver it."""
        if isinstance(event, str):
            event = self.get(event)
        return sign(event, secret or self.webhook_secret, timestamp)

    def deliver_to(self, url: str | None) -> None:
        """POST each event recorded from now on to `url`, from a background thread; see `flush_deliveries`."""
        self.webhooks.url = url

    def flush_deliveries(self) -> list[Delivery]:
        return self.webhooks.flush()


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-stripe/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest shows failures, not every request

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    @property
    def fake(self) -> FakeStripe:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake, store = self.fake, self.fake.store
        try:
            if parts.path.startswith("/_test/"):
                try:
                    answer = self._test_action(method, parts.path, json.loads(raw or b"{}"))
                except (TypeError, KeyError, ValueError) as exc:
                    raise StripeFailure(f"Bad test action: {exc}") from exc
                self._json(200, answer)
                return
            if not parts.path.startswith(("/v1/", "/v2/")):
                form = dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
                with store.lock:
                    page = fake.pages.handle(method, parts.path, form)
                if page is not None:
                    status, headers, body = page
                    self._send(status, body, {"Content-Type": "text/html; charset=utf-8", **headers})
                    return
            self._api(method, parts.path, parts.query, raw)
        except StripeFailure as exc:
            self._json(exc.status, exc.body)
        except Exception as exc:
            # A fault in the fake itself: said plainly, and not worth the SDK retrying.
            fault = {"error": {"type": "api_error", "message": f"fake Stripe failed: {exc!r}"}}
            self._json(500, fault, {"Stripe-Should-Retry": "false"})

    def _api(self, method: str, path: str, query: str, raw: bytes) -> None:
        store = self.fake.store
        if self.headers.get("Authorization") != f"Bearer {self.fake.secret_key}":
            message = (
                "Invalid API Key provided."
                if self.headers.get("Authorization")
                else "You did not provide an API key."
            )
            self._json(401, {"error": {"type": "invalid_request_error", "message": message}})
            return
        with store.lock:
            store.requests.append((method, path, query))
            failure = next((f for f in store.failures if path.startswith(f[0])), None)
            if failure is not None:
                store.failures.remove(failure)
        if failure is not None:
            headers = {"Stripe-Should-Retry": "true" if failure[2] else "false"}
            told = "The fake Stripe was told to fail this request."
            self._json(failure[1], {"error": {"type": "api_error", "message": told}}, headers)
            return
        found = match(self.fake.routes, method, path)
        if found is None:
            message = f"Unrecognized request URL ({method}: {path})."
            self._json(404, {"error": {"type": "invalid_request_error", "message": message}})
            return
        route, ids = found
        try:
            if method == "POST" and route.v2:
                sent = json.loads(raw or b"{}")
            else:
                sent = decode_form(
                    parse_qsl(raw.decode() if method == "POST" else query, keep_blank_values=True)
                )
            params = check(sent, route.params, form=not (method == "POST" and route.v2))
        except (ParamError, json.JSONDecodeError) as exc:
            param = exc.param if isinstance(exc, ParamError) else None
            message = exc.message if isinstance(exc, ParamError) else f"Invalid JSON body: {exc}"
            error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
            if param:
                error["param"] = param
            self._json(400, {"error": error})
            return
        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        endpoint = f"{method} {path}"
        request_id = store.new_id("req_", 14)
        with store.lock:
            try:
                stored = store.replay(endpoint, key, params) if key else None
            except StripeFailure as exc:
                self._json(exc.status, exc.body, {"Request-Id": request_id})
                return
            if stored is not None:
                headers = {
                    "Idempotent-Replayed": "true",
                    "Idempotency-Key": key or "",
                    "Request-Id": request_id,
                }
                self._send(stored.status, stored.body, {"Content-Type": "application/json", **headers})
                return
            store.set_request(request_id, key)
            try:
                result = route.handler(ids, params)
                status = 200
                expand = params.get("expand", []) if result.get("object") != "list" else []
                payload = json.dumps(store.view(result, expand)).encode()
            except StripeFailure as exc:
                status, payload = exc.status, json.dumps(exc.body).encode()
            finally:
                store.set_request(None, None)
            if key:
                store.remember(endpoint, key, params, status, payload)
        headers = {"Content-Type": "application/json", "Request-Id": request_id}
        if key:
            headers["Idempotency-Key"] = key
        self._send(status, payload, headers)

    def _test_action(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """HTTP mirrors of FakeStripe's actions, for a browser test or another process."""
        fake = self.fake
        segments = path.strip("/").split("/")[1:]
        if method != "POST":
            raise StripeFailure("Test actions are POST requests.", status=405)
        match segments:
            case ["checkout", "sessions", session_id, "complete"]:
                return fake.complete_checkout(session_id, **body)
            case ["checkout", "sessions", session_id, "async_payment"]:
                return fake.settle_async_payment(session_id, **body)
            case ["checkout", "sessions", session_id, "expire"]:
                return fake.expire_checkout(session_id)
            case ["charges", charge_id, "dispute"]:
                return fake.open_dispute(charge_id, **body)
            case ["disputes", dispute_id, "close"]:
                return fake.close_dispute(dispute_id, **body)
            case ["accounts", account_id, "transfers_capability"]:
                return fake.set_transfers_capability(account_id, **body)
            case ["payouts"]:
                return fake.pay_out(body.get("account"), body["amount"], body.get("currency", "usd"))
            case ["reset"]:
                fake.reset()
                return {"object": "reset"}
        raise StripeFailure(f"Unknown test action: {path}", status=404)

    def _json(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Stripe-Version", stripe.api_version)
        self.end_headers()
        self.wfile.write(body)
