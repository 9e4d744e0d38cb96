"""HTTP caching of the public catalog: validators and 304s for anonymous visitors, no cookie, private pages
for signed-in people, and no-store everywhere else."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import template_rendered
from sqlalchemy import event

from storefront.db import commit
from storefront.releases.models import Release, ReleaseStatus
from storefront.web.caching import CACHEABLE, PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.functional.catalog.test_sharing_support import backdate, page_of, public_release
from tests.functional.orders.test_checkout_support import connect_payee
from tests.helpers import WebClient, fresh, text_of


@pytest.fixture
def release(db, platform) -> Release:
    label = make_label(db, make_user(db, platform), slug="cache-label")
    artist = make_artist(db, make_user(db, platform), name="Cache Band", slug="cache-band")
    connect_payee(db, artist)  # on sale: the page carries its buy forms
    return public_release(db, artist, title="Kept", label=label, tags=("cached",), tracks=2)


def _catalog_paths(release: Release) -> list[str]:
    return [
        "/",
        "/browse",
        page_of(release),
        f"{page_of(release)}/track/1",
        "/artists/cache-band",
        "/labels/cache-label",
        "/tags/cached",
        "/genres/Post-punk",
        "/feeds/releases.rss",
        "/feeds/artists/cache-band.atom",
        f"/embed/release/{release.id}",
        f"/embed/track/{release.tracks[0].id}?size=compact",
    ]


@contextmanager
def _watching(app, platform) -> Iterator[dict[str, list[Any]]]:
    """The templates rendered and the SQL statements run inside the block."""
    seen: dict[str, list[Any]] = {"templates": [], "queries": [], "statements": [], "transactions": []}

    def rendered(_sender: Any, template: Any, **_extra: Any) -> None:
        seen["templates"].append(template.name)

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen["statements"].append(statement)
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            seen["queries"].append(statement)

    def began(session: Any, *_args: Any) -> None:
        seen["transactions"].append(session)

    template_rendered.connect(rendered, app)
    event.listen(platform.database.engine, "before_cursor_execute", executed)
    event.listen(platform.database.sessionmaker, "after_begin", began)
    try:
        yield seen
    finally:
        event.remove(platform.database.sessionmaker, "after_begin", began)
        event.remove(platform.database.engine, "before_cursor_execute", executed)
        template_rendered.disconnect(rendered, app)


def test_anonymous_catalog_pages_are_public_validated_and_set_no_cookie(client, release):
    for path in _catalog_paths(release):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == PUBLIC_CACHE_CONTROL, path
        assert response.headers["ETag"].startswith('W/"'), path
        assert "Cookie" in response.vary, path
        assert "Set-Cookie" not in response.headers, path
    assert client.get_cookie("velvet_session") is None


def test_if_none_match_is_answered_304_from_the_stamp_alone(app, platform, client, release):
    for path in _catalog_paths(release):
        first = client.get(path)
        with _watching(app, platform) as seen:
            again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path
        assert again.data == b"", path
        assert again.headers["ETag"] == first.headers["ETag"], path
        assert again.headers["Cache-Control"] == PUBLIC_CACHE_CONTROL, path
        assert "Cookie" in again.vary and "Set-Cookie" not in again.headers, path
        # Nothing is rendered, and one query reads the stamp: on its own, with no session, BEGIN or COMMIT.
        assert seen["templates"] == [], path
        assert len(seen["queries"]) == 1, (path, seen["queries"])
        assert seen["statements"] == seen["queries"], path
        assert seen["transactions"] == [], path
    # Any of several tags may match, weak or not; a tag of another version does not.
    etag = client.get(page_of(release)).headers["ETag"]
    assert client.get(page_of(release), headers={"If-None-Match": f'"x", {etag}'}).status_code == 304
    assert client.get(page_of(release), headers={"If-None-Match": etag[2:]}).status_code == 304
    assert client.get(page_of(release), headers={"If-None-Match": '"stale"'}).status_code == 200


def test_if_modified_since_is_answered_304_once_the_change_is_dated(client, db, release):
    backdate(db)
    for path in _catalog_paths(release):
        first = client.get(path)
        last_modified = first.last_modified
        assert last_modified is not None, path
        assert (
            client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
        )
        earlier = (last_modified - timedelta(seconds=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
        assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200, path
    # When both are sent, the entity tag decides.
    stale = {"If-None-Match": '"stale"', "If-Modified-Since": client.get("/").headers["Last-Modified"]}
    assert client.get("/", headers=stale).status_code == 200


def test_a_change_of_the_catalog_changes_the_validators(client, db, platform, release):
    backdate(db)
    before = {path: client.get(path).headers["ETag"] for path in _catalog_paths(release)}
    home_dated = client.get("/").last_modified

    # Another release is approved: every listing changes.
    public_release(db, make_artist(db, make_user(db, platform)), title="Newcomer")
    after = {path: client.get(path).headers["ETag"] for path in _catalog_paths(release)}
    for path in ("/", "/browse", "/feeds/releases.rss"):
        assert after[path] != before[path], path
        assert client.get(path, headers={"If-None-Match": before[path]}).status_code == 200
    newer = client.get("/").last_modified
    assert home_dated is not None and (newer is None or newer > home_dated)
    assert "Newcomer" in text_of(client.get("/"))

    # The artist renames the band: the pages that show its name change.
    artist = fresh(db).get(type(release.artist), release.artist_id)
    artist.name = "Renamed Band"
    commit(db)
    page = client.get(page_of(release), headers={"If-None-Match": after[page_of(release)]})
    assert page.status_code == 200 and "Renamed Band" in text_of(page)
    assert (
        client.get("/artists/cache-band", headers={"If-None-Match": after["/artists/cache-band"]}).status_code
        == 200
    )


def test_a_taken_down_release_is_gone_even_for_a_client_holding_its_tag(client, db, release):
    etag = client.get(page_of(release)).headers["ETag"]
    fresh(db).get(Release, release.id).status = ReleaseStatus.TAKEN_DOWN
    commit(db)

    response = client.get(page_of(release), headers={"If-None-Match": etag})

    assert response.status_code == 410
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_a_304_carries_the_release_s_text_and_data_mining_choice(client, db, release):
    fresh(db).get(Release, release.id).ai_training_opt_in = True
    commit(db)
    first = client.get(page_of(release))

    again = client.get(page_of(release), headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert first.headers["tdm-reservation"] == again.headers["tdm-reservation"] == "0"


def test_a_signed_in_person_gets_private_pages_without_validators(app, db, platform, release):
    fan = make_user(db, platform)
    web = WebClient(app)
    anonymous = {path: web.get(path).headers["ETag"] for path in _catalog_paths(release)}
    web.login(fan.email, PASSWORD)

    for path in _catalog_paths(release):
        response = web.get(path, headers={"If-None-Match": anonymous[path]})
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == PRIVATE_CACHE_CONTROL, path
        assert "ETag" not in response.headers and "Last-Modified" not in response.headers, path
        assert "Cookie" in response.vary, path
    # The signed-in page carries the person's own form token.
    assert "Log out" in text_of(web.get(page_of(release)))


def test_every_other_page_stays_no_store(app, db, platform, client, release):
    for path in ("/login", "/signup", "/cart", "/search?q=kept", "/tdm-policy", "/oembed?format=xml"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert client.get("/artists/nobody").headers["Cache-Control"] == "no-store"
    fan = make_user(db, platform)
    web = WebClient(app)
    web.login(fan.email, PASSWORD)
    for path in ("/account", "/collection", "/cart"):
        assert web.get(path).headers["Cache-Control"] == "no-store", path


def test_a_guest_adds_to_the_cart_from_the_shared_page(app, db, release):
    web = WebClient(app)
    token = web.token(page_of(release))
    assert token == WebClient(app).token(page_of(release))  # the same page for every guest
    data = {"csrf_token": token, "release_id": str(release.id)}

    assert web.post("/cart/add", data, headers={"Origin": "https://elsewhere.example"}).status_code == 400
    assert web.post("/cart/add", data, headers={"Origin": "null"}).status_code == 400
    assert web.post("/cart/add", data, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 400
    assert web.post("/cart/add", {"release_id": str(release.id)}).status_code == 400
    assert web.post("/cart/add", {**data, "csrf_token": "forged"}).status_code == 400
    assert web.client.get_cookie("velvet_session") is None

    added = web.post(
        "/cart/add", data, headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    )

    assert added.status_code == 303
    assert "Kept" in text_of(web.get("/cart"))


def test_a_guest_token_is_refused_once_signed_in(app, db, platform, release):
    fan = make_user(db, platform)
    web = WebClient(app)
    token = web.token(page_of(release))
    web.login(fan.email, PASSWORD)

    refused = web.post("/cart/add", {"csrf_token": token, "release_id": str(release.id)})

    assert refused.status_code == 400
    assert (
        web.submit(page_of(release), {"release_id": str(release.id)}, action="/cart/add").status_code == 303
    )


def test_a_page_that_shows_a_flashed_message_is_not_shared(app, release):
    web = WebClient(app)
    web.submit(page_of(release), {"release_id": str(release.id)}, action="/cart/add")

    shown = web.get(page_of(release))  # the "added to your cart" message is shown here, once

    assert "Cache-Control" in shown.headers and shown.headers["Cache-Control"] == "no-store"
    assert "ETag" not in shown.headers
    # Afterwards the guest, who now has a cart in their session, gets the shared page again.
    again = web.get(page_of(release))
    assert again.headers["Cache-Control"] == PUBLIC_CACHE_CONTROL and "Set-Cookie" not in again.headers


def test_only_public_catalog_routes_opt_in(app):
    opted_in = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, CACHEABLE, False)}

    assert {"catalog.home", "catalog.release_page", "catalog.track_page", "catalog.artist_page"} <= opted_in
    assert {"catalog.label_page", "catalog.tag_page", "catalog.browse_page", "feeds.releases"} <= opted_in
    assert {"embeds.release", "embeds.track", "embeds.oembed"} <= opted_in
    assert all(endpoint.split(".")[0] in ("catalog", "feeds", "embeds") for endpoint in opted_in), opted_in
    assert not any(endpoint.startswith(("search.", "orders.", "accounts.")) for endpoint in opted_in)
