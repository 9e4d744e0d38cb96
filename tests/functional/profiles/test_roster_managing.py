"""Label staff manage a roster artist's releases only when both agree: the label's owner asks on the roster
page, the artist's owner lets them; either may end it, and ending the roster link ends it. Managing covers
the release workspace, never the artist's own word: the attestation is signed by a member of the artist, and
nobody who edited a release countersigns or decides on it."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from storefront.accounts.models import Artist, Label, LabelStaff, MemberRole, RosterLink, User
from storefront.attestations.models import Attestation
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.events import AuditEvent
from storefront.releases.models import Contributor, Release, ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.factories.attestations import attestation_url, signable_release, signature_form
from tests.functional.releases.test_drafts import DETAILS
from tests.helpers import WebClient, fresh, text_of


@dataclass
class Roster:
    app: Flask
    db: Session
    artist: Artist
    label: Label
    link: RosterLink
    release: Release
    artist_web: WebClient
    owner_web: WebClient  # the label's owner
    staff_web: WebClient  # a member of the label's staff
    staff: User
    colleague_web: WebClient  # another member of the label's staff
    solo: Release  # released by the artist alone: its label's staff can't review it, only manage it

    @property
    def workspace(self) -> str:
        return f"/artists/{self.artist.slug}/releases/{self.release.id}"

    def manages(self) -> tuple[bool, bool]:
        link = fresh(self.db).get(RosterLink, self.link.id)
        assert link is not None
        return link.label_manages, link.manage_proposed_at is not None

    def agree(self) -> None:
        self.owner_web.submit(self.label_page, action=f"{self.label_roster}/manage")
        self.artist_web.submit(self.artist_page, action=f"{self.artist_roster}/manage")
        assert self.manages() == (True, False)

    @property
    def label_page(self) -> str:
        return f"/labels/{self.label.slug}/members"

    @property
    def artist_page(self) -> str:
        return f"/artists/{self.artist.slug}/members"

    @property
    def label_roster(self) -> str:
        return f"/labels/{self.label.slug}/roster/{self.link.id}"

    @property
    def artist_roster(self) -> str:
        return f"/artists/{self.artist.slug}/roster/{self.link.id}"


def _read(response: TestResponse) -> str:
    return html.unescape(text_of(response))


def _client(app: Flask, user: User) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


@pytest.fixture
def roster(app: Flask, platform: Platform, db: Session, tmp_path: Path) -> Roster:
    artist_owner = make_user(db, platform, email="artist@example.com")
    label_owner = make_user(db, platform, email="label@example.com")
    staff = make_user(db, platform, email="staff@example.com")
    colleague = make_user(db, platform, email="colleague@example.com")
    artist = make_artist(db, artist_owner, name="Ana Ruiz", slug="ana-ruiz")
    label = make_label(db, label_owner, name="Night Ferry", slug="night-ferry")
    label.staff.append(LabelStaff(user=staff, role=MemberRole.MEMBER))
    label.staff.append(LabelStaff(user=colleague, role=MemberRole.MEMBER))
    label.verified_at, label.trusted_to_approve = utcnow(), True
    commit(db)
    release, _ = signable_release(db, artist, tmp_path, label=label)
    solo, _ = signable_release(db, artist, tmp_path)
    link = db.scalar(select(RosterLink).where(RosterLink.artist_id == artist.id))
    assert link is not None
    return Roster(
        app,
        db,
        artist,
        label,
        link,
        release,
        _client(app, artist_owner),
        _client(app, label_owner),
        _client(app, staff),
        staff,
        _client(app, colleague),
        solo,
    )


def test_the_label_asks_the_artist_agrees_and_the_labels_staff_work_on_its_releases(roster: Roster) -> None:
    assert roster.staff_web.get(roster.workspace).status_code == 403  # not before both agree
    downloads = f"/downloads/{roster.solo.id}"
    assert roster.staff_web.get(downloads).status_code == 403
    assert "Ask to manage its releases" in text_of(roster.owner_web.get(roster.label_page))

    asked = roster.owner_web.submit(roster.label_page, action=f"{roster.label_roster}/manage")

    assert asked.status_code == 302 and roster.manages() == (False, True)
    assert roster.staff_web.get(roster.workspace).status_code == 403  # asking is not being allowed
    assert "asks that its staff manage your releases" in text_of(roster.artist_web.get(roster.artist_page))

    roster.artist_web.submit(roster.artist_page, action=f"{roster.artist_roster}/manage")

    assert roster.manages() == (True, False)
    # The draft's files, as its members have them: downloads (and previews) by role, not by purchase.
    assert roster.staff_web.get(downloads).status_code == 200
    page = text_of(roster.staff_web.get(roster.workspace + "?step=credits"))
    assert "You manage this release for Ana Ruiz as staff of its label" in page
    credited = roster.staff_web.submit(
        roster.workspace + "?step=credits",
        {"name": "Iris Vale", "role": "performer", "instrument": "cello", "track_id": ""},
        action=roster.workspace + "/contributors",
    )
    assert credited.status_code == 302
    assert fresh(roster.db).scalar(select(Contributor).where(Contributor.name == "Iris Vale")) is not None
    event = roster.db.scalar(select(AuditEvent).where(AuditEvent.tag == "release:credit_added"))
    assert event is not None and event.actor_id == roster.staff.id

    # A new draft for the artist, from the staff member's dashboard.
    dashboard = text_of(roster.staff_web.get("/dashboard"))
    assert "Releases you manage for your labels' artists" in dashboard and roster.release.title in dashboard
    created = roster.staff_web.submit("/artists/ana-ruiz/releases/new", {**DETAILS, "title": "Second Tide"})
    assert created.status_code == 302
    draft = fresh(roster.db).scalar(select(Release).where(Release.title == "Second Tide"))
    assert draft is not None and draft.artist_id == roster.artist.id
    assert "Second Tide" in text_of(roster.artist_web.get("/artists/ana-ruiz/releases"))
    listing = text_of(roster.staff_web.get("/artists/ana-ruiz/releases"))
    assert "Second Tide" in listing and "Releases you manage" in listing
    assert {e.tag for e in roster.db.scalars(select(AuditEvent)) if e.tag.endswith("manage_agreed")} == {
        "artist:manage_agreed"
    }


def test_only_a_member_of_the_artist_signs_its_attestation(roster: Roster) -> None:
    roster.agree()
    page = text_of(roster.staff_web.get(roster.workspace + "?step=attestation"))
    assert "only one of its members can sign it" in page and "Sign the human-made attestation" not in page
    sign = attestation_url(roster.artist, roster.release)
    assert roster.staff_web.get(sign).status_code == 403
    assert roster.staff_web.post(sign, signature_form()).status_code in (400, 403)
    assert fresh(roster.db).scalar(select(Attestation)) is None
    assert "Sign the human-made attestation" in text_of(
        roster.artist_web.get(roster.workspace + "?step=attestation")
    )


def test_whoever_edited_a_release_neither_countersigns_nor_decides_on_it(roster: Roster) -> None:
    roster.agree()
    roster.staff_web.submit(
        roster.workspace + "?step=credits",
        {"name": "Iris Vale", "role": "performer", "instrument": "cello", "track_id": ""},
        action=roster.workspace + "/contributors",
    )
    assert (
        roster.artist_web.submit(attestation_url(roster.artist, roster.release), signature_form()).status_code
        == 302
    )
    attestation = fresh(roster.db).scalar(select(Attestation))
    assert attestation is not None
    countersign = f"/labels/night-ferry/attestations/{attestation.id}/countersign"

    refused = roster.staff_web.submit(countersign, {"confirm": "y"})

    assert refused.status_code == 422
    assert "You edited it, so another member of Night Ferry's staff has to countersign it." in _read(refused)
    assert roster.colleague_web.submit(countersign, {"confirm": "y"}).status_code == 302
    # The staff member who manages it submits it for review; the label's owner, who has no stake, decides.
    assert roster.staff_web.submit(roster.workspace, action=roster.workspace + "/submit").status_code == 302
    assert fresh(roster.db).get(Release, roster.release.id).status == ReleaseStatus.IN_REVIEW
    review = f"/review/releases/{roster.release.id}"
    own = roster.staff_web.submit(review, {"decision": "approve", "message": ""}, action=review + "/decide")
    assert own.status_code == 422 and "You edited it, so you can't decide on it" in _read(own)
    assert fresh(roster.db).get(Release, roster.release.id).status == ReleaseStatus.IN_REVIEW
    countersigned = roster.colleague_web.submit(
        review, {"decision": "approve", "message": ""}, action=review + "/decide"
    )
    assert countersigned.status_code == 422 and "You countersigned its attestation" in _read(countersigned)
    approved = roster.owner_web.submit(
        review, {"decision": "approve", "message": ""}, action=review + "/decide"
    )
    assert approved.status_code == 302
    assert fresh(roster.db).get(Release, roster.release.id).status == ReleaseStatus.APPROVED


def test_the_artist_takes_its_releases_back_and_ending_the_roster_ends_managing(roster: Roster) -> None:
    roster.agree()
    assert roster.staff_web.get(roster.workspace).status_code == 200
    taken = roster.artist_web.submit(roster.artist_page, action=f"{roster.artist_roster}/manage/end")
    assert taken.status_code == 302 and roster.manages() == (False, False)
    assert roster.staff_web.get(roster.workspace).status_code == 403
    assert roster.staff_web.get(f"/downloads/{roster.solo.id}").status_code == 403
    assert "Releases you manage" not in text_of(roster.staff_web.get("/dashboard"))

    roster.agree()
    roster.owner_web.submit(roster.label_page, action=f"{roster.label_roster}/end")
    assert roster.manages() == (False, False)
    assert roster.staff_web.get(roster.workspace).status_code == 403
    assert roster.staff_web.get("/artists/ana-ruiz/releases").status_code == 403


def test_managing_is_asked_and_granted_by_owners_only_and_reaches_no_other_artist(
    roster: Roster, app: Flask, db: Session, platform: Platform, tmp_path: Path
) -> None:
    # A staff member who is not the label's owner can't ask; the artist can't agree to what was never asked.
    assert (
        roster.staff_web.submit(roster.label_page, action=f"{roster.label_roster}/manage").status_code == 403
    )
    unasked = roster.artist_web.submit(roster.artist_page, action=f"{roster.artist_roster}/manage")
    assert unasked.status_code == 422 and "Night Ferry has not asked to manage your releases." in text_of(
        unasked
    )
    roster.agree()

    # Another artist on the same roster that has not agreed, and another label's staff: nothing.
    other_owner = make_user(db, platform)
    other = make_artist(db, other_owner, slug="elsewhere")
    db.add(
        RosterLink(label=roster.label, artist=other, label_consent_at=utcnow(), artist_consent_at=utcnow())
    )
    commit(db)
    other_release, _ = signable_release(db, other, tmp_path)
    assert roster.staff_web.get(f"/artists/elsewhere/releases/{other_release.id}").status_code == 403
    assert roster.staff_web.get("/artists/elsewhere/releases/new").status_code == 403
    stranger_owner = make_user(db, platform)
    make_label(db, stranger_owner, slug="stranger")
    assert _client(app, stranger_owner).get(roster.workspace).status_code == 403
    # A link id of another label's roster, under this label: not found.
    link = db.scalar(select(RosterLink).where(RosterLink.artist_id == other.id))
    assert link is not None
    assert (
        roster.owner_web.submit(
            roster.label_page, action=f"/labels/stranger/roster/{link.id}/manage"
        ).status_code
        == 403
    )
    assert (
        _client(app, stranger_owner)
        .submit("/labels/stranger/members", action=f"/labels/stranger/roster/{link.id}/manage")
        .status_code
        == 404
    )
