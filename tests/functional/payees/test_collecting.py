"""A label sells and is paid for an artist's releases on the label only when both agree: its owner proposes
on the roster page, the artist's owner accepts; either may end it, and ending the roster link ends it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, ArtistMember, Label, MemberRole, RosterLink, User
from storefront.accounts.payees.services import can_sell, payee_for
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.events import AuditEvent
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.functional.payees.support import payee_account, release_of
from tests.helpers import WebClient, fresh, text_of


@dataclass
class Deal:
    app: Flask
    platform: Platform
    db: Session
    artist: Artist
    label: Label
    link: RosterLink
    artist_web: WebClient
    label_web: WebClient

    def label_action(self, name: str) -> str:
        return f"/labels/{self.label.slug}/roster/{self.link.id}/collect/{name}"

    def artist_action(self, name: str) -> str:
        return f"/artists/{self.artist.slug}/roster/{self.link.id}/collect/{name}"

    def state(self) -> tuple[bool, bool]:
        fresh(self.db)
        link = self.db.get(RosterLink, self.link.id)
        assert link is not None
        return link.label_collects, link.collect_proposed_at is not None


def _client(app: Flask, user: User) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


@pytest.fixture
def deal(app: Flask, platform: Platform, db: Session) -> Deal:
    artist_owner = make_user(db, platform, email="artist@example.com")
    label_owner = make_user(db, platform, email="label@example.com")
    artist = make_artist(db, artist_owner, slug="pale-orchard")
    label = make_label(db, label_owner, slug="night-ferry")
    link = RosterLink(label=label, artist=artist, label_consent_at=utcnow(), artist_consent_at=utcnow())
    db.add(link)
    commit(db)
    return Deal(app, platform, db, artist, label, link, _client(app, artist_owner), _client(app, label_owner))


def test_the_label_proposes_the_artist_accepts_and_the_label_is_paid(deal: Deal) -> None:
    release = release_of(deal.db, deal.artist, label=deal.label)
    elsewhere = release_of(deal.db, deal.artist)
    label_page = f"/labels/{deal.label.slug}/members"
    assert "Ask to sell and be paid" in text_of(deal.label_web.get(label_page))

    response = deal.label_web.submit(label_page, action=deal.label_action("propose"))

    assert response.status_code == 303
    assert deal.state() == (False, True)
    assert payee_for(deal.db, release).key == f"artist:{deal.artist.id}"  # not before the artist agrees
    artist_page = f"/artists/{deal.artist.slug}/members"
    assert "asks to sell and be paid for your releases" in text_of(deal.artist_web.get(artist_page))

    deal.artist_web.submit(artist_page, action=deal.artist_action("accept"))

    assert deal.state() == (True, False)
    fresh(deal.db)
    assert payee_for(deal.db, release).key == f"label:{deal.label.id}"
    assert payee_for(deal.db, elsewhere).key == f"artist:{deal.artist.id}"  # only releases on the label
    label_page = text_of(deal.label_web.get(f"/labels/{deal.label.slug}/getting-paid"))
    assert deal.artist.name in label_page and "not for sale until this account" in label_page
    assert deal.label.name in text_of(deal.artist_web.get(f"/artists/{deal.artist.slug}/getting-paid"))
    payee_account(deal.db, deal.artist)
    assert not can_sell(deal.db, release).ok  # the label has no account that can receive yet
    assert can_sell(deal.db, elsewhere).ok
    payee_account(deal.db, deal.label)
    assert can_sell(deal.db, release).ok
    tags = [e.tag for e in deal.db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert tags[-2:] == ["label:collect_proposed", "artist:collect_agreed"]


def test_either_side_ends_it_and_the_artist_is_paid_again(deal: Deal) -> None:
    release = release_of(deal.db, deal.artist, label=deal.label)
    deal.label_web.submit(f"/labels/{deal.label.slug}/members", action=deal.label_action("propose"))
    deal.artist_web.submit(f"/artists/{deal.artist.slug}/members", action=deal.artist_action("accept"))

    deal.artist_web.submit(f"/artists/{deal.artist.slug}/members", action=deal.artist_action("end"))

    assert deal.state() == (False, False)
    fresh(deal.db)
    assert payee_for(deal.db, release).key == f"artist:{deal.artist.id}"


def test_ending_the_roster_link_ends_the_agreement_and_joining_again_does_not_revive_it(deal: Deal) -> None:
    release = release_of(deal.db, deal.artist, label=deal.label)
    deal.label_web.submit(f"/labels/{deal.label.slug}/members", action=deal.label_action("propose"))
    deal.artist_web.submit(f"/artists/{deal.artist.slug}/members", action=deal.artist_action("accept"))
    members = f"/labels/{deal.label.slug}/members"

    deal.label_web.submit(members, action=f"/labels/{deal.label.slug}/roster/{deal.link.id}/end")
    deal.label_web.submit(
        members, action=f"/labels/{deal.label.slug}/roster/propose", data={"slug": deal.artist.slug}
    )
    deal.artist_web.submit(
        f"/artists/{deal.artist.slug}/members",
        action=f"/artists/{deal.artist.slug}/roster/{deal.link.id}/accept",
    )

    fresh(deal.db)
    assert deal.db.get(RosterLink, deal.link.id).status.value == "active"  # type: ignore[union-attr]
    assert deal.state() == (False, False)
    assert payee_for(deal.db, release).key == f"artist:{deal.artist.id}"


def test_the_label_cannot_agree_for_the_artist(deal: Deal) -> None:
    deal.label_web.submit(f"/labels/{deal.label.slug}/members", action=deal.label_action("propose"))
    token = deal.label_web.token(f"/labels/{deal.label.slug}/members")

    response = deal.label_web.post(deal.artist_action("accept"), data={"csrf_token": token})

    assert response.status_code == 403
    assert deal.state() == (False, True)


def test_accepting_what_was_never_proposed_changes_nothing(deal: Deal) -> None:
    page = f"/artists/{deal.artist.slug}/members"
    response = deal.artist_web.submit(page, action=deal.artist_action("accept"), follow_redirects=True)

    assert "has not asked to be paid" in text_of(response)
    assert deal.state() == (False, False)


def test_a_member_who_is_not_an_owner_cannot_accept(deal: Deal) -> None:
    deal.label_web.submit(f"/labels/{deal.label.slug}/members", action=deal.label_action("propose"))
    member = make_user(deal.db, deal.platform)
    deal.db.add(ArtistMember(artist=deal.artist, user=member, role=MemberRole.MEMBER))
    commit(deal.db)
    web = _client(deal.app, member)

    response = web.submit(f"/artists/{deal.artist.slug}/members", action=deal.artist_action("accept"))

    assert response.status_code == 403
    assert deal.state() == (False, True)


def test_another_labels_link_is_not_found_from_this_label(deal: Deal) -> None:
    other_owner = make_user(deal.db, deal.platform)
    other = make_label(deal.db, other_owner, slug="far-harbour")
    web = _client(deal.app, other_owner)

    response = web.submit(
        f"/labels/{other.slug}/members", action=f"/labels/{other.slug}/roster/{deal.link.id}/collect/propose"
    )

    assert response.status_code == 404
    assert deal.state() == (False, False)
