"""Password reset, change of password and email, and account deletion."""

from __future__ import annotations

from sqlalchemy import select

from storefront.accounts.models import ArtistMember, User
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.helpers import WebClient, fresh, last_link, mail_to, text_of


def test_password_reset_works_once_and_logs_out_other_sessions(web, app, db, platform):
    user = make_user(db, platform, email="reset@example.com")
    other_device = WebClient(app)
    other_device.login(user.email, PASSWORD)

    response = web.submit("/password/forgot", {"email": "reset@example.com"})
    assert response.status_code == 200 and "Check your email" in text_of(response)
    link = last_link(app, "reset@example.com")
    assert web.submit(link, {"password": "new-harbour-lights-9"}).status_code == 302
    assert "Log out" in text_of(web.get("/"))

    # The same link is dead now, and the other device was logged out by the change.
    assert web.get(link).status_code == 400
    assert other_device.get("/account").status_code == 302
    web.logout()
    web.login("reset@example.com", "new-harbour-lights-9")


def test_reset_for_unknown_address_looks_the_same_and_sends_nothing(web, app):
    response = web.submit("/password/forgot", {"email": "ghost@example.com"})
    assert response.status_code == 200 and "Check your email" in text_of(response)
    assert mail_to(app, "ghost@example.com") == []


def test_reset_link_tampered_or_with_weak_password(web, app, db, platform):
    make_user(db, platform, email="weak@example.com")
    web.submit("/password/forgot", {"email": "weak@example.com"})
    link = last_link(app, "weak@example.com")
    assert web.get(link[:-3] + "abc").status_code == 400
    response = web.submit(link, {"password": "short"})
    assert response.status_code == 422 and "at least 10 characters" in text_of(response)
    web.logout()
    web.login("weak@example.com", PASSWORD)  # the old password still works


def test_change_password_needs_the_current_one(web, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    response = web.submit(
        "/account",
        {"current_password": "wrong-one-here", "new_password": "another-pass-77"},
        action="/account/password",
    )
    assert response.status_code == 422 and "Your current password is not right." in text_of(response)
    response = web.submit(
        "/account",
        {"current_password": PASSWORD, "new_password": "another-pass-77"},
        action="/account/password",
    )
    assert response.status_code == 302
    assert web.get("/account").status_code == 200  # this session stays logged in
    web.logout()
    web.login(user.email, "another-pass-77")


def test_change_email_confirmed_by_link_to_the_new_address(web, app, db, platform):
    user = make_user(db, platform, email="old@example.com")
    make_user(db, platform, email="taken@example.com")
    web.login(user.email, PASSWORD)
    response = web.submit(
        "/account", {"new_email": "taken@example.com", "password": PASSWORD}, action="/account/email"
    )
    assert response.status_code == 422 and "Another account uses this address." in text_of(response)
    response = web.submit(
        "/account", {"new_email": "new@example.com", "password": "wrong-password"}, action="/account/email"
    )
    assert response.status_code == 422 and "Your password is not right." in text_of(response)

    assert (
        web.submit(
            "/account", {"new_email": "new@example.com", "password": PASSWORD}, action="/account/email"
        ).status_code
        == 302
    )
    assert mail_to(app, "old@example.com")[-1].kind == "email_change_notice"
    fresh(db)
    assert db.get(User, user.id).email == "old@example.com"
    assert web.submit(last_link(app, "new@example.com")).status_code == 302
    fresh(db)
    assert db.get(User, user.id).email == "new@example.com"


def test_delete_account_erases_personal_data(web, db, platform):
    user = make_user(db, platform, email="leaving@example.com", name="Leaving Person")
    make_artist(db, user, slug="solo-act")
    web.login(user.email, PASSWORD)
    page = text_of(web.get("/account/delete"))
    assert "What we keep, and why" in page

    response = web.submit("/account/delete", {"password": PASSWORD})
    assert response.status_code == 422 and "Tick the box to confirm." in text_of(response)
    response = web.submit("/account/delete", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    fresh(db)
    gone = db.get(User, user.id)
    assert gone.deleted_at is not None and gone.password_hash is None
    assert "leaving" not in gone.email and gone.display_name == "Deleted account"
    assert db.scalars(select(ArtistMember).where(ArtistMember.user_id == user.id)).all() == []
    assert web.submit("/login", {"email": "leaving@example.com", "password": PASSWORD}).status_code == 422


def test_sole_owner_of_a_shared_profile_cannot_delete(web, db, platform):
    owner = make_user(db, platform)
    other = make_user(db, platform)
    artist = make_artist(db, owner, name="The Duo")
    artist.members.append(ArtistMember(user=other))
    from storefront.db import commit

    commit(db)
    web.login(owner.email, PASSWORD)
    response = web.submit("/account/delete", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 422 and "only owner of The Duo" in text_of(response)
    fresh(db)
    assert db.get(User, owner.id).deleted_at is None


def test_a_second_email_change_request_kills_the_first_link(web, app, db, platform):
    user = make_user(db, platform, email="first@example.com")
    web.login(user.email, PASSWORD)
    for address in ("typo@exmaple.com", "right@example.com"):
        data = {"new_email": address, "password": PASSWORD}
        response = web.submit("/account", data, action="/account/email")
        assert response.status_code == 302
    first_link = last_link(app, "typo@exmaple.com")
    second_link = last_link(app, "right@example.com")

    response = web.submit(first_link)
    assert response.status_code == 400 and "newer change was asked for" in text_of(response)
    assert fresh(db).get(User, user.id).email == "first@example.com"
    assert web.submit(second_link).status_code == 302
    assert fresh(db).get(User, user.id).email == "right@example.com"
    # And a link works only once.
    assert web.submit(second_link).status_code == 400
