"""The demo fan's purchase is made in the sandbox and fulfilled like any other, once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.cli.demo import FAN
from storefront.cli.demo_purchase import seed_purchase
from storefront.orders.models import Order, OrderStatus
from storefront.releases.models import Release
from tests.factories.accounts import make_user
from tests.functional.payments.selling import entitlements, ledger, on_sale, seller
from tests.helpers import WebClient, fresh, mail_to, text_of


def test_the_demo_fan_buys_one_release_in_the_sandbox_once(app, db, platform):
    fan = make_user(db, platform, email="fan@example.com")
    free = on_sale(db, seller(db, platform), title="Free One", price=0)
    priced = on_sale(db, seller(db, platform), title="Kitchen Table Songs", price=900)

    assert seed_purchase(platform, "fan@example.com")
    [order] = fresh(db).scalars(select(Order)).all()
    assert (order.status, order.buyer_id, order.gateway) == (OrderStatus.PAID, fan.id, "sandbox")
    assert order.charge_id.startswith("ch_sandbox_")
    assert [r.release_id for r in entitlements(db, fan)] == [priced.id] != [free.id]
    assert sum(r.amount_minor for r in ledger(db, order)) == order.lines[0].payee_amount_minor
    assert [m.kind for m in mail_to(app, fan.email)] == ["receipt"]

    assert not seed_purchase(platform, "fan@example.com")
    assert not seed_purchase(platform, "nobody@example.com")
    assert len(fresh(db).scalars(select(Order)).all()) == 1


@pytest.mark.slow
def test_the_demo_command_leaves_the_demo_fan_a_release_to_download(make_app):
    app = make_app(demo_track_seconds=1.0)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "fan@example.com bought a demo release in the payment sandbox (no money moved)." in result.output
    assert "demo artists have sandbox payout accounts, so their releases are on sale." in result.output
    web = WebClient(app)
    web.login(FAN.email, FAN.password)
    collection = text_of(web.get("/collection"))
    assert "Download" in collection
    # Every demo release can be bought: its artist's payout account receives transfers.
    session = app.extensions["storefront"].database.session()
    releases = session.scalars(select(Release)).all()
    pages = [f"/artists/{r.artist.slug}/album/{r.slug}" for r in releases]
    session.close()
    assert len(pages) == 3
    for page in pages:
        html = web.get(page).get_data(as_text=True)
        assert "/cart/add" in html or "In your collection" in html, page
    again = app.test_cli_runner().invoke(args=["demo"])
    assert "bought a demo release" not in again.output
