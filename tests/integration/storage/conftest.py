"""Fixtures for the S3 backend tests: the session's SeaweedFS server and a browser that speaks plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from storefront.storage.s3 import S3Storage


class HttpBrowser:
    """The contract's `Browser` over real HTTP, sending what a web page would (no SDK, no credentials)."""

    def __init__(self, session: requests.Session) -> None:
        self.session = session

    def post_form(
        self, url: str, fields: dict[str, str], *, filename: str, body: bytes, content_type: str
    ) -> tuple[int, str]:
        # requests writes `data` fields before `files`: the file is last, as S3 requires.
        response = self.session.post(
            url, data=fields, files={"file": (filename, body, content_type)}, timeout=30
        )
        return response.status_code, response.text

    def put(self, url: str, body: bytes) -> tuple[int, dict[str, str]]:
        response = self.session.put(url, data=body, timeout=30)
        return response.status_code, {k.lower(): v for k, v in response.headers.items()}

    def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        response = self.session.get(url, headers=headers or {}, timeout=30)
        return response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content


@pytest.fixture
def browser() -> Iterator[HttpBrowser]:
    with requests.Session() as session:
        yield HttpBrowser(session)


@pytest.fixture
def storage(s3_storage: S3Storage) -> S3Storage:
    return s3_storage
