"""Selling end to end: the application configured for Stripe and pointed at the fake Stripe server.

People act as they would: artists connect their accounts on the Getting paid page and finish onboarding on
the fake's hosted page, fans fill carts on release pages, check out and pay on the fake's payment page, and
Stripe's side arrives as signed webhooks posted to /webhooks/stripe. Jobs run only when a test drains
them (retry backoff skipped), so a test decides what has happened when. `books` checks one paid order's
money against the fake's charge and transfers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from click.testing import Result
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from storefront.accounts.models import Artist, User
from storefront.accounts.payees.models import PayeeAccount
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.jobs.models import Job, JobStatus
from storefront.orders.models import LedgerEntry, LedgerKind, Order
from storefront.payouts.models import PayoutTransfer, TransferStatus
from storefront.releases.models import Release, ReleaseStatus, Track
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh
from tests.services.fake_stripe import FakeStripe

_seq = itertools.count(1)
_SESSION = re.compile(r"/c/pay/(cs_[A-Za-z0-9_]+)$")
_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


def stripe_settings(fake: FakeStripe) -> dict[str, Any]:
    """What points an app at the fake: Stripe as the gateway, the fake's URL, keys and webhook secret."""
    return {
        "payments": "stripe",
        "stripe_secret_key": fake.secret_key,
        "stripe_webhook_secret": fake.webhook_secret,
        "stripe_api_base": fake.url,
        "inline_jobs": "manual",
        # Many checkouts from one address in a test: the limit has tests of its own.
        "checkout_rate_limit": "1000/3600",
    }


@dataclass(frozen=True)
class Seller:
    artist: Artist
    owner: User
    account_id: str  # the connected account at the fake

    @property
    def payee_key(self) -> str:
        return f"artist:{self.artist.id}"


@dataclass(frozen=True)
class Purchase:
    reference: str
    session_id: str
    web: WebClient
    buyer: User | None
    email: str


class Shop:
    def __init__(self, app: Flask, stripe: FakeStripe) -> None:
        self.app = app
        self.stripe = stripe
        self.platform: Platform = app.extensions["storefront"]
        self.db: Session = self.platform.database.session()

    # -- Stripe's side ----------------------------------------------------------------------------------
    def post_webhook(self, payload: bytes, signature: str) -> TestResponse:
        return self.app.test_client().post(
            "/webhooks/stripe",
            data=payload,
            headers={"Stripe-Signature": signature},
            content_type="application/json",
        )

    def webhook(self, event: dict[str, Any] | str, **signing: Any) -> TestResponse:
        """One signed delivery of an event (or the fake's latest event of a type, given its type)."""
        if isinstance(event, str):
            event = self.stripe.last_event(event)
        return self.post_webhook(*self.stripe.signed(event, **signing))

    def pay(self, purchase: Purchase, *, pending: bool = False) -> str:
        """The fan pays on the fake's hosted page; returns where it sends the browser back to."""
        action = "pay_later" if pending else "pay"
        with requests.Session() as browser:
            answer = browser.post(
                f"{self.stripe.url}/c/pay/{purchase.session_id}/{action}",
                data={"email": purchase.email},
                allow_redirects=False,
                timeout=30,
            )
        assert answer.status_code == 303, answer.text
        location = answer.headers["Location"]
        assert location == (
            f"http://localhost/orders/{purchase.reference}/thanks?session_id={purchase.session_id}"
        )
        return location

    def reconcile(self, *options: str) -> Result:
        """`flask reconcile` from yesterday (so a run just after midnight still covers the test's sales)."""
        since = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        return self.app.test_cli_runner().invoke(args=["reconcile", "--since", since, *options])

    def reconciled(self) -> None:
        """`flask reconcile` finds no difference between the fake Stripe and our books."""
        report = self.reconcile()
        assert (report.exit_code, report.output.splitlines()[0]) == (0, report.output.strip()), report.output
        assert report.output.startswith("No differences remain"), report.output

    # -- jobs ---------------------------------------------------------------------------------------------
    def drain(self, limit: int = 1000) -> int:
        """Run every queued job, retries included without waiting out their backoff, until none is left."""
        ran = 0
        while ran < limit:
            with self.platform.database.transaction() as session:
                session.execute(update(Job).where(Job.status == JobStatus.QUEUED).values(run_after=utcnow()))
            if not self.platform.jobs.drain_once():  # type: ignore[attr-defined]
                return ran
            ran += 1
        raise AssertionError(f"jobs still queued after {limit} runs")

    def jobs(self, *statuses: JobStatus, name: str | None = None) -> list[Job]:
        stmt = select(Job).order_by(Job.id)
        if statuses:
            stmt = stmt.where(Job.status.in_(statuses))
        if name is not None:
            stmt = stmt.where(Job.name == name)
        return list(fresh(self.db).scalars(stmt))

    def failed_jobs(self) -> list[tuple[str, str | None]]:
        return [(job.name, job.last_error) for job in self.jobs(JobStatus.FAILED)]

    # -- people and things for sale -----------------------------------------------------------------------
    def seller(self, name: str) -> Seller:
        """An artist whose owner connects a Stripe account and finishes onboarding at the fake."""
        n = next(_seq)
        owner = make_user(self.db, self.platform, email=f"owner{n}@example.com", name=f"{name} owner")
        artist = make_artist(self.db, owner, name=name, slug=f"{name.lower().replace(' ', '-')}-{n}")
        web = WebClient(self.app)
        web.login(owner.email, PASSWORD)
        page = f"/artists/{artist.slug}/getting-paid"
        started = web.submit(page, action=page + "/connect")
        assert started.status_code in (302, 303), started.get_data(as_text=True)[:500]
        with requests.Session() as browser:
            back = browser.post(started.headers["Location"], allow_redirects=False, timeout=30)
        assert back.headers["Location"] == f"http://localhost{page}/return"
        assert self.webhook("account.updated").status_code == 200
        self.drain()
        account = fresh(self.db).scalar(select(PayeeAccount).where(PayeeAccount.artist_id == artist.id))
        assert account is not None and account.transfers_enabled, "onboarding left the account unable"
        return Seller(artist, owner, account.provider_account_id)

    def release(
        self,
        seller: Seller,
        title: str,
        price: int,
        *,
        minimum: int | None = None,
        tracks: int = 0,
        track_price: int | None = None,
    ) -> Release:
        """Approved and on sale; `minimum` makes it pay-what-you-want from that amount."""
        release = make_release(self.db, seller.artist, title=title, tracks=tracks)
        release.status, release.approved_at = ReleaseStatus.APPROVED, utcnow()
        release.price_minor, release.currency = price, "USD"
        release.pay_what_you_want = minimum is not None
        release.minimum_price_minor = minimum or 0
        for track in release.tracks:
            track.price_minor = track_price
        commit(self.db)
        return release

    def fan(self) -> tuple[User, WebClient]:
        user = make_user(self.db, self.platform, email=f"fan{next(_seq)}@example.com")
        web = WebClient(self.app)
        web.login(user.email, PASSWORD)
        return user, web

    # -- buying ---------------------------------------------------------------------------------------------
    def add(
        self, web: WebClient, release: Release, amount: str | None = None, track: Track | None = None
    ) -> None:
        """The buy form on the release's page, as the fan submits it."""
        data = {"release_id": str(release.id)}
        if amount is not None:
            data["amount"] = amount
        if track is not None:
            data["track_id"] = str(track.id)
        page = f"/artists/{release.artist.slug}/album/{release.slug}"
        answer = web.submit(page, data, action="/cart/add")
        assert answer.status_code == 303, answer.get_data(as_text=True)[:500]

    def checkout(self, web: WebClient, buyer: User | None, *, email: str | None = None) -> Purchase:
        """Check out the cart's dollars: answered with a redirect to the fake's payment page."""
        form = {"email": email} if buyer is None and email else {}
        answer = web.submit("/cart", form, action="/checkout/USD")
        assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
        location = answer.headers["Location"]
        assert location.startswith(self.stripe.url), location
        found = _SESSION.search(location)
        assert found, location
        session_id = found.group(1)
        order = fresh(self.db).scalar(select(Order).where(Order.checkout_session_id == session_id))
        assert order is not None, "checkout stored no order for its session"
        return Purchase(order.reference, session_id, web, buyer, buyer.email if buyer else email or "")

    def buy(
        self, items: Sequence[tuple[Release, str | None, Track | None]], *, guest: bool = False
    ) -> Purchase:
        """A new fan (or a guest) puts `items` in a cart and checks out; nothing is paid yet."""
        if guest:
            buyer, web, email = None, WebClient(self.app), f"guest{next(_seq)}@example.com"
        else:
            buyer, web = self.fan()
            email = buyer.email
        for release, amount, track in items:
            self.add(web, release, amount, track)
        return self.checkout(web, buyer, email=email)

    def refund(self, seller: Seller, line_id: int, amount: str, reason: str = "Files were broken") -> None:
        """The payee's owner refunds a sale on its page: fill in the form, then confirm."""
        web = WebClient(self.app)
        web.login(seller.owner.email, PASSWORD)
        page = f"/sales/{line_id}/refund"
        found = _VERSION.search(web.get(page).get_data(as_text=True))
        assert found, "the refund form carries its version"
        fields = {"amount": amount, "reason": reason, "version": found.group(1)}
        review = web.submit(page, fields)
        assert 'name="confirm" value="yes"' in review.get_data(as_text=True), review.status_code
        done = web.post(page, {"csrf_token": web.token(page), **fields, "confirm": "yes"})
        assert done.status_code == 303, done.get_data(as_text=True)[:500]

    def order(self, purchase: Purchase) -> Order:
        order = fresh(self.db).scalar(select(Order).where(Order.reference == purchase.reference))
        assert order is not None
        return order

    def orders(self) -> list[Order]:
        return list(fresh(self.db).scalars(select(Order).order_by(Order.id)))

    def ledger(self, order: Order) -> list[LedgerEntry]:
        stmt = select(LedgerEntry).where(LedgerEntry.order_id == order.id).order_by(LedgerEntry.id)
        return list(fresh(self.db).scalars(stmt))

    def transfers(self, order: Order) -> dict[str, PayoutTransfer]:
        stmt = select(PayoutTransfer).where(PayoutTransfer.order_id == order.id)
        return {row.payee_key: row for row in fresh(self.db).scalars(stmt)}

    def fake_transfers(self, order: Order) -> list[dict[str, Any]]:
        return [t for t in self.stripe.objects("transfer") if t["transfer_group"] == order.transfer_group]

    def close(self) -> None:
        self.db.close()


@pytest.fixture
def open_shop(make_app: Callable[..., Flask], fake_stripe: FakeStripe) -> Iterator[Callable[..., Shop]]:
    """`open_shop(**settings)`: a Stripe-configured app on the fake, with these settings overridden."""
    shops: list[Shop] = []

    def build(**overrides: Any) -> Shop:
        shop = Shop(make_app(**{**stripe_settings(fake_stripe), **overrides}), fake_stripe)
        shops.append(shop)
        return shop

    yield build
    for shop in shops:
        shop.close()


def books(shop: Shop, order: Order, accounts: dict[str, str]) -> dict[str, int]:
    """Check a paid order's money, to the cent, against the fake's charge and transfers; `accounts` maps
    each payee key to its connected account. Returns each payee's share."""
    stripe = shop.stripe
    charge = stripe.get(order.charge_id or "")
    fee = stripe.get(charge["balance_transaction"])["fee"]
    lines = list(order.lines)
    # The charge, split: every line's parts add up to its price, none negative.
    assert (charge["amount"], charge["currency"]) == (order.amount_total_minor, order.currency.lower())
    assert order.amount_total_minor == sum(line.amount_minor for line in lines) + order.tax_minor
    assert order.processing_fee_minor == fee == sum(line.processing_fee_minor or 0 for line in lines)
    for line in lines:
        parts = (line.payee_amount_minor, line.processing_fee_minor, line.platform_fee_minor)
        assert all(part is not None and part >= 0 for part in parts), (line.id, parts)
        assert sum(p or 0 for p in parts) == line.amount_minor, (line.id, parts)
    shares: dict[str, int] = {}
    for line in lines:
        shares[line.payee_key] = shares.get(line.payee_key, 0) + (line.payee_amount_minor or 0)
    platform_fees = sum(line.platform_fee_minor or 0 for line in lines)
    assert sum(shares.values()) + fee + platform_fees == charge["amount"] - order.tax_minor

    # One transfer per payee, of its exact share, from this charge, to its own account; none twice.
    made = shop.fake_transfers(order)
    assert sorted((t["destination"], t["amount"]) for t in made) == sorted(
        (accounts[key], amount) for key, amount in shares.items() if amount > 0
    )
    assert {t["source_transaction"] for t in made} <= {charge["id"]}
    assert {t["currency"] for t in made} <= {"usd"}
    rows = shop.transfers(order)
    assert {key: (row.status, row.amount_minor) for key, row in rows.items()} == {
        key: (TransferStatus.SENT, amount) for key, amount in shares.items() if amount > 0
    }
    assert {row.provider_transfer_id for row in rows.values()} == {t["id"] for t in made}

    # The ledger: each payee's sale, less its fees, less what it was sent, is nothing; the platform keeps
    # its fee and the processing fee is Stripe's.
    entries = shop.ledger(order)
    assert len({entry.key for entry in entries}) == len(entries)
    by_kind: dict[LedgerKind, int] = {}
    by_payee: dict[str, int] = {}
    for entry in entries:
        by_kind[entry.kind] = by_kind.get(entry.kind, 0) + entry.amount_minor
        if entry.payee_key:
            by_payee[entry.payee_key] = by_payee.get(entry.payee_key, 0) + entry.amount_minor
    assert by_kind.get(LedgerKind.SALE) == sum(line.amount_minor for line in lines)
    assert by_kind.get(LedgerKind.PROCESSING_FEE, 0) == -fee
    assert by_kind.get(LedgerKind.PLATFORM_FEE, 0) == -platform_fees
    assert by_kind.get(LedgerKind.TRANSFER, 0) == -sum(shares.values())
    assert by_kind.get(LedgerKind.TAX, 0) == order.tax_minor
    assert by_payee == dict.fromkeys(shares, 0)
    return shares
