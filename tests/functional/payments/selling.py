"""What the fulfilment, webhook and sandbox tests share: releases on sale, pending orders as checkout leaves
them, a checkout session at the gateway for each, and the sandbox page's buttons pressed as a fan would."""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from storefront.accounts.models import Artist, User
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.jobs.models import Job
from storefront.orders.models import Entitlement, LedgerEntry, LedgerKind, Order, OrderLine, OrderStatus
from storefront.payments.interfaces import CheckoutLine, CheckoutRequest, PaymentGateway
from storefront.payments.models import PaymentEvent
from storefront.releases.models import Release, ReleaseStatus, Track
from tests.factories.accounts import make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh

_seq = itertools.count(1)
Item = tuple[Release, Track | None, int]


def seller(db: Session, platform: Platform, name: str | None = None) -> Artist:
    n = next(_seq)
    owner = make_user(db, platform, name=f"Owner {n}")
    return make_artist(db, owner, name=name or f"Seller {n}", slug=f"seller-{n}")


def on_sale(
    db: Session, artist: Artist, *, title: str | None = None, price: int = 700, tracks: int = 0
) -> Release:
    release = make_release(db, artist, title=title, tracks=tracks)
    release.price_minor = price
    release.status = ReleaseStatus.APPROVED
    release.approved_at = utcnow()
    commit(db)
    return release


def place_order(
    db: Session,
    items: list[Item],
    *,
    buyer: User | None = None,
    email: str | None = None,
    platform_fee_bps: int = 0,
    gateway: str = "sandbox",
    currency: str = "USD",
) -> Order:
    """A pending order with its lines, as checkout writes it before asking the gateway for a session."""
    reference = "ord_" + secrets.token_urlsafe(12)
    order = Order(
        reference=reference,
        buyer_id=buyer.id if buyer else None,
        email=email or (buyer.email if buyer else None),
        currency=currency,
        subtotal_minor=sum(amount for _, _, amount in items),
        status=OrderStatus.PENDING,
        gateway=gateway,
        platform_fee_bps=platform_fee_bps,
        transfer_group="order_" + reference,
    )
    for release, track, amount in items:
        order.lines.append(
            OrderLine(
                release_id=release.id,
                track_id=track.id if track is not None else None,
                artist_id=release.artist_id,
                payee_artist_id=release.artist_id,
                title=f"{release.title} — {release.artist.name}",
                amount_minor=amount,
                currency=currency,
            )
        )
    db.add(order)
    commit(db)
    return order


def open_checkout(
    db: Session, payments: PaymentGateway, order: Order, *, base: str = "http://localhost"
) -> str:
    """The gateway's session for the order, stored on it as checkout does."""
    started = payments.create_checkout(
        CheckoutRequest(
            order_reference=order.reference,
            currency=order.currency,
            lines=tuple(CheckoutLine(line.title, line.amount_minor) for line in order.lines),
            success_url=f"{base}/orders/{order.reference}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{base}/cart",
            transfer_group=order.transfer_group,
            idempotency_key=f"velvet-checkout-{order.reference}",
            customer_email=order.email,
        )
    )
    order.checkout_session_id = started.session_id
    commit(db)
    return started.session_id


def press(web: WebClient, session_id: str, action: str, outcome: str | None = None) -> TestResponse:
    """A button on the sandbox's checkout page: action "pay", "settle" or "expire"."""
    page = f"/sandbox/checkout/{session_id}"
    data = {"outcome": outcome} if outcome else {}
    return web.submit(page, data, action=f"{page}/{action}")


def reload(db: Session, order: Order) -> Order:
    found = fresh(db).get(Order, order.id)
    assert found is not None
    return found


def ledger(db: Session, order: Order, kind: LedgerKind | None = None) -> list[LedgerEntry]:
    stmt = select(LedgerEntry).where(LedgerEntry.order_id == order.id).order_by(LedgerEntry.id)
    if kind is not None:
        stmt = stmt.where(LedgerEntry.kind == kind)
    return list(fresh(db).scalars(stmt))


def entitlements(db: Session, user: User) -> list[Entitlement]:
    return list(fresh(db).scalars(select(Entitlement).where(Entitlement.user_id == user.id)))


def jobs(db: Session, name: str) -> list[Job]:
    return list(fresh(db).scalars(select(Job).where(Job.name == name).order_by(Job.id)))


def events(db: Session, **where: Any) -> list[PaymentEvent]:
    stmt = select(PaymentEvent).order_by(PaymentEvent.id)
    for field, value in where.items():
        stmt = stmt.where(getattr(PaymentEvent, field) == value)
    return list(fresh(db).scalars(stmt))


def platform_of(app: Flask) -> Platform:
    found: Platform = app.extensions["storefront"]
    return found
