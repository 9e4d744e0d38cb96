"""The human-made promise in a real browser: sign, screen, approve, verify; and a rejection explained."""

from __future__ import annotations

import json

import pytest

from storefront.db import commit
from storefront.jobs.interfaces import JobQueue
from storefront.releases.uploads.pipeline import SCREEN_JOB
from tests.browser.journeys import log_in, sign_and_submit
from tests.factories.accounts import make_artist, make_user
from tests.factories.attestations import signable_release

pytestmark = pytest.mark.browser


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
    log_in(artist_page, owner.email)
    sign_and_submit(artist_page, artist, release)
    sign_and_submit(artist_page, artist, second)

    curator = new_page()
    log_in(curator, "curator@example.com")
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

    artist_page.goto(f"/artists/ana-ruiz/releases/{second.id}?step=review")
    review = artist_page.locator("#review").inner_text()
    assert "This matches another artist's published track." in review and "Appeal this decision" in review
