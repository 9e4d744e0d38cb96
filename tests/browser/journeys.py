"""Steps several browser journeys take, done as a person does them."""

from __future__ import annotations

import re
from typing import Any

from tests.factories.accounts import PASSWORD


def log_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def sign_attestation(page: Any) -> None:
    """From the editor's attestation step: sign the standard attestation, and come back to the step."""
    page.get_by_role("link", name="Sign the human-made attestation").click()
    statements = page.locator("#sign fieldset input[type=checkbox]")
    for i in range(statements.count() - 1):  # the last one is the stricter Embodied statement
        statements.nth(i).check()
    page.get_by_label("Your legal name").fill("Ana María Ruiz")
    page.get_by_role("button", name="Sign the attestation").click()
    page.wait_for_load_state()


def sign_and_submit(page: Any, artist: Any, release: Any) -> None:
    page.goto(f"/artists/{artist.slug}/releases/{release.id}?step=attestation")
    sign_attestation(page)
    page.get_by_role("link", name="Next: Review").click()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()
    assert "Submitted for review" in page.locator(".flashes").inner_text()


def download_first_track_as_flac(page: Any, release: Any) -> bytes:
    """From the collection page: the release's downloads, its first track in FLAC; the file's bytes."""
    page.locator(f'[data-release="{release.id}"]').get_by_role("link", name="Download").click()
    page.wait_for_selector(f"text=Download {release.title}")
    first_track = page.locator('form.download-form[action*="/tracks/"]').first
    first_track.locator("select").select_option("flac")
    with page.expect_download() as download_info:
        first_track.get_by_role("button").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".flac")
    data: bytes = download.path().read_bytes()
    return data


def read_mail_link(admin_page: Any, to: str) -> tuple[str, str]:
    """The newest message to `to` in the admin outbox, as a person reads it: its text and its first link,
    as a path on the site."""
    admin_page.goto(f"/admin/outbox?to={to}")
    admin_page.get_by_role("row").nth(1).get_by_role("link").click()
    body: str = admin_page.locator("pre.mail-body").inner_text()
    found = re.search(r"https?://\S+", body)
    assert found, body
    return body, re.sub(r"^https?://[^/]+", "", found.group(0))
