"""Sign-up, email verification, log-in and log-out through HTTP."""

from __future__ import annotations

from sqlalchemy import func, select

from storefront.accounts.models import User
from storefront.events import AuditEvent
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import fresh, last_link, mail_to, text_of


def test_sign_up_verify_and_log_in(web, app, db):
    response = web.submit(
        "/signup",
        {"display_name": "Rosa Park", "email": "Rosa@Example.com", "password": "quiet-river-stones-7"},
    )
    assert response.status_code == 200 and "Check your email" in text_of(response)
    user = db.scalar(select(User).where(User.email == "rosa@example.com"))
    assert user is not None and not user.is_verified
    assert user.password_hash.startswith("$argon2id$")

    # The verification mail went to the outbox, and its link asks for a confirming POST.
    link = last_link(app, "rosa@example.com")
    assert text_of(web.get(link)).count("Confirm my email address") == 1
    fresh(db)
    assert db.get(User, user.id).email_verified_at is None  # GET changed nothing
    assert web.submit(link).status_code == 302
    fresh(db)
    assert db.get(User, user.id).is_verified

    # Signing up does not log in: the same answer has to be given when the address is taken.
    assert "Log out" not in text_of(web.get("/"))
    web.login("rosa@example.com", "quiet-river-stones-7")
    assert "Rosa Park" in text_of(web.get("/"))
    fresh(db)
    tags = set(db.scalars(select(AuditEvent.tag).where(AuditEvent.subject_id == user.id)))
    assert {"user:signed_up", "user:email_verified", "user:logged_in"} <= tags


def test_sign_up_errors_are_shown_beside_fields_and_nothing_is_saved(web, db, platform):
    make_user(db, platform, email="taken@example.com")
    cases = [
        (
            {"display_name": "", "email": "a@example.com", "password": "quiet-river-stones-7"},
            "Enter the name other people will see.",
        ),
        (
            {"display_name": "A", "email": "not-an-email", "password": "quiet-river-stones-7"},
            "Enter a valid email address",
        ),
        ({"display_name": "A", "email": "a@example.com", "password": "short"}, "at least 10 characters"),
        ({"display_name": "A", "email": "a@example.com", "password": "password123"}, "too easy to guess"),
        (
            {"display_name": "A", "email": "a@example.com", "password": "a@example.com"},
            "Don&#39;t use your email address",
        ),
    ]
    before = db.scalar(select(func.count(User.id)))
    for data, message in cases:
        response = web.submit("/signup", data)
        assert response.status_code == 422, data
        page = text_of(response)
        assert message in page, (data, page[:3000])
        assert 'class="field__error"' in page
    fresh(db)
    assert db.scalar(select(func.count(User.id))) == before


def test_wrong_password_and_unknown_email_read_the_same(web, db, platform):
    make_user(db, platform, email="known@example.com")
    wrong = web.submit("/login", {"email": "known@example.com", "password": "nope-nope-nope"})
    unknown = web.submit("/login", {"email": "nobody@example.com", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 422
    assert "The email or the password is not right." in text_of(wrong)
    assert "The email or the password is not right." in text_of(unknown)


def test_login_starts_a_new_session_and_next_stays_on_site(web, db, platform):
    make_user(db, platform, email="fan@example.com")
    before = web.client.get_cookie("velvet_session")
    response = web.submit(
        "/login", {"email": "fan@example.com", "password": PASSWORD, "next": "https://evil.example.net/steal"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    after = web.client.get_cookie("velvet_session")
    assert after is not None and (before is None or before.value != after.value)
    assert after.http_only and after.same_site == "Lax"
    response = web.submit("/login", {"email": "fan@example.com", "password": PASSWORD, "next": "/account"})
    assert response.headers["Location"] == "/account"


def test_deleted_or_unknown_session_user_is_logged_out(web, db, platform):
    user = make_user(db, platform)
    web.login(user.email, PASSWORD)
    assert web.get("/account").status_code == 200
    user.auth_version += 1  # what a password change elsewhere does
    from storefront.db import commit

    commit(db)
    response = web.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_resend_verification_mail(web, app, db, platform):
    user = make_user(db, platform, email="late@example.com", verified=False)
    web.login(user.email, PASSWORD)
    assert web.submit("/account/unverified").status_code == 302
    assert len(mail_to(app, "late@example.com")) == 1
    # Profiles need a confirmed address.
    response = web.get("/artists/new")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/unverified")


def test_sign_up_does_not_reveal_whether_an_address_has_an_account(web, app, db, platform):
    make_user(db, platform, email="taken@example.com", name="Owner")
    data = {"display_name": "Someone", "password": "quiet-river-stones-7"}
    taken = web.submit("/signup", {**data, "email": "TAKEN@example.com"})
    free = web.submit("/signup", {**data, "email": "free@example.com"})

    def normalised(page: str) -> str:
        return page.replace("TAKEN@example.com", "ADDRESS").replace("free@example.com", "ADDRESS")

    assert taken.status_code == free.status_code == 200
    assert normalised(text_of(taken)) == normalised(text_of(free))
    assert ("Set-Cookie" in taken.headers) == ("Set-Cookie" in free.headers)
    # The owner hears about it, with the way back into their account; nothing else changed.
    notice = mail_to(app, "taken@example.com")[-1]
    assert notice.kind == "signup_existing" and "/password/forgot" in notice.text_body
    owner = fresh(db).scalar(select(User).where(User.email == "taken@example.com"))
    assert owner.display_name == "Owner"
    assert db.scalar(select(func.count(User.id)).where(func.lower(User.email) == "taken@example.com")) == 1
    assert mail_to(app, "free@example.com")[-1].kind == "verify_email"
