"""Gifts through HTTP: a fan buys a release for someone by email and pays in the sandbox; the recipient is
mailed a single-use link and claims it into their collection; the giver sees it claimed, and can resend or
take back (refund) a gift nobody claimed yet, but never one that was claimed. Nobody else reaches them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.db import commit
from storefront.orders.gifts.models import Gift, GiftState
from storefront.orders.models import (
    Entitlement,
    EntitlementSource,
    LineRefund,
    LineStatus,
    Order,
    OrderStatus,
)
from tests.factories.accounts import PASSWORD, make_user
from tests.functional.orders.test_checkout_support import add, fan, on_sale, page_of, pay, seller
from tests.functional.orders.test_refund_support import run_refunds
from tests.functional.payments.selling import press
from tests.helpers import WebClient, fresh, last_link, mail_to, text_of

FRIEND = "friend@example.com"


def _item_id(web: WebClient) -> int:
    found = re.search(r'data-item="(\d+)"', text_of(web.get("/cart")))
    assert found
    return int(found.group(1))


def _mark(web: WebClient, item_id: int, email: str = FRIEND, message: str = "Happy birthday!"):
    page = f"/cart/items/{item_id}/gift"
    return web.submit(page, {"email": email, "message": message})


def _buy_as_gift(web: WebClient, release, email: str = FRIEND) -> Order:
    assert add(web, release).status_code == 303
    assert _mark(web, _item_id(web), email).status_code == 303
    started = pay(web, "USD")
    session_id = started.headers["Location"].rsplit("/", 1)[-1]
    press(web, session_id, "pay", "succeeds")
    return fresh_order(web)


def fresh_order(web: WebClient) -> Order:
    platform = web.app.extensions["storefront"]
    with platform.database.session() as session:
        order = session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order is not None
        session.expunge(order)
        return order


def _gift(db) -> Gift:
    gift = fresh(db).scalars(select(Gift)).one()
    return gift


def _friend(app, db, platform, email: str = FRIEND) -> WebClient:
    make_user(db, platform, email=email, name="Friend")
    web = WebClient(app)
    web.login(email, PASSWORD)
    return web


@pytest.fixture
def bought(app, db, platform):
    artist = seller(db, platform, "Mara Lind")
    album = on_sale(db, artist, title="Kitchen Table Songs", price=900)
    giver, web = fan(app, db, platform, "Giver")
    order = _buy_as_gift(web, album)
    return giver, web, order, album


def test_a_gift_is_paid_mailed_and_claimed_once(app, db, platform, bought):
    giver, web, order, album = bought
    assert order.status == OrderStatus.PAID
    # The money is an ordinary sale to the artist; the buyer gets no right of their own.
    assert fresh(db).scalars(select(Entitlement).where(Entitlement.user_id == giver.id)).all() == []
    [mail] = mail_to(app, FRIEND)
    assert "Giver" in mail.subject and "Kitchen Table Songs" in mail.subject and "\n" not in mail.subject
    assert "Happy birthday!" in mail.text_body
    link = last_link(app, FRIEND)
    assert link.startswith("/gift/")
    gift = _gift(db)
    assert gift.state == GiftState.SENT and gift.token_hash and link.rsplit("/", 1)[-1] not in gift.token_hash
    assert "not claimed yet" in text_of(web.get("/gifts"))

    # A stranger opening the link sees the gift and is asked to log in; nothing is claimed by looking.
    stranger = WebClient(app)
    page = stranger.get(link)
    assert page.status_code == 200 and "Log in" in text_of(page)
    assert _gift(db).state == GiftState.SENT

    friend = _friend(app, db, platform)
    claimed = friend.submit(link)
    assert claimed.status_code == 303 and claimed.headers["Location"].endswith("/collection")
    assert "Kitchen Table Songs" in text_of(friend.get("/collection"))
    [right] = fresh(db).scalars(select(Entitlement)).all()
    assert right.source == EntitlementSource.GIFT and right.release_id == album.id
    assert "Claimed on" in text_of(web.get("/gifts"))

    # The same link again, by the same person or anyone else: a clear answer and no second right.
    again = friend.get(link)
    assert again.status_code == 404 and "does not work" in text_of(again)
    other = _friend(app, db, platform, "thief@example.com")
    assert other.post(link, {"csrf_token": other.token("/redeem")}).status_code == 404
    assert len(fresh(db).scalars(select(Entitlement)).all()) == 1

    # A claimed gift is the recipient's: its giver cannot take it back.
    refused = web.submit("/gifts", action=f"/gifts/{gift.id}/refund", follow_redirects=True)
    assert "cannot be refunded" in text_of(refused)
    assert fresh(db).scalars(select(LineRefund)).all() == []


def test_resend_makes_a_fresh_link_and_is_limited(app, db, platform, bought):
    _, web, _, _ = bought
    gift = _gift(db)
    first = last_link(app, FRIEND)
    too_soon = web.submit("/gifts", action=f"/gifts/{gift.id}/resend", follow_redirects=True)
    assert "a few minutes ago" in text_of(too_soon) and len(mail_to(app, FRIEND)) == 1

    gift.sent_at = gift.sent_at.replace(year=gift.sent_at.year - 1)
    commit(db)
    sent = web.submit("/gifts", action=f"/gifts/{gift.id}/resend", follow_redirects=True)
    assert "no longer works" in text_of(sent) and len(mail_to(app, FRIEND)) == 2
    second = last_link(app, FRIEND)
    assert second != first
    friend = _friend(app, db, platform)
    assert friend.get(first).status_code == 404  # the replaced link is dead
    assert friend.submit(second).status_code == 303

    # After a handful of sends no more, however long the giver waits.
    gift = _gift(db)
    gift.state, gift.times_sent = GiftState.SENT, 5
    gift.sent_at = gift.sent_at.replace(year=gift.sent_at.year - 1)
    commit(db)
    capped = web.submit("/gifts", action=f"/gifts/{gift.id}/resend", follow_redirects=True)
    assert "sent 5 times already" in text_of(capped)


def test_an_unclaimed_gift_is_refunded_and_its_link_dies(app, db, platform, bought):
    _, web, _, _ = bought
    gift = _gift(db)
    link = last_link(app, FRIEND)
    done = web.submit("/gifts", action=f"/gifts/{gift.id}/refund", follow_redirects=True)
    assert "refund is on its way" in text_of(done)
    run_refunds(platform)
    [refund] = fresh(db).scalars(select(LineRefund)).all()
    assert refund.amount_minor == 900
    assert fresh(db).get(Gift, gift.id).line.status == LineStatus.REFUNDED
    assert "refunded" in text_of(web.get("/gifts"))
    friend = _friend(app, db, platform)
    assert friend.get(link).status_code == 404
    assert fresh(db).scalars(select(Entitlement)).all() == []
    # Refunding twice is refused, not repeated.
    twice = web.submit("/gifts", action=f"/gifts/{gift.id}/refund", follow_redirects=True)
    assert "refunded already" in text_of(twice)
    assert len(fresh(db).scalars(select(LineRefund)).all()) == 1


def test_other_people_reach_neither_the_gift_nor_the_cart_line(app, db, platform, bought):
    _, _, _, album = bought
    gift = _gift(db)
    _, other = fan(app, db, platform, "Other")
    token = other.token("/gifts")
    assert other.post(f"/gifts/{gift.id}/resend", {"csrf_token": token}).status_code == 404
    assert other.post(f"/gifts/{gift.id}/refund", {"csrf_token": token}).status_code == 404
    assert other.post("/gifts/999999/refund", {"csrf_token": token}).status_code == 404
    assert "Kitchen Table Songs" not in text_of(other.get("/gifts"))
    # Someone else's cart line cannot be marked.
    _, owner = fan(app, db, platform, "Owner")
    assert add(owner, album).status_code == 303
    item_id = _item_id(owner)
    assert other.get(f"/cart/items/{item_id}/gift").status_code == 404
    marked = other.post(f"/cart/items/{item_id}/gift", {"csrf_token": token, "email": FRIEND})
    assert marked.status_code == 404
    # Guessed links find nothing.
    assert WebClient(app).get("/gift/" + "A" * 43).status_code == 404


def test_bad_gift_input_is_refused_and_the_giver_cannot_claim(app, db, platform):
    artist = seller(db, platform, "Static Orchard")
    album = on_sale(db, artist, title="Tape Loops", price=500)
    giver, web = fan(app, db, platform, "Giver")
    assert add(web, album).status_code == 303
    item_id = _item_id(web)
    for email, message, says in (
        ("not-an-address", "", "valid email address"),
        (giver.email, "", "your own address"),
        (FRIEND, "x" * 501, "500 characters"),
    ):
        refused = _mark(web, item_id, email, message)
        assert refused.status_code == 422 and says in text_of(refused)
    assert fresh(db).scalars(select(Gift)).all() == []
    order = _buy_as_gift_marked(web, item_id)
    assert order.status == OrderStatus.PAID
    link = last_link(app, FRIEND)
    own = web.submit(link)
    assert own.status_code == 409 and "You gave this gift" in text_of(own)
    assert fresh(db).scalars(select(Entitlement)).all() == []


def _buy_as_gift_marked(web: WebClient, item_id: int) -> Order:
    assert _mark(web, item_id, "Friend@Example.com\r\nBcc: x@example.com").status_code == 422
    assert _mark(web, item_id).status_code == 303
    cart = text_of(web.get("/cart"))
    assert "gift" in cart and FRIEND in cart
    started = pay(web, "USD")
    press(web, started.headers["Location"].rsplit("/", 1)[-1], "pay", "succeeds")
    return fresh_order(web)


def test_a_fan_gives_a_release_they_own_from_its_page(app, db, platform):
    artist = seller(db, platform, "Quiet Harbour")
    album = on_sale(db, artist, title="Low Tide", price=600)
    giver, web = fan(app, db, platform, "Giver")
    assert add(web, album).status_code == 303
    started = pay(web, "USD")
    press(web, started.headers["Location"].rsplit("/", 1)[-1], "pay", "succeeds")
    assert "In your collection" in text_of(web.get(page_of(album)))

    form = f"/releases/{album.id}/give"
    assert "Give it as a gift" in text_of(web.get(page_of(album)))
    refused = web.submit(form, {"email": "nobody", "message": ""})
    assert refused.status_code == 422 and "valid email address" in text_of(refused)
    assert web.submit(form, {"email": FRIEND, "message": "For the road"}).status_code == 303
    cart = text_of(web.get("/cart"))
    assert "Low Tide" in cart and FRIEND in cart and "owned" not in cart
    started = pay(web, "USD")
    press(web, started.headers["Location"].rsplit("/", 1)[-1], "pay", "succeeds")
    friend = _friend(app, db, platform)
    assert friend.submit(last_link(app, FRIEND)).status_code == 303
    holders = {(e.user_id, e.source) for e in fresh(db).scalars(select(Entitlement))}
    assert len(holders) == 2 and (giver.id, EntitlementSource.PURCHASE) in holders
    # A release that is not on sale has no gift page.
    assert web.get("/releases/999999/give").status_code == 404


def test_a_takedown_refunds_the_givers_and_ends_claimed_and_unclaimed_gifts(app, db, platform, bought):
    _, _, _, album = bought
    claimed_link = last_link(app, FRIEND)
    friend = _friend(app, db, platform)
    assert friend.submit(claimed_link).status_code == 303
    _, second_giver = fan(app, db, platform, "Second giver")
    _buy_as_gift(second_giver, album, "later@example.com")
    waiting_link = last_link(app, "later@example.com")

    curator = WebClient(app)
    curator.login(make_user(db, platform, email="curator@example.com", admin=True).email, PASSWORD)
    page = f"/review/releases/{album.id}"
    taken = curator.submit(
        page, {"reason": "generative_ai", "message": "A voice model."}, action=f"{page}/takedown"
    )
    assert taken.status_code == 302

    fresh(db)
    gifts = {gift.recipient_email: gift for gift in db.scalars(select(Gift))}
    assert gifts["later@example.com"].state == GiftState.WITHDRAWN
    [right] = db.scalars(select(Entitlement)).all()
    assert right.revoked_at is not None  # the recipient's copy ends with the release
    assert any("gift" in m.text_body for m in mail_to(app, FRIEND) if m.kind == "takedown_notice")
    refunded = {refund.order_line_id for refund in db.scalars(select(LineRefund))}
    assert refunded == {gift.order_line_id for gift in gifts.values()}  # both givers get their money back
    assert WebClient(app).get(waiting_link).status_code == 404
