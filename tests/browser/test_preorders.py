"""A pre-order in a real browser: a fan pre-orders a release on the sandbox checkout and can download only
the track the artist gives at once; the release date passes (the site's clock is moved), the release-day
job runs, the fan's mail in the outbox links to the collection, and the rest of the release downloads."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest

from storefront.audio.inspect.sniff import sniff
from storefront.db import commit, utcnow
from storefront.releases.models import ReleaseStatus
from tests.browser.journeys import log_in, read_mail_link
from tests.factories.accounts import make_artist, make_user
from tests.factories.releases import make_release
from tests.functional.media.builders import add_cover, add_master
from tests.functional.orders.preorder_support import run_release_day_job, use_clock
from tests.functional.orders.test_checkout_support import connect_payee

pytestmark = pytest.mark.browser


def _download_flac(page: Any, track_id: int) -> bytes:
    form = page.locator(f'form.download-form[action$="/tracks/{track_id}"]')
    form.locator("select").select_option("flac")
    with page.expect_download() as download_info:
        form.get_by_role("button").click()
    data: bytes = download_info.value.path().read_bytes()
    return data


def test_a_fan_preorders_and_gets_the_whole_release_on_its_day(open_page, shop, tmp_path) -> None:
    app, _ = shop
    platform = app.extensions["storefront"]
    clock = use_clock(platform)
    db = platform.database.session(write=True)
    try:
        make_user(db, platform, name="Admin", email="admin@example.com", admin=True)
        ana = make_user(db, platform, name="Ana", email="ana@example.com")
        fan = make_user(db, platform, name="Fern", email="fern@example.com")
        band = make_artist(db, ana, name="Harbour Band", slug="harbour-band")
        connect_payee(db, band)
        # Dated before its masters are processed: the files' tags carry the date.
        release = make_release(db, band, title="Night Ferry", tracks=2)
        release.price_minor, release.currency = 700, "USD"
        release.release_date = utcnow().date() + timedelta(days=7)
        release.tracks[0].instant_grat = True
        add_cover(db, platform, release)
        for n, track in enumerate(release.tracks, start=1):
            add_master(db, platform, track, tmp_path, seed=n)
        release.status, release.approved_at = ReleaseStatus.APPROVED, utcnow()
        commit(db)
        first, second = (t.id for t in release.tracks)
        release_id, release_day = release.id, release.release_date
        release_page = f"/artists/harbour-band/album/{release.slug}"
    finally:
        db.close()

    page = open_page(accept_downloads=True)
    log_in(page, fan.email)
    page.goto(release_page)
    assert f"Pre-order — out {release_day.strftime('%-d %B %Y')}" in page.locator("main").inner_text()
    page.get_by_role("button", name="Buy 7.00 USD").click()
    page.wait_for_url("**/cart")
    page.get_by_role("button", name="Pay 7.00 USD").click()
    page.get_by_role("button", name="Pay (succeeds)").click()
    page.wait_for_url("**/thanks**")
    page.wait_for_selector("text=The music is yours.")

    # Before the day: the chosen track downloads, the other is not offered.
    page.goto("/collection")
    assert "Pre-order — out" in page.locator("main").inner_text()
    page.locator(f'[data-release="{release_id}"]').get_by_role("link", name="Download").click()
    page.wait_for_selector("text=Download Night Ferry")
    assert page.locator(f'form.download-form[action$="/tracks/{second}"]').count() == 0
    flac = _download_flac(page, first)
    assert sniff(io.BytesIO(flac), len(flac)).kind == "flac"

    # The day comes; the pass runs as the worker's schedule runs it.
    clock.move_to(release_day, hour=8)
    run_release_day_job(platform)

    admin_page = open_page()
    log_in(admin_page, "admin@example.com")
    body, link = read_mail_link(admin_page, fan.email)
    assert "Night Ferry" in body and link == "/collection"
    page.goto(link)
    assert "Pre-order" not in page.locator("main").inner_text()
    page.locator(f'[data-release="{release_id}"]').get_by_role("link", name="Download").click()
    page.wait_for_selector("text=Download Night Ferry")
    flac = _download_flac(page, second)
    assert sniff(io.BytesIO(flac), len(flac)).kind == "flac"
