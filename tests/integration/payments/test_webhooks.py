"""Webhooks: a signed delivery from the fake is read; a bad signature, stale timestamp or bad body is not."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from storefront.payments.interfaces import CheckoutRequest, InvalidWebhook
from storefront.payments.stripe import StripeGateway
from tests.services.fake_stripe import WEBHOOK_SECRET, FakeStripe


@pytest.fixture
def completed_event(
    fake_stripe: FakeStripe, gateway: StripeGateway, checkout_request: Callable[..., CheckoutRequest]
) -> dict[str, object]:
    session_id = gateway.create_checkout(checkout_request(order_reference="V-00042")).session_id
    fake_stripe.complete_checkout(session_id)
    return fake_stripe.last_event("checkout.session.completed")


def test_a_signed_delivery_is_read_into_a_gateway_event(
    fake_stripe: FakeStripe, gateway: StripeGateway, completed_event: dict[str, object]
) -> None:
    payload, signature = fake_stripe.signed(completed_event)

    event = gateway.parse_webhook(payload, signature)

    assert event.event_id == completed_event["id"] and event.event_id.startswith("evt_")
    assert event.type == "checkout.session.completed"
    assert event.object_id.startswith("cs_test_")
    assert event.data["client_reference_id"] == "V-00042"
    assert isinstance(event.data["metadata"], dict)
    assert event.created == completed_event["created"]
    assert event.account is None


def test_a_connect_event_names_its_account(fake_stripe: FakeStripe, gateway: StripeGateway) -> None:
    account_id = gateway.create_payee(
        display_name="Lumen", email="l@example.com", country="GB", idempotency_key="p"
    )
    payout = fake_stripe.pay_out(account_id, 2500, "gbp")

    event = gateway.parse_webhook(*fake_stripe.signed(fake_stripe.last_event("payout.paid")))

    assert (event.type, event.object_id, event.account) == ("payout.paid", payout["id"], account_id)


def test_a_wrong_signature_a_stale_timestamp_or_a_bad_body_is_refused(
    fake_stripe: FakeStripe, gateway: StripeGateway, completed_event: dict[str, object]
) -> None:
    payload, signature = fake_stripe.signed(completed_event)
    _, forged = fake_stripe.signed(completed_event, secret="whsec_someone_else")
    stale_payload, stale = fake_stripe.signed(completed_event, timestamp=int(time.time()) - 301)
    fresh_payload, fresh = fake_stripe.signed(completed_event, timestamp=int(time.time()) - 240)
    tampered = payload.replace(b"V-00042", b"V-00043")
    not_json, array = b"not json", b"[]"

    refused = {
        "forged": (payload, forged),
        "stale": (stale_payload, stale),
        "tampered": (tampered, signature),
        "no header": (payload, ""),
        "garbled header": (payload, "t=abc,v1=0"),
        "not json": (not_json, stripe.WebhookSignature.generate_signature_header("not json", WEBHOOK_SECRET)),
        "not an object": (array, stripe.WebhookSignature.generate_signature_header("[]", WEBHOOK_SECRET)),
    }
    for name, (body, header) in refused.items():
        with pytest.raises(InvalidWebhook):
            gateway.parse_webhook(body, header)
            pytest.fail(f"{name} was accepted")
    assert gateway.parse_webhook(fresh_payload, fresh).event_id == completed_event["id"]


def test_a_signed_body_that_is_not_an_event_is_refused(
    fake_stripe: FakeStripe, gateway: StripeGateway
) -> None:
    for body in (
        {"object": "event", "type": "x", "data": {}},
        {"object": "event", "data": {"object": {"id": 1}}},
    ):
        with pytest.raises(InvalidWebhook):
            gateway.parse_webhook(*fake_stripe.signed(body))


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers["Stripe-Signature"]))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    received: list[tuple[bytes, str]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_events_are_posted_to_a_configured_endpoint(
    fake_stripe: FakeStripe,
    gateway: StripeGateway,
    checkout_request: Callable[..., CheckoutRequest],
    receiver: tuple[str, list[tuple[bytes, str]]],
) -> None:
    url, received = receiver
    fake_stripe.deliver_to(url)
    session_id = gateway.create_checkout(checkout_request()).session_id
    fake_stripe.complete_checkout(session_id)
    fake_stripe.deliver_to(None)

    deliveries = fake_stripe.flush_deliveries()

    assert [(d.type, d.status, d.url) for d in deliveries] == [("checkout.session.completed", 200, url)]
    ((body, signature),) = received
    assert gateway.parse_webhook(body, signature).object_id == session_id
    assert json.loads(body)["id"] == deliveries[0].event_id
