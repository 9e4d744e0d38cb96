"""Getting paid, through the sandbox gateway: an owner connects the profile's one payout account, onboards
at the gateway and comes back to see its state; a held transfer goes out when the gateway says the account is
ready; nobody but the profile's owners can see or set where it is paid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, ArtistMember, Label, LabelStaff, MemberRole, User
from storefront.accounts.payees.models import PayeeAccount
from storefront.accounts.payees.services import can_sell
from storefront.container import Platform
from storefront.db import commit
from storefront.orders.hooks import PAY_ORDER
from storefront.payments.interfaces import CheckoutLine, CheckoutRequest, GatewayError
from storefront.payments.sandbox import SandboxGateway
from storefront.payouts.models import PayoutTransfer, TransferStatus
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.functional.payees.support import enqueue, paid_order, release_of
from tests.helpers import WebClient, fresh, text_of


@dataclass
class World:
    app: Flask
    platform: Platform
    db: Session
    owner: User
    artist: Artist
    web: WebClient

    @property
    def sandbox(self) -> SandboxGateway:
        gateway = self.platform.payments
        assert isinstance(gateway, SandboxGateway)
        return gateway

    def page(self, artist: Artist | None = None) -> str:
        return f"/artists/{(artist or self.artist).slug}/getting-paid"

    def account(self, artist: Artist | None = None) -> PayeeAccount | None:
        fresh(self.db)
        target = artist or self.artist
        return self.db.scalar(select(PayeeAccount).where(PayeeAccount.artist_id == target.id))

    def connect(self, artist: Artist | None = None) -> Any:
        page = self.page(artist)
        return self.web.submit(self.page(), action=page + "/connect")


@pytest.fixture
def world(app: Flask, platform: Platform, db: Session) -> World:
    owner = make_user(db, platform, email="owner@example.com")
    artist = make_artist(db, owner, name="Pale Orchard", slug="pale-orchard")
    web = WebClient(app)
    web.login(owner.email, PASSWORD)
    return World(app, platform, db, owner, artist, web)


def _path(location: str) -> str:
    return location.removeprefix("http://localhost")


def test_an_owner_connects_onboards_in_the_sandbox_and_sees_transfers_enabled(world: World) -> None:
    page = text_of(world.web.get(world.page()))
    assert "not connected" in page and "Connect a payout account" in page
    release = release_of(world.db, world.artist)
    assert not can_sell(world.db, release).ok

    response = world.connect()

    assert response.status_code == 303
    account = world.account()
    assert account is not None and not account.transfers_enabled
    assert account.gateway == "sandbox"
    onboarding = _path(response.headers["Location"])
    assert onboarding == f"/sandbox/onboarding/{account.provider_account_id}"
    state = world.sandbox.account_data(account.provider_account_id)
    assert state is not None and state["email"] == "owner@example.com"
    assert state["return_url"] == "http://localhost/artists/pale-orchard/getting-paid/return"
    assert state["refresh_url"] == "http://localhost/artists/pale-orchard/getting-paid/refresh"
    assert "sandbox onboarding" in text_of(world.web.get(world.page()))  # what it still needs

    back = world.web.submit(onboarding)  # the sandbox's "turn on transfers and go back"
    assert _path(back.headers["Location"]) == "/artists/pale-orchard/getting-paid/return"
    assert world.web.get(_path(back.headers["Location"])).status_code == 303

    account = world.account()
    assert account is not None and account.transfers_enabled and account.details_needed == []
    page = text_of(world.web.get(world.page()))
    assert "transfers enabled" in page and "Connect a payout account" not in page
    assert can_sell(world.db, release).ok


def test_coming_back_reads_the_state_again_even_without_an_event(world: World) -> None:
    world.connect()
    account = world.account()
    assert account is not None
    jobs, world.sandbox.jobs = world.sandbox.jobs, None  # the gateway's event is lost on the way
    world.sandbox.enable_transfers(account.provider_account_id)
    world.sandbox.jobs = jobs
    assert not world.account().transfers_enabled  # type: ignore[union-attr]

    response = world.web.get(world.page() + "/return")

    assert response.status_code == 303 and _path(response.headers["Location"]) == world.page()
    assert world.account().transfers_enabled  # type: ignore[union-attr]


def test_connecting_again_continues_with_the_same_account(world: World) -> None:
    first = world.connect()
    second = world.connect()

    assert first.headers["Location"] == second.headers["Location"]
    count = world.db.scalar(select(func.count()).select_from(PayeeAccount))
    assert count == 1
    refreshed = world.web.get(world.page() + "/refresh")
    assert refreshed.status_code == 303 and refreshed.headers["Location"] == first.headers["Location"]


def test_an_account_that_receives_transfers_cannot_be_replaced(world: World) -> None:
    world.connect()
    account = world.account()
    assert account is not None
    world.web.submit(
        _path(
            world.sandbox.payee_onboarding_link(
                account.provider_account_id, return_url="http://localhost/", refresh_url="http://localhost/"
            )
        )
    )

    response = world.connect()

    assert response.status_code == 409
    assert "write to support" in text_of(response)
    assert world.account().provider_account_id == account.provider_account_id  # type: ignore[union-attr]


def test_a_gateway_that_cannot_be_reached_leaves_a_readable_message(world: World, monkeypatch: Any) -> None:
    def down(**_: Any) -> str:
        raise GatewayError("connection reset")

    monkeypatch.setattr(world.sandbox, "create_payee", down)
    response = world.connect()

    assert response.status_code == 303 and _path(response.headers["Location"]) == world.page()
    assert "could not be reached" in text_of(world.web.get(world.page()))
    assert world.account() is None


def test_a_held_transfer_goes_out_when_the_gateway_says_the_account_is_ready(world: World) -> None:
    world.connect()
    account = world.account()
    assert account is not None
    sandbox = world.sandbox
    jobs, sandbox.jobs = sandbox.jobs, None  # a sandbox charge to pay from, without fulfilling anything
    started = sandbox.create_checkout(
        CheckoutRequest(
            "ord_x",
            "USD",
            (CheckoutLine("Song cycle", 900),),
            "http://localhost/",
            "http://localhost/",
            "order_x",
            "velvet-checkout-x",
        )
    )
    sandbox.pay(started.session_id, "succeeds")
    sandbox.jobs = jobs
    charge = sandbox.fetch_checkout(started.session_id).charge
    order = paid_order(
        world.db, [(release_of(world.db, world.artist), 900, 850)], gateway="sandbox", charge=charge
    )
    enqueue(world.platform, PAY_ORDER, {"order_id": order.id})

    held = world.db.scalar(select(PayoutTransfer).where(PayoutTransfer.order_id == order.id))
    assert held is not None and held.status == TransferStatus.HELD

    sandbox.enable_transfers(account.provider_account_id)  # account.updated, recorded and handled

    fresh(world.db)
    sent = world.db.scalar(select(PayoutTransfer).where(PayoutTransfer.order_id == order.id))
    assert sent is not None and sent.status == TransferStatus.SENT
    listed = list(sandbox.list_transfers(created_from=0, created_to=2**31))
    assert [(t.transfer_id, t.amount_minor, t.destination, t.source_transaction) for t in listed] == [
        (sent.provider_transfer_id, 850, account.provider_account_id, charge)
    ]


# -- who may ---------------------------------------------------------------------------------------------
def _member(db: Session, platform: Platform, artist: Artist, role: MemberRole) -> User:
    user = make_user(db, platform)
    db.add(ArtistMember(artist=artist, user=user, role=role))
    commit(db)
    return user


@pytest.mark.parametrize("who", ["member", "other-owner", "admin", "label-owner"])
def test_only_the_profiles_owners_may_see_or_connect(world: World, who: str) -> None:
    db, platform = world.db, world.platform
    if who == "member":
        user = _member(db, platform, world.artist, MemberRole.MEMBER)
    elif who == "other-owner":
        user = make_user(db, platform)
        make_artist(db, user)
    elif who == "admin":
        user = make_user(db, platform, admin=True)
    else:
        user = make_user(db, platform)
        make_label(db, user)
    web = WebClient(world.app)
    web.login(user.email, PASSWORD)

    assert web.get(world.page()).status_code == 403
    token = web.token("/")
    for path in ("/connect", "/return", "/refresh"):
        method = web.post if path == "/connect" else web.get
        kwargs = {"data": {"csrf_token": token}} if path == "/connect" else {}
        assert method(world.page() + path, **kwargs).status_code == 403
    assert world.account() is None


def test_strangers_are_sent_to_log_in_and_unknown_profiles_are_404(world: World) -> None:
    anonymous = WebClient(world.app)
    response = anonymous.get(world.page())
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert world.web.get("/artists/nobody-here/getting-paid").status_code == 404


def test_a_connect_without_the_forms_token_is_refused(world: World) -> None:
    response = world.web.post(world.page() + "/connect")
    assert response.status_code == 400
    assert world.account() is None


def test_a_second_owner_continues_the_same_account_not_a_new_one(world: World) -> None:
    world.connect()
    first = world.account()
    co_owner = _member(world.db, world.platform, world.artist, MemberRole.OWNER)
    web = WebClient(world.app)
    web.login(co_owner.email, PASSWORD)

    response = web.submit(world.page(), action=world.page() + "/connect")

    assert response.status_code == 303
    assert world.account().provider_account_id == first.provider_account_id  # type: ignore[union-attr]


def test_a_labels_owner_connects_the_label_and_its_staff_may_not(world: World) -> None:
    boss = make_user(world.db, world.platform)
    label = make_label(world.db, boss, slug="night-ferry")
    staff = make_user(world.db, world.platform)
    world.db.add(LabelStaff(label=label, user=staff, role=MemberRole.MEMBER))
    commit(world.db)
    page = "/labels/night-ferry/getting-paid"

    as_staff = WebClient(world.app)
    as_staff.login(staff.email, PASSWORD)
    assert as_staff.get(page).status_code == 403
    assert world.web.get(page).status_code == 403  # an artist's owner is no one at the label
    as_boss = WebClient(world.app)
    as_boss.login(boss.email, PASSWORD)
    response = as_boss.submit(page, action=page + "/connect")

    assert response.status_code == 303
    fresh(world.db)
    account = world.db.scalar(select(PayeeAccount).where(PayeeAccount.label_id == label.id))
    assert account is not None and account.artist_id is None
    assert isinstance(label, Label)
