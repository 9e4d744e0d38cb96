"""What each public page is made of, read cheaply for its validators (storefront/web/caching.py).

A stamp is one query, read before anything is rendered, made of index seeks and scans of small tables: the
catalog as a whole (the last change of each release status, the newest artist and label, the last profile
change, the curated collections) and, for a profile or a release, the page's own subject (its row, and for a
release its files, certificate and who is paid for it). Any change a public page can show moves one of them,
so the page's ETag changes with it; a few changes are over-counted (a draft sent for review also moves the
catalog's stamp), which only costs a full render.

Artists and labels have no time of their own change: their audit events (`artist:updated`, roster changes,
verification) say when they changed, and their rows are part of the stamps of the pages that show them.

A stamp is read on its own (`read_alone`): a 304 is little else, and the request's ORM session would add a
transaction and the handling of a statement made for loading objects, which together cost more than the
database takes to answer. A page rendered after it reads its data afresh; should a change land in between, the
page is newer than its ETag, which only costs a render more later.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import g
from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from ...accounts.models import Artist, Label, RosterLink
from ...accounts.payees.models import PayeeAccount
from ...attestations.models import Attestation
from ...db import read_alone
from ...events import AuditEvent
from ...releases import windows
from ...releases.models import Release, ReleaseStatus, Track, Upload
from ...releases.windows import WINDOW_EVENT
from ...web.caching import Stamp
from ..models import CollectionItem, CuratedCollection, normalise_tag

# Audit events that change what public pages show of an artist or a label.
PROFILE_EVENTS = (
    "artist:updated",
    "label:updated",
    "artist:verified",
    "artist:verification_dropped",
    "label:verified",
    "label:verification_withdrawn",
    "label:roster_consent",
    "label:roster_ended",
    "label:collect_proposed",
    "artist:collect_agreed",
    "label:collect_ended",
    "artist:collect_ended",
    # A release's first window set or cleared: the home page's shelf and the feeds say so.
    WINDOW_EVENT,
)


def _newest(values: Iterable[Any]) -> datetime | None:
    times = [v for v in values if isinstance(v, datetime)]
    return max(times) if times else None


def _constant(value: str) -> ColumnElement[Any]:
    """A fixed value written into the statement's text when it is compiled, not sent beside it. PostgreSQL
    plans a prepared statement once for all when nothing in it varies (for a statement of two dozen
    subqueries planning costs more than running it), and a value bound at each execution instead
    (`literal_execute`) has SQLAlchemy write the statement's text again every time, which costs twice
    what SQLite takes to run it. Only the code's own names are written this way."""
    if not _PLAIN.fullmatch(value):
        raise ValueError(f"not a plain constant: {value!r}")
    return literal_column(f"'{value}'")


_PLAIN = re.compile(r"[a-z_:]+")


@functools.cache
def _catalog() -> tuple[ScalarSelect[Any], ...]:
    """The catalog as a whole, as scalar subqueries that go into any page's one stamp query. They read
    aliases, so that none of them is correlated with the page's own row. Statements are built once: building
    one costs more than running it."""
    releases, artists, labels = aliased(Release), aliased(Artist), aliased(Label)
    last_change = [
        select(func.max(releases.status_changed_at)).where(releases.status == _constant(status))
        for status in ReleaseStatus
    ]
    aggregates = [
        # Listings are ordered by approval time: a release approved again moves even if its status did not.
        select(func.max(releases.approved_at)).where(releases.status == _constant(ReleaseStatus.APPROVED)),
        select(func.max(artists.created_at)),
        select(func.max(artists.id)),
        select(func.max(labels.id)),
        select(func.max(AuditEvent.created_at)).where(
            AuditEvent.tag.in_([_constant(tag) for tag in PROFILE_EVENTS])
        ),
        select(func.count(CollectionItem.id)),
        select(func.max(CollectionItem.id)),
        select(func.max(CollectionItem.added_at)),
        # Moves swap positions and have no time of their own: this sum changes with any swap.
        select(func.sum(CollectionItem.position * CollectionItem.id)),
        select(func.count(CuratedCollection.id)),
        select(func.max(CuratedCollection.updated_at)),
        select(func.sum(CuratedCollection.position * CuratedCollection.id)),
    ]
    return tuple(query.scalar_subquery() for query in (*last_change, *aggregates))


def _stamp(statement: Select[Any], kind: str, **params: Any) -> Stamp | None:
    """Run a stamp's one query; None when its subject does not exist."""
    row = read_alone(statement, params)
    if row is None:
        return None
    # Today's date too: a first window closes at midnight with nothing written (releases/windows.py).
    return Stamp((kind, tuple(row), windows.today()), _newest(row))


@functools.cache
def _statement(kind: str) -> Select[Any]:
    """The subject's columns (none for the catalog alone) and the catalog's, found by a bound `key`."""
    if kind == "artist":
        profile = (Artist.id, Artist.name, Artist.slug, Artist.bio, Artist.location, Artist.links)
        subject: tuple[Any, ...] = (*profile, Artist.avatar_key, Artist.website_url, Artist.verified_at)
        return select(*subject, *_catalog()).where(Artist.slug == bindparam("key"))
    if kind == "label":
        profile = (Label.id, Label.name, Label.slug, Label.bio, Label.location, Label.links)
        subject = (*profile, Label.avatar_key, Label.verified_at)
        return select(*subject, *_catalog()).where(Label.slug == bindparam("key"))
    return select(*_catalog())


def catalog_stamp(**_view_args: Any) -> Stamp:
    """For pages that list the catalog: home, browse, genres, places, collections, feeds."""
    stamp = _stamp(_statement("catalog"), "catalog")
    assert stamp is not None  # a select of aggregates has one row
    return stamp


def tag_stamp(tag: str, **_view_args: Any) -> Stamp | None:
    return catalog_stamp() if normalise_tag(tag) else None


def artist_stamp(slug: str, **_view_args: Any) -> Stamp | None:
    return _stamp(_statement("artist"), "artist", key=slug)


def label_stamp(slug: str, **_view_args: Any) -> Stamp | None:
    return _stamp(_statement("label"), "label", key=slug)


@functools.cache
def _release_statement(found_by: str) -> Select[Any]:
    """A public release and what its pages show that has no change time of the release's own: its artist
    and label, its files, its certificate, and whether whoever is paid for it can be paid."""
    own = Release.id
    payee = or_(PayeeAccount.artist_id == Release.artist_id, PayeeAccount.label_id == Release.label_id)
    roster = and_(RosterLink.artist_id == Release.artist_id, RosterLink.label_id == Release.label_id)
    columns = (
        Release.id,
        Release.status,
        Release.updated_at,
        Release.ai_training_opt_in,
        Artist.name,
        Artist.slug,
        Artist.avatar_key,
        Label.name,
        Label.slug,
        select(func.max(Upload.id)).where(Upload.release_id == own).scalar_subquery(),
        select(func.max(Upload.validated_at)).where(Upload.release_id == own).scalar_subquery(),
        select(func.max(Attestation.id)).where(Attestation.release_id == own).scalar_subquery(),
        select(func.max(Attestation.label_countersigned_at))
        .where(Attestation.release_id == own)
        .scalar_subquery(),
        select(func.max(PayeeAccount.checked_at)).where(payee).scalar_subquery(),
        select(func.count(PayeeAccount.id))
        .where(payee, PayeeAccount.transfers_enabled.is_(True))
        .scalar_subquery(),
        select(func.max(RosterLink.ended_at)).where(roster).scalar_subquery(),
        select(func.count(RosterLink.id))
        .where(roster, RosterLink.label_collects.is_(True))
        .scalar_subquery(),
    )
    where = {
        "slugs": and_(Artist.slug == bindparam("artist"), Release.slug == bindparam("key")),
        "release": Release.id == bindparam("key"),
        "track": Release.id == select(Track.release_id).where(Track.id == bindparam("key")).scalar_subquery(),
    }[found_by]
    return (
        select(*columns, *_catalog())
        .join(Artist, Artist.id == Release.artist_id)
        .outerjoin(Label, Label.id == Release.label_id)
        .where(where)
    )


def _release(found_by: str, **params: Any) -> Stamp | None:
    row = read_alone(_release_statement(found_by), params)
    # A withdrawn release answers 410 and anything else 404: those pages are not cached.
    if row is None or row.status != ReleaseStatus.APPROVED:
        return None
    # A 304 carries the page's headers too; the release's choice on text and data mining is one of them.
    g.tdm_opt_in = row.ai_training_opt_in
    return Stamp(("release", tuple(row), windows.today()), _newest(row))


def release_stamp(slug: str, release_slug: str, **_view_args: Any) -> Stamp | None:
    """The release page and its tracks' pages (the track's position is in the URL, and so in the ETag)."""
    return _release("slugs", artist=slug, key=release_slug)


def release_id_stamp(release_id: int, **_view_args: Any) -> Stamp | None:
    return _release("release", key=release_id)


def track_id_stamp(track_id: int, **_view_args: Any) -> Stamp | None:
    return _release("track", key=track_id)
