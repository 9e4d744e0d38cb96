"""The fake answers as Stripe does where the SDK can tell: parameters checked against the SDK's own types,
idempotent replays, Stripe's error shapes and list pagination."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from tests.services.fake_stripe import FakeStripe

LINE: dict[str, Any] = {
    "quantity": 1,
    "price_data": {"currency": "eur", "unit_amount": 500, "product_data": {"name": "EP"}},
}


def _session(client: stripe.StripeClient, key: str, **extra: object) -> stripe.checkout.Session:
    params = {"mode": "payment", "line_items": [LINE], "success_url": "http://shop.test/ok", **extra}
    return client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})  # type: ignore[arg-type]


def test_unknown_and_missing_parameters_are_refused_as_stripe_does(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "sucess_url": ({"sucess_url": "http://shop.test/ok"}, "Received unknown parameter: sucess_url"),
        "line_items[0][price_data][product_data][colour]": (
            {
                "line_items": [
                    {
                        **LINE,
                        "price_data": {**LINE["price_data"], "product_data": {"name": "EP", "colour": "red"}},
                    }
                ]
            },
            "Received unknown parameter: line_items[0][price_data][product_data][colour]",
        ),
        "line_items[0][price_data][currency]": (
            {
                "line_items": [
                    {"quantity": 1, "price_data": {"unit_amount": 5, "product_data": {"name": "EP"}}}
                ]
            },
            "Missing required param: line_items[0][price_data][currency].",
        ),
        "mode": ({"mode": "subscription"}, "mode=payment only"),
        "allow_promotion_codes": ({"allow_promotion_codes": "maybe"}, "Invalid boolean: maybe"),
        "expires_at": ({"expires_at": "soon"}, "Invalid integer: soon"),
    }
    for param, (extra, message) in cases.items():
        with pytest.raises(stripe.InvalidRequestError) as refused:
            _session(client, f"key-{param}", **extra)
        assert refused.value.http_status == 400
        assert refused.value.param == param
        assert message in str(refused.value.user_message)
        assert refused.value.error is not None and refused.value.error.type == "invalid_request_error"

    with pytest.raises(stripe.InvalidRequestError, match="Missing required param: destination"):
        client.v1.transfers.create(params={"currency": "usd", "amount": 100})  # type: ignore[typeddict-item]
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: use_case\\[colour\\]"):
        client.v2.core.account_links.create(
            params={"account": "acct_1", "use_case": {"type": "account_onboarding", "colour": "red"}}  # type: ignore[typeddict-unknown-key]
        )
    assert fake_stripe.objects("checkout.session") == []


def test_an_idempotency_key_replays_its_first_answer_and_refuses_other_params(
    fake_stripe: FakeStripe,
) -> None:
    client = fake_stripe.client()
    first = _session(client, "order-7")
    again = _session(client, "order-7")
    with pytest.raises(stripe.IdempotencyError) as conflict:
        _session(client, "order-7", customer_email="fan@example.com")
    # Keys are per endpoint: the same key on another endpoint is a request of its own.
    with pytest.raises(stripe.InvalidRequestError, match="No such charge"):
        client.v1.refunds.create(params={"charge": "ch_missing"}, options={"idempotency_key": "order-7"})

    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert conflict.value.http_status == 400
    assert len(fake_stripe.objects("checkout.session")) == 1


def test_unknown_ids_unknown_urls_and_bad_keys(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.charges.retrieve("ch_nothing")
    with pytest.raises(stripe.InvalidRequestError, match="Unrecognized request URL"):
        client.raw_request("get", "/v1/customers")
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_test_wrong", base_addresses={"api": fake_stripe.url}).v1.balance.retrieve()

    assert (missing.value.http_status, missing.value.code, missing.value.param) == (
        404,
        "resource_missing",
        "id",
    )
    assert "No such charge: 'ch_nothing'" in str(missing.value.user_message)


def test_lists_page_with_cursors_and_created_filters(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    made = []
    for minute in range(5):
        fake_stripe.freeze(1_767_225_600 + minute * 60)
        made.append(_session(client, f"k{minute}").id)
    newest_first = list(reversed(made))

    page = client.v1.checkout.sessions.list(params={"limit": 2})
    after = client.v1.checkout.sessions.list(params={"limit": 2, "starting_after": page.data[-1].id})
    before = client.v1.checkout.sessions.list(params={"limit": 2, "ending_before": after.data[0].id})
    ranged = client.v1.checkout.sessions.list(params={"created": {"gte": 1_767_225_660, "lt": 1_767_225_780}})

    assert ([s.id for s in page.data], page.has_more) == (newest_first[:2], True)
    assert ([s.id for s in after.data], after.has_more) == (newest_first[2:4], True)
    assert [s.id for s in before.data] == newest_first[:2]
    assert [s.id for s in ranged.data] == [made[2], made[1]]
    assert [
        s.id for s in client.v1.checkout.sessions.list(params={"limit": 2}).auto_paging_iter()
    ] == newest_first
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.list(params={"limit": 0})


def test_events_list_by_type_and_test_actions_work_over_http(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    session_id = _session(client, "k1").id
    expired_id = _session(client, "k2").id
    with requests.Session() as http:
        completed = http.post(
            f"{fake_stripe.url}/_test/checkout/sessions/{session_id}/complete", json={}, timeout=10
        )
        http.post(f"{fake_stripe.url}/_test/checkout/sessions/{expired_id}/expire", timeout=10)
        refused = http.post(f"{fake_stripe.url}/_test/checkout/sessions/{expired_id}/complete", timeout=10)
        closed_page = http.get(f"{fake_stripe.url}/c/pay/{expired_id}", timeout=10)

    assert completed.status_code == 200 and completed.json()["payment_status"] == "paid"
    assert refused.status_code == 400 and "expired" in refused.json()["error"]["message"]
    assert "expired" in closed_page.text
    sessions = client.v1.events.list(params={"type": "checkout.session.*"})
    assert [e.type for e in sessions.data] == ["checkout.session.expired", "checkout.session.completed"]
    assert client.v1.events.retrieve(sessions.data[1].id).data.object.id == session_id
    assert client.v1.events.list(params={"types": ["charge.refunded"]}).data == []
