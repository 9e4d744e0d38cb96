"""The migrations form one linear history that upgrades and downgrades cleanly on the database under test."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, insert, inspect, text

from storefront.accounts.models import Artist, User
from storefront.cli.database import alembic_config, upgrade
from storefront.releases.models import Release, Upload, UploadKind, UploadStatus
from storefront.screening.copies.models import CopyIndexEntry
from storefront.screening.copies.upkeep import index_rows
from storefront.screening.fingerprint import encode_fingerprint
from storefront.screening.models import ALGORITHM, Fingerprint


def test_history_is_linear() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, f"more than one head: {script.get_heads()}"
    assert len(script.get_bases()) == 1
    for revision in script.walk_revisions():
        assert not revision.is_merge_point, f"{revision.revision} merges branches"
        assert not revision.is_branch_point, f"{revision.revision} starts a branch"


@pytest.fixture
def scratch_url(tmp_path: Path) -> str:
    """A database of its own: a scratch schema on PostgreSQL, a file on SQLite."""
    url = os.environ.get("STOREFRONT_TEST_DATABASE_URL", "")
    if not url:
        return "sqlite:///" + str(tmp_path / "migrations.sqlite3")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_check"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3Dmigration_check"


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    upgrade(scratch_url)
    full = _tables(scratch_url)
    assert "users" in full and "releases" in full
    command.downgrade(alembic_config(scratch_url), "base")
    assert _tables(scratch_url) <= {"alembic_version"}
    upgrade(scratch_url)
    assert _tables(scratch_url) == full


@pytest.mark.parametrize("revision", ["0026", "0027"])
def test_the_copy_index_is_built_again_with_the_keys_of_this_version(scratch_url: str, revision: str) -> None:
    """An install whose index holds the keys of an earlier revision (0026: an item's top 24 bits; 0027: its
    head and its follower's top bits) gets this version's keys for every fingerprint in force, and none for
    the others."""
    command.upgrade(alembic_config(scratch_url), revision)
    rng = np.random.default_rng(3)
    data = {n: encode_fingerprint(rng.integers(0, 2**32, 950, dtype=np.uint32)) for n in (1, 2)}
    engine = create_engine(scratch_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(User), [{"id": 1, "email": "owner@example.com", "display_name": "Owner"}])
            conn.execute(insert(Artist), [{"id": 1, "name": "Artist", "slug": "artist"}])
            conn.execute(insert(Release), [{"id": 1, "artist_id": 1, "title": "Release", "slug": "release"}])
            conn.execute(
                insert(Upload),
                [
                    {
                        "id": n,
                        "artist_id": 1,
                        "release_id": 1,
                        "kind": UploadKind.MASTER,
                        "status": status,
                        "original_filename": f"track-{n}.flac",
                        "content_type": "audio/flac",
                        "declared_size": 1,
                        "staging_key": f"staging/{n}",
                    }
                    for n, status in ((1, UploadStatus.READY), (2, UploadStatus.REPLACED))
                ],
            )
            conn.execute(
                insert(Fingerprint),
                [
                    {
                        "id": n,
                        "upload_id": n,
                        "artist_id": 1,
                        "release_id": 1,
                        "data": data[n],
                        "duration": 118.0,
                        "algorithm": ALGORITHM,
                    }
                    for n in (1, 2)
                ],
            )
            old = [{"fingerprint_id": 1, "position": p, "value": (p * 7919) % (1 << 24)} for p in range(60)]
            conn.execute(insert(CopyIndexEntry), old)
        upgrade(scratch_url)
        with engine.connect() as conn:
            held = set(conn.execute(text("SELECT fingerprint_id, position, value FROM copy_index_entries")))
    finally:
        engine.dispose()
    wanted = {(1, e["position"], e["value"]) for e in index_rows(1, data[1])}
    assert len(wanted) > 40
    assert held == wanted
