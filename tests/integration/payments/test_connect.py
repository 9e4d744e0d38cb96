"""Artists' connected accounts and the money sent to them: onboarding, transfers from a charge, reversals."""

from __future__ import annotations

import pytest
import requests

from storefront.payments.interfaces import GatewayError
from storefront.payments.stripe import StripeGateway
from tests.services.fake_stripe import FakeStripe


def _payee(gateway: StripeGateway, key: str = "payee-1") -> str:
    return gateway.create_payee(
        display_name="Lumen", email="lumen@example.com", country="US", idempotency_key=key
    )


def _transfer(gateway: StripeGateway, destination: str, charge: str | None, amount: int, key: str) -> str:
    record = gateway.create_transfer(
        amount_minor=amount,
        currency="USD",
        destination=destination,
        source_transaction=charge,
        transfer_group="order-1",
        metadata={"order": "V-00001"},
        idempotency_key=key,
    )
    return record.transfer_id


def test_a_payee_onboards_and_then_can_receive_transfers(
    fake_stripe: FakeStripe, gateway: StripeGateway
) -> None:
    account_id = _payee(gateway)
    assert _payee(gateway) == account_id  # the same key makes one account

    created = fake_stripe.get(account_id)
    assert created["object"] == "v2.core.account" and account_id.startswith("acct_")
    assert (created["dashboard"], created["contact_email"], created["identity"]["country"]) == (
        "express",
        "lumen@example.com",
        "us",
    )
    before = gateway.fetch_payee(account_id)
    assert not before.transfers_enabled
    assert "identity.individual.date_of_birth" in before.details_needed

    link = gateway.payee_onboarding_link(
        account_id, return_url="http://shop.test/payouts/done", refresh_url="http://shop.test/payouts/again"
    )
    with requests.Session() as browser:
        finished = browser.post(link, allow_redirects=False, timeout=10)

    assert finished.headers["Location"] == "http://shop.test/payouts/done"
    after = gateway.fetch_payee(account_id)
    assert after.transfers_enabled and after.details_needed == ()
    updated = fake_stripe.last_event("account.updated")
    assert updated["account"] == account_id
    assert updated["data"]["object"]["capabilities"] == {"transfers": "active"}


def test_transfers_from_a_charge_cannot_exceed_it(
    fake_stripe: FakeStripe, gateway: StripeGateway, paid_charge: str
) -> None:
    account_id = _payee(gateway)
    fake_stripe.set_transfers_capability(account_id, "active")

    first = _transfer(gateway, account_id, paid_charge, 700, "transfer-1")
    assert _transfer(gateway, account_id, paid_charge, 700, "transfer-1") == first
    with pytest.raises(GatewayError, match="amount_too_large") as over:
        _transfer(gateway, account_id, paid_charge, 301, "transfer-2")
    second = _transfer(gateway, account_id, paid_charge, 300, "transfer-3")

    assert over.value.retryable is False
    sent = fake_stripe.get(first)
    assert (sent["source_transaction"], sent["destination"], sent["transfer_group"]) == (
        paid_charge,
        account_id,
        "order-1",
    )
    assert sent["metadata"] == {"order": "V-00001"}
    assert [t["id"] for t in fake_stripe.objects("transfer")] == [first, second]


def test_an_account_without_the_transfers_capability_is_refused(
    fake_stripe: FakeStripe, gateway: StripeGateway, paid_charge: str
) -> None:
    account_id = _payee(gateway)
    fake_stripe.set_transfers_capability(account_id, "active")
    fake_stripe.set_transfers_capability(account_id, "restricted")

    with pytest.raises(GatewayError, match="capabilities") as refused:
        _transfer(gateway, account_id, paid_charge, 100, "transfer-1")

    assert refused.value.retryable is False
    assert fake_stripe.objects("transfer") == []
    assert not gateway.fetch_payee(account_id).transfers_enabled


def test_a_transfer_is_reversed_in_parts_never_beyond_it(
    fake_stripe: FakeStripe, gateway: StripeGateway, paid_charge: str
) -> None:
    account_id = _payee(gateway)
    fake_stripe.set_transfers_capability(account_id, "active")
    transfer_id = _transfer(gateway, account_id, paid_charge, 800, "transfer-1")

    first = gateway.reverse_transfer(transfer_id, 300, idempotency_key="reverse-1", metadata={"refund": "r1"})
    assert (
        gateway.reverse_transfer(transfer_id, 300, idempotency_key="reverse-1", metadata={"refund": "r1"})
        == first
    )
    with pytest.raises(GatewayError, match="amount_too_large"):
        gateway.reverse_transfer(transfer_id, 501, idempotency_key="reverse-2", metadata={})
    gateway.reverse_transfer(transfer_id, 500, idempotency_key="reverse-3", metadata={})

    assert first.startswith("trr_")
    transfer = fake_stripe.get(transfer_id)
    assert (transfer["amount_reversed"], transfer["reversed"]) == (800, True)
    assert len(fake_stripe.events("transfer.reversed")) == 2
    # What was reversed may be sent again from the same charge.
    assert _transfer(gateway, account_id, paid_charge, 1000, "transfer-2").startswith("tr_")


def test_listing_transfers_reads_every_page(
    fake_stripe: FakeStripe, gateway: StripeGateway, paid_charge: str
) -> None:
    account_id = _payee(gateway)
    fake_stripe.set_transfers_capability(account_id, "active")
    start = 1_767_225_600
    made = []
    for minute in range(5):
        fake_stripe.freeze(start + minute * 60)
        made.append(_transfer(gateway, account_id, paid_charge, 100, f"transfer-{minute}"))
    fake_stripe.freeze(start + 3600)
    _transfer(gateway, account_id, paid_charge, 100, "transfer-late")
    gateway.page_size = 2

    found = list(gateway.list_transfers(created_from=start, created_to=start + 3600))

    assert [t.transfer_id for t in found] == list(reversed(made))
    assert {(t.amount_minor, t.currency, t.destination, t.source_transaction) for t in found} == {
        (100, "USD", account_id, paid_charge)
    }
    assert found[0].metadata == {"order": "V-00001"}
    assert len(fake_stripe.requests("GET", "/v1/transfers")) == 3
