"""Fixtures of the attestation tests: an artist signed in, and the service built outside requests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, User
from storefront.attestations.services import AttestationService
from storefront.attestations.verification import keyring_for
from storefront.container import Platform
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.attestations import approve, attestation_url, signature_form
from tests.factories.delivered import signable_on_storage
from tests.helpers import WebClient, fresh


@pytest.fixture
def owner(db: Session, platform: Platform) -> User:
    return make_user(db, platform, name="Ana")


@pytest.fixture
def artist(db: Session, owner: User) -> Artist:
    return make_artist(db, owner, slug="harbour", name="Harbour Lights")


@pytest.fixture
def signed_in(web: WebClient, owner: User, artist: Artist) -> WebClient:
    web.login(owner.email, PASSWORD)
    return web


@pytest.fixture
def service(app: Flask, db: Session, platform: Platform) -> Callable[[], AttestationService]:
    """The service on a fresh view of the database, as a request after the last one would see it."""

    def build() -> AttestationService:
        return AttestationService(
            fresh(db),
            secret=platform.settings.secret_key,
            keyring=keyring_for(app.extensions, platform.settings),
            issuer=platform.settings.base_url,
        )

    return build


@pytest.fixture
def two_certified(
    signed_in: WebClient, db: Session, platform: Platform, artist: Artist, tmp_path: Path
) -> list[int]:
    """Two releases of the artist, processed by the real jobs, signed through the form and approved."""
    made = []
    for seed in (1, 2):
        release = signable_on_storage(db, platform, artist, tmp_path, seed=seed)
        assert signed_in.submit(attestation_url(artist, release), signature_form()).status_code == 302
        approve(db, release.id)
        made.append(release.id)
    signed_in.logout()
    return made
