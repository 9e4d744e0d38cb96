"""What the catalog page tests share: releases in every state put straight into the database (covers as ready
artwork rows, no files), collections, and a counter of the SQL statements a request sends."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, Label, RosterLink
from storefront.catalog.models import CollectionItem, CuratedCollection
from storefront.db import commit, utcnow
from storefront.releases.models import Release, ReleaseStatus, ReleaseType, Upload, UploadKind, UploadStatus

_seq = itertools.count(1)
HIDDEN = (
    ReleaseStatus.DRAFT,
    ReleaseStatus.IN_REVIEW,
    ReleaseStatus.CHANGES_REQUESTED,
    ReleaseStatus.REJECTED,
    ReleaseStatus.TAKEN_DOWN,
)
_CARD_TITLE = re.compile(r'<span class="card__title">([^<]+)</span>')


def release(
    db: Session,
    artist: Artist,
    title: str | None = None,
    *,
    status: ReleaseStatus = ReleaseStatus.APPROVED,
    approved_at: datetime | None = None,
    tags: list[str] | None = None,
    genre: str = "",
    location: str = "",
    release_type: ReleaseType = ReleaseType.ALBUM,
    label: Label | None = None,
    cover: bool = False,
    commit_now: bool = True,
) -> Release:
    n = next(_seq)
    made = Release(
        artist=artist,
        title=title or f"Record {n}",
        slug=f"record-{n}",
        release_type=release_type,
        tags=list(tags or []),
        genre=genre,
        location=location,
        label=label,
        status=status,
        # Approved once, whatever happened since: a taken-down release keeps its approval time.
        approved_at=approved_at
        or (utcnow() - timedelta(seconds=n) if status != ReleaseStatus.DRAFT else None),
    )
    db.add(made)
    if cover:
        db.flush()
        db.add(
            Upload(
                artist_id=artist.id,
                release_id=made.id,
                kind=UploadKind.ARTWORK,
                status=UploadStatus.READY,
                original_filename="cover.jpg",
                content_type="image/jpeg",
                declared_size=1,
                staging_key=f"staging/catalog/{n}",
                final_key=f"artwork/catalog/{n}",
                info={"files": {"cover.jpg": f"artwork/catalog/{n}"}},
            )
        )
    if commit_now:
        commit(db)
    return made


def every_state(db: Session, artist: Artist, prefix: str, **details: object) -> dict[ReleaseStatus, Release]:
    """One release in each state, titled "<prefix> <state>": only the approved one may be listed anywhere."""
    made = {
        status: release(db, artist, f"{prefix} {status.value}", status=status, commit_now=False, **details)
        for status in (*HIDDEN, ReleaseStatus.APPROVED)
    }
    commit(db)
    return made


def assert_only_public(page: str, made: dict[ReleaseStatus, Release]) -> None:
    assert made[ReleaseStatus.APPROVED].title in page
    for status in HIDDEN:
        assert made[status].title not in page, f"a {status.value} release is listed"


def on_roster(db: Session, label: Label, artist: Artist) -> None:
    now = utcnow()
    db.add(RosterLink(label=label, artist=artist, label_consent_at=now, artist_consent_at=now))
    commit(db)


def collection(
    db: Session,
    title: str,
    releases: list[Release],
    *,
    slug: str | None = None,
    label: Label | None = None,
    published: bool = True,
    position: int = 0,
) -> CuratedCollection:
    made = CuratedCollection(
        title=title,
        slug=slug or f"collection-{next(_seq)}",
        description=f"About {title}.",
        label_id=label.id if label else None,
        position=position,
        published_at=utcnow() if published else None,
    )
    db.add(made)
    db.flush()
    for position_, item in enumerate(releases):
        db.add(CollectionItem(collection_id=made.id, release_id=item.id, position=position_))
    commit(db)
    return made


def card_titles(html: str) -> list[str]:
    return _CARD_TITLE.findall(html)


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def counting_queries(app: Flask) -> Iterator[QueryCounter]:
    """The SQL statements sent while the block runs; transaction control (BEGIN, COMMIT, SAVEPOINT) is not a
    query and is not counted."""
    counter = QueryCounter()
    engine = app.extensions["storefront"].database.engine

    def before_cursor_execute(conn: object, cursor: object, statement: str, *args: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
