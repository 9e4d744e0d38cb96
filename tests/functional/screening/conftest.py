"""Artists who upload masters through the real flow, each with a browser session, and what screening found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.accounts.models import Artist
from storefront.releases.models import Upload
from storefront.screening.models import ScreeningResult
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.functional.releases.test_uploads import Uploader
from tests.helpers import WebClient, fresh

MIME = {".flac": "audio/flac", ".wav": "audio/wav"}


@dataclass
class Account:
    web: WebClient
    artist_id: int
    user_id: int
    slug: str

    def upload(self, db, path: Path, *, release_id: int | None = None, name: str | None = None) -> Upload:
        if release_id is None:
            release_id = make_release(db, fresh(db).get(Artist, self.artist_id)).id
        ticket = Uploader(self.web, release_id, self.slug).upload(
            "master", name or path.name, path.read_bytes(), MIME[path.suffix]
        )
        upload = fresh(db).get(Upload, ticket["upload_id"])
        assert upload is not None
        return upload


@pytest.fixture
def accounts(app, db, platform):
    """Sign up an artist with its own browser session, as many as a test needs."""

    def make(slug: str) -> Account:
        user = make_user(db, platform)
        artist = make_artist(db, user, slug=slug)
        web = WebClient(app)
        web.login(user.email, PASSWORD)
        return Account(web, artist.id, user.id, slug)

    return make


def results(db, upload_id: int) -> dict[str, ScreeningResult]:
    rows = fresh(db).scalars(select(ScreeningResult).where(ScreeningResult.upload_id == upload_id))
    return {row.check.value: row for row in rows}
