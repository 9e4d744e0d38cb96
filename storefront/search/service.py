"""Searching as a fan does: results grouped by kind, suggestions while typing, only what is public."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Database
from ..releases.models import Release, ReleaseStatus
from .interfaces import KINDS, Hit, Kind, SearchIndex, Tier
from .query import Query, read_query

PER_KIND = 10
SUGGESTIONS = 8
# Suggestions show a few of each kind, so that one name shared by many tracks leaves room for the artist.
SUGGESTIONS_PER_KIND = 4


@dataclass(frozen=True)
class Group:
    kind: Kind
    hits: list[Hit]

    @property
    def similar_only(self) -> bool:
        """Found only by a spelling close to the query: shown as "did you mean"."""
        return all(hit.tier is Tier.SIMILAR for hit in self.hits)


class SearchService:
    def __init__(self, session: Session, index: SearchIndex) -> None:
        self.session = session
        self.index = index

    def search(self, query: Query, *, per_kind: int = PER_KIND) -> list[Group]:
        hits = self._public(self.index.search(self.session, query, per_kind=per_kind))
        return [Group(kind, found) for kind in KINDS if (found := [h for h in hits if h.kind is kind])]

    def suggest(self, query: Query, *, limit: int = SUGGESTIONS) -> list[Hit]:
        hits = self.index.search(self.session, query, per_kind=SUGGESTIONS_PER_KIND)
        return self._public(hits)[:limit]

    def _public(self, hits: list[Hit]) -> list[Hit]:
        """The index follows takedowns by a job, a moment after they commit; a release taken down in that
        moment is left out here already, with one lookup by primary key for the whole page."""
        release_ids = {hit.release_id for hit in hits if hit.release_id is not None}
        if not release_ids:
            return hits
        # Read by primary key alone, then checked here: a condition on status could lead the planner to
        # scan every public release instead.
        rows = self.session.execute(select(Release.id, Release.status).where(Release.id.in_(release_ids)))
        public = {release_id for release_id, status in rows if status == ReleaseStatus.APPROVED}
        return [hit for hit in hits if hit.release_id is None or hit.release_id in public]


def time_search(
    database: Database, index: SearchIndex, raw: str, *, repeat: int = 50, suggest: bool = False
) -> list[float]:
    """Seconds each of `repeat` searches for `raw` took, each in a session of its own as a request has:
    for benchmarks (take the p95 of the list), never for tests."""
    query = read_query(raw)
    timings: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        with database.session() as session:
            service = SearchService(session, index)
            run: Callable[[Query], object] = service.suggest if suggest else service.search
            run(query)
            session.rollback()
        timings.append(time.perf_counter() - started)
    return timings
