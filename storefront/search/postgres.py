"""Search on PostgreSQL: an index range for names, tsvectors over unaccented text (the `simple` configuration,
no stemming: names are found as they are spelt) with GIN indexes, and pg_trgm for names spelt nearly right.
Tracks, too many for the trigram index, are looked for among titles holding a word that starts as the query's
longest word starts (read from the names' GIN index), and compared here.

ts_rank scores every match, and reading every match's row costs far more than a keystroke may when a word is
common (tens of thousands of tracks). So, as on SQLite, each kind's first few matches are read (first with the
words in the name, then anywhere), which a GIN bitmap scan answers without visiting the rest, and the handful
found are ranked here (see interfaces.rank_key).
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from .interfaces import KINDS, Hit, Kind, Tier, best_first, words_tier
from .models import document_columns, name_matches, spelt_tracks, to_hit
from .query import SPELLING_PREFIX, Query, spelling_prefixes

log = logging.getLogger(__name__)
# A tag's or genre's document is its name alone: its names query has found all there is.
_ANYWHERE_KINDS = (Kind.ARTIST, Kind.RELEASE, Kind.TRACK, Kind.LABEL)
_ARRAYS = ARRAY(Text())
# As pg_trgm's default threshold, for track titles compared here; candidates read for a misspelt title.
SIMILARITY = 0.3
SPELLING_CANDIDATES = 200


def _words_statement(function: str) -> TextClause:
    """Each kind's first matches, read by the migration's function from the GIN index (which turns the
    words into that kind's lexemes, quoted: nothing typed is read as tsquery syntax)."""
    return text(
        f"SELECT {document_columns('d.')} FROM {function}(:words, :begun, :kinds, :n) AS m(id) "  # noqa: S608
        "JOIN search_documents AS d ON d.id = m.id"
    ).bindparams(bindparam("words", type_=_ARRAYS), bindparam("kinds", type_=_ARRAYS))


_IN_NAMES = _words_statement("velvet_search_names")
_ANYWHERE = _words_statement("velvet_search_words")
_EXTENSION_SCHEMA = text(
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname = 'pg_trgm'"
)


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class PostgresSearch:
    engine = "postgresql"
    # Names of artists, releases, labels, tags and genres by pg_trgm; track titles by their words' starts.
    typo_tolerant = True

    def __init__(self) -> None:
        # pg_trgm's schema, looked up once: its operators are named with it, whatever the search_path.
        self._trgm: str | None = None

    def search(self, session: Session, query: Query, *, per_kind: int) -> list[Hit]:
        if query.empty:
            return []
        hits = name_matches(session, query, per_kind)
        params: dict[str, object] = {
            "n": per_kind,
            "words": list(query.words),
            # An unfinished word is completed in names only, as on SQLite.
            "begun": query.prefix and len(query.words[-1]) >= 2,
            "kinds": [kind.value for kind in KINDS],
        }
        hits += self._words(session, query, _IN_NAMES, params)
        found = Counter(hit.kind for hit in best_first(hits, per_kind))
        wanting = [kind.value for kind in _ANYWHERE_KINDS if found[kind] < per_kind]
        if wanting:
            params |= {"begun": False, "kinds": wanting}
            hits += self._words(session, query, _ANYWHERE, params)
        # Spelling: asked only when the words found little, as a typo finds nothing by its words.
        if len(hits) < per_kind and len(query.folded) >= 3:
            hits += self._similar(session, query, per_kind)
            if not any(hit.kind is Kind.TRACK for hit in hits):
                hits += self._similar_tracks(session, query)
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
        schema = self._trgm_schema(session)
        if schema is None:
            return []
        # A name holding a word spelt nearly like the query (<%), or spelt nearly like it as a whole (%),
        # read from the trigram index, which leaves tracks out (`kind <> 'track'` selects it).
        statement = text(
            f"SELECT {document_columns()}, greatest({schema}.word_similarity(:q, folded), "  # noqa: S608
            f"{schema}.similarity(:q, folded)) AS similarity FROM search_documents "
            f"WHERE kind <> 'track' AND (:q OPERATOR({schema}.<%) folded OR folded OPERATOR({schema}.%) :q) "
            "ORDER BY similarity DESC, popularity DESC, id LIMIT :limit"
        )
        rows = session.execute(statement, {"q": query.folded, "limit": per_kind * 6})
        return [to_hit(row, Tier.SIMILAR, -float(row.similarity)) for row in rows]

    def _similar_tracks(self, session: Session, query: Query) -> list[Hit]:
        if not spelling_prefixes(query):
            return []
        # The start of the longest word, the one least likely to be shared by every other title.
        longest = max(query.words, key=len)[:SPELLING_PREFIX]
        params = {"words": [longest], "begun": True, "kinds": [Kind.TRACK.value], "n": SPELLING_CANDIDATES}
        rows = session.execute(_IN_NAMES, params)
        return spelt_tracks(query, rows, SIMILARITY)

    def _trgm_schema(self, session: Session) -> str | None:
        if self._trgm is None:
            found = session.scalar(_EXTENSION_SCHEMA)
            if found is None:
                log.warning("pg_trgm is not installed: search finds no misspelt names (run the migrations)")
                return None
            self._trgm = _quoted(str(found))
        return self._trgm

    def optimize(self, session: Session) -> None:
        for index in (
            "ix_search_documents_document",
            "ix_search_documents_names",
            "ix_search_documents_trigrams",
        ):
            session.execute(text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"), {"index": index})
        session.execute(text("ANALYZE search_documents"))
        session.execute(text("ANALYZE search_facets"))
