"""Search on SQLite: an index range for names, FTS5 for words (unicode61, diacritics removed, prefix indexes),
and a trigram FTS5 table for a spelling fallback when nothing else is found. Tracks, too many for the trigram
table, are looked for among the newest titles holding words that start as the query's words start (read
from the names' prefix indexes), and compared here.

FTS5 ranks with bm25 only by scoring every match, which at 100,000 tracks costs far more than a keystroke may
(a common word matches tens of thousands of documents). So each kind's newest few matches are read instead,
in rowid order, which FTS5 stops reading after the LIMIT: first those with the words in their name, then
those with the words anywhere; the handful found are ranked here (see interfaces.rank_key).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from .interfaces import KINDS, Hit, Kind, Tier, best_first, words_tier
from .models import document_columns, name_matches, spelt_tracks, to_hit
from .query import Query, similarity, spelling_prefixes, trigrams, words_of

# Every statement here is built from constants only; what a person typed reaches them as bound parameters.
_DOCUMENT = document_columns("d.")
_PART = (
    "SELECT * FROM (SELECT rowid AS id FROM {table} WHERE {table} MATCH :{param} "
    "ORDER BY rowid DESC LIMIT :n)"
)
# A tag's or genre's document is its name alone: its names query has found all there is.
_ANYWHERE_KINDS = (Kind.ARTIST, Kind.RELEASE, Kind.TRACK, Kind.LABEL)


def _words_statement(parts: list[tuple[str, Kind]]) -> TextClause:
    union = " UNION ".join(_PART.format(table=table, param=f"{table}_{kind.value}") for table, kind in parts)
    return text(f"SELECT {_DOCUMENT} FROM ({union}) AS m JOIN search_documents AS d ON d.id = m.id")  # noqa: S608


# Names first, for every kind; then the words anywhere, for the kinds that did not fill up (cached per set).
_IN_NAMES = _words_statement([("search_names", kind) for kind in KINDS])
_ANYWHERE: dict[tuple[Kind, ...], TextClause] = {}
_SIMILAR = text(
    f"SELECT {_DOCUMENT} FROM ("  # noqa: S608
    "SELECT rowid AS id FROM search_trigrams WHERE search_trigrams MATCH :match ORDER BY rank LIMIT :limit"
    ") AS m JOIN search_documents AS d ON d.id = m.id"
)
_SPELT_TRACKS = text(
    f"SELECT {_DOCUMENT} FROM ("  # noqa: S608
    "SELECT rowid AS id FROM search_names WHERE search_names MATCH :match ORDER BY rowid DESC LIMIT :limit"
    ") AS m JOIN search_documents AS d ON d.id = m.id"
)
# Names sharing this much of their trigrams with the query are offered as what the person may have meant
# (pg_trgm's default threshold).
SIMILARITY = 0.3
MAX_TRIGRAMS = 16
# Track titles read as candidates for a misspelt query, newest first.
SPELLING_CANDIDATES = 200


def _phrase(word: str) -> str:
    # Words are letters and digits only (see query.py); quoting makes any of them, NEAR or AND included,
    # a plain word to FTS5.
    return '"' + word.replace('"', '""') + '"'


def match_expression(query: Query, *, prefix: bool) -> str:
    words = [_phrase(word) for word in query.words]
    # A last word of two letters or more may be searched as a prefix; the prefix indexes make that cheap.
    if prefix and query.prefix and len(query.words[-1]) >= 2:
        words[-1] += " *"
    return " AND ".join(words)


class SqliteSearch:
    engine = "sqlite-fts5"
    # Only as a fallback: names sharing enough trigrams with the query when nothing else matched.
    typo_tolerant = True

    def search(self, session: Session, query: Query, *, per_kind: int) -> list[Hit]:
        if query.empty:
            return []
        hits = name_matches(session, query, per_kind)
        # An unfinished word is completed in names only: FTS5 gathers every document holding a completion
        # before it can stop at a LIMIT, and across all the text of 100,000 tracks that costs too much.
        in_names, anywhere = match_expression(query, prefix=True), match_expression(query, prefix=False)
        params: dict[str, object] = {"n": per_kind}
        for kind in KINDS:
            params[f"search_names_{kind.value}"] = f"kind : {kind.value} AND name : ({in_names})"
            params[f"search_fts_{kind.value}"] = (
                f"kind : {kind.value} AND {{name context keywords}} : ({anywhere})"
            )
        hits += self._words(session, query, _IN_NAMES, params)
        found = Counter(hit.kind for hit in best_first(hits, per_kind))
        wanting = tuple(kind for kind in _ANYWHERE_KINDS if found[kind] < per_kind)
        if wanting:
            if wanting not in _ANYWHERE:
                _ANYWHERE[wanting] = _words_statement([("search_fts", kind) for kind in wanting])
            hits += self._words(session, query, _ANYWHERE[wanting], params)
        if not hits:
            hits = self._similar(session, query, per_kind) + self._similar_tracks(session, query)
        return best_first(hits, per_kind)

    def _words(
        self, session: Session, query: Query, statement: TextClause, params: dict[str, object]
    ) -> list[Hit]:
        hits = []
        for row in session.execute(statement, params):
            tier = words_tier(query, row.folded)
            hits.append(to_hit(row, tier, float(len(row.folded)) if tier is Tier.NAME_WORDS else 0.0))
        return hits

    def _similar(self, session: Session, query: Query, per_kind: int) -> list[Hit]:
        grams = sorted({w[i : i + 3] for w in words_of(query.folded) for i in range(len(w) - 2)})[
            :MAX_TRIGRAMS
        ]
        if not grams:
            return []
        match = " OR ".join(_phrase(gram) for gram in grams)
        wanted = trigrams(query.folded)
        found = []
        for row in session.execute(_SIMILAR, {"match": match, "limit": per_kind * 10}):
            score = similarity(wanted, trigrams(row.folded))
            if score >= SIMILARITY:
                found.append(to_hit(row, Tier.SIMILAR, -score))
        return found

    def _similar_tracks(self, session: Session, query: Query) -> list[Hit]:
        starts = spelling_prefixes(query)
        if not starts:
            return []
        match = "kind : track AND name : (" + " AND ".join(_phrase(start) + " *" for start in starts) + ")"
        rows = session.execute(_SPELT_TRACKS, {"match": match, "limit": SPELLING_CANDIDATES})
        return spelt_tracks(query, rows, SIMILARITY)

    def optimize(self, session: Session) -> None:
        for table in ("search_fts", "search_names", "search_trigrams"):
            session.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))  # noqa: S608
        session.execute(text("ANALYZE search_documents"))
