"""The search documents: one row per public thing a fan can find, derived from the catalog, rebuilt at will.

Both engines read this table. On SQLite two FTS5 tables index it (kept in step by triggers, see migration
0015); on PostgreSQL a generated tsvector column and trigram index live on it. Nothing here is the source of
truth: `flask search-reindex` rebuilds all of it from the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base
from .interfaces import KINDS, Hit, Kind, Tier
from .query import Query, words_similarity

# Byte order on PostgreSQL as on SQLite, so that a prefix is a range of the index on both.
FOLDED = String(300).with_variant(String(300, collation="C"), "postgresql")


class SearchDocument(Base):
    __tablename__ = "search_documents"
    __table_args__ = (
        # Exact and prefix matches of names, per kind: an index range, whatever the catalog's size.
        Index("ix_search_documents_kind_folded", "kind", "folded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "release:12", "tag:ambient": what the row stands for, unique so that writers can upsert.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(300))
    # The name lower-cased, accents and compatibility forms folded: "Styrsö" is "styrso".
    folded: Mapped[str] = mapped_column(FOLDED)
    # Shown under the name and searched with less weight (the artist of a release, the release of a track).
    context: Mapped[str] = mapped_column(String(300), default="")
    # Searched with the least weight: genre, tags, place, label.
    keywords: Mapped[str] = mapped_column(Text, default="")
    # What links to the thing: its slug (a release's or track's is the release's), the artist's slug.
    slug: Mapped[str] = mapped_column(String(120), default="")
    artist_slug: Mapped[str] = mapped_column(String(80), default="")
    position: Mapped[int] = mapped_column(default=0)
    # Public releases of an artist, label, tag or genre: breaks ties between equally good matches.
    popularity: Mapped[int] = mapped_column(default=0)
    # Which catalog rows the document was made from, to find it again when they change.
    release_id: Mapped[int | None] = mapped_column(index=True)
    artist_id: Mapped[int | None] = mapped_column(index=True)
    label_id: Mapped[int | None] = mapped_column(index=True)


class SearchFacet(Base):
    """A public release's tags and genre, so that a tag's document lives exactly as long as a public
    release carries it, counted without reading every release."""

    __tablename__ = "search_facets"
    __table_args__ = (Index("ix_search_facets_facet_value", "facet", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(index=True)
    facet: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(80))


# -- what both engines read the same way ---------------------------------------------------------------------
_COLUMNS = ("kind", "entity_id", "name", "folded", "context", "slug", "artist_slug", "position", "popularity")


def document_columns(alias: str = "") -> str:
    """What a hit is made of, for statements written out in SQL (`alias` "d." names the table's alias)."""
    return ", ".join(f"{alias}{column}" for column in (*_COLUMNS, "release_id"))


# Above every character, so that `folded < prefix + TOP` ends the range of names starting with `prefix`.
TOP = "\U0010ffff"
# Names that are the query or start with it, up to :n of each kind, each kind read as one index range (the
# exact name sorts first in its range, and shorter names before longer ones that share their start).
# Written out once: building it with the expression language took longer than running it.
# Built from constants only.
_NAMES = text(
    " UNION ALL ".join(
        f"SELECT * FROM (SELECT {document_columns()} FROM search_documents "  # noqa: S608
        f"WHERE kind = '{kind.value}' AND folded >= :lo AND folded < :hi ORDER BY folded LIMIT :n) "
        f"AS {kind.value}s"
        for kind in KINDS
    )
)


def to_hit(row: Any, tier: Tier, score: float = 0.0) -> Hit:
    return Hit(
        kind=Kind(row.kind),
        entity_id=row.entity_id,
        name=row.name,
        context=row.context,
        slug=row.slug,
        artist_slug=row.artist_slug,
        position=row.position,
        popularity=row.popularity,
        release_id=row.release_id,
        tier=tier,
        score=score,
    )


def spelt_tracks(query: Query, rows: Iterable[Any], threshold: float) -> list[Hit]:
    """The candidate tracks whose title holds each of the query's words spelt nearly right, nearest first."""
    hits = []
    for row in rows:
        score = words_similarity(query, row.folded)
        if score >= threshold:
            hits.append(to_hit(row, Tier.SIMILAR, -score))
    return hits


def name_matches(session: Session, query: Query, per_kind: int) -> list[Hit]:
    if not query.folded:
        return []
    hits = []
    for row in session.execute(_NAMES, {"lo": query.folded, "hi": query.folded + TOP, "n": per_kind}):
        exact = row.folded == query.folded
        hits.append(to_hit(row, Tier.EXACT if exact else Tier.PREFIX, float(len(row.folded))))
    return hits
