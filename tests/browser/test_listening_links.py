"""A private listening link in a real browser: an artist makes one for a draft from the release workspace;
someone else, not signed in, opens it, presses Listen and hears the first track streamed through the link."""

from __future__ import annotations

from typing import Any

import pytest

from storefront.db import commit
from storefront.releases.models import ReleaseStatus
from tests.browser.journeys import log_in
from tests.factories.accounts import make_artist, make_user
from tests.functional.media.builders import on_sale_release

pytestmark = pytest.mark.browser

AUDIO = "document.querySelector('#tracks audio')"


@pytest.fixture
def draft(shop: tuple[Any, str], tmp_path: Any) -> tuple[str, str, int]:
    """A draft of two processed two-second tracks: its owner's email, its workspace and its release id."""
    platform = shop[0].extensions["storefront"]
    db = platform.database.session(write=True)
    try:
        owner = make_user(db, platform, name="Ana")
        artist = make_artist(db, owner, name="Tide Pools", slug="tide-pools")
        release = on_sale_release(db, platform, artist, tmp_path, tracks=2, title="Low Water", seconds=2)
        release.status = ReleaseStatus.DRAFT
        release.approved_at = None
        commit(db)
        return owner.email, f"/artists/tide-pools/releases/{release.id}", release.id
    finally:
        db.close()


def test_press_opens_a_private_link_and_plays_a_track(open_page, draft) -> None:
    email, workspace, _ = draft
    artist_page = open_page()
    log_in(artist_page, email)
    artist_page.goto(workspace + "?step=extras")
    artist_page.get_by_role("link", name="Listening links").click()
    artist_page.get_by_label("Who is it for").fill("Pitchfork — J. Doe")
    artist_page.get_by_role("button", name="Make a listening link").click()
    link = artist_page.get_by_label("Listening link").input_value()
    assert "/listen/" in link

    press = open_page()  # another browser: not signed in
    press.goto(link)
    assert press.get_by_role("heading", name="Low Water").is_visible()
    assert press.locator("audio").count() == 0
    press.get_by_role("button", name="Listen").click()
    press.wait_for_load_state()
    assert press.locator("#tracks audio").count() == 2
    assert press.get_by_role("link", name="Download").count() == 0
    with press.expect_response(lambda r: "/tracks/" in r.url and r.status in (200, 206)) as streamed:
        press.evaluate(f"{AUDIO}.play()")
    assert streamed.value.url.startswith(link + "/tracks/")
    press.wait_for_function(f"() => !{AUDIO}.paused && {AUDIO}.currentTime > 0.3")
    # The whole track, not a clip: the player knows its full two seconds.
    assert press.evaluate(f"{AUDIO}.duration") > 1.5

    artist_page.reload()
    assert artist_page.locator("td[data-opened]").inner_text() == "1"
