"""Whatever is typed into the search box, the answer is results, nothing, or a readable 400; never a 500."""

from __future__ import annotations

import pytest

HOSTILE = [
    '"',
    '""',
    '"unbalanced',
    "*",
    "***",
    "styr*",
    "*styr",
    "NEAR",
    "NEAR(harbour lights)",
    "harbour NEAR/2 lights",
    "harbour AND",
    "OR OR OR",
    "NOT harbour",
    "-harbour",
    "+harbour",
    "^harbour",
    "name:harbour",
    "{name context}:harbour",
    "(harbour",
    "harbour)",
    "a:*",
    "a & b | !c <-> d",
    "'; DROP TABLE search_documents; --",
    "%_%",
    "\\",
    "\x00",
    "harbour\x00lights",
    "\x1b[31mred\x1b[0m",
    "\u202eruobrah",
    "\ufeff\u200b\u200d",
    "🎵🎶",
    "ｈａｒｂｏｕｒ",
    "x" * 200,
    "word " * 40,
    "é" * 150,
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_get_an_answer(catalog, q):
    client = catalog.app.test_client()
    page = client.get("/search", query_string={"q": q})
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    suggest = client.get("/search/suggest.json", query_string={"q": q})
    assert suggest.status_code == 200 and isinstance(suggest.get_json()["results"], list)


def test_syntax_is_searched_as_words(catalog):
    assert "release:Harbour" in catalog.names('"harbour"')
    assert "release:Harbour" in catalog.names("harbour*")
    assert "track:Harbour Lights" in catalog.names("(harbour lights)")
    assert "track:Harbour Lights" in catalog.names("{harbour}: ^lights")
    assert "track:Harbour Lights" in catalog.names("harbour\x00lights")


def test_a_query_too_long_is_refused_with_a_reason(catalog):
    client = catalog.app.test_client()
    page = client.get("/search", query_string={"q": "x" * 201})
    assert page.status_code == 400 and "at most 200 characters" in page.get_data(as_text=True)
    suggest = client.get("/search/suggest.json", query_string={"q": "y" * 5000})
    assert suggest.status_code == 400
    assert suggest.get_json() == {"error": "Search for at most 200 characters.", "results": []}


def test_undecodable_bytes_and_repeated_parameters_are_answered(catalog):
    client = catalog.app.test_client()
    assert client.get("/search?q=%ff%fe%00harbour").status_code == 200
    assert client.get("/search?q=harbour&q=lights").status_code == 200
    assert client.get("/search/suggest.json?q").status_code == 200
    assert client.get("/search/suggest.json").get_json() == {"query": "", "results": []}
