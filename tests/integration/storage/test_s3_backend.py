"""The S3 backend against a real SeaweedFS server: the shared contract and what only S3 has."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from storefront.storage.interfaces import MultipartPart
from storefront.storage.s3 import S3Storage
from tests.helpers import call_with_bound
from tests.services.seaweedfs import SeaweedFS
from tests.unit.storage.contract import Browser, BrowserContract, ObjectContract

pytestmark = pytest.mark.s3


class TestS3Contract(ObjectContract):
    pass


class TestS3BrowserContract(BrowserContract):
    pass


def test_prefix_keeps_backends_apart(seaweedfs: SeaweedFS) -> None:
    first, second = seaweedfs.storage(prefix="tenant-a/"), seaweedfs.storage(prefix="tenant-b")
    first.put("x/song.flac", io.BytesIO(b"a"), content_type="audio/flac")
    second.put("x/song.flac", io.BytesIO(b"bb"), content_type="audio/flac")
    assert [(i.key, i.size) for i in first.list_objects("x/")] == [("x/song.flac", 1)]
    assert [(i.key, i.size) for i in second.list_objects("")] == [("x/song.flac", 2)]
    client = seaweedfs.client()
    try:
        head = client.head_object(Bucket=seaweedfs.bucket, Key="tenant-a/x/song.flac")
        assert head["ContentLength"] == 1
    finally:
        client.close()
    ticket = first.presign_upload("x/new.flac", max_size=5, content_type="audio/flac", expires_in=60)
    assert (ticket.key, ticket.fields["key"]) == ("x/new.flac", "tenant-a/x/new.flac")


def test_public_endpoint_signs_for_the_public_host(seaweedfs: SeaweedFS, browser: Browser) -> None:
    port = urlsplit(seaweedfs.endpoint_url).port
    public = f"http://localhost:{port}"
    storage = seaweedfs.storage(prefix="public-host", public_endpoint_url=public)
    ticket = storage.presign_upload("a/cover.jpg", max_size=10, content_type="image/jpeg", expires_in=60)
    assert ticket.url.startswith(public)
    status, text = browser.post_form(
        ticket.url, ticket.fields, filename="c.jpg", body=b"jpeg", content_type="image/jpeg"
    )
    assert status == 204, text
    url = storage.presign_download("a/cover.jpg", expires_in=60)
    assert url.startswith(public + "/")
    assert browser.get(url)[0] == 200
    # The signature covers the host: the same URL sent to the internal name is refused.
    assert browser.get(url.replace(public, seaweedfs.endpoint_url))[0] == 403


def test_a_multipart_part_url_is_for_one_part_only(s3_storage: S3Storage, browser: Browser) -> None:
    upload_id = s3_storage.create_multipart("u/x.wav", content_type="audio/wav")
    url = s3_storage.presign_part("u/x.wav", upload_id, 1, expires_in=60)
    assert browser.put(url.replace("partNumber=1", "partNumber=2"), b"data")[0] == 403
    status, headers = browser.put(url, b"data")
    assert status == 200
    info = s3_storage.complete_multipart("u/x.wav", upload_id, [MultipartPart(1, headers["etag"])])
    assert info.size == 4


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_check_reports_an_unreachable_endpoint(seaweedfs: SeaweedFS) -> None:
    storage = S3Storage(
        seaweedfs.bucket,
        endpoint_url=f"http://127.0.0.1:{_unused_port()}",
        region=seaweedfs.region,
        access_key=seaweedfs.access_key,
        secret_key=seaweedfs.secret_key,
        connect_timeout=1,
        max_attempts=1,
    )
    # It must give up by itself (its own connection timeout), not hang the health page.
    health = call_with_bound(storage.check, what="the health check of an unreachable endpoint")
    assert not health.ok
    assert "Could not connect" in health.detail


def test_check_reports_a_missing_bucket_and_wrong_keys(seaweedfs: SeaweedFS) -> None:
    missing = S3Storage(
        "no-such-bucket-here",
        endpoint_url=seaweedfs.endpoint_url,
        region=seaweedfs.region,
        access_key=seaweedfs.access_key,
        secret_key=seaweedfs.secret_key,
    ).check()
    assert not missing.ok
    assert "no-such-bucket-here" in missing.detail
    wrong_keys = S3Storage(
        seaweedfs.bucket,
        endpoint_url=seaweedfs.endpoint_url,
        region=seaweedfs.region,
        access_key=seaweedfs.access_key,
        secret_key="not-the-secret",
        max_attempts=1,
    ).check()
    assert not wrong_keys.ok


# -- error mapping, on botocore's stubbed client: answers the real server cannot be made to give ----------
@pytest.fixture
def stubbed() -> Iterator[tuple[S3Storage, Stubber]]:
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    with Stubber(client) as stubber:
        yield S3Storage("bucket", client=client), stubber
        stubber.assert_no_pending_responses()
    client.close()


def test_a_missing_object_is_file_not_found(stubbed: tuple[S3Storage, Stubber]) -> None:
    storage, stubber = stubbed
    stubber.add_client_error("head_object", service_error_code="404", http_status_code=404)
    stubber.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    with pytest.raises(FileNotFoundError):
        storage.head("a")
    with pytest.raises(FileNotFoundError):
        storage.open("a")


def test_other_errors_are_not_disguised(stubbed: tuple[S3Storage, Stubber]) -> None:
    storage, stubber = stubbed
    stubber.add_client_error("head_object", service_error_code="403", http_status_code=403)
    stubber.add_client_error("get_object", service_error_code="NoSuchBucket", http_status_code=404)
    with pytest.raises(ClientError):
        storage.exists("a")
    with pytest.raises(ClientError):
        storage.open("a")


def test_abort_of_a_finished_upload_is_quiet(stubbed: tuple[S3Storage, Stubber]) -> None:
    storage, stubber = stubbed
    stubber.add_client_error(
        "abort_multipart_upload",
        service_error_code="NoSuchUpload",
        http_status_code=404,
        expected_params={"Bucket": "bucket", "Key": "a", "UploadId": "upload-1"},
    )
    # S3 answers "no such upload": the abort was asked for that very upload, and the answer is swallowed.
    assert storage.abort_multipart("a", "upload-1") is None
    stubber.assert_no_pending_responses()
    # Any other refusal is not: it reaches the caller.
    stubber.add_client_error(
        "abort_multipart_upload", service_error_code="AccessDenied", http_status_code=403
    )
    with pytest.raises(ClientError):
        storage.abort_multipart("a", "upload-1")


def test_check_never_raises(stubbed: tuple[S3Storage, Stubber]) -> None:
    storage, stubber = stubbed
    stubber.add_client_error(
        "head_bucket", service_error_code="403", service_message="Forbidden", http_status_code=403
    )
    health = storage.check()
    assert (health.ok, health.backend, health.detail) == (False, "s3", "bucket bucket: 403 Forbidden")
