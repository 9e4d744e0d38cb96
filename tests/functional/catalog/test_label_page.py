"""A label's page: its roster, every public release on the label in keyset pages, and its collections."""

from __future__ import annotations

import re
from datetime import timedelta

from storefront.accounts.models import RosterLink
from storefront.catalog.browse import PAGE_SIZE
from storefront.db import commit, utcnow
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import make_artist, make_label, make_user
from tests.functional.catalog.test_browse_support import (
    assert_only_public,
    card_titles,
    collection,
    every_state,
    on_roster,
    release,
)
from tests.helpers import text_of


def _releases_section(html: str) -> str:
    start = html.index('<h2 id="label-releases">')
    end = html.find("<h2", start + 1)
    return html[start : end if end != -1 else len(html)]


def test_roster_and_the_releases_on_the_label_newest_first(web, db, platform):
    label = make_label(db, make_user(db, platform), name="Tidal", slug="tidal")
    kelp = make_artist(db, make_user(db, platform), name="Kelp")
    gone = make_artist(db, make_user(db, platform), name="Gone Away")
    waiting = make_artist(db, make_user(db, platform), name="Not Yet Agreed")
    on_roster(db, label, kelp)
    now = utcnow()
    release(db, kelp, "Kelp on Tidal", label=label, approved_at=now - timedelta(days=1))
    release(db, gone, "Back Catalogue", label=label, approved_at=now - timedelta(days=3))
    release(db, kelp, "Kelp Self-Released", approved_at=now)
    release(db, waiting, "Elsewhere", label=make_label(db, make_user(db, platform)))
    db.add(RosterLink(label=label, artist=waiting, label_consent_at=now))
    commit(db)

    html = text_of(web.get("/labels/tidal"))
    roster = html[html.index('<h2 id="roster">') : html.index('<h2 id="label-releases">')]
    assert "Kelp" in roster and "Gone Away" not in roster and "Not Yet Agreed" not in roster
    assert card_titles(_releases_section(html)) == ["Kelp on Tidal", "Back Catalogue"]
    assert "Releases on Tidal" in html


def test_a_label_page_lists_only_public_releases_and_published_collections(web, db, platform):
    label = make_label(db, make_user(db, platform), slug="strict")
    artist = make_artist(db, make_user(db, platform))
    on_roster(db, label, artist)
    made = every_state(db, artist, "Labelled", label=label)
    assert_only_public(_releases_section(text_of(web.get("/labels/strict"))), made)

    collection(db, "Our Favourites", list(made.values()), label=label)
    collection(db, "Draft Shelf", [made[ReleaseStatus.APPROVED]], label=label, published=False)
    collection(db, "Platform Shelf", [made[ReleaseStatus.APPROVED]])
    html = text_of(web.get("/labels/strict"))
    assert "Our Favourites" in html and "Draft Shelf" not in html and "Platform Shelf" not in html
    assert_only_public(html[html.index("Our Favourites") :], made)


def test_the_label_releases_page_in_keyset_pages(web, db, platform):
    label = make_label(db, make_user(db, platform), slug="busy")
    artist = make_artist(db, make_user(db, platform))
    base = utcnow()
    for n in range(PAGE_SIZE + 4):
        release(
            db,
            artist,
            f"Busy {n:02d}",
            label=label,
            approved_at=base - timedelta(minutes=n),
            commit_now=False,
        )
    commit(db)
    first = text_of(web.get("/labels/busy"))
    assert card_titles(_releases_section(first)) == [f"Busy {n:02d}" for n in range(PAGE_SIZE)]
    older = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert older is not None and "before=" in older.group(1)
    second = text_of(web.get(older.group(1)))
    assert card_titles(_releases_section(second)) == [
        f"Busy {n:02d}" for n in range(PAGE_SIZE, PAGE_SIZE + 4)
    ]
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_a_missing_label_is_404(web):
    response = web.get("/labels/no-such-label")
    assert response.status_code == 404 and "There is no label at this address." in text_of(response)
