"""The web process's memory of rendered public pages: bounded in bytes, least recently used out first."""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Response

from storefront.web.page_cache import PageCache, StoredPage


def _page(size: int, marker: bytes = b"x") -> StoredPage:
    return StoredPage(200, (("Content-Type", "text/html; charset=utf-8"),), marker * size)


def test_a_stored_page_answers_as_the_view_did():
    view = Response(b"<p>hello</p>", status=200, headers={"X-Frame-Options": "SAMEORIGIN"})
    view.headers["Content-Type"] = "application/rss+xml; charset=utf-8"

    again = StoredPage.of(view).response(Response)

    assert again.get_data() == b"<p>hello</p>"
    assert again.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert again.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_it_keeps_at_most_its_capacity_dropping_the_least_recently_used():
    cache = PageCache(capacity=800)
    for key in "abcdefgh":
        cache.put(key, _page(100))
    assert cache.get("a") is not None  # now the most recently used

    cache.put("i", _page(100))

    assert cache.get("b") is None
    assert [key for key in "acdefghi" if cache.get(key) is None] == []
    assert cache.size == 800


def test_storing_under_the_same_key_replaces_the_page():
    cache = PageCache(capacity=1000)
    cache.put("a", _page(120, b"1"))
    cache.put("a", _page(100, b"2"))

    found = cache.get("a")

    assert found is not None and found.body == b"2" * 100
    assert cache.size == 100


def test_a_page_too_big_for_its_share_is_not_kept():
    cache = PageCache(capacity=800)
    cache.put("small", _page(100))
    cache.put("big", _page(101))

    assert cache.get("small") is not None and cache.get("big") is None


def test_no_capacity_keeps_nothing_and_a_negative_one_is_refused():
    off = PageCache(capacity=0)
    off.put("a", _page(1))
    assert not off.enabled and off.get("a") is None
    with pytest.raises(ValueError):
        PageCache(capacity=-1)
