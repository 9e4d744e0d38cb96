"""Browsing public releases newest first, by tag, genre and place, in keyset pages ("older" and "newer")."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.catalog.browse import PAGE_SIZE
from storefront.catalog.models import CatalogTally, ReleaseTag, facets, rebuild_catalog_index
from storefront.db import commit, utcnow
from storefront.releases.models import Release, ReleaseStatus
from tests.factories.accounts import make_artist, make_label, make_user
from tests.functional.catalog.test_browse_support import (
    assert_only_public,
    card_titles,
    every_state,
    release,
)
from tests.helpers import fresh, text_of

_LINK = re.compile(r'<a href="([^"]+)" rel="(prev|next)">')


def _links(html: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for href, rel in _LINK.findall(html)}


def _walk(web, start: str, rel: str) -> list[list[str]]:
    """Follow "older" (next) or "newer" (prev) links from `start` to the end: the titles of each page."""
    pages, path = [], start
    while path:
        response = web.get(path)
        assert response.status_code == 200, path
        html = text_of(response)
        pages.append(card_titles(html))
        path = _links(html).get(rel)
        assert len(pages) < 20, "the pages never end"
    return pages


def _catalog(db, platform, count: int, **details):
    """`count` public releases, several approved at the very same moment (the id breaks the tie)."""
    artist = make_artist(db, make_user(db, platform))
    base = utcnow()
    titles = []
    for n in range(count):
        # Groups of three share a timestamp; newest first is then by time, then by id, both descending.
        approved_at = base - timedelta(minutes=n // 3)
        titles.append(
            release(db, artist, f"Title {n:03d}", approved_at=approved_at, commit_now=False, **details)
        )
    commit(db)
    newest_first = sorted(titles, key=lambda r: (r.approved_at, r.id), reverse=True)
    return artist, [r.title for r in newest_first]


def test_browse_pages_through_every_public_release_once_both_ways(web, db, platform):
    _, expected = _catalog(db, platform, PAGE_SIZE * 2 + 5)
    forward = _walk(web, "/browse", "next")
    assert [len(p) for p in forward] == [PAGE_SIZE, PAGE_SIZE, 5]
    assert [t for page in forward for t in page] == expected

    # From the last page, "newer" leads back through the same pages to the first.
    last = text_of(web.get("/browse"))
    for _ in range(2):
        last = text_of(web.get(_links(last)["next"]))
    assert "next" not in _links(last)
    backward = _walk(web, _links(last)["prev"], "prev")
    assert backward == forward[:2][::-1]
    assert "prev" not in _links(text_of(web.get("/browse")))


def test_a_release_approved_meanwhile_does_not_shift_the_pages(web, db, platform):
    artist, expected = _catalog(db, platform, PAGE_SIZE + 3)
    first = text_of(web.get("/browse"))
    release(db, artist, "Brand New", approved_at=utcnow())
    second = text_of(web.get(_links(first)["next"]))
    assert card_titles(second) == expected[PAGE_SIZE:]  # no card repeated, none skipped
    assert card_titles(text_of(web.get("/browse")))[0] == "Brand New"


def test_listings_never_show_drafts_or_releases_in_review_rejected_or_taken_down(web, db, platform):
    artist = make_artist(db, make_user(db, platform))
    made = every_state(db, artist, "Listed", tags=["shown"], genre="Drone", location="Bergen")
    for path in ("/browse", "/tags/shown", "/genres/Drone", "/locations/Bergen"):
        assert_only_public(text_of(web.get(path)), made)


@pytest.mark.parametrize(
    ("path", "details"),
    [
        ("/tags/post%20rock", {"tags": ["post rock", "other"]}),
        ("/genres/Post-Rock", {"genre": "Post-Rock"}),
        ("/locations/G%C3%B6teborg,%20Sweden", {"location": "Göteborg, Sweden"}),
    ],
)
def test_tag_genre_and_place_pages_list_theirs_newest_first_in_pages(web, db, platform, path, details):
    _, expected = _catalog(db, platform, PAGE_SIZE + 2, **details)
    artist = make_artist(db, make_user(db, platform))
    release(db, artist, "Somewhere Else", tags=["else"], genre="Else", location="Else")
    pages = _walk(web, path, "next")
    assert [t for page in pages for t in page] == expected
    html = text_of(web.get(path))
    assert "<h1>" in html and 'aria-label="Pages"' in html and "Somewhere Else" not in html


def test_a_tag_has_one_address(web, db, platform):
    release(db, make_artist(db, make_user(db, platform)), "Loud", tags=["Noise  Rock"])
    response = web.get("/tags/Noise%20%20ROCK?before=1-1")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/tags/noise%20rock?before=1-1")
    assert "Loud" in text_of(web.get("/tags/noise%20rock"))


def test_unknown_tags_genres_and_places_are_404_and_bad_page_links_400(web, db, platform):
    release(
        db, make_artist(db, make_user(db, platform)), "Known", tags=["known"], genre="Known", location="Known"
    )
    for path in (
        "/tags/unknown",
        "/genres/Unknown",
        "/genres/known",
        "/locations/Unknown",
        "/tags/%20",
        "/tags/" + "x" * 50,
    ):
        response = web.get(path)
        assert response.status_code == 404, path
        assert "No release on sale" in text_of(response)
    for query in ("before=yesterday", "after=1-", "before=1-1&after=1-1", "before=99999999999999999-1"):
        response = web.get(f"/browse?{query}")
        assert response.status_code == 400, query
        assert "page link" in text_of(response)


def test_past_the_end_a_page_says_so_and_leads_back_to_the_newest(web, db, platform):
    release(db, make_artist(db, make_user(db, platform)), "Only One", tags=["solo"])
    for path in ("/browse?before=1-1", "/tags/solo?before=1-1", f"/browse?after={9 * 10**15}-1"):
        response = web.get(path)
        assert response.status_code == 200
        html = text_of(response)
        assert card_titles(html) == [] and "No more releases this way." in html and ">Newest</a>" in html


def test_a_taken_down_release_leaves_its_tag_page_and_comes_back_when_reinstated(web, db, platform):
    artist = make_artist(db, make_user(db, platform))
    kept = release(db, artist, "Kept", tags=["tide"])
    pulled = release(db, artist, "Pulled", tags=["tide", "storm"])
    assert card_titles(text_of(web.get("/tags/tide"))) == ["Kept", "Pulled"]
    pulled.status = ReleaseStatus.TAKEN_DOWN
    commit(db)
    assert card_titles(text_of(web.get("/tags/tide"))) == ["Kept"]
    assert web.get("/tags/storm").status_code == 404
    pulled.status = ReleaseStatus.APPROVED
    pulled.approved_at = utcnow()
    commit(db)
    assert card_titles(text_of(web.get("/tags/tide"))) == ["Pulled", "Kept"]
    assert kept.title in text_of(web.get("/tags/tide"))


def _tallies(db) -> dict[tuple[str, str], int]:
    rows = fresh(db).execute(select(CatalogTally.kind, CatalogTally.name, CatalogTally.releases))
    return {(kind, name): count for kind, name, count in rows if count}


def _recounted(db) -> dict[tuple[str, str], int]:
    counts: Counter[tuple[str, str]] = Counter()
    for r in fresh(db).scalars(select(Release)):
        counts.update(facets(r.status, r.approved_at, r.tags, r.genre, r.location, r.label_id))
    return dict(counts)


def test_tag_rows_and_tallies_follow_every_change_of_a_release(db, platform):
    artist = make_artist(db, make_user(db, platform))
    made = every_state(db, artist, "Counted", tags=["Dub", "dub", "drone"], genre="Ambient", location="Oslo")
    label = make_label(db, make_user(db, platform))
    other = release(db, artist, "Other", tags=["drone"], genre="Jazz", label=label)
    expected = {("tag", "dub"): 1, ("tag", "drone"): 2, ("genre", "Ambient"): 1, ("genre", "Jazz"): 1}
    assert (
        _tallies(db) == _recounted(db) == {**expected, ("location", "Oslo"): 1, ("label", str(label.id)): 1}
    )

    # Approved, edited back in review, taken down, deleted: each change moves the counts, even one made to a
    # release whose columns were never loaded in this session.
    draft = made[ReleaseStatus.DRAFT]
    draft.tags, draft.genre, draft.label_id = ["new"], "Jazz", label.id
    draft.status, draft.approved_at = ReleaseStatus.APPROVED, utcnow()
    commit(db)
    fresh(db)
    other.status = ReleaseStatus.TAKEN_DOWN  # set blind: the old values are read from the row
    commit(db)
    assert _tallies(db) == _recounted(db) and _tallies(db)[("label", str(label.id))] == 1
    db.delete(made[ReleaseStatus.APPROVED])
    made[ReleaseStatus.IN_REVIEW].status = ReleaseStatus.APPROVED
    commit(db)
    assert _tallies(db) == _recounted(db) and _tallies(db)[("genre", "Ambient")] == 1
    tags = fresh(db).execute(select(ReleaseTag.release_id, ReleaseTag.tag)).all()
    approved = db.scalars(select(Release).where(Release.status == ReleaseStatus.APPROVED))
    assert set(tags) == {(r.id, tag.lower()) for r in approved for tag in r.tags}

    # Rebuilding from scratch (after a bulk load) gives the same.
    before = _tallies(db)
    rebuild_catalog_index(db)
    commit(db)
    assert _tallies(db) == before
