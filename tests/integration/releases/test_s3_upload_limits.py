"""On the real S3 server: part URLs carry their length, and tickets end with their upload."""

from __future__ import annotations

import secrets

import pytest
import requests

from storefront.releases.models import Upload, UploadStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh

pytestmark = pytest.mark.s3
MiB = 1024 * 1024
PART = 5 * MiB  # S3's smallest part but the last


@pytest.fixture
def studio(make_app, db, seaweedfs):
    app = make_app(
        storage_backend="s3", s3_bucket=seaweedfs.bucket, s3_endpoint_url=seaweedfs.endpoint_url,
        s3_region=seaweedfs.region, s3_access_key=seaweedfs.access_key, s3_secret_key=seaweedfs.secret_key,
        s3_prefix=f"t-{secrets.token_hex(6)}", upload_quota_bytes=40 * MiB,
        upload_multipart_threshold=6 * MiB, upload_part_size=PART,
    )
    platform = app.extensions["storefront"]
    user = make_user(db, platform)
    artist = make_artist(db, user, slug="band")
    release = make_release(db, artist, tracks=1)
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    base = f"/artists/band/releases/{release.id}"
    return platform, web, base, web.token(base)


def _start(web, base, csrf, size: int):
    response = web.client.post(f"{base}/uploads", headers={"X-CSRFToken": csrf},
                               json={"kind": "master", "filename": "long.wav", "size": size,
                                     "content_type": "audio/wav"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _complete(web, csrf, ticket, parts=()):
    return web.client.post(ticket["complete_url"], headers={"X-CSRFToken": csrf}, json={"parts": list(parts)})


def test_a_part_url_refuses_any_other_length(studio, db):
    _, web, base, csrf = studio
    size = PART + MiB + 1000
    ticket = _start(web, base, csrf, size)
    first, last = (p["url"] for p in ticket["parts"])
    # The length is signed into the URL: the server refuses the signature for a longer or shorter body.
    assert requests.put(first, data=b"x" * (PART + MiB), timeout=30).status_code == 403
    assert requests.put(last, data=b"x" * PART, timeout=30).status_code == 403
    assert requests.put(last, data=b"x" * MiB, timeout=30).status_code == 403
    parts = []
    for number, (url, length) in enumerate(((first, PART), (last, MiB + 1000)), 1):
        response = requests.put(url, data=bytes([number]) * length, timeout=30)
        assert response.status_code == 200, response.text
        parts.append({"number": number, "etag": response.headers["ETag"].strip('"')})
    assert _complete(web, csrf, ticket, parts).status_code == 200
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert upload.size == size and upload.status != UploadStatus.AWAITING
    # Completing ended the multipart upload: its part URLs are dead.
    assert requests.put(first, data=b"x" * PART, timeout=30).status_code == 404


def test_a_multipart_larger_than_declared_is_rejected_and_deleted(studio, db, seaweedfs):
    platform, web, base, csrf = studio
    ticket = _start(web, base, csrf, PART + MiB + 1000)
    upload = fresh(db).get(Upload, ticket["upload_id"])
    # Parts sent with the storage's own credentials, as if a server had not checked the signed length.
    client = seaweedfs.client()
    key = platform.storage.prefix + upload.staging_key
    parts = []
    for number in (1, 2):
        sent = client.upload_part(Bucket=seaweedfs.bucket, Key=key, UploadId=upload.multipart_id,
                                  PartNumber=number, Body=b"y" * PART)
        parts.append({"number": number, "etag": sent["ETag"].strip('"')})
    done = _complete(web, csrf, ticket, parts)
    assert done.get_json()["status"] == "rejected"
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert "instead of" in upload.problems[0]["message"]
    assert not platform.storage.exists(upload.staging_key)
