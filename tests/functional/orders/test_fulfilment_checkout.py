"""The whole way through the sandbox: a fan buys from two artists in one checkout, pays on the sandbox's
page, and finds both in the collection; each artist's share goes to its own (sandbox) account."""

from __future__ import annotations

from sqlalchemy import select

from storefront.accounts.payees.models import PayeeAccount
from storefront.db import commit
from storefront.orders.models import Order, OrderStatus
from tests.functional.orders.test_checkout_support import add, fan, pay
from tests.functional.payments.selling import on_sale, press, seller
from tests.helpers import fresh, text_of


def _connected(db, platform, artist):
    gateway = platform.payments
    account = gateway.create_payee(
        display_name=artist.name,
        email=f"{artist.slug}@example.com",
        country="US",
        idempotency_key=artist.slug,
    )
    gateway.enable_transfers(account)
    db.add(
        PayeeAccount(
            artist_id=artist.id, gateway="sandbox", provider_account_id=account, transfers_enabled=True
        )
    )
    commit(db)
    return account


def test_a_fan_buys_from_two_artists_in_one_sandbox_checkout(app, db, platform):
    mara, orchard = seller(db, platform, "Mara Lind"), seller(db, platform, "Static Orchard")
    accounts = {mara.id: _connected(db, platform, mara), orchard.id: _connected(db, platform, orchard)}
    album = on_sale(db, mara, title="Kitchen Table Songs", price=900)
    single = on_sale(db, orchard, title="Tape Loops", price=500)
    _, web = fan(app, db, platform)
    assert add(web, album).status_code == 303 and add(web, single).status_code == 303

    started = pay(web, "USD")
    assert started.status_code in (302, 303), text_of(started)[:500]
    page = started.headers["Location"].removeprefix("http://localhost")
    assert page.startswith("/sandbox/checkout/cs_sandbox_")
    session_id = page.rsplit("/", 1)[-1]
    paid = press(web, session_id, "pay", "succeeds")
    assert "/thanks?session_id=" + session_id in paid.headers["Location"]

    [order] = fresh(db).scalars(select(Order)).all()
    assert order.status == OrderStatus.PAID
    collection = text_of(web.get("/collection"))
    assert "Kitchen Table Songs" in collection and "Tape Loops" in collection
    transfers = {t.destination: t for t in platform.payments.list_transfers(created_from=0, created_to=2**31)}
    for line in order.lines:
        sent = transfers[accounts[line.artist_id]]
        assert (sent.amount_minor, sent.source_transaction) == (line.payee_amount_minor, order.charge_id)
