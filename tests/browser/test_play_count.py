"""A play in a real browser: the player reports a track heard for a while, and the artist's count goes up."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from storefront.studio.models import TrackPlayDay
from tests.factories.accounts import make_artist, make_user
from tests.functional.media.builders import on_sale_release
from tests.helpers import wait_until

pytestmark = pytest.mark.browser


def test_a_track_heard_for_a_while_is_counted_once(shop: tuple[Any, str], open_page, tmp_path) -> None:
    platform = shop[0].extensions["storefront"]
    db = platform.database.session(write=True)
    try:
        artist = make_artist(db, make_user(db, platform), name="Tide Pools", slug="tide-pools")
        release = on_sale_release(db, platform, artist, tmp_path, tracks=1, title="Low Water", seconds=2)
        path, track_id = f"/artists/tide-pools/album/{release.slug}", release.tracks[0].id
    finally:
        db.close()

    def plays() -> int:
        with platform.database.session() as session:
            return int(
                session.scalar(select(func.sum(TrackPlayDay.plays)).where(TrackPlayDay.track_id == track_id))
                or 0
            )

    page = open_page()
    page.goto(path)
    assert plays() == 0
    page.locator("[data-player]").get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('[data-player]').dataset.state === 'paused' "
        "&& document.querySelector('[data-player] > audio').ended"
    )
    wait_until(lambda: plays() == 1, what="the play to be counted")
