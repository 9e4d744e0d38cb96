"""`flask seed-catalog`: a public catalog of the size asked for whose pages render; never twice by mistake."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import quote

from sqlalchemy import func, select

from storefront.accounts.models import Artist, Label, RosterLink, RosterStatus, User
from storefront.cli.seed_catalog import GENRES, OWNER_EMAIL, OWNER_NAME, TAGS
from storefront.db import commit
from storefront.releases.models import Release, ReleaseStatus, Track, Upload, UploadKind, UploadStatus
from tests.helpers import fresh, text_of

SMALL = ["--releases", "40", "--tracks-per-release", "3", "--artists", "6", "--labels", "3", "--tags", "8"]


def _seed(app, *extra: str):
    return app.test_cli_runner().invoke(args=["seed-catalog", *SMALL, "--discography", "12", *extra])


def test_seeds_a_public_catalog_of_the_size_asked_for(app, db):
    result = _seed(app, "--seed", "7")
    assert result.exit_code == 0, result.output
    assert "Seeded 40 releases, 120 tracks, 6 artists, 3 labels and 8 tags" in result.output
    fresh(db)
    releases = db.scalars(select(Release)).all()
    assert len(releases) == 40
    assert db.scalar(select(func.count()).select_from(Track)) == 120
    assert db.scalar(select(func.count()).select_from(Artist)) == 6
    assert db.scalar(select(func.count()).select_from(Label)) == 3
    assert {r.status for r in releases} == {ReleaseStatus.APPROVED}
    assert all(r.approved_at is not None and r.tags for r in releases)
    assert len({r.approved_at.year for r in releases}) > 1
    assert {tag for r in releases for tag in r.tags} <= set(TAGS[:8])
    assert {r.genre for r in releases} <= set(GENRES)
    # The first artist has the long discography, and most releases of a rostered artist are on its label.
    per_artist = dict(db.execute(select(Release.artist_id, func.count()).group_by(Release.artist_id)).all())
    assert max(per_artist.values()) == 12 and len(per_artist) == 6
    links = db.scalars(select(RosterLink)).all()
    assert links and {link.status for link in links} == {RosterStatus.ACTIVE}
    assert any(r.label_id is not None for r in releases)
    # Every track has a ready master with its duration, but no file behind it.
    masters = db.scalars(select(Upload).where(Upload.kind == UploadKind.MASTER)).all()
    assert len(masters) == 120 and {m.status for m in masters} == {UploadStatus.READY}
    assert all(m.info["duration_seconds"] >= 45 for m in masters)
    owner = db.scalar(select(User).where(User.email == OWNER_EMAIL))
    # The owner cannot log in, and its name says the catalog is complete.
    assert owner is not None and owner.password_hash is None and owner.display_name == OWNER_NAME
    # Rows added the ordinary way afterwards get fresh ids (PostgreSQL's sequences were moved on).
    db.add(Artist(name="After The Seed", slug="after-the-seed", links=[]))
    commit(db)


def test_the_seeded_pages_render(app, db, web):
    assert _seed(app).exit_code == 0
    fresh(db)
    long_run = db.scalar(
        select(Artist).join(Release).group_by(Artist.id).order_by(func.count(Release.id).desc()).limit(1)
    )
    release = db.scalars(select(Release).where(Release.artist_id == long_run.id).limit(1)).one()
    label = db.scalars(select(Label).join(RosterLink).limit(1)).first()
    assert web.get("/").status_code == 200
    assert release.title in text_of(web.get(f"/artists/{long_run.slug}"))
    assert web.get(f"/labels/{label.slug}").status_code == 200
    page = text_of(web.get(f"/artists/{long_run.slug}/album/{release.slug}"))
    assert all(track.title in page for track in release.tracks)
    assert re.search(r"\b\d+:\d\d\b", page), "track durations are shown"
    # Rows written in bulk are in the tag table and the search index all the same.
    assert web.get(f"/tags/{quote(release.tags[0])}").status_code == 200
    assert f'href="/artists/{long_run.slug}"' in text_of(
        web.get("/search", query_string={"q": long_run.name})
    )


def test_refuses_a_second_catalog_unless_forced(app, db):
    assert _seed(app).exit_code == 0
    again = _seed(app)
    assert again.exit_code != 0 and "already there" in again.output
    forced = _seed(app, "--force", "--seed", "2")
    assert forced.exit_code == 0, forced.output
    assert "Removed the catalog seeded before." in forced.output
    fresh(db)
    # Replaced, not added to.
    assert db.scalar(select(func.count()).select_from(Release)) == 40
    assert db.scalar(select(func.count()).select_from(Artist)) == 6
    assert db.scalar(select(func.count()).select_from(User).where(User.email == OWNER_EMAIL)) == 1


def test_never_runs_in_production(app, db, monkeypatch):
    platform = app.extensions["storefront"]
    monkeypatch.setattr(platform, "settings", replace(platform.settings, env="production"))
    result = _seed(app)
    assert result.exit_code != 0 and "never runs in production" in result.output
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Release)) == 0
    assert db.scalar(select(User.id).where(User.email == OWNER_EMAIL)) is None
