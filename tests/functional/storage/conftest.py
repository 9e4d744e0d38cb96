"""Fixtures for the local storage endpoints: a bare Flask app with only the storage blueprint."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storefront.storage.local import LocalStorage
from storefront.storage.views import storage_blueprint
from tests.unit.storage.contract import FakeClock


class TestClientBrowser:
    """The contract's `Browser`, speaking to the app through Flask's test client."""

    __test__ = False

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def post_form(
        self, url: str, fields: dict[str, str], *, filename: str, body: bytes, content_type: str
    ) -> tuple[int, str]:
        # Fields first and the file last, as a browser sends an S3-style POST form.
        data: dict[str, object] = {**fields, "file": (io.BytesIO(body), filename, content_type)}
        with self.client.post(url, data=data, content_type="multipart/form-data") as response:
            return response.status_code, response.get_data(as_text=True)

    def put(self, url: str, body: bytes) -> tuple[int, dict[str, str]]:
        with self.client.put(url, data=body) as response:
            return response.status_code, {k.lower(): v for k, v in response.headers.items()}

    def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        with self.client.get(url, headers=headers or {}) as response:
            body = response.get_data()
            return response.status_code, {k.lower(): v for k, v in response.headers.items()}, body


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def storage(tmp_path: Path, clock: FakeClock) -> LocalStorage:
    return LocalStorage(tmp_path / "objects", secret_key="functional-test-secret", clock=clock)


@pytest.fixture
def app(storage: LocalStorage) -> Flask:
    app = Flask(__name__)
    app.config["TESTING"] = True
    app.extensions["storefront.storage"] = storage
    app.register_blueprint(storage_blueprint)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def browser(client: FlaskClient) -> TestClientBrowser:
    return TestClientBrowser(client)
