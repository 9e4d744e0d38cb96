"""A fan drops a file on “Verify a file”: hashed in the browser; a re-tagged FLAC is sent for its audio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storefront.attestations.verification import keyring_for
from storefront.audio.tagging import TrackTags, write_tags
from tests.factories.accounts import make_artist, make_user
from tests.factories.delivered import certify, read_delivered, signable_on_storage

pytestmark = pytest.mark.browser


@pytest.fixture
def bought(app, db, platform, tmp_path) -> dict[str, Path]:
    owner = make_user(db, platform, name="Ana")
    artist = make_artist(db, owner, name="Harbour Lights", slug="harbour-lights")
    release = signable_on_storage(db, platform, artist, tmp_path)
    certify(db, platform, keyring_for(app.extensions, platform.settings), release.id, owner.id)
    files = read_delivered(db, platform, release.id)
    exact = tmp_path / "Harbour Lights - Song 1.mp3"
    exact.write_bytes(files.renditions[(1, "mp3-320")])
    retagged = tmp_path / "my copy.flac"
    retagged.write_bytes(files.renditions[(2, "flac")])
    write_tags(retagged, "flac", TrackTags(title="My favourite", artist="Somebody"))
    return {"exact": exact, "retagged": retagged}


def test_a_dropped_file_is_hashed_in_the_browser_and_a_retagged_one_matched_by_audio(
    new_page: Any, bought: dict[str, Path]
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = new_page()
    sent: list[str] = []
    page.on(
        "request",
        lambda request: sent.append(f"{request.method} {request.url}") if request.method == "POST" else None,
    )
    assert page.goto("/verify/file").status == 200
    violations = [
        v["id"] for v in Axe().run(page).response["violations"] if v.get("impact") in ("serious", "critical")
    ]
    assert violations == []

    page.get_by_label("Choose or drop a file").set_input_files(str(bought["exact"]))
    answer = page.locator("#answer")
    answer.get_by_role("heading", name="Verified", exact=True).wait_for()
    assert "track 1 “Song 1” in MP3 320 kbps" in answer.inner_text()
    assert page.evaluate("document.activeElement.id") == "answer"
    # Only the hash went to the server.
    assert len(sent) == 1 and "/verify/file/hash" in sent[0]

    page.get_by_label("Choose or drop a file").set_input_files(str(bought["retagged"]))
    answer.get_by_role("heading", name="Not verified", exact=True).wait_for()
    offer = page.get_by_role("button", name="Compare its audio")
    offer.click()
    answer.get_by_role("heading", name="Verified", exact=True).wait_for()
    text = answer.inner_text()
    assert "The music is track 2 “Song 2” in FLAC" in text and "tags or its container were changed" in text
    assert "/verify/file/upload" in sent[-1]
    violations = [
        v["id"] for v in Axe().run(page).response["violations"] if v.get("impact") in ("serious", "critical")
    ]
    assert violations == []
