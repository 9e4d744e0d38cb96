"""Sessions end on the server: a copied cookie dies with log-out, "everywhere", password change, deletion."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from storefront.accounts.models import User
from storefront.accounts.sessions import UserSession
from storefront.db import commit, utcnow
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import WebClient, fresh, text_of

COOKIE = "velvet_session"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _copy_of(app, web: WebClient) -> WebClient:
    """A second browser holding a copy of `web`'s session cookie, as a thief would."""
    cookie = web.client.get_cookie(COOKIE)
    assert cookie is not None
    thief = WebClient(app)
    thief.client.set_cookie(COOKIE, cookie.value)
    return thief


def _opens_account(client: WebClient) -> bool:
    response = client.get("/account")
    return response.status_code == 200 and "Your account" in text_of(response)


def test_a_copied_cookie_stops_working_after_log_out(web, app, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    thief = _copy_of(app, web)
    assert _opens_account(thief)

    web.logout()
    assert not _opens_account(web)
    assert not _opens_account(thief)
    response = thief.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    row = fresh(db).scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row is not None and row.revoked_at is not None


def test_password_change_ends_the_other_sessions_and_keeps_this_one(web, app, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    laptop = WebClient(app)
    laptop.login(user.email, PASSWORD)
    copy_of_this_one = _copy_of(app, web)

    response = web.submit(
        "/account",
        {"current_password": PASSWORD, "new_password": "another-pass-77"},
        action="/account/password",
    )
    assert response.status_code == 302
    assert _opens_account(web)
    assert not _opens_account(laptop)
    # Even a copy of this browser's cookie taken before the change is dead: the kept session's cookie was
    # renewed with the change.
    assert not _opens_account(copy_of_this_one)
    assert _opens_account(web)


def test_account_page_lists_sessions_and_ends_one(web, app, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    phone = WebClient(app)
    phone.client.environ_base["HTTP_USER_AGENT"] = FIREFOX
    phone.login(user.email, PASSWORD)

    page = text_of(web.get("/account"))
    assert "Where you are logged in" in page
    assert "Firefox on Linux" in page and "this device" in page
    phone_id = fresh(db).scalar(
        select(UserSession.id).where(
            UserSession.user_agent == "Firefox on Linux", UserSession.user_id == user.id
        )
    )
    response = web.submit("/account", action=f"/account/sessions/{phone_id}/end")
    assert response.status_code == 302
    assert not _opens_account(phone)
    assert _opens_account(web)
    assert "Firefox on Linux" not in text_of(web.get("/account"))


def test_a_stranger_cannot_end_someone_elses_session(web, app, db, platform):
    owner = make_user(db, platform)
    owner_web = WebClient(app)
    owner_web.login(owner.email, PASSWORD)
    owner_session = fresh(db).scalar(select(UserSession.id).where(UserSession.user_id == owner.id))

    web.login(make_user(db, platform).email, PASSWORD)
    assert web.submit("/account", action=f"/account/sessions/{owner_session}/end").status_code == 404
    assert web.submit("/account", action=f"/account/sessions/{2**64}/end").status_code == 404
    assert _opens_account(owner_web)


def test_log_out_everywhere_ends_every_session(web, app, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    laptop = WebClient(app)
    laptop.login(user.email, PASSWORD)
    thief = _copy_of(app, web)

    response = web.submit("/account", action="/account/sessions/end-all")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    for client in (web, laptop, thief):
        assert not _opens_account(client)
    web.login(user.email, PASSWORD)  # logging in again works as ever
    assert _opens_account(web)


def test_deleting_the_account_ends_every_session(web, app, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    laptop = WebClient(app)
    laptop.login(user.email, PASSWORD)
    thief = _copy_of(app, web)

    response = web.submit("/account/delete", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    for client in (web, laptop, thief):
        assert not _opens_account(client)
    rows = fresh(db).scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert len(rows) == 2 and all(row.revoked_at is not None for row in rows)


def test_logging_in_starts_a_new_server_session(web, app, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    before = _copy_of(app, web)
    web.login(user.email, PASSWORD)  # again, in the same browser
    assert _opens_account(web)
    # The session from before the second log-in is over: a planted or stolen id does not survive it.
    assert not _opens_account(before)
    ids = re.findall(r"/account/sessions/(\d+)/end", text_of(web.get("/account")))
    assert len(ids) == 1


def test_an_admin_disabling_a_user_ends_every_session_until_enabled(web, app, db, platform):
    user = make_user(db, platform, email="troublesome@example.com")
    web.login(user.email, PASSWORD)
    laptop = WebClient(app)
    laptop.login(user.email, PASSWORD)
    admin = WebClient(app)
    admin.login(make_user(db, platform, admin=True).email, PASSWORD)

    response = admin.submit("/admin/users", action=f"/admin/users/{user.id}/disable")
    assert response.status_code == 302
    assert "disabled" in text_of(admin.get("/admin/users"))
    for client in (web, laptop):
        assert not _opens_account(client)
    refused = web.submit("/login", {"email": user.email, "password": PASSWORD})
    assert refused.status_code == 422

    assert admin.submit("/admin/users", action=f"/admin/users/{user.id}/enable").status_code == 302
    web.login(user.email, PASSWORD)
    assert _opens_account(web)
    # Only admins may do this, and not to themselves.
    assert web.submit("/account", action=f"/admin/users/{user.id}/disable").status_code == 403
    assert _opens_account(web)
    admin_id = fresh(db).scalar(select(User.id).where(User.is_admin))
    admin.submit("/admin/users", action=f"/admin/users/{admin_id}/disable")
    assert "You cannot disable your own account." in text_of(admin.get("/admin/users"))
    assert _opens_account(admin)


def _age_sessions(db, user, by: timedelta) -> None:
    for row in fresh(db).scalars(select(UserSession).where(UserSession.user_id == user.id)):
        row.last_seen_at = utcnow() - by
    commit(db)


def test_last_seen_is_noted_on_reads_and_writes_without_a_write_on_get(web, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    for touch_with in ("GET", "POST"):
        _age_sessions(db, user, timedelta(hours=2))
        if touch_with == "GET":
            assert web.get("/account").status_code == 200  # a GET that wrote would answer 500
        else:
            data = {"current_password": "wrong-one-here", "new_password": "another-pass-77"}
            # A refused form rolls its transaction back; the next accepted write notes the time.
            web.submit("/account", data, action="/account/password")
            web.submit(
                "/account",
                {"current_password": PASSWORD, "new_password": "another-pass-77"},
                action="/account/password",
            )
        seen = fresh(db).scalar(
            select(UserSession.last_seen_at).where(
                UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
            )
        )
        assert seen is not None and seen > utcnow() - timedelta(minutes=5), touch_with


def test_a_session_unused_for_a_month_is_over(web, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    _age_sessions(db, user, timedelta(days=31))
    response = web.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
