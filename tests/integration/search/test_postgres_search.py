"""PostgreSQL's engine: misspelt names found by trigrams, accents folded by unaccent, words by tsvector."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from storefront.db import commit, utcnow
from storefront.releases.models import ReleaseStatus, Track
from storefront.search.indexer import SearchIndexer
from tests.factories.accounts import make_artist, make_user
from tests.factories.releases import make_release

pytestmark = pytest.mark.skipif(
    not os.environ.get("STOREFRONT_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="PostgreSQL's search engine: set STOREFRONT_TEST_DATABASE_URL to a PostgreSQL database",
)


@pytest.fixture
def indexed(app, db, platform):
    owner = make_user(db, platform)
    for name, slug, title, tracks in [
        ("Radiohead Tribute Orchestra", "rto", "Kid Amnesiac", ["Everything in Its Right Place"]),
        ("Björk Choir", "bjork-choir", "Medúlla Songs", ["Øresund Hymn"]),
        ("Pale Orchard", "pale-orchard", "Lanterns", ["Glass Orchard"]),
    ]:
        release = make_release(db, make_artist(db, owner, name=name, slug=slug), title=title)
        release.status, release.approved_at = ReleaseStatus.APPROVED, utcnow()
        release.tracks.extend(Track(title=t, position=n) for n, t in enumerate(tracks, start=1))
        commit(db)
    with platform.database.transaction() as session:
        SearchIndexer(session).rebuild()
    client = app.test_client()

    def names(q: str) -> list[str]:
        response = client.get("/search/suggest.json", query_string={"q": q})
        assert response.status_code == 200, response.get_data(as_text=True)
        return [f"{r['kind']}:{r['name']}" for r in response.get_json()["results"]]

    return names


def test_the_engine_is_postgresql_with_its_indexes(platform, db):
    assert platform.search.engine == "postgresql"
    indexes = set(db.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'search_documents'")))
    assert {"ix_search_documents_document", "ix_search_documents_trigrams"} <= indexes


def test_misspelt_names_are_found_by_trigrams(indexed):
    assert indexed("radiohaed")[0] == "artist:Radiohead Tribute Orchestra"
    assert "artist:Pale Orchard" in indexed("pale orchrd")
    assert "release:Lanterns" in indexed("lantrens")


def test_accents_are_folded_by_unaccent(indexed):
    assert "artist:Björk Choir" in indexed("bjork")
    assert "release:Medúlla Songs" in indexed("medulla")
    assert "track:Øresund Hymn" in indexed("oresund")
    assert "track:Øresund Hymn" in indexed("øresund hy")


def test_words_and_prefixes_are_found_in_any_order(indexed):
    assert "track:Everything in Its Right Place" in indexed("right place")
    assert "track:Everything in Its Right Place" in indexed("place every")
    # Artists whose names hold a word starting so come before the release and track that only mention one.
    assert set(indexed("orch")[:2]) == {"artist:Radiohead Tribute Orchestra", "artist:Pale Orchard"}


@pytest.mark.parametrize(
    "q", ["'", "\\", "a & b | !c", "x:*", "(((", "<->", "NEAR(a b)", "é:A", "\x00x", "*" * 50]
)
def test_query_syntax_is_never_read_as_syntax(app, indexed, q):
    response = app.test_client().get("/search/suggest.json", query_string={"q": q})
    assert response.status_code == 200
