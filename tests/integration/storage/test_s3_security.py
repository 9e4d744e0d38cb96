"""What a real S3 server refuses when a browser misuses a presigned URL: the limits our uploads rest on."""

from __future__ import annotations

import base64
import io
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests

from storefront.storage.interfaces import UploadTicket
from storefront.storage.s3 import S3Storage
from tests.helpers import wait_until
from tests.services.seaweedfs import SeaweedFS

pytestmark = pytest.mark.s3

KEY = "staging/artist-1/upload-1/master.flac"


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def ticket(s3_storage: S3Storage) -> UploadTicket:
    return s3_storage.presign_upload(KEY, max_size=1024, content_type="audio/flac", expires_in=60)


def post(http: requests.Session, ticket: UploadTicket, body: bytes, **overrides: str) -> tuple[int, str]:
    """POST the ticket's form as a browser does: plain HTTP, fields first, then the file."""
    fields = {**ticket.fields, **overrides}
    response = http.post(
        ticket.url, data=fields, files={"file": ("master.flac", body, "audio/flac")}, timeout=30
    )
    return response.status_code, response.text


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def test_a_conforming_upload_is_accepted(
    http: requests.Session, ticket: UploadTicket, s3_storage: S3Storage
) -> None:
    # The refusals below mean something only because this, the same form with a good body, passes.
    assert post(http, ticket, b"f" * 1024) == (204, "")
    assert s3_storage.head(KEY).content_type == "audio/flac"


def test_oversize_upload_is_refused(
    http: requests.Session, ticket: UploadTicket, s3_storage: S3Storage
) -> None:
    status, text = post(http, ticket, b"f" * 1025)
    assert (status, "<Code>EntityTooLarge</Code>" in text) == (400, True)
    assert not s3_storage.exists(KEY)


def test_empty_upload_is_refused(http: requests.Session, ticket: UploadTicket, s3_storage: S3Storage) -> None:
    status, text = post(http, ticket, b"")
    assert (status, "<Code>EntityTooSmall</Code>" in text) == (400, True)


@pytest.mark.parametrize(
    "other_key",
    [
        "staging/artist-1/upload-1/other.flac",
        "staging/artist-2/upload-9/master.flac",
        "releases/1/master.flac",
    ],
)
def test_a_key_outside_the_policy_is_refused(
    http: requests.Session, ticket: UploadTicket, s3_storage: S3Storage, other_key: str
) -> None:
    full_key = ticket.fields["key"].removesuffix(KEY) + other_key
    status, text = post(http, ticket, b"data", key=full_key)
    assert (status, "Policy Condition failed" in text) == (403, True)
    assert not s3_storage.exists(other_key)


def test_another_content_type_is_refused(
    http: requests.Session, ticket: UploadTicket, s3_storage: S3Storage
) -> None:
    status, text = post(http, ticket, b"<html><script>alert(1)</script>", **{"Content-Type": "text/html"})
    assert (status, "Policy Condition failed" in text) == (403, True)
    assert not s3_storage.exists(KEY)


def test_a_rewritten_policy_is_refused(
    http: requests.Session, ticket: UploadTicket, s3_storage: S3Storage
) -> None:
    policy = json.loads(base64.b64decode(ticket.fields["policy"]))
    policy["conditions"] = [
        ["content-length-range", 1, 10**9] if isinstance(c, list) and c[0] == "content-length-range" else c
        for c in policy["conditions"]
    ]
    forged = base64.b64encode(json.dumps(policy).encode()).decode()
    assert post(http, ticket, b"f" * 2048, policy=forged)[0] == 403
    assert not s3_storage.exists(KEY)


def test_a_wrong_signature_is_refused(http: requests.Session, ticket: UploadTicket) -> None:
    signature = ticket.fields["x-amz-signature"]
    forged = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert post(http, ticket, b"data", **{"x-amz-signature": forged})[0] == 403


# -- downloads -----------------------------------------------------------------------------------------------
STORED = "releases/7/master.flac"


@pytest.fixture
def stored(s3_storage: S3Storage) -> S3Storage:
    s3_storage.put(STORED, io.BytesIO(b"fLaC master"), content_type="audio/flac")
    s3_storage.put("releases/8/master.flac", io.BytesIO(b"someone else's"), content_type="audio/flac")
    return s3_storage


def test_a_presigned_get_is_served(http: requests.Session, stored: S3Storage) -> None:
    url = stored.presign_download(STORED, expires_in=60, filename="master.flac")
    response = http.get(url, timeout=30)
    assert (response.status_code, response.content) == (200, b"fLaC master")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda url: url.replace("releases/7/", "releases/8/"), id="another-key"),
        pytest.param(lambda url: with_query(url, **{"X-Amz-Expires": "604800"}), id="longer-expiry"),
        pytest.param(lambda url: with_query(url, **{"response-content-disposition": "inline"}), id="inline"),
        pytest.param(lambda url: with_query(url, **{"response-content-type": "text/html"}), id="html-type"),
        pytest.param(lambda url: with_query(url, **{"X-Amz-Signature": "0" * 64}), id="signature"),
    ],
)
def test_a_tampered_get_is_refused(
    http: requests.Session, stored: S3Storage, tamper: Callable[[str], str]
) -> None:
    url = stored.presign_download(STORED, expires_in=60, filename="master.flac", content_type="audio/flac")
    tampered = tamper(url)
    assert tampered != url
    response = http.get(tampered, timeout=30)
    assert response.status_code == 403, response.text


def test_anonymous_access_is_refused(http: requests.Session, stored: S3Storage, seaweedfs: SeaweedFS) -> None:
    object_url = f"{seaweedfs.endpoint_url}/{seaweedfs.bucket}/{stored.prefix}{STORED}"
    assert http.get(object_url, timeout=30).status_code == 403
    assert http.put(object_url, data=b"overwritten", timeout=30).status_code == 403
    assert http.get(f"{seaweedfs.endpoint_url}/{seaweedfs.bucket}?list-type=2", timeout=30).status_code == 403
    with stored.open(STORED) as fh:
        assert fh.read() == b"fLaC master"


# -- expiry: one short wait serves both checks ------------------------------------------------------------
@dataclass(frozen=True)
class Expired:
    storage: S3Storage
    ticket: UploadTicket
    download_url: str


@pytest.fixture(scope="module")
def expired(seaweedfs: SeaweedFS) -> Expired:
    storage = seaweedfs.storage(prefix=f"expired-{secrets.token_hex(4)}")
    storage.put(STORED, io.BytesIO(b"fLaC master"), content_type="audio/flac")
    ticket = storage.presign_upload(KEY, max_size=1024, content_type="audio/flac", expires_in=1)
    download_url = storage.presign_download(STORED, expires_in=1)
    # The server judges expiry by its own clock: wait until it refuses the link signed last, so the ticket
    # signed before it has expired too. A link still honoured past the bound is the failure.
    wait_until(
        lambda: requests.get(download_url, timeout=30).status_code == 403,
        what="the server to refuse a link signed to last one second",
    )
    return Expired(storage, ticket, download_url)


def test_an_expired_upload_is_refused(http: requests.Session, expired: Expired) -> None:
    status, text = post(http, expired.ticket, b"data")
    assert status == 403, text
    assert not expired.storage.exists(KEY)


def test_an_expired_download_is_refused(http: requests.Session, expired: Expired) -> None:
    response = http.get(expired.download_url, timeout=30)
    assert response.status_code == 403
    assert "expired" in response.text
