"""The release and track pages read a fixed number of queries whatever the number of tracks, and the release
page stays light: its HTML, CSS and JavaScript together under 30 KB before images and audio."""

from __future__ import annotations

import re

import pytest

from storefront.accounts.models import RosterLink
from storefront.db import commit, utcnow
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.functional.catalog.test_release_page_support import (
    counting_queries,
    elements,
    page_of,
    published,
    track_page_of,
)
from tests.functional.orders.test_checkout_support import connect_payee
from tests.helpers import WebClient, text_of

MAX_QUERIES = 6
PAGE_BUDGET = 30 * 1024
# Transaction control is not a query; SQLite's driver sends BEGIN as a statement, PostgreSQL's does not.
_QUERY = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


def _queries(platform, web, path: str) -> int:
    with counting_queries(platform.database.engine) as statements:
        response = web.get(path)
    assert response.status_code == 200, path
    return sum(1 for s in statements if _QUERY.match(s))


@pytest.fixture
def releases(db, platform):
    """Two releases on a label that collects for the artist (the most the buy box reads): 2 and 20 tracks."""
    owner = make_user(db, platform)
    artist = make_artist(db, owner, slug="counted")
    label = make_label(db, make_user(db, platform))
    db.add(
        RosterLink(
            label=label,
            artist=artist,
            label_consent_at=utcnow(),
            artist_consent_at=utcnow(),
            label_collects=True,
        )
    )
    commit(db)
    connect_payee(db, artist)
    return {n: published(db, artist, tracks=n, label=label) for n in (2, 20)}


def test_the_release_page_reads_at_most_six_queries_at_any_length(app, platform, releases):
    web = WebClient(app)
    counts = {n: _queries(platform, web, page_of(release)) for n, release in releases.items()}
    assert counts[2] == counts[20] <= MAX_QUERIES, counts
    page = text_of(web.get(page_of(releases[20])))
    assert len([li for li in elements(page, "li") if "data-id" in li]) == 20


def test_a_track_page_reads_at_most_six_queries_at_any_length(app, platform, releases):
    web = WebClient(app)
    counts = {n: _queries(platform, web, track_page_of(release, 2)) for n, release in releases.items()}
    assert counts[2] == counts[20] <= MAX_QUERIES, counts


def test_for_a_signed_in_fan_the_count_does_not_grow_with_the_tracks(app, db, platform, releases):
    fan = make_user(db, platform)
    web = WebClient(app)
    web.login(fan.email, PASSWORD)
    counts = {n: _queries(platform, web, page_of(release)) for n, release in releases.items()}
    assert counts[2] == counts[20], counts


def _size(web: WebClient, path: str) -> bytes:
    response = web.get(path)
    try:
        assert response.status_code == 200, path
        return response.get_data()
    finally:
        response.close()


def test_the_release_page_weighs_under_30_kb_before_images_and_audio(app, db, platform):
    """A twelve-track album with credits and lyrics: the page, its stylesheets and its scripts, with every
    module a script imports as it loads. A module imported only once the fan uses something (the search box's
    suggestions) is not part of the load, but it must be there."""
    artist = make_artist(db, make_user(db, platform), slug="weighed")
    connect_payee(db, artist)
    release = published(db, artist, tracks=12, title="A Long Album With A Long Title")
    web = WebClient(app)
    html = _size(web, page_of(release)).decode()
    sizes = {"page": len(html.encode())}
    for link in elements(html, "link"):
        if link.get("rel") == "stylesheet":
            sizes[link["href"]] = len(_size(web, link["href"]))
    scripts = [s["src"] for s in elements(html, "script") if "src" in s]
    on_use: list[str] = []
    while scripts:
        src = scripts.pop()
        if src not in sizes:
            body = _size(web, src)
            sizes[src] = len(body)
            base = src.rsplit("/", 1)[0]
            scripts += [f"{base}/{name.decode()}" for name in re.findall(rb'from "\./([\w.-]+)"', body)]
            on_use += [f"{base}/{name.decode()}" for name in re.findall(rb'import\("\./([\w.-]+)"\)', body)]
    assert "/static/js/player.js" in sizes and "/static/js/waveform.js" in sizes
    assert on_use == ["/static/js/search-box.js"], on_use
    assert b"export function enhance" in _size(web, on_use[0])
    assert sum(sizes.values()) < PAGE_BUDGET, sizes
