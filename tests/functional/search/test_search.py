"""Search through HTTP: accents folded, prefixes while typing, exact names first, only public things."""

from __future__ import annotations

from sqlalchemy import func, select

from storefront.search.models import SearchDocument
from tests.helpers import text_of


def test_accents_are_folded_whichever_way_they_are_typed(catalog):
    for typed in ("Styrso", "styrsö", "STYRSÖ", "ｓｔｙｒｓｏ"):
        found = catalog.names(typed)
        assert "release:Styrsö Nights" in found, typed
        assert "artist:Styrsö Ferry Band" in found, typed
    assert "track:Brännö Crossing" in catalog.names("branno")
    assert "track:Vrångö Light" in catalog.names("vrango light")


def test_an_unfinished_word_finds_names_as_they_are_typed(catalog):
    assert "artist:Styrsö Ferry Band" in catalog.names("sty")
    assert "artist:Styrsö Ferry Band" in catalog.names("styrso fer")
    # A word inside a name, begun but not finished.
    assert "track:Brännö Crossing" in catalog.names("cross")
    assert "release:Lanterns" in catalog.names("lant")


def test_exact_names_come_first_then_names_that_start_so_then_the_rest(catalog):
    found = catalog.names("harbour")
    assert found[:2] == ["artist:Harbour", "release:Harbour"]
    # "Harbour Lights" starts with the query; "Lights over the Harbour" only contains it.
    assert found.index("track:Harbour Lights") < found.index("release:Lights over the Harbour")


def test_results_carry_their_kind_and_a_working_link(catalog):
    client = catalog.app.test_client()
    results = catalog.suggest("styrso")
    kinds = {r["kind"] for r in results}
    assert {"artist", "release", "track"} <= kinds
    for result in results:
        assert set(result) == {"kind", "kind_label", "name", "context", "url"}
        path, _, _anchor = result["url"].partition("#")
        assert client.get(path).status_code == 200, result
    release = next(r for r in results if r["kind"] == "release")
    assert release["context"] == "Styrsö Ferry Band"
    assert release["url"] == "/artists/styrso-ferry-band/album/" + catalog.releases["styrso"].slug


def test_labels_tags_and_genres_are_found(catalog):
    assert "label:Tidal Records" in catalog.names("tidal")
    assert "tag:archipelago folk" in catalog.names("archipelago")
    assert "genre:Folk" in catalog.names("folk")
    # A release is found by its tags and genre too.
    assert "release:Styrsö Nights" in catalog.names("archipelago")


def test_nothing_that_is_not_public_is_ever_found(catalog):
    for status in ("draft", "in_review", "changes_requested", "rejected", "taken_down"):
        assert catalog.suggest(f"secret {status}") == [], status
        assert catalog.suggest(f"secret-{status}") == [], status
        assert "Secret" not in catalog.page(f"secret {status}")
    # An artist with no public release is not found either; the label is, by its public release.
    assert catalog.suggest("hidden person") == []
    stored = catalog.session.scalar(select(func.count()).where(SearchDocument.name.like("Secret%")))
    assert stored == 0


def test_the_page_groups_results_by_kind_without_javascript(catalog):
    page = catalog.page("harbour")
    assert page.index(">Artists<") < page.index(">Releases<") < page.index(">Tracks<")
    assert 'href="/artists/harbour"' in page and "Harbour Lights" in page
    assert "Lanterns" not in page
    empty = catalog.page("zzzz qqqq")
    assert "Nothing public matches" in empty
    blank = catalog.page("")
    assert "Nothing public matches" not in blank and 'name="q"' in blank


def test_the_search_box_is_in_every_page_header(catalog):
    home = text_of(catalog.app.test_client().get("/"))
    assert 'role="search"' in home and 'action="/search"' in home
    assert 'data-suggest="/search/suggest.json"' in home
    assert '<script type="module" src="/static/js/search.js">' in home


def test_a_misspelt_name_is_offered_when_nothing_else_matches(catalog):
    found = catalog.names("pale orchrd")
    assert found and found[0] == "artist:Pale Orchard"
    assert "did you mean" in catalog.page("pale orchrd")


def test_a_misspelt_track_title_is_found(catalog):
    assert "track:Driftwood" in catalog.names("driftwod")
    # Every word nearly right, accents left out as well.
    assert catalog.names("brano crosing")[0] == "track:Brännö Crossing"
    page = catalog.page("glass orchrd")
    assert "did you mean" in page and "Glass Orchard" in page
    # Titles that are not public are not in the index to be offered.
    assert not [name for name in catalog.names("secret draft sng") if "Secret" in name]


def test_a_title_is_not_offered_for_words_it_does_not_nearly_hold(catalog):
    assert "track:Driftwood" not in catalog.names("driftwod moonlight")
    assert "track:Harbour Lights" not in catalog.names("harbor nights ferrys")
