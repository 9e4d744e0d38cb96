"""Listening in a real browser: a fan opens a release, plays, seeks, and the player moves on to the next track
by itself over the waveform drawn from the stored peaks; then the same with the keyboard only. A fan starting
from the home page finds the release by a misspelt name in the header's search box, with the mouse or the
keyboard, and listens on. On a phone's width, the release page and its human-made certificate fit the
screen."""

from __future__ import annotations

from typing import Any

import pytest

from storefront.releases.models import Release
from storefront.search.indexer import SearchIndexer
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.attestations import approve, attestation_url, signable_release, signature_form
from tests.functional.media.builders import on_sale_release
from tests.helpers import WebClient

pytestmark = pytest.mark.browser

AUDIO = "document.querySelector('[data-player] > audio')"
# Painted pixels well above the canvas's middle line: only a waveform's peaks reach there, never a flat line.
PEAK_PIXELS = """(canvas) => {
  const rows = Math.floor(canvas.height / 2) - 4 * devicePixelRatio;
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, rows);
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
  return n;
}"""

# Boxes whose content is wider than they are and shows outside them.
STICKING_OUT = """[...document.querySelectorAll('main *')]
  .filter((el) => el.clientWidth && el.scrollWidth > el.clientWidth + 1)
  .filter((el) => getComputedStyle(el).overflowX === 'visible')
  .map((el) => el.outerHTML.slice(0, 80))"""


@pytest.fixture
def album(shop: tuple[Any, str], tmp_path: Any) -> tuple[str, list[int]]:
    """A public album of three two-second tracks, processed as uploads are (previews, peaks): its page and
    its track ids in order."""
    platform = shop[0].extensions["storefront"]
    db = platform.database.session(write=True)
    try:
        artist = make_artist(db, make_user(db, platform), name="Tide Pools", slug="tide-pools")
        release = on_sale_release(db, platform, artist, tmp_path, tracks=3, title="Low Water", seconds=2)
        return f"/artists/tide-pools/album/{release.slug}", [t.id for t in release.tracks]
    finally:
        db.close()


def _current(page: Any) -> str | None:
    found: str | None = page.locator("[data-player] li[aria-current]").get_attribute("data-id")
    return found


def _wait_playing(page: Any, track_id: int) -> None:
    page.wait_for_function(
        f"() => !{AUDIO}.paused && {AUDIO}.currentTime > 0.1 "
        f"&& document.querySelector('[data-player] li[aria-current]').dataset.id === '{track_id}'"
    )


def _wait_waveform(page: Any, track_id: int) -> None:
    page.wait_for_function(
        f"() => document.querySelector('[data-seek] canvas').dataset.peaks === '{track_id}'"
    )
    assert page.locator("[data-seek] canvas").evaluate(PEAK_PIXELS) > 0


def test_a_fan_plays_seeks_and_the_album_plays_on(open_page, album) -> None:
    path, tracks = album
    page = open_page()
    page.goto(path)
    player = page.locator("[data-player]")
    assert player.locator("li audio").count() == 0  # the page's own audio elements became one player
    _wait_waveform(page, tracks[0])

    player.get_by_role("button", name="Play", exact=True).click()
    _wait_playing(page, tracks[0])
    assert page.evaluate("navigator.mediaSession.metadata.title") == "Song 1"
    assert page.evaluate("navigator.mediaSession.metadata.album") == "Low Water"
    player.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function(f"() => {AUDIO}.paused")

    # Three quarters of the way along the waveform is three quarters of the track.
    box = player.get_by_role("slider").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    page.wait_for_function(f"() => Math.abs({AUDIO}.currentTime / {AUDIO}.duration - 0.75) < 0.05")
    assert player.get_by_role("slider").get_attribute("aria-valuetext") == "0:01 of 0:02"

    player.get_by_role("button", name="Play", exact=True).click()
    _wait_playing(page, tracks[1])  # the first track ended; nobody touched anything
    _wait_waveform(page, tracks[1])
    assert page.evaluate("navigator.mediaSession.metadata.title") == "Song 2"
    assert player.get_by_role("button", name="Pause Song 2").is_visible()

    # Where a track was left survives moving between tracks: on its own page, and back on the album.
    player.get_by_role("button", name="Pause Song 2").click()
    page.wait_for_function(f"() => {AUDIO}.paused")
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    page.wait_for_function(f"() => {AUDIO}.currentTime > 1.4")
    page.goto(f"{path}/track/2")
    page.wait_for_function(f"() => {AUDIO} && {AUDIO}.currentTime > 1.4")
    assert page.locator("[data-player]").get_attribute("data-state") == "paused"  # it waits for the fan
    page.go_back()
    player.get_by_role("button", name="Play Song 3").click()
    _wait_playing(page, tracks[2])
    player.get_by_role("button", name="Previous track").click()
    _wait_playing(page, tracks[1])
    assert page.evaluate(f"{AUDIO}.currentTime") > 1.4  # not from the start


def _tab_to(page: Any, selector: str) -> None:
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            # What has the keyboard's focus is visibly marked.
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("none", ""), f"{selector} has no visible focus"
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def test_the_same_with_the_keyboard_only(open_page, album) -> None:
    path, tracks = album
    page = open_page()
    page.goto(path)
    _wait_waveform(page, tracks[0])

    _tab_to(page, "[data-play]")
    page.keyboard.press("Enter")
    _wait_playing(page, tracks[0])

    _tab_to(page, "[data-seek]")
    page.keyboard.press("Space")
    page.wait_for_function(f"() => {AUDIO}.paused")
    page.keyboard.press("Home")
    page.wait_for_function(f"() => {AUDIO}.currentTime === 0")
    for _ in range(5):
        page.keyboard.press("PageUp")  # a tenth of the track each
    page.wait_for_function(f"() => Math.abs({AUDIO}.currentTime / {AUDIO}.duration - 0.5) < 0.05")

    page.keyboard.press("Space")
    _wait_playing(page, tracks[1])  # on to the next track by itself
    _wait_waveform(page, tracks[1])
    page.keyboard.press("Space")
    page.wait_for_function(f"() => {AUDIO}.paused")
    assert _current(page) == str(tracks[1])


# "Low Water" as a hurried fan types it: its words find nothing, its spelling finds the release.
MISSPELT = "low watr"
SUGGESTIONS = "#site-search-q-suggestions"


@pytest.fixture
def findable(shop: tuple[Any, str], album: tuple[str, list[int]]) -> tuple[str, list[int]]:
    """The album, in the search index as an approval's job would put it."""
    platform = shop[0].extensions["storefront"]
    with platform.database.transaction() as session:
        SearchIndexer(session).rebuild()
    return album


def _suggested(page: Any) -> Any:
    """The header's box with the misspelt name typed, once its suggestions are listed: the release's."""
    box = page.get_by_role("combobox")
    box.press_sequentially(MISSPELT, delay=40)
    option = page.locator(SUGGESTIONS).get_by_role("option").filter(has_text="Low Water")
    option.wait_for()
    assert page.locator(SUGGESTIONS).is_visible()
    assert box.get_attribute("aria-expanded") == "true"
    return option


def test_from_the_home_page_a_misspelt_search_leads_to_the_album_which_plays_on(open_page, findable) -> None:
    path, tracks = findable
    page = open_page()
    page.goto("/")
    # The box is a plain search form until it is used: its suggestions arrive with the first touch.
    assert page.evaluate("document.querySelector('#site-search-q').getAttribute('role')") is None
    page.locator("#site-search-q").click()

    _suggested(page).click()
    page.wait_for_url(f"**{path}")
    _wait_waveform(page, tracks[0])
    player = page.locator("[data-player]")
    player.get_by_role("button", name="Play", exact=True).click()
    _wait_playing(page, tracks[0])
    box = player.get_by_role("slider").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
    _wait_playing(page, tracks[1])  # the first track ran out from where it was sought; on to the next
    _wait_waveform(page, tracks[1])


def test_from_the_home_page_with_the_keyboard_only(open_page, findable) -> None:
    path, tracks = findable
    page = open_page()
    page.goto("/")
    _tab_to(page, "#site-search-q")

    _suggested(page)
    chosen = page.locator(f"{SUGGESTIONS} [aria-selected=true]")
    for _ in range(page.locator(SUGGESTIONS).get_by_role("option").count()):
        page.keyboard.press("ArrowDown")
        if "Low Water" in chosen.inner_text():
            break
    else:
        raise AssertionError("the arrow keys never reach the release among the suggestions")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{path}")
    _wait_waveform(page, tracks[0])

    _tab_to(page, "[data-play]")
    page.keyboard.press("Enter")
    _wait_playing(page, tracks[0])
    _tab_to(page, "[data-seek]")
    page.keyboard.press("End")
    _wait_playing(page, tracks[1])  # sought to the end: the next track starts by itself
    _wait_waveform(page, tracks[1])


def test_on_a_phone_the_release_and_its_certificate_fit_the_screen(open_page, shop, tmp_path) -> None:
    app = shop[0]
    platform = app.extensions["storefront"]
    db = platform.database.session(write=True)
    try:
        owner = make_user(db, platform)
        artist = make_artist(db, owner, name="Harbour Lights", slug="harbour")
        release, _ = signable_release(db, artist, tmp_path, tracks=3)
        web = WebClient(app)
        web.login(owner.email, PASSWORD)
        signed = web.submit(
            attestation_url(artist, release), signature_form(**{"el_mastering-tools": "Pro-L 2"})
        )
        assert signed.status_code == 302
        certified: Release = approve(db, release.id)
        pages = [f"/artists/harbour/album/{certified.slug}", f"/releases/{certified.id}/certificate"]
    finally:
        db.close()

    page = open_page(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True)
    for path in pages:
        page.goto(path)
        page.wait_for_load_state()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px screen"
        # Nor does anything stick out of the boxes it sits in.
        wider = page.evaluate(STICKING_OUT)
        assert wider == [], wider
    # The hashes are all there, wrapped rather than hidden.
    hashes = page.locator(".certificate td code")
    assert hashes.count() == 3 and all(hashes.nth(i).is_visible() for i in range(3))
