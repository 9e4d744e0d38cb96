"""The human-made promise in a real browser: sign, screen, approve, verify; and a rejection explained."""

from __future__ import annotations

import json

import pytest

from storefront.db import commit
from storefront.jobs.interfaces import JobQueue
from storefront.releases.uploads.pipeline import SCREEN_JOB
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.attestations import signable_release

pytestmark = pytest.mark.browser


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _sign_and_submit(page, artist, release) -> None:
    page.goto(f"/artists/{artist.slug}/releases/{release.id}")
    page.get_by_role("link", name="Sign the human-made attestation").click()
    statements = page.locator("#sign fieldset input[type=checkbox]")
    for i in range(statements.count() - 1):  # the last one is the stricter Embodied statement
        statements.nth(i).check()
    page.get_by_label("Your legal name").fill("Ana María Ruiz")
    page.get_by_role("button", name="Sign the attestation").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()
    assert "Submitted for review" in page.locator(".flashes").inner_text()


def test_sign_screen_approve_and_verify_then_a_rejection(new_page, db, platform, tmp_path):
    owner = make_user(db, platform, email="ana@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release, _ = signable_release(db, artist, tmp_path, tracks=1)
    second, _ = signable_release(db, artist, tmp_path, tracks=1)
    queue = JobQueue(db, platform.jobs)
    for upload in release.uploads + second.uploads:
        queue.enqueue(SCREEN_JOB, {"upload_id": upload.id})
    commit(db)  # the screening jobs run now
    make_user(db, platform, email="curator@example.com", admin=True)

    artist_page = new_page()
    _log_in(artist_page, owner.email)
    _sign_and_submit(artist_page, artist, release)
    _sign_and_submit(artist_page, artist, second)

    curator = new_page()
    _log_in(curator, "curator@example.com")
    curator.goto("/review")
    curator.get_by_role("link", name=release.title).click()
    assert "Ana María Ruiz" in curator.locator("main").inner_text()
    screening = curator.locator("section", has=curator.get_by_role("heading", name="Screening")).inner_text()
    assert "c2pa" in screening and "metadata" in screening
    curator.get_by_label("Decision").select_option("approve")
    curator.get_by_role("button", name="Record the decision").click()
    curator.wait_for_load_state()

    curator.goto("/review")
    curator.get_by_role("link", name=second.title).click()
    curator.get_by_label("Decision").select_option("reject")
    curator.get_by_label("Reason (for a rejection)").select_option("not_own_work")
    curator.get_by_label("Message to the artist").fill("This matches another artist's published track.")
    curator.get_by_role("button", name="Record the decision").click()
    curator.wait_for_load_state()

    # The public page carries the badge; the certificate verifies on the verify page.
    fan = new_page()
    fan.goto(f"/artists/ana-ruiz/album/{release.slug}")
    fan.get_by_role("link", name="Human-made · HM-1 certificate").click()
    fan.wait_for_load_state()
    assert "Ana Ruiz" in fan.locator("main").inner_text()
    document = fan.request.get(f"/releases/{release.id}/certificate.json").json()
    fan.goto("/verify")
    fan.locator("textarea").first.fill(json.dumps(document))
    fan.get_by_role("button", name="Verify").click()
    fan.wait_for_load_state()
    assert fan.get_by_role("heading", name="Valid", exact=True).is_visible()
    document["document"]["release"]["title"] = "Something else"
    fan.goto("/verify")
    fan.locator("textarea").first.fill(json.dumps(document))
    fan.get_by_role("button", name="Verify").click()
    fan.wait_for_load_state()
    assert fan.get_by_role("heading", name="Not valid").is_visible()

    artist_page.goto(f"/artists/ana-ruiz/releases/{second.id}")
    review = artist_page.locator("#review").inner_text()
    assert "This matches another artist's published track." in review and "Appeal this decision" in review
