"""A label's collection in a real browser: one of the label's staff makes a collection for the label's page,
gives it a title and a text, adds two releases of the label's roster, puts them in order and publishes it;
a guest sees nothing of it before, and after sees it, in that order, on the label's page and its own."""

from __future__ import annotations

from typing import Any

import pytest

from storefront.accounts.models import LabelStaff, MemberRole
from storefront.db import commit
from tests.browser.journeys import log_in
from tests.factories.accounts import make_artist, make_label, make_user
from tests.functional.catalog.test_browse_support import on_roster, release

pytestmark = pytest.mark.browser

TEXT = "Two records for the long road home, chosen by the people who made them."


def _card_titles(scope: Any) -> list[str]:
    titles: list[str] = scope.locator(".card__title").all_inner_texts()
    return titles


def _press(page: Any, button: str) -> None:
    """Press a form's button and wait for the page it leads to (often the same address)."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def _editor_order(page: Any) -> list[str]:
    return [row.split(" by ")[0].strip() for row in page.locator("ol.tracklist li").all_inner_texts()]


def test_label_staff_arrange_a_collection_and_a_guest_sees_it(new_page, live_server, db, platform) -> None:
    owner = make_user(db, platform, name="Lena", email="lena@example.com")
    staff = make_user(db, platform, name="Sam", email="sam@example.com")
    label = make_label(db, owner, name="Tidewater Records", slug="tidewater")
    label.staff.append(LabelStaff(user=staff, role=MemberRole.MEMBER))
    kelp = make_artist(db, make_user(db, platform), name="Kelp", slug="kelp")
    moss = make_artist(db, make_user(db, platform), name="Moss", slug="moss")
    for artist in (kelp, moss):
        on_roster(db, label, artist)
    shore = release(db, kelp, "Shore Lights", label=label)
    ember = release(db, moss, "Ember Road", label=label)
    release(db, kelp, "Left Out", label=label)  # on the label, but not chosen
    commit(db)
    shore_page = f"/artists/kelp/album/{shore.slug}"

    page = new_page()
    log_in(page, staff.email)
    page.goto("/")
    page.get_by_role("link", name="Arrange collections").click()
    page.get_by_label("Title").fill("Long road home")
    page.get_by_label("Description").fill(TEXT)
    page.get_by_label("Shown on").select_option(label="Tidewater Records's page")
    _press(page, "Make the collection")
    assert "Collection made. Add releases, then publish it." in page.locator(".flashes").inner_text()
    assert "Shown on Tidewater Records's page." in page.locator("main").inner_text()
    assert "Not published: only its curators see it." in page.locator("main").inner_text()

    # One by the address of its page, as copied from the browser, one by its number.
    page.get_by_label("Release number or page address").fill(live_server + shore_page)
    _press(page, "Add")
    assert "“Shore Lights” added." in page.locator(".flashes").inner_text()
    page.get_by_label("Release number or page address").fill(str(ember.id))
    _press(page, "Add")
    assert "“Ember Road” added." in page.locator(".flashes").inner_text()
    assert _editor_order(page) == ["Shore Lights", "Ember Road"]

    _press(page, "Up : move Ember Road up")
    assert _editor_order(page) == ["Ember Road", "Shore Lights"]
    editor = page.url

    # Not published yet: a guest sees neither the collection on the label's page nor its own page.
    guest = new_page()
    guest.goto("/labels/tidewater")
    assert "Shore Lights" in guest.locator("main").inner_text()  # the label's releases are on sale
    assert "Long road home" not in guest.locator("main").inner_text()
    missing = guest.goto("/collections/long-road-home")
    assert missing is not None and missing.status == 404

    page.goto(editor)
    _press(page, "Publish")
    assert "Published." in page.locator(".flashes").inner_text()
    assert "Published: everyone sees it." in page.locator("main").inner_text()

    # The guest's browser may keep a public page for a minute; reloading asks the site again, and the
    # page's validator has moved with the publication.
    guest.goto("/labels/tidewater")
    guest.reload()
    shelf = guest.locator("section").filter(has=guest.get_by_role("heading", name="Long road home"))
    assert TEXT in shelf.inner_text()
    assert _card_titles(shelf) == ["Ember Road", "Shore Lights"]
    shelf.get_by_role("link", name="Long road home").click()
    guest.wait_for_url("**/collections/long-road-home")
    assert guest.get_by_role("heading", level=1).inner_text() == "Long road home"
    assert TEXT in guest.locator("main").inner_text()
    assert guest.locator(".page-head").get_by_role("link", name="Tidewater Records").count() == 1
    assert _card_titles(guest.locator("main")) == ["Ember Road", "Shore Lights"]
