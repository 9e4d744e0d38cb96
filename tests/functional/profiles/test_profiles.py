"""Artist and label profiles: creation, editing, pictures, members by invitation, and rosters by consent."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from storefront.accounts.models import Artist, ArtistMember, Label, MemberRole, RosterLink
from storefront.events import AuditEvent
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.helpers import WebClient, fresh, last_link, mail_to, text_of


def _png(width: int, height: int) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 30, 70)).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def test_create_artist_and_edit_with_a_picture(web, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    response = web.submit(
        "/artists/new",
        {
            "name": "Björk Gudmunds Band",
            "slug": "",
            "bio": "We play.",
            "location": "Reykjavík",
            "links": "https://example.org/band",
        },
    )
    assert response.status_code == 302
    artist = fresh(db).scalar(select(Artist).where(Artist.name == "Björk Gudmunds Band"))
    assert artist is not None and artist.slug == "bjork-gudmunds-band"
    assert artist.members[0].user_id == user.id and artist.members[0].role == MemberRole.OWNER

    page = f"/artists/{artist.slug}/edit"
    response = web.submit(
        page,
        {
            "name": "Björk Gudmunds Band",
            "slug": artist.slug,
            "bio": "New bio",
            "location": "Reykjavík",
            "links": "",
            "avatar": (_png(900, 600), "me.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    fresh(db)
    assert artist.avatar_key and artist.bio == "New bio"
    picture = web.get(f"/avatars/artists/{artist.slug}.jpg")
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(picture.data)).size == (512, 512)
    public = text_of(web.get(f"/artists/{artist.slug}"))
    assert "New bio" in public and "Reykjavík" in public


def test_profile_errors_keep_everything_as_it_was(web, db, platform):
    user = make_user(db, platform)
    make_artist(db, user, slug="taken-name")
    mine = make_artist(db, user, name="Mine", slug="mine")
    web.login(user.email, PASSWORD)
    cases = [
        ({"name": ""}, "Enter a name."),
        ({"slug": "Bad Slug!"}, "lowercase letters"),
        ({"slug": "taken-name"}, "is taken"),
        ({"slug": "admin"}, "is reserved"),
        ({"links": "javascript:alert(1)"}, "is not a web address"),
        ({"avatar": (io.BytesIO(b"not an image at all"), "x.png")}, "not an image we can read"),
        ({"avatar": (io.BytesIO(b"GIF89a" + b"\0" * 100), "x.gif")}, "not an image we can read"),
    ]
    for change, message in cases:
        data = {"name": "Mine", "slug": "mine", "bio": "", "location": "", "links": "", **change}
        response = web.submit("/artists/mine/edit", data, content_type="multipart/form-data")
        assert response.status_code == 422, change
        assert message in text_of(response), (change, text_of(response)[:2500])
    fresh(db)
    assert (mine.name, mine.slug, mine.links, mine.avatar_key) == ("Mine", "mine", [], None)


def test_invite_a_member_who_signs_up_and_accepts(web, app, db, platform):
    owner = make_user(db, platform, name="Olive Owner")
    artist = make_artist(db, owner, name="The Invited", slug="the-invited")
    web.login(owner.email, PASSWORD)
    members = f"/artists/{artist.slug}/members"
    assert (
        web.submit(members, {"email": "bandmate@example.com"}, action=f"{members}/invite").status_code == 302
    )
    again = web.submit(members, {"email": "bandmate@example.com"}, action=f"{members}/invite")
    assert again.status_code == 422 and "still open" in text_of(again)
    link = last_link(app, "bandmate@example.com")
    assert "Olive Owner invites you to The Invited" in mail_to(app, "bandmate@example.com")[0].subject

    # Someone logged in with another address cannot use the link.
    other = make_user(db, platform, email="someone-else@example.com")
    intruder = WebClient(app)
    intruder.login(other.email, PASSWORD)
    assert intruder.submit(link).status_code == 422

    mate = make_user(db, platform, email="bandmate@example.com")
    invited = WebClient(app)
    invited.login(mate.email, PASSWORD)
    assert "Join The Invited" in text_of(invited.get(link))
    assert invited.submit(link).status_code == 302
    fresh(db)
    member = db.scalar(select(ArtistMember).where(ArtistMember.user_id == mate.id))
    assert member is not None and member.role == MemberRole.MEMBER
    assert invited.get(members).status_code == 200
    # Members cannot manage membership; owners can.
    assert invited.submit(members, {"email": "x@example.com"}, action=f"{members}/invite").status_code == 403
    assert (
        web.submit(members, {"user_id": str(mate.id), "role": "owner"}, action=f"{members}/role").status_code
        == 302
    )
    tags = set(fresh(db).scalars(select(AuditEvent.tag).where(AuditEvent.subject_type == "artist")))
    assert {"artist:member_invited", "artist:member_added", "artist:member_role_changed"} <= tags


def test_last_owner_cannot_step_down(web, db, platform):
    owner = make_user(db, platform)
    artist = make_artist(db, owner, slug="lonely")
    web.login(owner.email, PASSWORD)
    members = f"/artists/{artist.slug}/members"
    response = web.submit(members, {"user_id": str(owner.id), "role": "member"}, action=f"{members}/role")
    assert response.status_code == 422 and "at least one owner" in text_of(response)


def test_roster_needs_both_sides(web, app, db, platform):
    label_owner = make_user(db, platform)
    artist_owner = make_user(db, platform)
    label = make_label(db, label_owner, name="Tidal Records", slug="tidal")
    artist = make_artist(db, artist_owner, name="Kelp", slug="kelp")
    web.login(label_owner.email, PASSWORD)
    assert (
        web.submit(
            "/labels/tidal/members", {"slug": "kelp"}, action="/labels/tidal/roster/propose"
        ).status_code
        == 302
    )
    assert 'href="/artists/kelp"' not in text_of(web.get("/labels/tidal"))  # not until the artist agrees
    link = fresh(db).scalar(select(RosterLink))
    assert link.status.value == "awaiting_artist"

    artist_side = WebClient(app)
    artist_side.login(artist_owner.email, PASSWORD)
    page = text_of(artist_side.get("/artists/kelp/members"))
    assert "Tidal Records" in page and "asks you to agree" in page
    assert (
        artist_side.submit(
            "/artists/kelp/members", action=f"/artists/kelp/roster/{link.id}/accept"
        ).status_code
        == 302
    )
    fresh(db)
    assert link.status.value == "active"
    assert 'href="/artists/kelp"' in text_of(web.get("/labels/tidal"))
    assert 'href="/labels/tidal"' in text_of(web.get("/artists/kelp"))

    # Either side may end it.
    assert (
        artist_side.submit("/artists/kelp/members", action=f"/artists/kelp/roster/{link.id}/end").status_code
        == 302
    )
    assert fresh(db).get(RosterLink, link.id).status.value == "ended"
    assert 'href="/artists/kelp"' not in text_of(web.get("/labels/tidal"))
    assert db.get(Label, label.id) is not None and db.get(Artist, artist.id) is not None


def test_label_staff_invitation(web, app, db, platform):
    owner = make_user(db, platform)
    make_label(db, owner, slug="staffed")
    web.login(owner.email, PASSWORD)
    assert (
        web.submit(
            "/labels/staffed/members",
            {"email": "curator@example.com"},
            action="/labels/staffed/members/invite",
        ).status_code
        == 302
    )
    curator = make_user(db, platform, email="curator@example.com")
    other = WebClient(app)
    other.login(curator.email, PASSWORD)
    assert other.submit(last_link(app, "curator@example.com")).status_code == 302
    assert other.get("/labels/staffed/members").status_code == 200
