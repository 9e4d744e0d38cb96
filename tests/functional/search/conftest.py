"""A small public catalog, with releases in every state that must stay out of search, indexed as a curator's
approval would index it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, Label
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.releases.models import Release, ReleaseStatus, Track
from storefront.search.indexer import SearchIndexer
from tests.factories.accounts import make_artist, make_label, make_user
from tests.factories.releases import make_release


def publish(
    session: Session,
    artist: Artist,
    title: str,
    tracks: tuple[str, ...] = (),
    *,
    status: ReleaseStatus = ReleaseStatus.APPROVED,
    label: Label | None = None,
    tags: tuple[str, ...] = (),
    genre: str = "",
) -> Release:
    release = make_release(session, artist, title=title)
    release.status, release.genre, release.tags, release.label = status, genre, list(tags), label
    release.approved_at = utcnow() if status == ReleaseStatus.APPROVED else None
    for position, name in enumerate(tracks, start=1):
        release.tracks.append(Track(title=name, position=position))
    commit(session)
    return release


def reindex(platform: Platform) -> dict[str, int]:
    with platform.database.transaction() as session:
        return SearchIndexer(session).rebuild()


@dataclass
class Catalog:
    app: Flask
    platform: Platform
    session: Session
    artists: dict[str, Artist] = field(default_factory=dict)
    releases: dict[str, Release] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)

    def suggest(self, q: str) -> list[dict[str, Any]]:
        response = self.app.test_client().get("/search/suggest.json", query_string={"q": q})
        assert response.status_code == 200, response.get_data(as_text=True)
        results: list[dict[str, Any]] = response.get_json()["results"]
        return results

    def names(self, q: str) -> list[str]:
        return [f"{r['kind']}:{r['name']}" for r in self.suggest(q)]

    def page(self, q: str) -> str:
        response = self.app.test_client().get("/search", query_string={"q": q})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data(as_text=True)


@pytest.fixture
def catalog(app: Flask, db: Session, platform: Platform) -> Catalog:
    owner = make_user(db, platform, email="owner@example.com")
    found = Catalog(app, platform, db)
    found.labels["tidal"] = make_label(db, owner, name="Tidal Records", slug="tidal-records")
    for name, slug in [
        ("Styrsö Ferry Band", "styrso-ferry-band"),
        ("Harbour", "harbour"),
        ("Pale Orchard", "pale-orchard"),
        ("Hidden Person", "hidden-person"),
    ]:
        found.artists[slug] = make_artist(db, owner, name=name, slug=slug)
    a = found.artists
    found.releases["styrso"] = publish(
        db,
        a["styrso-ferry-band"],
        "Styrsö Nights",
        ("Brännö Crossing", "Vrångö Light"),
        label=found.labels["tidal"],
        tags=("archipelago folk",),
        genre="Folk",
    )
    found.releases["harbour"] = publish(db, a["pale-orchard"], "Harbour", ("Harbour Lights", "Driftwood"))
    found.releases["lights"] = publish(db, a["harbour"], "Lights over the Harbour", ("Night Ferry",))
    found.releases["lanterns"] = publish(
        db, a["pale-orchard"], "Lanterns", ("Glass Orchard",), tags=("ambient",)
    )
    for status in (
        ReleaseStatus.DRAFT,
        ReleaseStatus.IN_REVIEW,
        ReleaseStatus.CHANGES_REQUESTED,
        ReleaseStatus.REJECTED,
        ReleaseStatus.TAKEN_DOWN,
    ):
        found.releases[status.value] = publish(
            db,
            a["hidden-person"],
            f"Secret {status.value} Album",
            (f"Secret {status.value} Song",),
            status=status,
            tags=(f"secret-{status.value}",),
            label=found.labels["tidal"],
        )
    reindex(platform)
    return found
