"""Catalog pages send the same few SQL statements whatever the number of releases on them (at most 6).

Every release has a cover, tags, a genre, a place, a label and a place in three collections, so that anything
loaded per card would show as a growing count; the pages' queries also raise on any relationship they did not
load (`raiseload`), so a template reaching for one fails here."""

from __future__ import annotations

from dataclasses import dataclass

from storefront.accounts.models import Artist, Label
from storefront.catalog.models import CollectionItem, CuratedCollection
from storefront.db import commit
from storefront.releases.models import ReleaseType
from tests.factories.accounts import make_artist, make_label, make_user
from tests.functional.catalog.test_browse_support import (
    card_titles,
    collection,
    counting_queries,
    on_roster,
    release,
)
from tests.helpers import text_of

MAX_QUERIES = 6
PAGES = (
    "/",
    "/artists/counted",
    "/labels/counted-label",
    "/collections/counted-shelf",
    "/browse",
    "/tags/counted",
    "/genres/Counted",
    "/locations/Countville",
)


@dataclass
class Catalog:
    label: Label
    artists: list[Artist]
    shelves: list[CuratedCollection]
    releases: int = 0


def _catalog(db, platform) -> Catalog:
    label = make_label(db, make_user(db, platform), slug="counted-label")
    artists = [make_artist(db, make_user(db, platform), slug="counted")]
    artists += [make_artist(db, make_user(db, platform)) for _ in range(2)]
    for artist in artists:
        on_roster(db, label, artist)
    shelves = [
        collection(db, "Staff picks", [], slug="staff-picks"),
        collection(db, "Counted shelf", [], slug="counted-shelf", position=1),
        collection(db, "Label shelf", [], label=label),
    ]
    return Catalog(label, artists, shelves)


def _add_releases(db, catalog: Catalog, count: int) -> None:
    for _ in range(count):
        n = catalog.releases
        made = release(
            db,
            catalog.artists[n % 3],
            tags=["counted", f"tag {n}"],
            genre="Counted",
            location="Countville",
            label=catalog.label,
            release_type=list(ReleaseType)[n % 3],
            cover=True,
            commit_now=False,
        )
        db.flush()
        for shelf in catalog.shelves:
            db.add(CollectionItem(collection_id=shelf.id, release_id=made.id, position=n))
        catalog.releases += 1
    commit(db)


def _counts(app, web) -> dict[str, tuple[int, int]]:
    """Per page: the statements sent, and the cards shown."""
    counts = {}
    for path in PAGES:
        with counting_queries(app) as counter:
            response = web.get(path)
        assert response.status_code == 200, path
        counts[path] = (counter.count, len(card_titles(text_of(response))))
    return counts


def test_catalog_pages_send_the_same_few_queries_for_3_or_60_releases(app, web, db, platform):
    catalog = _catalog(db, platform)
    _add_releases(db, catalog, 3)
    few = _counts(app, web)
    _add_releases(db, catalog, 57)
    many = _counts(app, web)

    assert {path: count for path, (count, _) in many.items()} == {
        path: count for path, (count, _) in few.items()
    }
    assert max(count for count, _ in many.values()) <= MAX_QUERIES, many
    # The pages did show more: 60 cards where they list everything, a full page where they page.
    assert many["/artists/counted"][1] == 20 and many["/collections/counted-shelf"][1] == 60
    assert many["/browse"][1] == many["/tags/counted"][1] == 24
    assert few["/browse"][1] == few["/tags/counted"][1] == 3
