"""The home page: new releases, staff picks, the platform's collections, and genres, tags and places."""

from __future__ import annotations

from datetime import timedelta

from storefront.db import commit, utcnow
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import make_artist, make_label, make_user
from tests.functional.catalog.test_browse_support import (
    HIDDEN,
    assert_only_public,
    card_titles,
    collection,
    every_state,
    release,
)
from tests.helpers import text_of


def _section(html: str, heading_id: str) -> str:
    """From the section's heading to the next heading of its level."""
    start = html.index(f'<h2 id="{heading_id}"')
    end = html.find("<h2", start + 1)
    return html[start : end if end != -1 else len(html)]


def test_new_releases_newest_first_with_covers_and_a_way_to_browse(web, db, platform):
    artist = make_artist(db, make_user(db, platform), name="Kelp")
    now = utcnow()
    release(db, artist, "Older Tide", approved_at=now - timedelta(days=2))
    release(db, artist, "Newest Tide", approved_at=now, cover=True)
    release(db, artist, "Middle Tide", approved_at=now - timedelta(days=1))
    page = text_of(web.get("/"))
    new = _section(page, "new-releases")
    assert card_titles(new) == ["Newest Tide", "Middle Tide", "Older Tide"]
    assert new.count("/covers/") == 1 and 'alt=""' in new  # the title beside it names the link
    assert 'href="/browse"' in new
    assert f'href="/artists/{artist.slug}/album/' in new and "Kelp" in new


def test_staff_picks_and_collections_show_public_releases_in_the_curators_order(web, db, platform):
    artist = make_artist(db, make_user(db, platform))
    first, second, third = (release(db, artist, title) for title in ("Alpha", "Beta", "Gamma"))
    hidden = every_state(db, artist, "Picked")
    collection(db, "Staff picks", [third, hidden[ReleaseStatus.TAKEN_DOWN], first], slug="staff-picks")
    collection(db, "Rainy days", [second, *hidden.values()], position=2)
    collection(db, "Sunny days", [first], position=1)
    collection(db, "Unfinished", [first, second], published=False, position=0)
    label = make_label(db, make_user(db, platform))
    collection(db, "Label shelf", [third], label=label)

    page = text_of(web.get("/"))
    picks = _section(page, "staff-picks")
    assert card_titles(picks) == ["Gamma", "Alpha"]
    shelves = _section(page, "collections")
    assert shelves.index("Sunny days") < shelves.index("Rainy days")
    assert "Unfinished" not in page and "Label shelf" not in page
    assert_only_public(shelves, hidden)
    assert card_titles(shelves) == ["Alpha", "Beta", "Picked approved"]


def test_explore_lists_the_most_used_genres_tags_places_and_labels_of_public_releases_only(web, db, platform):
    artist = make_artist(db, make_user(db, platform))
    busy = make_label(db, make_user(db, platform), name="Busy Label", slug="busy")
    quiet = make_label(db, make_user(db, platform), name="Quiet Label", slug="quiet")
    hidden_only = make_label(db, make_user(db, platform), name="Hidden Label")
    for _ in range(3):
        release(db, artist, tags=["Dub", "tape loops"], genre="Ambient", location="Styrsö", label=busy)
    release(db, artist, tags=["field recordings"], genre="Jazz", location="Oslo", label=quiet)
    for status in HIDDEN:
        details = {
            "tags": ["secret tag"],
            "genre": "Hidden Genre",
            "location": "Nowhere",
            "label": hidden_only,
        }
        release(db, artist, status=status, **details)
    explore = _section(text_of(web.get("/")), "explore")
    assert explore.index("Ambient") < explore.index("Jazz")
    assert 'href="/genres/Ambient">Ambient</a> <span class="muted">(3' in explore
    assert 'href="/tags/dub">dub</a>' in explore and 'href="/tags/tape%20loops"' in explore
    assert explore.index("tape loops") < explore.index("field recordings")
    assert 'href="/locations/Styrs%C3%B6"' in explore
    assert 'href="/labels/busy">Busy Label</a> <span class="muted">(3' in explore
    assert explore.index("Busy Label") < explore.index("Quiet Label")
    for secret in ("secret tag", "Hidden Genre", "Nowhere", "Hidden Label"):
        assert secret not in explore


def test_no_draft_review_rejected_or_taken_down_release_appears_anywhere_on_home(web, db, platform):
    artist = make_artist(db, make_user(db, platform))
    made = every_state(db, artist, "Home", tags=["everywhere"], genre="Everywhere")
    collection(db, "Staff picks", list(made.values()), slug="staff-picks")
    page = text_of(web.get("/"))
    assert_only_public(page, made)
    assert 'href="/tags/everywhere">everywhere</a> <span class="muted">(1' in page
    # Taking the approved one down takes it off the page, its tags and its genre with it.
    made[ReleaseStatus.APPROVED].status = ReleaseStatus.TAKEN_DOWN
    commit(db)
    page = text_of(web.get("/"))
    assert "Home approved" not in page and "everywhere" not in page.lower()


def test_an_empty_store_has_a_home_page(web):
    response = web.get("/")
    assert response.status_code == 200
    assert "<h1" in text_of(response) and "No artists yet." in text_of(response)
