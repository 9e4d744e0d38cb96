"""A new artist's first steps in a real browser: sign up, confirm by mail, log in, profile, invite."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.accounts.models import Artist, Invitation
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import fresh

pytestmark = pytest.mark.browser


def _mail_link(admin_page, to: str) -> str:
    """Read the newest message to `to` in the admin outbox, as a person would, and return its link."""
    admin_page.goto(f"/admin/outbox?to={to}")
    admin_page.get_by_role("row").nth(1).get_by_role("link").click()
    body = admin_page.locator("pre.mail-body").inner_text()
    found = re.search(r"https?://\S+", body)
    assert found, body
    return re.sub(r"^https?://[^/]+", "", found.group(0))


def test_sign_up_confirm_create_artist_and_invite(new_page, db, platform, tmp_path):
    admin = make_user(db, platform, email="admin@example.com", admin=True)
    admin_page = new_page()
    admin_page.goto("/login")
    admin_page.get_by_label("Email").fill(admin.email)
    admin_page.get_by_label("Password").fill(PASSWORD)
    admin_page.get_by_role("button", name="Log in").click()
    admin_page.wait_for_load_state()
    assert admin_page.url.endswith("/"), admin_page.locator("main").inner_text()

    page = new_page()
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    # A mistake first: the error appears beside the field and the other entries stay.
    page.get_by_label("Your name").fill("Nadia Sol")
    page.get_by_label("Email").fill("nadia@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    assert "Use at least 10 characters." in page.locator(".field__error").inner_text()
    assert page.get_by_label("Email").input_value() == "nadia@example.com"
    page.get_by_label("Password").fill("sunlit-harbour-songs-3")
    page.get_by_role("button", name="Sign up").click()
    # Signing up does not log in: the answer must not tell whether the address already had an account.
    page.wait_for_selector("text=Check your email")
    page.screenshot(path=str(tmp_path / "signup-sent.png"))

    page.goto(_mail_link(admin_page, "nadia@example.com"))
    page.get_by_role("button", name="Confirm my email address").click()
    assert "is confirmed" in page.locator(".flashes").inner_text()
    page.wait_for_url("**/login")
    page.get_by_label("Email").fill("nadia@example.com")
    page.get_by_label("Password").fill("sunlit-harbour-songs-3")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.url.endswith("/"), page.locator("main").inner_text()
    assert page.get_by_role("link", name="Nadia Sol").is_visible()

    page.get_by_role("link", name="Nadia Sol").click()
    page.get_by_role("link", name="New artist profile").click()
    page.get_by_label("Name").fill("Nadia Sol & The Tides")
    page.get_by_label("Location").fill("Lisbon")
    page.get_by_label("About").fill("Fado guitar and a borrowed drum kit.")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/artists/nadia-sol-the-tides/members")

    page.get_by_label("Email of the person to invite").fill("drummer@example.com")
    page.get_by_role("button", name="Send invitation").click()
    assert "Invitation sent to drummer@example.com" in page.locator(".flashes").inner_text()
    assert "drummer@example.com" in page.locator("main").inner_text()
    page.screenshot(path=str(tmp_path / "members.png"), full_page=True)

    invitation_link = _mail_link(admin_page, "drummer@example.com")
    assert invitation_link.startswith("/invitations/")
    fresh(db)
    artist = db.scalar(select(Artist).where(Artist.slug == "nadia-sol-the-tides"))
    assert artist is not None and artist.location == "Lisbon"
    assert db.scalar(select(Invitation).where(Invitation.email == "drummer@example.com")) is not None

    page.goto("/artists/nadia-sol-the-tides")
    assert "Fado guitar" in page.locator("main").inner_text()


def test_keyboard_only_log_in(new_page, db, platform):
    user = make_user(db, platform, email="keys@example.com")
    page = new_page()
    page.goto("/login")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    page.get_by_label("Email").focus()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    assert page.get_by_role("button", name="Log out").is_visible()
