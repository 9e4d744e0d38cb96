"""What fans do in a real browser: follow an artist, get the mail when its new release is approved and
unsubscribe with one click; redeem a download code and download the release from the collection."""

from __future__ import annotations

import io
import re

import pytest

from storefront.audio.inspect.sniff import sniff
from storefront.db import commit
from storefront.fans.models import FanMailPreference
from storefront.jobs.interfaces import JobQueue
from storefront.releases.uploads.pipeline import SCREEN_JOB
from tests.browser.journeys import download_first_track_as_flac, log_in, sign_and_submit
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.attestations import signable_release
from tests.functional.media.builders import on_sale_release
from tests.helpers import fresh

pytestmark = pytest.mark.browser


def test_a_fan_follows_hears_of_the_approval_by_mail_and_unsubscribes(new_page, db, platform, tmp_path):
    owner = make_user(db, platform, email="ana@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release, _ = signable_release(db, artist, tmp_path, tracks=1)
    queue = JobQueue(db, platform.jobs)
    for upload in release.uploads:
        queue.enqueue(SCREEN_JOB, {"upload_id": upload.id})
    commit(db)  # the screening jobs run now
    fan = make_user(db, platform, email="fern@example.com", name="Fern")
    make_user(db, platform, email="curator@example.com", admin=True)

    fan_page = new_page()
    log_in(fan_page, fan.email)
    fan_page.goto("/artists/ana-ruiz")
    fan_page.get_by_role("button", name="Follow Ana Ruiz").click()
    assert "You now follow Ana Ruiz." in fan_page.locator(".flashes").inner_text()

    artist_page = new_page()
    log_in(artist_page, owner.email)
    sign_and_submit(artist_page, artist, release)

    curator = new_page()
    log_in(curator, "curator@example.com")
    curator.goto("/review")
    curator.get_by_role("link", name=release.title).click()
    curator.get_by_label("Decision").select_option("approve")
    curator.get_by_role("button", name="Record the decision").click()
    curator.wait_for_load_state()

    # The fan's mail, as the outbox keeps it: the release's link and the one-click unsubscribe headers.
    curator.goto(f"/admin/outbox?to={fan.email}")
    curator.get_by_role("link", name=re.compile("New from Ana Ruiz")).click()
    message = curator.locator("main").inner_text()
    assert "List-Unsubscribe=One-Click" in message
    body = curator.locator("pre.mail-body").inner_text()
    assert f"/artists/ana-ruiz/album/{release.slug}" in body
    unsubscribe = re.search(r"https?://\S+/unsubscribe/\S+", body)
    assert unsubscribe, body

    # Opened from the mail by someone not logged in, in another browser: one press.
    reader = new_page()
    reader.goto(re.sub(r"^https?://[^/]+", "", unsubscribe.group(0)))
    reader.get_by_role("button", name="Unsubscribe").click()
    assert "You are unsubscribed" in reader.locator("main").inner_text()
    assert fresh(db).get(FanMailPreference, fan.id).new_releases is False
    fan_page.goto("/settings/mail")
    assert not fan_page.get_by_label(re.compile("Mail me when an artist")).is_checked()


def test_a_fan_redeems_a_code_and_downloads_from_the_collection(new_page, db, platform, tmp_path):
    owner = make_user(db, platform, email="ana@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release = on_sale_release(db, platform, artist, tmp_path, tracks=1, title="Harbour")
    fan = make_user(db, platform, email="fern@example.com", name="Fern")

    artist_page = new_page(accept_downloads=True)
    log_in(artist_page, owner.email)
    artist_page.goto(f"/releases/{release.id}/codes")
    artist_page.get_by_label("Name of the batch").fill("Tour 2027")
    artist_page.get_by_label("How many codes").fill("3")
    artist_page.get_by_role("button", name="Make codes").click()
    artist_page.wait_for_selector("text=3 codes made")
    code = artist_page.locator("tbody tr code").first.inner_text()
    with artist_page.expect_download() as exported:
        artist_page.get_by_role("link", name="Download as CSV").click()
    assert code in exported.value.path().read_text()

    # A guest types the code, logs in, and finds it waiting.
    page = new_page(accept_downloads=True)
    page.goto("/redeem")
    page.get_by_label("Download code").fill(code.lower())
    page.get_by_role("button", name="Redeem").click()
    page.get_by_label("Email").fill(fan.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/redeem")
    assert page.get_by_label("Download code").input_value() == code.lower()
    page.get_by_role("button", name="Redeem").click()
    page.wait_for_url("**/collection")
    assert "“Harbour” is in your collection" in page.locator(".flashes").inner_text()

    flac = download_first_track_as_flac(page, release)
    assert sniff(io.BytesIO(flac), len(flac)).kind == "flac"

    # The artist sees the code redeemed.
    artist_page.reload()
    assert "redeemed" in artist_page.locator(f'tr[data-code="{code}"]').inner_text()
