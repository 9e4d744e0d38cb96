"""What the home, artist, label and collection pages show, each read in a fixed number of queries.

Every query names what it loads with it and raises on anything else (`raiseload`), so a template that reaches
for an unloaded relationship fails in the tests instead of querying once per card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    cast,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, contains_eager, joinedload, raiseload

from ..accounts.models import Artist, Label, RosterLink, RosterStatus
from ..releases.models import Release, ReleaseType
from .browse import Card, card_options, has_cover, public
from .models import STAFF_PICKS, CatalogTally, CollectionItem, CuratedCollection

NEW_RELEASES = 24
NEW_ARTISTS = 12
# The home page's shelf of releases sold here first while their window is open.
HERE_FIRST = 12
HOME_COLLECTIONS = 6
EXPLORE = 20
# An artist's page lists this many releases at most, newest first; the rest are in the listings.
DISCOGRAPHY_LIMIT = 500
TYPE_HEADINGS = {ReleaseType.ALBUM: "Albums", ReleaseType.EP: "EPs", ReleaseType.SINGLE: "Singles"}


@dataclass
class Shelf:
    """A collection and its public releases, in the curators' order."""

    collection: CuratedCollection
    cards: list[Card] = field(default_factory=list)


# What to explore: (name, what its address holds, public releases) of the genres, tags, places and labels.
Entries = list[tuple[str, str, int]]


@dataclass(frozen=True)
class Explore:
    genres: Entries
    tags: Entries
    locations: Entries
    labels: Entries


@dataclass(frozen=True)
class Discography:
    artist: Artist
    groups: list[tuple[str, list[Card]]]
    labels: list[Label]
    truncated: bool


@dataclass(frozen=True)
class LabelProfile:
    label: Label
    roster: list[Artist]


@cache
def _home_releases() -> Select[Release, bool, bool, bool]:
    """The newest releases and those sold here first on `today` (a bound date), in one statement."""
    newest = select(Release.id).where(public()).order_by(Release.approved_at.desc(), Release.id.desc())
    windowed = newest.where(Release.first_window_until >= bindparam("today"))
    is_new = Release.id.in_(newest.limit(NEW_RELEASES).scalar_subquery())
    is_first = Release.id.in_(windowed.limit(HERE_FIRST).scalar_subquery())
    stmt = select(Release, has_cover(), is_new, is_first).where(or_(is_new, is_first))
    return stmt.order_by(Release.approved_at.desc(), Release.id.desc()).options(*card_options())


def home_releases(session: Session, today: date) -> tuple[list[Card], list[Card]]:
    """The home page's new releases, and its shelf of releases sold here first, both newest first."""
    newest: list[Card] = []
    here_first: list[Card] = []
    for release, cover, is_new, is_first in session.execute(_home_releases(), {"today": today}):
        if is_new:
            newest.append(Card(release, bool(cover)))
        if is_first:
            here_first.append(Card(release, bool(cover)))
    return newest, here_first


def new_artists(session: Session, limit: int = NEW_ARTISTS) -> list[Artist]:
    stmt = select(Artist).order_by(Artist.created_at.desc(), Artist.id.desc()).limit(limit)
    return list(session.scalars(stmt.options(raiseload("*"))))


def _top(kind: str, limit: int) -> Subquery:
    # The top of the (kind, releases, name) index; the caller puts equal counts in name order.
    return (
        select(CatalogTally.kind, CatalogTally.name, CatalogTally.releases)
        .where(CatalogTally.kind == kind, CatalogTally.releases > 0)
        .order_by(CatalogTally.releases.desc(), CatalogTally.name.desc())
        .limit(limit)
        .subquery()
    )


@cache
def _explore(limit: int) -> CompoundSelect[Any]:
    parts = [
        select(top.c.kind, top.c.name, top.c.name, top.c.releases) for top in map(_top, _KINDS, [limit] * 3)
    ]
    labels = _top("label", limit)
    by_id = Label.id == cast(labels.c.name, Integer)
    parts.append(
        select(labels.c.kind, Label.name, Label.slug, labels.c.releases).join_from(labels, Label, by_id)
    )
    return union_all(*parts)


_KINDS = ("genre", "tag", "location")


def explore(session: Session, limit: int = EXPLORE) -> Explore:
    """The genres, tags, places and labels with the most public releases: one query over the tallies."""
    found: dict[str, Entries] = {kind: [] for kind in (*_KINDS, "label")}
    for kind, name, address, count in session.execute(_explore(limit)):
        found[kind].append((name, address, int(count)))
    for entries in found.values():
        entries.sort(key=lambda entry: (-entry[2], entry[0]))
    return Explore(found["genre"], found["tag"], found["location"], found["label"])


def shelves(
    session: Session, *, label_id: int | None, limit: int | None = None, slug: str | None = None
) -> list[Shelf]:
    """Published collections of the platform (label_id None) or of one label, each with its public releases:
    one query, whatever the number of collections and releases."""
    owner = (
        CuratedCollection.label_id.is_(None) if label_id is None else CuratedCollection.label_id == label_id
    )
    wanted = select(CuratedCollection.id).where(owner, CuratedCollection.published_at.is_not(None))
    if slug is not None:
        wanted = select(CuratedCollection.id).where(CuratedCollection.slug == slug)
    wanted = wanted.order_by(CuratedCollection.position, CuratedCollection.id)
    if limit is not None:
        wanted = wanted.limit(limit)
    stmt = (
        select(CuratedCollection, Release, has_cover())
        .outerjoin(CollectionItem, CollectionItem.collection_id == CuratedCollection.id)
        .outerjoin(Release, and_(Release.id == CollectionItem.release_id, public()))
        .where(CuratedCollection.id.in_(wanted.scalar_subquery()))
        .order_by(
            CuratedCollection.position, CuratedCollection.id, CollectionItem.position, CollectionItem.id
        )
        .options(joinedload(CuratedCollection.label), joinedload(Release.artist), raiseload("*"))
    )
    found: dict[int, Shelf] = {}
    for collection, release, cover in session.execute(stmt):
        shelf = found.setdefault(collection.id, Shelf(collection))
        if release is not None:
            shelf.cards.append(Card(release, bool(cover)))
    return list(found.values())


def home_shelves(session: Session) -> tuple[Shelf | None, list[Shelf]]:
    """The staff picks, and the platform's other published collections."""
    platform = shelves(session, label_id=None, limit=HOME_COLLECTIONS + 1)
    picks = next((shelf for shelf in platform if shelf.collection.slug == STAFF_PICKS), None)
    others = [shelf for shelf in platform if shelf is not picks][:HOME_COLLECTIONS]
    return picks, others


def collection_page(session: Session, slug: str) -> Shelf | None:
    found = shelves(session, label_id=None, slug=slug)
    return found[0] if found else None


def discography(session: Session, slug: str) -> Discography | None:
    artist = (
        session.scalars(
            select(Artist)
            .where(Artist.slug == slug)
            .options(joinedload(Artist.roster_links).joinedload(RosterLink.label), raiseload("*"))
        )
        .unique()
        .first()
    )
    if artist is None:
        return None
    rows = session.execute(
        select(Release, has_cover())
        .where(Release.artist_id == artist.id, public())
        .order_by(Release.approved_at.desc(), Release.id.desc())
        .limit(DISCOGRAPHY_LIMIT + 1)
        .options(joinedload(Release.artist), joinedload(Release.label), raiseload("*"))
    ).all()
    cards = [Card(release, bool(cover)) for release, cover in rows[:DISCOGRAPHY_LIMIT]]
    groups = [
        (heading, [c for c in cards if c.release.release_type == kind])
        for kind, heading in TYPE_HEADINGS.items()
    ]
    labels: dict[int, Label] = {}
    for link in sorted(artist.roster_links, key=lambda link: link.label.name.lower()):
        if link.status == RosterStatus.ACTIVE:
            labels.setdefault(link.label.id, link.label)
    for card in cards:
        if card.release.label is not None:
            labels.setdefault(card.release.label.id, card.release.label)
    return Discography(
        artist=artist,
        groups=[(heading, group) for heading, group in groups if group],
        labels=list(labels.values()),
        truncated=len(rows) > DISCOGRAPHY_LIMIT,
    )


def label_profile(session: Session, slug: str) -> LabelProfile | None:
    label = (
        session.scalars(
            select(Label)
            .outerjoin(RosterLink, RosterLink.label_id == Label.id)
            .outerjoin(RosterLink.artist)
            .where(Label.slug == slug)
            .options(contains_eager(Label.roster_links).contains_eager(RosterLink.artist), raiseload("*"))
        )
        .unique()
        .first()
    )
    if label is None:
        return None
    roster = sorted(
        (link.artist for link in label.roster_links if link.status == RosterStatus.ACTIVE),
        key=lambda artist: artist.name.lower(),
    )
    return LabelProfile(label=label, roster=roster)
