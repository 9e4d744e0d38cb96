"""Public pages kept in the web process's memory under their ETag: an anonymous visitor without cookies gets
the stored page after one stamp query; any change in the database is seen at once by every worker; nobody
with a cookie or a session reads or fills it."""

from __future__ import annotations

import pytest

from storefront.accounts.models import Artist
from storefront.db import commit
from storefront.releases.models import Release, ReleaseStatus
from storefront.web.caching import PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.functional.catalog.test_caching import _catalog_paths, _watching
from tests.functional.catalog.test_sharing_support import page_of, public_release
from tests.functional.orders.test_checkout_support import connect_payee
from tests.helpers import WebClient, fresh, text_of

# What the app adds to every answer on the way out, stored page or not.
SAME_HEADERS = ("Content-Type", "Cache-Control", "ETag", "Vary", "Content-Security-Policy", "tdm-reservation")


@pytest.fixture
def release(db, platform) -> Release:
    label = make_label(db, make_user(db, platform), slug="cache-label")
    artist = make_artist(db, make_user(db, platform), name="Cache Band", slug="cache-band")
    connect_payee(db, artist)
    return public_release(db, artist, title="Kept", label=label, tags=("cached",), tracks=2)


def test_a_public_page_is_rendered_once_then_sent_from_memory(app, platform, client, release):
    for path in _catalog_paths(release):
        first = client.get(path)
        with _watching(app, platform) as seen:
            again = client.get(path)
        assert again.status_code == 200, path
        assert again.data == first.data, path
        for name in SAME_HEADERS:
            assert again.headers.get(name) == first.headers.get(name), (path, name)
        assert "Set-Cookie" not in again.headers, path
        # Nothing is rendered: the stamp's one query finds the stored page.
        assert seen["templates"] == [], path
        assert len(seen["queries"]) == 1, (path, seen["queries"])


def test_a_change_made_anywhere_is_seen_at_once(make_app, db, platform, release):
    """Two web processes on one database: what one stored is never sent once the database has moved on,
    whoever changed it."""
    one, other = WebClient(make_app()), WebClient(make_app())
    paths = ("/", page_of(release), "/artists/cache-band", "/feeds/releases.rss")
    for path in paths:
        one.get(path), other.get(path)

    artist = fresh(db).get(Artist, release.artist_id)
    artist.name = "Renamed Band"
    commit(db)
    public_release(db, make_artist(db, make_user(db, platform)), title="Newcomer")
    for web in (one, other):
        for path in (page_of(release), "/artists/cache-band"):
            assert "Renamed Band" in web.get(path).get_data(as_text=True), path
        for path in ("/", "/feeds/releases.rss"):
            assert "Newcomer" in web.get(path).get_data(as_text=True), path

    fresh(db).get(Release, release.id).status = ReleaseStatus.TAKEN_DOWN
    commit(db)
    for web in (one, other):
        assert web.get(page_of(release)).status_code == 410
        assert web.get(f"{page_of(release)}/track/1").status_code == 410
        assert web.get(f"/embed/release/{release.id}").status_code == 404
        assert "Kept" not in web.get("/").get_data(as_text=True)
        assert "Kept" not in web.get("/feeds/releases.rss").get_data(as_text=True)


def test_a_request_with_any_cookie_is_rendered_for_itself_and_stores_nothing(app, platform, release):
    with_cookie = app.test_client()
    with_cookie.set_cookie("returning", "1")
    without = app.test_client()
    for _ in range(2):
        with _watching(app, platform) as seen:
            assert with_cookie.get(page_of(release)).status_code == 200
        assert seen["templates"], "a request with a cookie was sent a stored page"
    with _watching(app, platform) as seen:
        assert without.get(page_of(release)).status_code == 200
    assert seen["templates"], "a request with a cookie filled the memory"


def test_a_signed_in_person_never_gets_the_stored_page(app, db, platform, client, release):
    client.get(page_of(release))
    fan = make_user(db, platform, name="Fan Forty")
    web = WebClient(app)
    web.login(fan.email, PASSWORD)

    page = web.get(page_of(release))

    assert page.headers["Cache-Control"] == PRIVATE_CACHE_CONTROL
    assert "Fan Forty" in text_of(page) and "Log out" in text_of(page)


def test_each_host_has_its_own_page(app, platform, client, release):
    client.get(page_of(release), headers={"Host": "elsewhere.example"})

    with _watching(app, platform) as seen:
        page = client.get(page_of(release))

    assert page.status_code == 200 and seen["templates"]


def test_with_no_memory_for_pages_every_visit_is_rendered(make_app, release):
    uncached = make_app(page_cache_bytes=0)
    web = uncached.test_client()
    web.get(page_of(release))

    with _watching(uncached, uncached.extensions["storefront"]) as seen:
        again = web.get(page_of(release))

    assert again.headers["Cache-Control"] == PUBLIC_CACHE_CONTROL
    assert seen["templates"] and len(seen["queries"]) > 1
