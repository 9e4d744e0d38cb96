"""What a fan can find, as search documents: public releases and their tracks, the artists and labels that
have a public release, and the tags and genres public releases carry. Nothing else is written to the index."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..accounts.models import Artist, Label
from ..releases.models import Release
from .interfaces import Kind
from .query import clean, fold

Row = dict[str, Any]


def _document(kind: Kind, key: str, name: str, **fields: Any) -> Row:
    name = clean(name)[:300]
    row: Row = {
        "key": f"{kind.value}:{key}",
        "kind": kind.value,
        "entity_id": 0,
        "name": name,
        "folded": fold(name)[:300],
        "context": "",
        "keywords": "",
        "slug": "",
        "artist_slug": "",
        "position": 0,
        "popularity": 0,
        "release_id": None,
        "artist_id": None,
        "label_id": None,
    }
    row.update(fields)
    row["context"] = clean(row["context"])[:300]
    return row


def facets_of(release: Release) -> set[tuple[str, str]]:
    """(facet, value) pairs: each tag, and the genre, as their pages spell them."""
    found = {(Kind.TAG.value, clean(str(tag)).lower()[:80]) for tag in release.tags or []}
    # A genre page looks its genre up as the artist wrote it, so it is kept as written.
    found.add((Kind.GENRE.value, release.genre[:80]))
    return {(facet, value) for facet, value in found if value.strip()}


def release_documents(release: Release) -> list[Row]:
    """The release and each of its tracks. The caller has checked that the release is public."""
    artist, label = release.artist, release.label
    keywords = " ".join(
        part
        for part in [
            release.genre,
            *map(str, release.tags or []),
            release.location,
            label.name if label else "",
        ]
        if part
    )
    shared = {
        "slug": release.slug,
        "artist_slug": artist.slug,
        "release_id": release.id,
        "artist_id": artist.id,
        "label_id": label.id if label else None,
    }
    rows = [
        _document(
            Kind.RELEASE,
            str(release.id),
            release.title,
            entity_id=release.id,
            context=artist.name,
            keywords=keywords,
            **shared,
        )
    ]
    rows += [
        _document(
            Kind.TRACK,
            str(track.id),
            track.title,
            entity_id=track.id,
            context=f"{artist.name} · {release.title}",
            position=track.position,
            **shared,
        )
        for track in release.tracks
    ]
    return rows


def profile_document(profile: Artist | Label, public_releases: int) -> Row:
    kind = Kind.ARTIST if isinstance(profile, Artist) else Kind.LABEL
    return _document(
        kind,
        str(profile.id),
        profile.name,
        entity_id=profile.id,
        context=profile.location,
        slug=profile.slug,
        popularity=public_releases,
        artist_id=profile.id if kind is Kind.ARTIST else None,
        label_id=profile.id if kind is Kind.LABEL else None,
    )


def facet_document(facet: str, value: str, public_releases: int) -> Row:
    return _document(Kind(facet), value, value, slug=value, popularity=public_releases)


def facet_rows(release: Release) -> Iterable[Row]:
    return ({"release_id": release.id, "facet": f, "value": v} for f, v in sorted(facets_of(release)))
