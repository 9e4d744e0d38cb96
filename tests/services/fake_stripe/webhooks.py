"""Signed webhook deliveries, handed to a test client as (payload, Stripe-Signature) or POSTed to a server."""

from __future__ import annotations

import json
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stripe

WEBHOOK_SECRET = "whsec_test_fake"


def sign(event: Mapping[str, Any], secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
    """The body Stripe would POST and its `Stripe-Signature` header."""
    payload = json.dumps(event, indent=2)  # Stripe sends pretty-printed JSON
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return payload.encode(), header


@dataclass(frozen=True)
class Delivery:
    event_id: str
    type: str
    url: str
    status: int  # 0 when the endpoint could not be reached
    body: str


class Deliverer:
    """POSTs each recorded event to `url` from one background thread, in order, and keeps the answers.

    Delivery happens off the request thread: the application may be waiting on the fake when the event is
    recorded, and a single-threaded live server could not take the webhook until that call returns."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.url: str | None = None
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[tuple[dict[str, Any], str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def enqueue(self, event: dict[str, Any]) -> None:
        if self.url is None:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fake-stripe-webhooks", daemon=True)
            self._thread.start()
        self._queue.put((event, self.url))

    def flush(self) -> list[Delivery]:
        """Wait until every queued event was delivered, then the deliveries so far."""
        self._queue.join()
        return list(self.deliveries)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                event, url = item
                self.deliveries.append(self._post(event, url))
            finally:
                self._queue.task_done()

    def _post(self, event: dict[str, Any], url: str) -> Delivery:
        payload, header = sign(event, self.secret)
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Delivery(event["id"], event["type"], url, response.status, response.read().decode())
        except urllib.error.HTTPError as exc:
            with exc:
                return Delivery(
                    event["id"], event["type"], url, exc.code, exc.read().decode(errors="replace")
                )
        except OSError as exc:
            return Delivery(event["id"], event["type"], url, 0, str(exc))
