"""The search contract: the kinds of things found, a hit, how hits are ranked, and the one engine interface.

Both engines read the same documents table (search.models), written by the indexer whatever the engine; an
engine only answers queries, in its database's own way.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from .query import Query, fold, words_of


class Kind(enum.StrEnum):
    # In the order results are shown.
    ARTIST = "artist"
    RELEASE = "release"
    TRACK = "track"
    LABEL = "label"
    TAG = "tag"
    GENRE = "genre"


KINDS = tuple(Kind)
_KIND_ORDER = {kind: n for n, kind in enumerate(KINDS)}


class Tier(enum.IntEnum):
    """How a document matched, best first: a name that is the query, a name that starts with it, a name
    holding the query's words, the words elsewhere (an artist's name on their tracks), and a name spelt
    nearly like the query."""

    EXACT = 0
    PREFIX = 1
    NAME_WORDS = 2
    WORDS = 3
    SIMILAR = 4


def words_tier(query: Query, folded_name: str) -> Tier:
    """NAME_WORDS when each of the query's words is a word of the name (the last may be its start)."""
    names = words_of(folded_name)
    wanted = [fold(word) for word in query.words]
    *whole, last = wanted
    found = all(word in names for word in whole) and any(
        name == last or (query.prefix and name.startswith(last)) for name in names
    )
    return Tier.NAME_WORDS if found else Tier.WORDS


@dataclass(frozen=True)
class Hit:
    kind: Kind
    entity_id: int
    name: str
    context: str
    slug: str
    artist_slug: str
    position: int
    popularity: int
    release_id: int | None
    tier: Tier
    # Within a tier, lower is better (each engine maps its own relevance onto this).
    score: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.entity_id if self.entity_id else self.name}"


def rank_key(hit: Hit) -> tuple[int, int, float, int, int, str]:
    return (hit.tier, _KIND_ORDER[hit.kind], hit.score, -hit.popularity, len(hit.name), hit.name)


def best_first(hits: Iterable[Hit], per_kind: int) -> list[Hit]:
    """One hit per document, the best way it matched, best first, at most `per_kind` of each kind."""
    best: dict[str, Hit] = {}
    for hit in hits:
        known = best.get(hit.key)
        if known is None or (hit.tier, hit.score) < (known.tier, known.score):
            best[hit.key] = hit
    counts = dict.fromkeys(KINDS, 0)
    kept = []
    for hit in sorted(best.values(), key=rank_key):
        if counts[hit.kind] < per_kind:
            counts[hit.kind] += 1
            kept.append(hit)
    return kept


class SearchIndex(Protocol):
    """A search engine over the documents table."""

    # "sqlite-fts5" or "postgresql": shown by `flask search-reindex` and the benchmark.
    engine: str
    # Whether names spelt slightly wrong are found (Tier.SIMILAR) beside what the words find.
    typo_tolerant: bool

    def search(self, session: Session, query: Query, *, per_kind: int) -> list[Hit]:
        """Up to `per_kind` hits of each kind, best first; an empty query finds nothing."""
        ...

    def optimize(self, session: Session) -> None:
        """After a rebuild: compact the engine's index and refresh the planner's statistics."""
        ...
