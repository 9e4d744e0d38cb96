"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when asked), a fresh app per test, helpers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from storefront import create_app
from storefront.cli.database import upgrade
from storefront.config import Settings
from storefront.container import Platform
from storefront.models import metadata
from storefront.web.services import registry_of
from tests.helpers import WebClient

pytest_plugins = ["tests.services.seaweedfs", "tests.services.fake_stripe.plugin"]

# Argon2id at its cheapest: tests check behaviour, not hashing cost.
FAST_HASHING = {"password_time_cost": 1, "password_memory_kib": 8, "password_parallelism": 1}
SECRET = "test-secret-key-0123456789abcdef0123456789"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrated once per run with the real migrations (never `create_all`)."""
    url = os.environ.get("STOREFRONT_TEST_DATABASE_URL", "")
    if url:
        _reset_postgres(url)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    upgrade(url)
    return url


def _empty_tables(platform: Platform) -> None:
    tables = [t for t in reversed(metadata.sorted_tables)]
    with platform.database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        secret_key=SECRET,
        instance_dir=str(tmp_path / "instance"),
        database_url=database_url,
        base_url="http://localhost",
        inline_jobs="eager",
        **FAST_HASHING,
    )


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Any]:
    """Build apps from the test settings with overrides; each is torn down and its data removed."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = create_app(settings.with_overrides(**overrides) if overrides else settings)
        apps.append(app)
        return app

    yield build
    for app in apps:
        platform: Platform = app.extensions["storefront"]
        platform.jobs.stop()
    if apps:
        _empty_tables(apps[0].extensions["storefront"])
    for app in apps:
        app.extensions["storefront"].database.dispose()


@pytest.fixture
def app(make_app: Any) -> Flask:
    built: Flask = make_app()
    return built


@pytest.fixture
def platform(app: Flask) -> Platform:
    found: Platform = app.extensions["storefront"]
    return found


@pytest.fixture
def override_service(app: Flask) -> Iterator[Callable[[Any, Any], None]]:
    """Give the app's requests `value` wherever a view asks `find_service(key)`, for this test only:
    `override_service(ObjectStorage, FaultyStorage(...))`. Every other service is built as usual."""
    registry = registry_of(app)
    replaced: list[tuple[Any, Any]] = []

    def override(key: Any, value: Any) -> None:
        replaced.append((key, registry.override(key, lambda _services: value)))

    yield override
    for key, previous in reversed(replaced):
        registry.restore(key, previous)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def web(app: Flask) -> WebClient:
    return WebClient(app)


@pytest.fixture
def db(platform: Platform) -> Iterator[Session]:
    """A session for arranging and checking data directly; commits go through the one commit point.

    Call `tests.helpers.fresh(db)` before checking what a request has written since: a session keeps the
    rows it loaded (and, on SQLite, the snapshot its transaction began with)."""
    session = platform.database.session()
    yield session
    session.close()


@pytest.fixture(scope="session")
def chromaprint() -> None:
    """For tests that need real fingerprints: a skip naming what is missing when libchromaprint cannot be
    loaded, or a failure with STOREFRONT_REQUIRE_CHROMAPRINT=1 (CI installs it)."""
    from storefront.screening.fingerprint import FingerprintUnavailable, default_library

    try:
        default_library()
    except FingerprintUnavailable as exc:
        if os.environ.get("STOREFRONT_REQUIRE_CHROMAPRINT") == "1":
            pytest.fail(f"STOREFRONT_REQUIRE_CHROMAPRINT=1 but {exc}")
        pytest.skip(str(exc))
