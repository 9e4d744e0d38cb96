"""Curated collections (staff picks among them), and the two tables the tag pages and "explore" read.

`release_tags` holds one row per tag of each public release, with the release's approval time copied in, so a
tag page reads one index range, newest first. `catalog_tallies` counts the public releases of each tag, genre,
place and label, so the most used ones are the top of an index, not a count over the catalog.

Both are kept in step by the mapper hooks below, in the flush that changes a release: whenever a release
is inserted or deleted, or its status, approval time, tags, genre, place or label change (approval,
reinstatement, takedown, a screening pull, an edit), its tag rows are rewritten and the tallies of what it
gained or lost are moved by one. What a release was counted under is read from its row before the update,
so an attribute that was never loaded still counts right. Writers that bypass the ORM (bulk seeding) call
`rebuild_catalog_index` afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    delete,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column, relationship

from ..accounts.models import Label, User
from ..db import Base, insert_or_merge, utcnow
from ..errors import RuleError
from ..releases.models import Release, ReleaseStatus

# The collection with this address, made by the platform (no label), is the home page's "Staff picks".
STAFF_PICKS = "staff-picks"
MAX_TAG_LENGTH = 40


class CuratedCollection(Base):
    """A list of public releases chosen by the platform's curators, or by a label's staff for its page."""

    __tablename__ = "curated_collections"
    __table_args__ = (Index("ix_curated_collections_label_position", "label_id", "position", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Order among the collections of the same owner (the platform, or one label); lowest first.
    position: Mapped[int] = mapped_column(default=0)
    # None: the platform's own, shown on the home page; else shown on that label's page.
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # None while the curators are still putting it together: nobody else sees it.
    published_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Catalog pages load these explicitly; a forgotten eager load fails loudly instead of querying per row.
    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection",
        order_by="CollectionItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )
    label: Mapped[Label | None] = relationship(lazy="raise")
    created_by: Mapped[User | None] = relationship(lazy="raise")

    @property
    def is_staff_picks(self) -> bool:
        return self.slug == STAFF_PICKS and self.label_id is None


class CollectionItem(Base):
    __tablename__ = "collection_items"
    __table_args__ = (
        UniqueConstraint("collection_id", "release_id"),
        Index("ix_collection_items_collection_position", "collection_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("curated_collections.id", ondelete="CASCADE"))
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    collection: Mapped[CuratedCollection] = relationship(back_populates="items", lazy="raise")
    release: Mapped[Release] = relationship(lazy="raise")


class CollectionError(RuleError):
    """A change the collection rules refuse; `field` names the form field the message belongs next to."""


def may_curate(user: User, label_id: int | None) -> bool:
    """Admins curate the platform's collections and every label's; a label's staff their label's."""
    if user.is_admin:
        return True
    return label_id is not None and any(s.label_id == label_id for s in user.label_memberships)


class ReleaseTag(Base):
    """A tag of a public release; rows exist only while the release is approved (see the module's note)."""

    __tablename__ = "release_tags"
    __table_args__ = (Index("ix_release_tags_tag_approved", "tag", "approved_at", "release_id"),)

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(MAX_TAG_LENGTH), primary_key=True)
    approved_at: Mapped[datetime] = mapped_column()


class CatalogTally(Base):
    """How many public releases carry a tag, genre, place or label (`kind`: tag, genre, location, label;
    a label is named by its id)."""

    __tablename__ = "catalog_tallies"
    __table_args__ = (Index("ix_catalog_tallies_kind_releases", "kind", "releases", "name"),)

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    releases: Mapped[int] = mapped_column(default=0)


def normalise_tag(raw: object) -> str:
    """The form tags are stored and looked up in: lower case, single spaces, at most 40 characters."""
    if not isinstance(raw, str):
        return ""
    return " ".join(raw.strip().lower().split())[:MAX_TAG_LENGTH].strip()


def public_tags(tags: Iterable[Any] | None) -> list[str]:
    seen: list[str] = []
    for raw in tags or []:
        tag = normalise_tag(raw)
        if tag and tag not in seen:
            seen.append(tag)
    return seen


Facets = set[tuple[str, str]]
_COLUMNS = (
    Release.status,
    Release.approved_at,
    Release.tags,
    Release.genre,
    Release.location,
    Release.label_id,
)
_COUNTED_BEFORE = "catalog_facets_before"
_PUBLIC = (Release.status == ReleaseStatus.APPROVED, Release.approved_at.is_not(None))


def facets(status: Any, approved_at: Any, tags: Any, genre: Any, location: Any, label_id: Any) -> Facets:
    """What a release is counted under: its tags, genre, place and label (by id) while it is public."""
    if status != ReleaseStatus.APPROVED or approved_at is None:
        return set()
    found = {("tag", tag) for tag in public_tags(tags)}
    named = (("genre", genre), ("location", location), ("label", str(label_id) if label_id else ""))
    return found | {(kind, value) for kind, value in named if value}


def _facets_of(release: Release) -> Facets:
    return facets(*(getattr(release, column.key) for column in _COLUMNS))


def _stored_facets(connection: Connection, release_id: int) -> Facets:
    row = connection.execute(select(*_COLUMNS).where(Release.id == release_id)).one_or_none()
    return facets(*row) if row is not None else set()


def _move_tallies(connection: Connection, before: Facets, after: Facets) -> None:
    # One row at a time in a fixed order, so two approvals at once lock the same rows in the same order.
    changes = sorted([(pair, -1) for pair in before - after] + [(pair, 1) for pair in after - before])
    for (kind, name), step in changes:
        stmt = insert_or_merge(connection.dialect, CatalogTally).values(
            kind=kind, name=name, releases=max(step, 0)
        )
        connection.execute(
            stmt.on_conflict_do_update(
                index_elements=["kind", "name"], set_={"releases": CatalogTally.releases + step}
            )
        )


def _write(connection: Connection, release: Release, before: Facets) -> None:
    after = _facets_of(release)
    connection.execute(delete(ReleaseTag).where(ReleaseTag.release_id == release.id))
    tags = sorted(name for kind, name in after if kind == "tag")
    if tags:
        rows = [{"release_id": release.id, "tag": tag, "approved_at": release.approved_at} for tag in tags]
        connection.execute(insert(ReleaseTag), rows)
    _move_tallies(connection, before, after)


@event.listens_for(Release, "after_insert")
def _release_inserted(mapper: Mapper[Release], connection: Connection, release: Release) -> None:
    _write(connection, release, set())


@event.listens_for(Release, "before_update")
def _release_updating(mapper: Mapper[Release], connection: Connection, release: Release) -> None:
    state = inspect(release)
    status = state.attrs.status.history
    if status.unchanged and status.unchanged[0] != ReleaseStatus.APPROVED:
        return  # not public before nor after: a draft's edits count for nothing
    if any(state.attrs[column.key].history.has_changes() for column in _COLUMNS):
        state.info[_COUNTED_BEFORE] = _stored_facets(connection, release.id)


@event.listens_for(Release, "after_update")
def _release_updated(mapper: Mapper[Release], connection: Connection, release: Release) -> None:
    before = inspect(release).info.pop(_COUNTED_BEFORE, None)
    if before is not None:
        _write(connection, release, before)


@event.listens_for(Release, "before_delete")
def _release_deleting(mapper: Mapper[Release], connection: Connection, release: Release) -> None:
    # Its tag rows go with it (ON DELETE CASCADE); its tallies are moved here.
    _move_tallies(connection, _stored_facets(connection, release.id), set())


def rebuild_catalog_index(session: Session) -> int:
    """Rewrite `release_tags` and `catalog_tallies` from the releases (after bulk writes); the tag rows."""
    session.execute(delete(ReleaseTag))
    session.execute(delete(CatalogTally))
    rows: list[dict[str, Any]] = []
    tallies: dict[tuple[str, str], int] = {}
    for release_id, *columns in session.execute(select(Release.id, *_COLUMNS).where(*_PUBLIC)):
        for kind, name in facets(*columns):
            tallies[(kind, name)] = tallies.get((kind, name), 0) + 1
            if kind == "tag":
                rows.append({"release_id": release_id, "tag": name, "approved_at": columns[1]})
    counted = [{"kind": kind, "name": name, "releases": n} for (kind, name), n in tallies.items()]
    for table, batch in ((ReleaseTag, rows), (CatalogTally, counted)):
        for start in range(0, len(batch), 5000):
            session.execute(insert(table), batch[start : start + 5000])
    session.flush()
    return len(rows)
