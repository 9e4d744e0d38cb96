"""Disputes: an opened dispute freezes the order's lines and tells each payee; a won one releases them; a
lost one takes the payee's remaining share back and ends the download. Each event read back from the
gateway, so duplicates and any order of arrival end the same."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from storefront.accounts.models import Artist, User
from storefront.container import Platform
from storefront.orders.models import Dispute, Entitlement, LedgerKind, LineStatus, OrderLine
from storefront.payments.interfaces import DisputeRecord
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.functional.orders.test_refund_support import (
    RecordingGateway,
    Sale,
    ask_refund,
    deliver,
    ledger,
    mail_kinds,
    on_sale,
    paid_order,
    refund_page,
    reversals,
    run_refunds,
    use_gateway,
)
from tests.helpers import WebClient, fresh, text_of


@dataclass
class Shop:
    platform: Platform
    session: object
    gateway: RecordingGateway
    owners: tuple[User, User]
    artists: tuple[Artist, Artist]
    fan: User
    web: WebClient


@pytest.fixture
def shop(make_app):
    app = make_app(inline_jobs="manual")
    platform = app.extensions["storefront"]
    gateway = RecordingGateway()
    use_gateway(platform, gateway)
    session = platform.database.session()
    first = make_user(session, platform, email="first@example.com")
    second = make_user(session, platform, email="second@example.com")
    artists = (make_artist(session, first, name="Moth Choir"), make_artist(session, second, name="Kiln"))
    fan = make_user(session, platform, email="fan@example.com")
    web = WebClient(app)
    web.login(first.email, PASSWORD)
    yield Shop(platform, session, gateway, (first, second), artists, fan, web)
    session.close()


def _two_artist_sale(shop: Shop) -> Sale:
    a = on_sale(shop.session, shop.artists[0], "Wax")
    b = on_sale(shop.session, shop.artists[1], "Wane")
    return paid_order(shop.session, shop.gateway, shop.fan, [(a, 700), (b, 300)], fee=60)


def _dispute(shop: Shop, sale: Sale, dispute_id: str, status: str, amount: int = 1000) -> None:
    shop.gateway.disputes[dispute_id] = DisputeRecord(
        dispute_id, sale.order.charge_id or "", amount, "usd", status, "fraudulent"
    )


def _statuses(shop: Shop, sale: Sale) -> list[LineStatus]:
    fresh(shop.session)
    return [shop.session.get(OrderLine, line.id).status for line in sale.lines]


def _rights_revoked(shop: Shop, sale: Sale) -> list[str | None]:
    fresh(shop.session)
    rights = shop.session.scalars(
        select(Entitlement)
        .where(Entitlement.order_line_id.in_([line.id for line in sale.lines]))
        .order_by(Entitlement.id)
    )
    return [right.revoked_reason for right in rights]


def test_an_opened_dispute_freezes_the_lines_and_tells_each_payee_once(shop):
    sale = _two_artist_sale(shop)
    a, b = sale.lines
    _dispute(shop, sale, "dp_1", "needs_response")

    deliver(shop.platform, "charge.dispute.created", "dp_1", times=3)

    assert _statuses(shop, sale) == [LineStatus.DISPUTED, LineStatus.DISPUTED]
    assert ledger(shop.session, sale.order, LedgerKind.DISPUTE) == {
        f"dispute:dp_1:{a.id}": -700,
        f"dispute:dp_1:{b.id}": -300,
    }
    assert mail_kinds(shop.session, shop.owners[0].email) == ["dispute_opened"]
    assert mail_kinds(shop.session, shop.owners[1].email) == ["dispute_opened"]
    fresh(shop.session)
    [dispute] = shop.session.scalars(select(Dispute)).all()
    assert (dispute.provider_dispute_id, dispute.status, dispute.order_id) == (
        "dp_1",
        "needs_response",
        sale.order.id,
    )
    # Frozen: no refund while the bank decides; the fan keeps the download meanwhile.
    page = text_of(shop.web.get(refund_page(a.id)))
    assert "opened a dispute" in page and "Review the refund" not in page
    assert _rights_revoked(shop, sale) == [None, None]


def test_a_won_dispute_releases_the_money_and_the_lines(shop):
    sale = _two_artist_sale(shop)
    a, b = sale.lines
    _dispute(shop, sale, "dp_2", "needs_response")
    deliver(shop.platform, "charge.dispute.created", "dp_2")
    _dispute(shop, sale, "dp_2", "won")

    deliver(shop.platform, "charge.dispute.closed", "dp_2", times=2)

    assert _statuses(shop, sale) == [LineStatus.OPEN, LineStatus.OPEN]
    assert ledger(shop.session, sale.order, LedgerKind.DISPUTE_RELEASED) == {
        f"dispute-released:dp_2:{a.id}": 700,
        f"dispute-released:dp_2:{b.id}": 300,
    }
    assert (
        sum(ledger(shop.session, sale.order, LedgerKind.DISPUTE, LedgerKind.DISPUTE_RELEASED).values()) == 0
    )
    assert reversals(shop.session) == []
    assert mail_kinds(shop.session, shop.owners[1].email) == ["dispute_opened", "dispute_won"]
    # Refundable again.
    assert ask_refund(shop.web, a.id, "1.00").status_code == 303


def test_a_lost_dispute_takes_back_each_payees_remaining_share_and_ends_the_download(shop):
    sale = _two_artist_sale(shop)
    a, b = sale.lines
    # A part was refunded before the dispute: only the rest of the share is taken back.
    assert ask_refund(shop.web, a.id, "2.00").status_code == 303
    run_refunds(shop.platform)
    given_back = a.payee_amount_minor * 200 // 700
    _dispute(shop, sale, "dp_3", "needs_response", amount=800)
    deliver(shop.platform, "charge.dispute.created", "dp_3")
    assert ledger(shop.session, sale.order, LedgerKind.DISPUTE) == {
        f"dispute:dp_3:{a.id}": -500,
        f"dispute:dp_3:{b.id}": -300,
    }
    _dispute(shop, sale, "dp_3", "lost", amount=800)

    deliver(shop.platform, "charge.dispute.closed", "dp_3", times=2)

    assert _statuses(shop, sale) == [LineStatus.CHARGED_BACK, LineStatus.CHARGED_BACK]
    lost = [p for p in reversals(shop.session) if p["reason"] == "dispute_lost"]
    assert lost == [
        {
            "order_line_id": a.id,
            "amount_minor": a.payee_amount_minor - given_back,
            "reason": "dispute_lost",
            "cause": f"dispute-dp_3-{a.id}",
        },
        {
            "order_line_id": b.id,
            "amount_minor": b.payee_amount_minor,
            "reason": "dispute_lost",
            "cause": f"dispute-dp_3-{b.id}",
        },
    ]
    assert ledger(shop.session, sale.order, LedgerKind.DISPUTE_RELEASED) == {}
    assert _rights_revoked(shop, sale) == ["charged back after a dispute"] * 2
    assert mail_kinds(shop.session, shop.owners[0].email)[-2:] == ["dispute_opened", "dispute_lost"]
    page = text_of(shop.web.get(refund_page(a.id)))
    assert "took this payment back" in page


def test_a_closed_event_that_comes_first_ends_as_if_in_order(shop):
    sale = _two_artist_sale(shop)
    a, b = sale.lines
    _dispute(shop, sale, "dp_4", "lost")

    deliver(shop.platform, "charge.dispute.closed", "dp_4")
    deliver(shop.platform, "charge.dispute.created", "dp_4")  # late, and read back as lost

    fresh(shop.session)
    [dispute] = shop.session.scalars(select(Dispute)).all()
    assert dispute.status == "lost" and dispute.closed_at is not None
    assert _statuses(shop, sale) == [LineStatus.CHARGED_BACK, LineStatus.CHARGED_BACK]
    assert ledger(shop.session, sale.order, LedgerKind.DISPUTE) == {
        f"dispute:dp_4:{a.id}": -700,
        f"dispute:dp_4:{b.id}": -300,
    }
    assert sorted(p["cause"] for p in reversals(shop.session)) == [
        f"dispute-dp_4-{a.id}",
        f"dispute-dp_4-{b.id}",
    ]
    assert mail_kinds(shop.session, shop.owners[0].email) == ["dispute_lost"]

    # And a won one closed before it was opened: held and released, the lines never left OPEN.
    other = _two_artist_sale(shop)
    _dispute(shop, other, "dp_5", "won")
    deliver(shop.platform, "charge.dispute.closed", "dp_5")
    deliver(shop.platform, "charge.dispute.created", "dp_5")
    assert _statuses(shop, other) == [LineStatus.OPEN, LineStatus.OPEN]
    both = ledger(shop.session, other.order, LedgerKind.DISPUTE, LedgerKind.DISPUTE_RELEASED)
    assert len(both) == 4 and sum(both.values()) == 0
