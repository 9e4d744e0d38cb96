"""The release upload flow on the real S3 server: direct POST, multipart, faults, and a sweep afterwards."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from storefront.db import utcnow
from storefront.jobs.inline import InlineDispatcher
from storefront.releases.models import Upload, UploadStatus
from storefront.releases.uploads.sweep import sweep
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.faults import FaultyStorage, server_error, timeout
from tests.factories.releases import cover_bytes, make_release, master_bytes
from tests.helpers import WebClient, fresh

pytestmark = pytest.mark.s3
MiB = 1024 * 1024


@pytest.fixture
def s3_app(make_app, seaweedfs):
    return make_app(
        storage_backend="s3", s3_bucket=seaweedfs.bucket, s3_endpoint_url=seaweedfs.endpoint_url,
        s3_region=seaweedfs.region, s3_access_key=seaweedfs.access_key, s3_secret_key=seaweedfs.secret_key,
        s3_prefix=f"t-{secrets.token_hex(6)}",
        upload_multipart_threshold=6 * MiB,
        upload_part_size=5 * MiB,
    )


@pytest.fixture
def studio(s3_app, db):
    platform = s3_app.extensions["storefront"]
    user = make_user(db, platform)
    artist = make_artist(db, user, slug="band")
    release = make_release(db, artist)
    web = WebClient(s3_app)
    web.login(user.email, PASSWORD)
    base = f"/artists/band/releases/{release.id}"
    return platform, web, base, web.token(base)


def _start(web, base, csrf, data: bytes, name: str = "song.flac"):
    content_type = "audio/wav" if name.endswith(".wav") else "audio/flac"
    response = web.client.post(f"{base}/uploads", headers={"X-CSRFToken": csrf},
                               json={"kind": "master", "filename": name, "size": len(data),
                                     "content_type": content_type})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _complete(web, csrf, ticket, parts=()):
    return web.client.post(ticket["complete_url"], headers={"X-CSRFToken": csrf}, json={"parts": list(parts)})


def _post_to_s3(ticket, data: bytes) -> requests.Response:
    files = {"file": ("song.flac", data)}
    return requests.post(ticket["url"], data=ticket["fields"], files=files, timeout=30)


def _put_parts(ticket, data: bytes) -> list[dict]:
    parts = []
    for part in ticket["parts"]:
        start = (part["number"] - 1) * ticket["part_size"]
        response = requests.put(part["url"], data=data[start:start + ticket["part_size"]], timeout=30)
        assert response.status_code == 200, response.text
        parts.append({"number": part["number"], "etag": response.headers["ETag"].strip('"')})
    return parts


def _keys(platform, prefix: str = "") -> list[str]:
    # Formats and previews made from an accepted master live under media/; these tests look at the masters.
    return sorted(o.key for o in platform.storage.list_objects(prefix) if not o.key.startswith("media/"))


def test_a_master_goes_from_the_browser_to_s3_and_is_moved_after_checking(studio, db, seaweedfs, tmp_path):
    platform, web, base, csrf = studio
    data = master_bytes(tmp_path, seed=21)
    ticket = _start(web, base, csrf, data)
    assert ticket["method"] == "post" and ticket["url"].startswith(seaweedfs.endpoint_url)
    assert _post_to_s3(ticket, data).status_code == 204
    assert _complete(web, csrf, ticket).get_json()["status"] == "validating"
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert upload.status == UploadStatus.READY
    assert _keys(platform) == [upload.final_key]
    with platform.storage.open(upload.final_key) as stored:
        assert stored.read() == data


def test_a_large_master_goes_up_in_parts(studio, db, tmp_path):
    platform, web, base, csrf = studio
    data = master_bytes(tmp_path, seed=22, seconds=75, suffix=".wav")  # about 12.6 MiB
    assert len(data) > 12 * MiB
    ticket = _start(web, base, csrf, data, name="long.wav")
    assert ticket["method"] == "multipart" and len(ticket["parts"]) == 3
    assert _complete(web, csrf, ticket, _put_parts(ticket, data)).status_code == 200
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert upload.status == UploadStatus.READY and upload.size == len(data)
    assert list(platform.storage.list_multipart("staging/")) == []


def test_a_broken_multipart_is_refused_and_swept_away(studio, db, tmp_path):
    platform, web, base, csrf = studio
    data = master_bytes(tmp_path, seed=23, seconds=75, suffix=".wav")
    ticket = _start(web, base, csrf, data, name="long.wav")
    parts = _put_parts(ticket, data)
    parts[1]["etag"] = "0" * 32
    response = _complete(web, csrf, ticket, parts)
    assert response.status_code == 409 and "arrived damaged" in response.get_json()["error"]
    assert fresh(db).get(Upload, ticket["upload_id"]).status == UploadStatus.AWAITING
    assert list(platform.storage.list_multipart("staging/"))

    with platform.database.transaction() as session:
        report = sweep(session, platform.storage, now=utcnow() + timedelta(hours=3), dry_run=False)
    assert report.counts == {"abandoned_multipart": 1, "abandoned_uploads": 1}
    assert list(platform.storage.list_multipart("staging/")) == []
    assert _keys(platform) == []
    assert fresh(db).get(Upload, ticket["upload_id"]).problems[0]["code"] == "abandoned"


def test_storage_timing_out_at_arrival_answers_503_and_the_same_call_works_again(studio, db, tmp_path):
    platform, web, base, csrf = studio
    data = master_bytes(tmp_path, seed=24)
    ticket = _start(web, base, csrf, data)
    assert _post_to_s3(ticket, data).status_code == 204
    platform.storage = FaultyStorage(platform.storage).fail("head", timeout())
    refused = _complete(web, csrf, ticket)
    assert refused.status_code == 503 and "Nothing is lost" in refused.get_json()["error"]
    assert fresh(db).get(Upload, ticket["upload_id"]).status == UploadStatus.AWAITING
    assert _complete(web, csrf, ticket).status_code == 200
    assert fresh(db).get(Upload, ticket["upload_id"]).status == UploadStatus.READY


def test_server_errors_while_moving_leave_a_retryable_upload_and_no_orphans(studio, db, tmp_path):
    platform, web, base, csrf = studio
    faulty = FaultyStorage(platform.storage).fail("put", *[server_error() for _ in range(5)])
    platform.storage = faulty
    platform.executor.backoff_base = 0.0
    data = master_bytes(tmp_path, seed=25)
    ticket = _start(web, base, csrf, data)
    assert _post_to_s3(ticket, data).status_code == 204
    assert _complete(web, csrf, ticket).status_code == 200
    InlineDispatcher(platform.executor, mode="manual").drain()
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert upload.status == UploadStatus.FAILED and faulty.calls["put"] == 5
    # The bytes wait in staging; nothing reached the final prefix.
    assert _keys(platform) == [upload.staging_key]

    faulty.heal()
    page = web.get(base).get_data(as_text=True)
    assert web.submit(base, action=f"{base}/uploads/{upload.id}/retry").status_code == 302, page[:200]
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert upload.status == UploadStatus.READY
    with platform.database.transaction() as session:
        report = sweep(session, platform.storage, now=utcnow() + timedelta(hours=3), dry_run=False)
    assert report.counts == {}
    assert _keys(platform) == [upload.final_key]


def test_sweep_on_s3_both_directions(studio, db, tmp_path):
    platform, web, base, csrf = studio
    data = master_bytes(tmp_path, seed=26)
    ticket = _start(web, base, csrf, data)
    _post_to_s3(ticket, data)
    _complete(web, csrf, ticket)
    kept = fresh(db).get(Upload, ticket["upload_id"])
    import io

    platform.storage.put("staging/9/999/stray", io.BytesIO(b"left by a crash"), content_type="audio/flac")
    orphan = "releases/9/9/masters/999/master.flac"
    platform.storage.put(orphan, io.BytesIO(b"no row"), content_type="audio/flac")
    second = _start(web, base, csrf, data, name="second.flac")
    _post_to_s3(second, data)
    _complete(web, csrf, second)
    lost = fresh(db).get(Upload, second["upload_id"])
    platform.storage.delete(lost.final_key)

    with platform.database.transaction() as session:
        dry = sweep(session, platform.storage, now=utcnow() + timedelta(hours=2), dry_run=True)
    assert dry.counts == {"orphan_objects": 2, "missing_objects": 1}
    assert all(line.startswith("would ") for line in dry.lines)
    assert len(_keys(platform)) == 3
    with platform.database.transaction() as session:
        sweep(session, platform.storage, now=utcnow() + timedelta(hours=2), dry_run=False)
    assert _keys(platform) == [kept.final_key]
    assert fresh(db).get(Upload, lost.id).status == UploadStatus.FAILED
    assert db.scalar(select(Upload).where(Upload.id == kept.id)).status == UploadStatus.READY


def _form_ticket(web, base, kind="artwork"):
    page = web.submit(base, {"kind": kind}, action=f"{base}/uploads/direct").get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)" enctype', page).group(1)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return unescape(action), {name: unescape(value) for name, value in fields}


def _confirm(web, location: str) -> None:
    back = location.replace("http://localhost", "")
    page = web.get(back).get_data(as_text=True)
    check = re.search(r'action="([^"]+/check)"', page).group(1)
    key = unescape(re.search(r'name="key" value="([^"]*)"', page).group(1))
    assert web.submit(back, {"key": key}, action=check).status_code == 302


def test_a_cover_sent_without_javascript_keeps_its_name_through_s3(studio, db):
    platform, web, base, _ = studio
    url, fields = _form_ticket(web, base)
    assert fields["key"].endswith("/${filename}")
    files = {"file": ("my cover.jpg", cover_bytes(300))}
    sent = requests.post(url, data=fields, files=files, timeout=30, allow_redirects=False)
    assert sent.status_code == 303, sent.text
    # The server put the file's own name in the key, and says so in the redirect.
    key = parse_qs(urlsplit(sent.headers["Location"]).query)["key"][0]
    upload = fresh(db).scalar(select(Upload))
    assert key == platform.storage.prefix + upload.staging_key.replace("${filename}", "my cover.jpg")
    _confirm(web, sent.headers["Location"])
    upload = fresh(db).get(Upload, upload.id)
    assert upload.original_filename == "my cover.jpg"
    assert upload.status == UploadStatus.REJECTED
    assert "“my cover.jpg” is 300 x 300 pixels" in upload.problems[0]["message"]
    assert _keys(platform, "staging/") == []


def test_a_crafted_name_on_s3_never_leaves_the_upload_s_prefix(studio, db):
    platform, web, base, _ = studio
    url, fields = _form_ticket(web, base)
    prefix = fresh(db).scalar(select(Upload)).staging_key.removesuffix("${filename}")
    files = {"file": ("../../../releases/9/escape.jpg", cover_bytes(300))}
    sent = requests.post(url, data=fields, files=files, timeout=30, allow_redirects=False)
    if sent.status_code == 303:
        _confirm(web, sent.headers["Location"])
    assert all(key.startswith(prefix) for key in _keys(platform))
    upload = fresh(db).scalar(select(Upload))
    # SeaweedFS keeps only the last part of the name; AWS puts it in unchanged and the app refuses the key.
    assert "/" not in upload.original_filename
    assert upload.status == UploadStatus.REJECTED
