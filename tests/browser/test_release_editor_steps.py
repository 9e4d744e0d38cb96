"""An artist walks the release editor's steps from an empty draft to "submitted", with JavaScript off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storefront.releases.models import Release, ReleaseStatus
from tests.browser.journeys import log_in, sign_attestation
from tests.factories.accounts import make_artist, make_user
from tests.factories.releases import cover_bytes, master_bytes

pytestmark = pytest.mark.browser

CREDITS = (
    ("Ana Ruiz", "Composer", ""),
    ("Ana Ruiz", "Lyricist", ""),
    ("Ana Ruiz", "Performer", "lead vocals"),
    ("Ana Ruiz", "Producer", ""),
    ("Mia Chen", "Mixing engineer", ""),
    ("Mia Chen", "Mastering engineer", ""),
    ("Lu Park", "Artwork", ""),
)


def _current(page: Any) -> str:
    return str(page.locator('nav[aria-label="Release editor steps"] [aria-current="step"]').inner_text())


def _done(page: Any, title: str) -> bool:
    link = page.get_by_role("link", name=title, exact=True)
    item = page.locator('nav[aria-label="Release editor steps"] li').filter(has=link)
    return "done" in (item.get_attribute("class") or "").split()


def _next(page: Any, title: str) -> None:
    page.get_by_role("link", name=f"Next: {title}").click()
    page.wait_for_load_state()
    assert _current(page) == title


def _upload(page: Any, button: str, file: Path) -> None:
    """The plain-form path: a form straight to storage, then the check that brings the browser back."""
    page.get_by_role("button", name=button).click()
    page.get_by_label("File").set_input_files(file)
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("button", name="Check the file and go back to the release").click()
    page.wait_for_load_state()
    assert _current(page) == "Tracks and files"


@pytest.fixture
def artist_email(shop: tuple[Any, str]) -> str:
    """An artist with no release yet, on the server whose own links (storage's return) the browser follows."""
    platform = shop[0].extensions["storefront"]
    db = platform.database.session(write=True)
    try:
        owner = make_user(db, platform, email="ana@example.com")
        make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
        return str(owner.email)
    finally:
        db.close()


def _release(shop: tuple[Any, str]) -> Release:
    db = shop[0].extensions["storefront"].database.session()
    try:
        return db.scalars(select(Release)).one()
    finally:
        db.close()


def test_an_artist_walks_the_steps_to_submitted_without_javascript(open_page, shop, artist_email, tmp_path):
    master = tmp_path / "Harbour Lights.flac"
    master.write_bytes(master_bytes(tmp_path, seed=41, seconds=3))
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(cover_bytes(1400))

    page = open_page(java_script_enabled=False)
    log_in(page, artist_email)
    page.goto("/artists/ana-ruiz/releases/new")
    page.get_by_label("Title").fill("Harbour Songs")
    page.get_by_label("Price", exact=True).fill("8")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_load_state()
    assert "js" not in (page.locator("html").get_attribute("class") or "").split()  # no script ran
    # The new draft opens at the first step not done: its title and price are there already.
    assert _current(page) == "Tracks and files"
    assert _done(page, "Details and price") and not _done(page, "Tracks and files")

    page.get_by_role("link", name="Back: Details and price").click()
    assert _current(page) == "Details and price"
    page.get_by_label("About this release").fill("Songs written by the harbour.")
    page.get_by_role("button", name="Save details").click()
    page.wait_for_load_state()
    assert "Details saved" in page.locator(".flashes").inner_text()
    assert _current(page) == "Details and price"  # saved, and still on the same step

    _next(page, "Tracks and files")
    page.get_by_label("New track title").fill("Harbour Lights")
    page.get_by_role("button", name="Add track").click()
    page.wait_for_load_state()
    assert _current(page) == "Tracks and files"
    assert "no master yet" in page.locator(".track", has_text="Harbour Lights").inner_text()
    _upload(page, "Upload without JavaScript", master)
    assert "FLAC" in page.locator(".track", has_text="Harbour Lights").inner_text()
    _upload(page, "Upload the cover without JavaScript", cover)
    assert page.locator("img.cover-thumb").is_visible()
    assert _done(page, "Tracks and files") and not _done(page, "Credits")

    _next(page, "Credits")
    for name, role, instrument in CREDITS:
        page.get_by_label("Name").fill(name)
        page.get_by_label("Role").select_option(label=role)
        page.get_by_label("Instrument or voice").fill(instrument)
        page.get_by_role("button", name="Add credit").click()
        page.wait_for_load_state()
        assert _current(page) == "Credits"
    assert page.locator("#credits tbody tr").count() == len(CREDITS), page.locator("#credits").inner_text()
    assert _done(page, "Credits")

    _next(page, "Previews")
    assert "Harbour Lights" in page.locator("#media").inner_text()
    page.get_by_role("button", name="Save preview").click()
    page.wait_for_load_state()
    assert _current(page) == "Previews"

    _next(page, "AI training")
    page.get_by_label("Reserve it (the default)").check()
    page.get_by_role("button", name="Save the choice").click()
    page.wait_for_load_state()
    assert "AI training stays reserved" in page.locator(".flashes").inner_text()
    assert _current(page) == "AI training"

    _next(page, "Attestation")
    assert not _done(page, "Attestation")
    sign_attestation(page)
    assert _current(page) == "Attestation" and _done(page, "Attestation")

    _next(page, "Review")
    assert "Everything is in place" in page.locator("#review").inner_text()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()
    assert "Submitted for review" in page.locator(".flashes").inner_text()
    assert _current(page) == "Review" and _done(page, "Review")
    assert "Waiting for a curator" in page.locator("#review").inner_text()
    release = _release(shop)
    assert release.status == ReleaseStatus.IN_REVIEW and release.title == "Harbour Songs"
