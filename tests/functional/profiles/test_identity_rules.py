"""Identity rules: a rename earns verification again and is held when it copies a verified name; vouches."""

from __future__ import annotations

from sqlalchemy import select

from storefront.accounts.models import Artist, LabelStaff, MemberRole, RosterLink
from storefront.db import commit, utcnow
from storefront.events import AuditEvent
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.helpers import WebClient, fresh, text_of

PROFILE = {"bio": "", "location": "", "links": ""}


def _logged_in(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _verified(db, artist: Artist) -> Artist:
    artist.verified_at, artist.verified_by, artist.verified_detail = utcnow(), "label", "Harbour Lights"
    commit(db)
    return artist


def test_a_rename_drops_verification_and_a_copied_name_is_held(app, db, platform):
    _verified(db, make_artist(db, make_user(db, platform), name="Mara Lind", slug="mara-lind"))
    owner = make_user(db, platform)
    kelp = _verified(db, make_artist(db, owner, name="Kelp", slug="kelp"))
    web = _logged_in(app, owner)

    # Any new name is a new claim: verification is earned again, but an unrelated name is not held.
    assert (
        web.submit("/artists/kelp/edit", {"name": "Kelp Forest", "slug": "kelp", **PROFILE}).status_code
        == 302
    )
    renamed = fresh(db).get(Artist, kelp.id)
    assert renamed.verified_at is None and renamed.verified_by is None and renamed.hold_reason is None
    assert "verified artist" not in text_of(WebClient(app).get("/artists/kelp"))
    assert db.scalar(select(AuditEvent).where(AuditEvent.tag == "artist:verification_dropped")) is not None

    # A new address that spells the verified artist's name is held as well as a copied name.
    web.submit("/artists/kelp/edit", {"name": "Kelp Forest", "slug": "maralind", **PROFILE})
    held = fresh(db).get(Artist, kelp.id)
    assert "close to the verified artist “Mara Lind”" in held.hold_reason
    # Renaming away again does not lift the hold: only a platform curator does.
    web.submit("/artists/maralind/edit", {"name": "Kelp", "slug": "kelp", **PROFILE})
    assert fresh(db).get(Artist, kelp.id).hold_reason is not None


def test_a_labels_vouch_never_lifts_a_hold(app, db, platform):
    _verified(db, make_artist(db, make_user(db, platform), name="Mara Lind", slug="mara-lind"))
    staff_user = make_user(db, platform)
    label = make_label(db, staff_user, name="Tidal", slug="tidal")
    label.verified_at = utcnow()
    owner = make_user(db, platform)
    artist = make_artist(db, owner, name="Night Shift", slug="night-shift")
    db.add(RosterLink(label=label, artist=artist, label_consent_at=utcnow(), artist_consent_at=utcnow()))
    commit(db)
    _logged_in(app, owner).submit(
        "/artists/night-shift/edit", {"name": "Mára Lind", "slug": "night-shift", **PROFILE}
    )
    assert fresh(db).get(Artist, artist.id).hold_reason is not None

    staff = _logged_in(app, staff_user)
    refused = staff.submit(
        "/labels/tidal/members", action="/labels/tidal/vouch/night-shift", follow_redirects=True
    )
    assert "A platform curator has to clear the hold" in text_of(refused)
    held = fresh(db).get(Artist, artist.id)
    assert held.verified_at is None and held.hold_reason is not None

    admin = _logged_in(app, make_user(db, platform, admin=True))
    admin.submit("/admin/holds", action=f"/admin/holds/{artist.id}/clear")
    assert fresh(db).get(Artist, artist.id).hold_reason is None
    staff.submit("/labels/tidal/members", action="/labels/tidal/vouch/night-shift")
    assert fresh(db).get(Artist, artist.id).verified_by == "label"


def test_a_label_vouches_only_when_verified_and_never_by_the_artists_own_members(app, db, platform):
    member_staff = make_user(db, platform)
    label = make_label(db, member_staff, name="Tidal", slug="tidal")
    other_staff = make_user(db, platform)
    label.staff.append(LabelStaff(user=other_staff, role=MemberRole.MEMBER))
    artist = make_artist(db, member_staff, name="Kelp", slug="kelp")
    db.add(RosterLink(label=label, artist=artist, label_consent_at=utcnow(), artist_consent_at=utcnow()))
    commit(db)
    own = _logged_in(app, member_staff)
    vouch = {"action": "/labels/tidal/vouch/kelp", "follow_redirects": True}

    unverified = own.submit("/labels/tidal/members", **vouch)
    assert "Tidal is not verified by the platform yet" in text_of(unverified)
    assert fresh(db).get(Artist, artist.id).verified_at is None

    admin = _logged_in(app, make_user(db, platform, admin=True))
    admin.submit("/admin/labels", {"verified": "y"}, action=f"/admin/labels/{label.id}/standing")
    assert fresh(db).scalar(select(AuditEvent).where(AuditEvent.tag == "label:verified")) is not None

    conflicted = own.submit("/labels/tidal/members", **vouch)
    assert "You are a member of Kelp, so your vouch does not count" in text_of(conflicted)
    assert fresh(db).get(Artist, artist.id).verified_at is None

    _logged_in(app, other_staff).submit("/labels/tidal/members", action="/labels/tidal/vouch/kelp")
    vouched = fresh(db).get(Artist, artist.id)
    assert vouched.verified_by == "label" and vouched.verified_detail == "Tidal"


def test_only_admins_reach_the_label_standing_page(app, db, platform):
    label = make_label(db, make_user(db, platform), name="Tidal", slug="tidal")
    staff = _logged_in(app, label.staff[0].user)
    assert staff.get("/admin/labels").status_code == 403
    admin = _logged_in(app, make_user(db, platform, admin=True))
    page = text_of(admin.get("/admin/labels"))
    assert "Tidal" in page and "trusted to approve" in page and 'href="/admin/labels"' in page
