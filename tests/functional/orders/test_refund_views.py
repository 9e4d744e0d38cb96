"""Who may see and refund a sale: the payee's owners and admins refund; its other members only look; nobody
else learns the sale exists. A form sent twice refunds once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.accounts.models import ArtistMember, MemberRole, RosterLink, User
from storefront.db import commit, utcnow
from storefront.orders.models import LineRefund, OrderStatus
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.functional.orders.test_refund_support import (
    RecordingGateway,
    ask_refund,
    on_sale,
    paid_order,
    refund_page,
    use_gateway,
)
from tests.helpers import WebClient, fresh, text_of


@pytest.fixture
def sale(app, db, platform):
    gateway = RecordingGateway()
    use_gateway(platform, gateway)
    owner = make_user(db, platform, email="owner@example.com")
    artist = make_artist(db, owner, name="Pale Orchard")
    fan = make_user(db, platform, email="fan@example.com")
    return paid_order(db, gateway, fan, [(on_sale(db, artist, "Harbour"), 900)], fee=30)


def _as(app, db, platform, email: str, *, admin: bool = False) -> WebClient:
    user = make_user(db, platform, email=email, admin=admin)
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _owner(app) -> WebClient:
    web = WebClient(app)
    web.login("owner@example.com", PASSWORD)
    return web


def _refunds(db) -> list[LineRefund]:
    fresh(db)
    return list(db.scalars(select(LineRefund)))


def test_the_owner_sees_the_split_and_refunds_after_confirming(app, db, sale):
    web = _owner(app)
    line = sale.lines[0]
    page = text_of(web.get(refund_page(line.id)))
    assert "Harbour" in page and "9.00 USD" in page and "0.30 USD" in page and "8.70 USD" in page

    review = web.submit(refund_page(line.id), {"amount": "9", "reason": "Wrong master", "version": "0"})
    assert review.status_code == 200 and "Refund 9.00 USD?" in text_of(review)
    assert _refunds(db) == []  # nothing until confirmed

    done = ask_refund(web, line.id, "9.00", "Wrong master")
    assert done.status_code == 303 and done.location.endswith(refund_page(line.id))
    [refund] = _refunds(db)
    assert (refund.amount_minor, refund.reason) == (900, "Wrong master")
    assert "on its way to the fan" in text_of(web.get(refund_page(line.id)))


def test_a_form_sent_twice_refunds_once(app, db, sale):
    web = _owner(app)
    line = sale.lines[0]
    version = re.search(r'name="version"[^>]*value="(\d+)"', text_of(web.get(refund_page(line.id))))
    assert version
    fields = {"amount": "2.00", "reason": "Scratchy", "version": version.group(1), "confirm": "yes"}
    token = web.token(refund_page(line.id))
    first = web.post(refund_page(line.id), {"csrf_token": token, **fields})
    again = web.post(refund_page(line.id), {"csrf_token": token, **fields})
    assert first.status_code == 303
    assert again.status_code == 409 and "changed since the page was opened" in text_of(again)
    assert [r.amount_minor for r in _refunds(db)] == [200]


def test_strangers_and_other_artists_never_see_the_sale(app, db, platform, sale):
    line = sale.lines[0]
    anonymous = WebClient(app).get(refund_page(line.id))
    assert anonymous.status_code == 302 and "/login" in anonymous.location

    stranger = _as(app, db, platform, "stranger@example.com")
    rival = _as(app, db, platform, "rival@example.com")
    make_artist(db, _user(db, "rival@example.com"), name="Rival Band")
    for web in (stranger, rival):
        assert web.get(refund_page(line.id)).status_code == 404
        # With a valid form token from a page of their own: still nothing.
        token = web.token("/")
        fields = {"csrf_token": token, "amount": "1", "reason": "x", "version": "0", "confirm": "yes"}
        assert web.post(refund_page(line.id), fields).status_code == 404
    assert rival.get(refund_page(999_999)).status_code == 404
    assert _refunds(db) == []


def _user(db, email: str) -> User:
    found = db.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def test_a_member_who_is_not_an_owner_looks_but_cannot_refund(app, db, platform, sale):
    line = sale.lines[0]
    member = make_user(db, platform, email="member@example.com")
    db.add(ArtistMember(artist_id=line.payee_artist_id, user_id=member.id, role=MemberRole.MEMBER))
    commit(db)
    web = WebClient(app)
    web.login(member.email, PASSWORD)

    page = web.get(refund_page(line.id))
    assert page.status_code == 200 and "Only an owner" in text_of(page)
    posted = web.submit(
        refund_page(line.id), {"amount": "1", "reason": "Because", "version": "0", "confirm": "yes"}
    )
    assert posted.status_code == 403
    assert _refunds(db) == []


def test_an_admin_refunds_any_sale(app, db, platform, sale):
    admin = _as(app, db, platform, "admin@example.com", admin=True)
    assert ask_refund(admin, sale.lines[0].id, "1.50", "Asked by the fan").status_code == 303
    [refund] = _refunds(db)
    assert refund.requested_by_id == _user(db, "admin@example.com").id


def test_a_label_that_collects_refunds_its_sales_and_the_artist_does_not(app, db, platform):
    gateway = RecordingGateway()
    use_gateway(platform, gateway)
    artist_owner = make_user(db, platform, email="artist@example.com")
    label_owner = make_user(db, platform, email="label@example.com")
    artist = make_artist(db, artist_owner, name="Fern")
    label = make_label(db, label_owner, name="Moss Records")
    db.add(
        RosterLink(
            label=label,
            artist=artist,
            label_consent_at=utcnow(),
            artist_consent_at=utcnow(),
            label_collects=True,
        )
    )
    commit(db)
    release = on_sale(db, artist, "Undergrowth", label=label)
    fan = make_user(db, platform, email="fan2@example.com")
    sale = paid_order(db, gateway, fan, [(release, 500)], payee_label=label)
    line = sale.lines[0]

    artist_web = WebClient(app)
    artist_web.login(artist_owner.email, PASSWORD)
    assert artist_web.get(refund_page(line.id)).status_code == 404
    label_web = WebClient(app)
    label_web.login(label_owner.email, PASSWORD)
    assert ask_refund(label_web, line.id, "5.00", "Pressing error").status_code == 303
    assert [r.amount_minor for r in _refunds(db)] == [500]


def test_an_order_that_was_never_paid_has_nothing_to_refund(app, db, sale):
    sale.order.status = OrderStatus.PENDING
    commit(db)
    web = _owner(app)
    line = sale.lines[0]
    assert "Only a paid order can be refunded" in text_of(web.get(refund_page(line.id)))
    fields = {"amount": "1.00", "reason": "Test", "version": "0", "confirm": "yes"}
    refused = web.submit(refund_page(line.id), fields)
    assert refused.status_code == 409 and "Only a paid order can be refunded" in text_of(refused)
    assert _refunds(db) == []
