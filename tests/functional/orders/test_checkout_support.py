"""What the cart, checkout and confirmation tests share: releases on sale, fans, and a recording gateway.

The gateway here records each request and answers like a gateway would, so the tests can check exactly what
checkout asked for without depending on the sandbox or Stripe.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, User
from storefront.accounts.payees.models import PayeeAccount
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.orders.models import Cart, CartItem, Order
from storefront.payments.interfaces import (
    CheckoutRequest,
    CheckoutStarted,
    GatewayError,
    PaymentGateway,
    PaymentsHealth,
)
from storefront.releases.models import Release, ReleaseStatus
from storefront.web.services import registry_of
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh

_seq = itertools.count(1)


class RecordingGateway:
    """A payment gateway that keeps every checkout request; `fail_with` makes the next ones fail."""

    backend_name = "sandbox"
    is_sandbox = True

    def __init__(self) -> None:
        self.requests: list[CheckoutRequest] = []
        self.expired: list[str] = []
        self.fail_with: GatewayError | None = None

    def check(self) -> PaymentsHealth:
        return PaymentsHealth(True, self.backend_name)

    def create_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        if self.fail_with is not None:
            raise self.fail_with
        self.requests.append(request)
        n = len(self.requests)
        return CheckoutStarted(session_id=f"cs_test_{n}", url=f"https://pay.example/session/{n}")

    def expire_checkout(self, session_id: str) -> None:
        self.expired.append(session_id)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"checkout should not call the gateway's {name}")


def recording(override_service: Callable[[Any, Any], None]) -> RecordingGateway:
    """The app's requests use a new recording gateway for the rest of the test."""
    found = RecordingGateway()
    override_service(PaymentGateway, found)
    return found


def recording_for(app: Flask) -> RecordingGateway:
    """The same for an app built by `make_app` (which `override_service` does not reach); it is thrown
    away after the test, so nothing needs putting back."""
    found = RecordingGateway()
    registry_of(app).override(PaymentGateway, lambda _services: found)
    return found


def connect_payee(db: Session, artist: Artist, *, enabled: bool = True) -> PayeeAccount:
    account = PayeeAccount(
        artist_id=artist.id,
        gateway="sandbox",
        provider_account_id=f"acct_test_{next(_seq)}",
        transfers_enabled=enabled,
    )
    db.add(account)
    commit(db)
    return account


def on_sale(
    db: Session,
    artist: Artist,
    *,
    title: str | None = None,
    price: int = 700,
    currency: str = "USD",
    pwyw: bool = False,
    minimum: int = 0,
    tracks: int = 0,
    track_price: int | None = None,
) -> Release:
    """An approved release; its artist must have a payee account (see `seller`) to sell for money."""
    release = make_release(db, artist, title=title, tracks=tracks)
    release.status = ReleaseStatus.APPROVED
    release.approved_at = utcnow()
    release.price_minor = price
    release.currency = currency
    release.pay_what_you_want = pwyw
    release.minimum_price_minor = minimum
    for track in release.tracks:
        track.price_minor = track_price
    commit(db)
    return release


def seller(db: Session, platform: Platform, name: str = "The Band", *, payee: bool = True) -> Artist:
    owner = make_user(db, platform, name=f"{name} owner")
    artist = make_artist(db, owner, name=name, slug=f"{name.lower().replace(' ', '-')}-{next(_seq)}")
    if payee:
        connect_payee(db, artist)
    return artist


def fan(app: Flask, db: Session, platform: Platform, name: str = "Fan") -> tuple[User, WebClient]:
    user = make_user(db, platform, name=name)
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return user, web


def page_of(release: Release) -> str:
    return f"/artists/{release.artist.slug}/album/{release.slug}"


def add(
    web: WebClient,
    release: Release,
    amount: str | None = None,
    *,
    track_id: int | None = None,
    page: str | None = None,
) -> Any:
    """Post the release page's buy form (`page`: another page to take the form's token from)."""
    data: dict[str, Any] = {"release_id": str(release.id)}
    if amount is not None:
        data["amount"] = amount
    if track_id is not None:
        data["track_id"] = str(track_id)
    return web.submit(page or page_of(release), data, action="/cart/add")


def cart_items(db: Session, user: User | None = None) -> list[CartItem]:
    """Every cart line (of one account's cart, when given), oldest first."""
    fresh(db)
    stmt = select(CartItem).order_by(CartItem.id)
    if user is not None:
        stmt = stmt.join(Cart).where(Cart.user_id == user.id)
    return list(db.scalars(stmt))


def orders(db: Session) -> list[Order]:
    fresh(db)
    return list(db.scalars(select(Order).order_by(Order.id)))


def pay(web: WebClient, currency: str, **form: str) -> Any:
    return web.submit("/cart", form, action=f"/checkout/{currency}")
