"""Listings of public releases read in keyset pages, newest first: the cursor is (approval time, release id).

A page never counts or skips rows (no OFFSET): "older" continues below the last card shown, "newer" above the
first, each reading one range of an index whatever the page's depth. A listing is a `Source`: a select of the
requested columns with its joins and filters, and the two columns it is ordered by.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload, raiseload

from ..releases.models import Release, ReleaseStatus, Upload, UploadKind, UploadStatus
from .models import ReleaseTag, normalise_tag

PAGE_SIZE = 24
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(\d{1,16})-(\d{1,19})$")


class CursorError(ValueError):
    """A page link that was not made by us (or was cut short): the view answers 400."""


@dataclass(frozen=True)
class Cursor:
    at: datetime
    id: int

    def encode(self) -> str:
        return f"{(self.at - _EPOCH) // timedelta(microseconds=1)}-{self.id}"

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        match = _CURSOR.match(raw)
        if match is None or int(match.group(2)) > 2**63 - 1:
            raise CursorError("That page link is not valid. Start again from the newest releases.")
        try:
            at = _EPOCH + timedelta(microseconds=int(match.group(1)))
        except OverflowError:
            raise CursorError("That page link is not valid. Start again from the newest releases.") from None
        return cls(at, int(match.group(2)))


@dataclass(frozen=True)
class Card:
    """A public release as listings show it: the release (its artist loaded) and whether it has a cover."""

    release: Release
    has_cover: bool


@dataclass(frozen=True)
class Page:
    cards: list[Card]
    older: str | None  # the cursor for ?before=, when there are older releases
    newer: str | None  # the cursor for ?after=, when there are newer releases


@dataclass(frozen=True)
class Source:
    """A listing: `select_` builds the select of the given columns with the listing's joins and filters."""

    select_: Callable[..., Select[Any]]
    at: InstrumentedAttribute[Any]
    key: InstrumentedAttribute[Any]


def has_cover() -> ColumnElement[bool]:
    """Whether the release has its artwork ready: one indexed probe, no upload row loaded."""
    return (
        exists()
        .where(
            Upload.release_id == Release.id,
            Upload.kind == UploadKind.ARTWORK,
            Upload.status == UploadStatus.READY,
        )
        .label("has_cover")
    )


def public() -> ColumnElement[bool]:
    return and_(Release.status == ReleaseStatus.APPROVED, Release.approved_at.is_not(None))


def card_options() -> tuple[Any, ...]:
    """What a card shows is loaded with it; anything else a template reaches for raises, never queries."""
    return (joinedload(Release.artist), raiseload("*"))


def newest() -> Source:
    return Source(lambda *cols: select(*cols).where(public()), Release.approved_at, Release.id)


def by_genre(genre: str) -> Source:
    return Source(
        lambda *cols: select(*cols).where(public(), Release.genre == genre), Release.approved_at, Release.id
    )


def by_location(location: str) -> Source:
    return Source(
        lambda *cols: select(*cols).where(public(), Release.location == location),
        Release.approved_at,
        Release.id,
    )


def by_label(label_id: int) -> Source:
    return Source(
        lambda *cols: select(*cols).where(public(), Release.label_id == label_id),
        Release.approved_at,
        Release.id,
    )


def by_tag(tag: str) -> Source:
    normalised = normalise_tag(tag)
    return Source(
        lambda *cols: (
            select(*cols)
            .select_from(ReleaseTag)
            .join(Release, Release.id == ReleaseTag.release_id)
            .where(ReleaseTag.tag == normalised, public())
        ),
        ReleaseTag.approved_at,
        ReleaseTag.release_id,
    )


def _older_than(source: Source, cursor: Cursor) -> ColumnElement[bool]:
    # The bare range on the time column bounds the index scan; the OR only sorts out equal times.
    return and_(source.at <= cursor.at, or_(source.at < cursor.at, source.key < cursor.id))


def _newer_than(source: Source, cursor: Cursor) -> ColumnElement[bool]:
    return and_(source.at >= cursor.at, or_(source.at > cursor.at, source.key > cursor.id))


def _cursor(card: Card) -> Cursor:
    assert card.release.approved_at is not None
    return Cursor(card.release.approved_at, card.release.id)


def _any(session: Session, source: Source, condition: ColumnElement[bool]) -> bool:
    return session.scalar(source.select_(source.key).where(condition).limit(1)) is not None


def read_page(
    session: Session,
    source: Source,
    *,
    before: Cursor | None = None,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of the listing: the newest (no cursor), older than `before`, or newer than `after`.

    Two queries at most: the cards, and whether anything lies beyond the other edge of the page."""
    cards_select = source.select_(Release, has_cover()).options(*card_options())
    if after is not None:
        rows = session.execute(
            cards_select.where(_newer_than(source, after))
            .order_by(source.at.asc(), source.key.asc())
            .limit(size + 1)
        ).all()
        cards = [Card(release, bool(cover)) for release, cover in reversed(rows[:size])]
        more_newer = len(rows) > size
        more_older = bool(cards) and _any(session, source, _older_than(source, _cursor(cards[-1])))
    else:
        stmt = cards_select if before is None else cards_select.where(_older_than(source, before))
        rows = session.execute(stmt.order_by(source.at.desc(), source.key.desc()).limit(size + 1)).all()
        cards = [Card(release, bool(cover)) for release, cover in rows[:size]]
        more_older = len(rows) > size
        more_newer = (
            before is not None
            and bool(cards)
            and _any(session, source, _newer_than(source, _cursor(cards[0])))
        )
    return Page(
        cards,
        older=_cursor(cards[-1]).encode() if more_older else None,
        newer=_cursor(cards[0]).encode() if more_newer else None,
    )


def parse_cursors(before: str | None, after: str | None) -> tuple[Cursor | None, Cursor | None]:
    if before and after:
        raise CursorError("A page link has either “before” or “after”, not both.")
    return (Cursor.decode(before) if before else None, Cursor.decode(after) if after else None)
