"""Keeping the index in step with the catalog: a release's documents are rewritten by a job queued in the
transaction that changes its status (approval, takedown, reinstatement), an artist's or label's when they are
renamed, and `rebuild` writes everything again from the catalog.

Every write reads the catalog as it is now, so a job run twice, late or out of order leaves the same index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..accounts.models import Artist, Label
from ..accounts.profiles import PROFILE_RENAMED
from ..db import insert_or_merge
from ..jobs.interfaces import JobQueue, JobRegistry, JobSpec
from ..jobs.runner import JobContext
from ..releases.models import Release, ReleaseStatus
from .documents import Row, facet_document, facet_rows, facets_of, profile_document, release_documents
from .interfaces import Kind
from .models import SearchDocument, SearchFacet

# {"release_id": int}: rewrite the release's documents, and its artist's, label's, tags' and genre's.
REINDEX_RELEASE = JobSpec("search.reindex_release")
BATCH = 500
_PUBLIC = Release.status == ReleaseStatus.APPROVED


def enqueue_reindex(queue: JobQueue, release_id: int) -> None:
    """Queued in the caller's transaction; it runs once that commits, so it reads the new status."""
    queue.enqueue(REINDEX_RELEASE, {"release_id": release_id})


def _with_everything() -> tuple[Any, ...]:
    return (joinedload(Release.artist), joinedload(Release.label), selectinload(Release.tracks))


class SearchIndexer:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- one release -------------------------------------------------------------------------------------
    def reindex_release(self, release_id: int) -> None:
        session = self.session
        before = session.execute(
            select(SearchDocument.artist_id, SearchDocument.label_id).where(
                SearchDocument.key == f"{Kind.RELEASE.value}:{release_id}"
            )
        ).first()
        artists = {before.artist_id} if before else set()
        labels = {before.label_id} if before else set()
        facets: set[tuple[str, str]] = {
            (facet, value)
            for facet, value in session.execute(
                select(SearchFacet.facet, SearchFacet.value).where(SearchFacet.release_id == release_id)
            )
        }
        self._forget_releases([release_id])
        release = session.scalar(select(Release).options(*_with_everything()).where(Release.id == release_id))
        if release is not None and release.status == ReleaseStatus.APPROVED:
            self._write_releases([release])
            artists.add(release.artist_id)
            labels.add(release.label_id)
            facets |= facets_of(release)
        self._refresh_profiles(Artist, {a for a in artists if a is not None})
        self._refresh_profiles(Label, {label for label in labels if label is not None})
        for facet, value in sorted(facets):
            self._refresh_facet(facet, value)

    # -- a renamed artist or label -----------------------------------------------------------------------
    def reindex_profile(self, kind: str, profile_id: int) -> None:
        """Its own document and those of its public releases, which carry its name."""
        model: type[Artist] | type[Label] = Artist if kind == Kind.ARTIST.value else Label
        column = Release.artist_id if model is Artist else Release.label_id
        releases = list(
            self.session.scalars(
                select(Release).options(*_with_everything()).where(column == profile_id, _PUBLIC)
            )
        )
        self._forget_releases([r.id for r in releases], keep_facets=True)
        self._write_releases(releases, facets=False)
        self._refresh_profiles(model, {profile_id})

    # -- everything --------------------------------------------------------------------------------------
    def rebuild(self) -> dict[str, int]:
        """Every document written again from the catalog. Returns how many of each kind."""
        session = self.session
        session.execute(delete(SearchDocument))
        session.execute(delete(SearchFacet))
        last = 0
        while True:
            batch = list(
                session.scalars(
                    select(Release)
                    .options(*_with_everything())
                    .where(_PUBLIC, Release.id > last)
                    .order_by(Release.id)
                    .limit(BATCH)
                )
            )
            if not batch:
                break
            self._write_releases(batch)
            last = batch[-1].id
            session.expunge_all()
        for model in (Artist, Label):
            self._write_profiles(model, None)
        counts = session.execute(
            select(SearchFacet.facet, SearchFacet.value, func.count()).group_by(
                SearchFacet.facet, SearchFacet.value
            )
        )
        self._insert([facet_document(facet, value, n) for facet, value, n in counts])
        session.flush()
        found = session.execute(select(SearchDocument.kind, func.count()).group_by(SearchDocument.kind))
        return {kind.value: 0 for kind in Kind} | {kind: n for kind, n in found}

    # -- writing -----------------------------------------------------------------------------------------
    def _forget_releases(self, release_ids: Sequence[int], *, keep_facets: bool = False) -> None:
        if not release_ids:
            return
        self.session.execute(delete(SearchDocument).where(SearchDocument.release_id.in_(release_ids)))
        if not keep_facets:
            self.session.execute(delete(SearchFacet).where(SearchFacet.release_id.in_(release_ids)))

    def _write_releases(self, releases: Iterable[Release], *, facets: bool = True) -> None:
        documents: list[Row] = []
        members: list[Row] = []
        for release in releases:
            documents += release_documents(release)
            if facets:
                members += facet_rows(release)
        self._insert(documents)
        if members:
            self.session.execute(insert(SearchFacet), members)

    def _write_profiles(self, model: type[Artist] | type[Label], ids: set[int] | None) -> None:
        column = Release.artist_id if model is Artist else Release.label_id
        counted = (
            select(column.label("profile_id"), func.count().label("n"))
            .where(_PUBLIC, column.is_not(None))
            .group_by(column)
        )
        if ids is not None:
            counted = counted.where(column.in_(ids))
        counts = counted.subquery()
        rows = self.session.execute(select(model, counts.c.n).join(counts, counts.c.profile_id == model.id))
        self._upsert([profile_document(profile, n) for profile, n in rows])

    def _refresh_profiles(self, model: type[Artist] | type[Label], ids: set[int]) -> None:
        """Written while the profile has a public release, gone once it has none."""
        if not ids:
            return
        kind = Kind.ARTIST if model is Artist else Kind.LABEL
        keys = [f"{kind.value}:{profile_id}" for profile_id in ids]
        self.session.execute(delete(SearchDocument).where(SearchDocument.key.in_(keys)))
        self._write_profiles(model, ids)

    def _refresh_facet(self, facet: str, value: str) -> None:
        count = self.session.scalar(
            select(func.count())
            .select_from(SearchFacet)
            .where(SearchFacet.facet == facet, SearchFacet.value == value)
        )
        if count:
            self._upsert([facet_document(facet, value, count)])
        else:
            self.session.execute(delete(SearchDocument).where(SearchDocument.key == f"{facet}:{value}"))

    def _insert(self, rows: list[Row]) -> None:
        if rows:
            self.session.execute(insert(SearchDocument), rows)

    def _upsert(self, rows: list[Row]) -> None:
        """Two jobs may write the same artist's document at once; the later one wins instead of failing."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect
        for row in rows:
            statement = insert_or_merge(dialect, SearchDocument).values(**row)
            changed = {name: statement.excluded[name] for name in row if name != "key"}
            self.session.execute(statement.on_conflict_do_update(index_elements=["key"], set_=changed))


# -- jobs ----------------------------------------------------------------------------------------------------
def _reindex_release(context: JobContext, payload: dict[str, Any]) -> None:
    with context.database.transaction() as session:
        SearchIndexer(session).reindex_release(int(payload["release_id"]))


def _reindex_profile(context: JobContext, payload: dict[str, Any]) -> None:
    with context.database.transaction() as session:
        SearchIndexer(session).reindex_profile(str(payload["kind"]), int(payload["id"]))


def register_jobs(registry: JobRegistry) -> None:
    registry.add(REINDEX_RELEASE, _reindex_release)
    registry.add(PROFILE_RENAMED, _reindex_profile)
