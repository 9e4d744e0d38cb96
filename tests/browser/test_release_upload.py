"""An artist prepares a release in a real browser: two masters, a cover, a bad file explained and replaced."""

from __future__ import annotations

import pytest

from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import cover_bytes, master_bytes

pytestmark = pytest.mark.browser


def test_upload_masters_and_cover_fix_the_bad_one(new_page, db, platform, tmp_path):
    user = make_user(db, platform, email="mara@example.com")
    make_artist(db, user, name="Mara Lind", slug="mara-lind")
    good = tmp_path / "01 Harbour Lights.flac"
    good.write_bytes(master_bytes(tmp_path, seed=31, seconds=3))
    whole = master_bytes(tmp_path, seed=32, seconds=4, suffix=".wav")
    broken = tmp_path / "02 Low Tide.wav"
    broken.write_bytes(whole[: len(whole) * 2 // 3])
    fixed = tmp_path / "Low Tide (new export).wav"
    fixed.write_bytes(whole)
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(cover_bytes(1600))

    page = new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/artists/mara-lind/releases/new")
    page.get_by_label("Title").fill("Harbour Songs")
    page.get_by_label("Price", exact=True).fill("8")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url("**/releases/*")

    # Two files at once; each gets its own progress bar, and the page reloads when both are checked.
    with page.expect_navigation():
        page.locator("input[data-upload-kind=master]:not([data-track-id])").set_input_files([good, broken])
        page.wait_for_selector("progress", state="attached")
    # The two files went up at once, so either may have become track 1.
    tracks = page.locator(".track")
    assert tracks.count() == 2
    assert sorted(tracks.nth(i).inner_text().split("\n")[1][:2] for i in range(2)) == ["1.", "2."]
    harbour = page.locator(".track", has_text="Harbour Lights")
    low_tide = page.locator(".track", has_text="Low Tide")
    assert "FLAC" in harbour.inner_text()
    problem = page.locator(".upload--rejected").inner_text()
    assert "02 Low Tide.wav" in problem and "ends early" in problem
    assert "no master yet" in low_tide.inner_text()
    place = low_tide.inner_text().split("\n")[1][:2]

    # Replace the bad file on its track: the track keeps its place and title.
    with page.expect_navigation():
        low_tide.locator("input[type=file]").set_input_files(fixed)
    low_tide = page.locator(".track", has_text="Low Tide")
    assert "WAV" in low_tide.inner_text() and low_tide.inner_text().split("\n")[1][:2] == place
    assert page.locator(".upload--rejected").count() == 0  # the problem is solved, so its notice is gone

    with page.expect_navigation():
        page.locator("input[data-upload-kind=artwork]").set_input_files(cover)
    assert page.locator("img.cover-thumb").is_visible()
    checklist = page.locator(".checklist li")
    assert checklist.count() == 3
    assert all("done" in (checklist.nth(i).get_attribute("class") or "") for i in range(3))
    assert "2 of 2" in checklist.nth(1).inner_text()
    page.screenshot(path=str(tmp_path / "workspace.png"), full_page=True)
