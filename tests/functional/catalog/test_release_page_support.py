"""What the release and track page tests share: a public release with everything its pages show, put
straight into the database (no audio is processed: the pages only link to previews), and a query counter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, Label
from storefront.db import commit, utcnow
from storefront.releases.models import (
    Contributor,
    ContributorRole,
    License,
    Release,
    ReleaseStatus,
    UploadKind,
)
from tests.factories.releases import make_release, ready_upload

COVER_SIDES = (100, 350, 700, 1200)


def published(
    db: Session,
    artist: Artist,
    *,
    tracks: int = 3,
    label: Label | None = None,
    status: ReleaseStatus = ReleaseStatus.APPROVED,
    cover_sides: tuple[int, ...] = COVER_SIDES,
    masters: bool = True,
    title: str | None = None,
) -> Release:
    """A release with a cover in `cover_sides`, a master of 3:25 per track, lyrics, credits for the whole
    release and for track 2, a genre, tags, a location and a Creative Commons license."""
    release = make_release(db, artist, title=title, tracks=tracks)
    release.genre, release.tags, release.location = "Post-punk", ["dream pop", "lo-fi/tape"], "Göteborg"
    release.license, release.release_date = License.CC_BY_NC, date(2024, 3, 12)
    release.upc = "036000291452"
    release.label_id = label.id if label is not None else None
    release.status = status
    release.approved_at = utcnow() if status in (ReleaseStatus.APPROVED, ReleaseStatus.TAKEN_DOWN) else None
    for track in release.tracks:
        track.lyrics = f"Verse of song {track.position}\nsecond line of song {track.position}"
        track.isrc = f"GBVLV26{track.position:05d}"
    release.contributors.append(Contributor(name="Ana Ruiz", role=ContributorRole.COMPOSER))
    release.contributors.append(
        Contributor(name="Mia Chen", role=ContributorRole.MASTERING_ENGINEER, instrument="")
    )
    commit(db)
    if tracks >= 2:
        second = release.tracks[1]
        db.add(
            Contributor(
                release_id=release.id,
                track_id=second.id,
                name="Ben Okafor",
                role=ContributorRole.PERFORMER,
                instrument="guitar",
            )
        )
    files = {"cover.jpg": "releases/pages/cover.jpg"} | {
        f"cover-{side}.jpg": f"releases/pages/cover-{side}.jpg" for side in cover_sides
    }
    ready_upload(db, release, UploadKind.ARTWORK, {"files": files, "width": 3000, "height": 3000}, None)
    if masters:
        for track in release.tracks:
            ready_upload(db, release, UploadKind.MASTER, {"duration_seconds": 205.4}, track.id)
    commit(db)
    return release


def page_of(release: Release) -> str:
    return f"/artists/{release.artist.slug}/album/{release.slug}"


def track_page_of(release: Release, position: int) -> str:
    return f"{page_of(release)}/track/{position}"


@contextmanager
def counting_queries(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block, in order."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def text_only(html: str) -> str:
    """The page's text with tags removed and whitespace collapsed, for reading sentences across markup."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


class _Elements(HTMLParser):
    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == self.tag:
            self.found.append({name: value or "" for name, value in attrs})


def elements(html: str, tag: str) -> list[dict[str, str]]:
    """The attributes of every `tag` element in the page, in order (an attribute without a value reads "")."""
    parser = _Elements(tag)
    parser.feed(html)
    return parser.found
