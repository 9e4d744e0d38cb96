"""The migrations form one linear history that upgrades and downgrades cleanly on the database under test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from storefront.cli.database import alembic_config, upgrade


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
