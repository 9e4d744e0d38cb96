"""Upload tickets hold to what was declared: sizes, parts and quota, each ticket good for one upload."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from storefront.releases.models import Upload, UploadStatus
from storefront.storage.tickets import PartGrant
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh, text_of

MiB = 1024 * 1024
PART = 5 * MiB  # the smallest part S3 takes, so the same settings hold on both backends
QUOTA = 16 * MiB


@pytest.fixture
def studio(make_app, db):
    app = make_app(
        upload_quota_bytes=QUOTA, upload_multipart_threshold=PART + MiB, upload_part_size=PART
    )
    platform = app.extensions["storefront"]
    user = make_user(db, platform)
    artist = make_artist(db, user, slug="band")
    release = make_release(db, artist, tracks=1)
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    base = f"/artists/band/releases/{release.id}"
    return platform, web, base, web.token(base), release


def _start(web, base, csrf, size, name="song.flac", kind="master"):
    content_type = "image/jpeg" if kind == "artwork" else "audio/flac"
    return web.client.post(
        f"{base}/uploads", headers={"X-CSRFToken": csrf},
        json={"kind": kind, "filename": name, "size": size, "content_type": content_type},
    )


def _post(web, ticket_url, fields, data: bytes):
    boundary, body = encode_multipart({**fields, "file": FileStorage(io.BytesIO(data), "upload")})
    return web.client.post(ticket_url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _form_ticket(web, base, release):
    """What a browser without JavaScript gets: a page holding a form straight to storage."""
    page = web.submit(base, {"kind": "master", "track_id": str(release.tracks[0].id)},
                      action=f"{base}/uploads/direct")
    html = text_of(page)
    found = re.search(r'<form method="post" action="([^"]+)" enctype', html)
    if found is None:
        return None
    return found.group(1), dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def _complete(web, csrf, url, parts=()):
    return web.client.post(url, headers={"X-CSRFToken": csrf}, json={"parts": list(parts)})


def test_a_ticket_needs_a_declared_size(studio):
    _, web, base, csrf, _ = studio
    for size in (0, None, -5):
        response = web.client.post(f"{base}/uploads", headers={"X-CSRFToken": csrf},
                                   json={"kind": "master", "filename": "a.flac", "content_type": "audio/flac",
                                         **({} if size is None else {"size": size})})
        assert 400 <= response.status_code < 500, size


def test_a_form_ticket_reserves_the_room_it_allows(studio, db):
    _, web, base, csrf, release = studio
    url, fields = _form_ticket(web, base, release)
    pending = fresh(db).scalar(select(Upload))
    # Its size is unknown, so the whole room left is held for it, not nothing.
    assert pending.declared_size == QUOTA
    assert _form_ticket(web, base, release) is None
    refused = _start(web, base, csrf, 10, name="small.flac")
    assert refused.status_code == 422 and "storage quota" in refused.get_json()["error"]
    too_big = _post(web, url, fields, b"x" * (QUOTA + 1))
    assert too_big.status_code == 400 and b"EntityTooLarge" in too_big.data


def test_a_form_upload_larger_than_its_room_is_rejected_and_deleted(studio, db):
    platform, web, base, _, release = studio
    _form_ticket(web, base, release)
    upload = fresh(db).scalar(select(Upload))
    # As if storage had not enforced the ticket's limit: the app checks the size on arrival.
    oversized = io.BytesIO(b"x" * (QUOTA + 10))
    platform.storage.put(upload.staging_key, oversized, content_type="application/octet-stream")
    check = f"{base}/uploads/{upload.id}/check"
    web.submit(base, action=check)
    upload = fresh(db).get(Upload, upload.id)
    assert upload.status == UploadStatus.REJECTED
    assert "had room for" in upload.problems[0]["message"]
    assert not platform.storage.exists(upload.staging_key)


def test_each_part_url_takes_exactly_its_share_of_the_declared_size(studio, db):
    _, web, base, csrf, _ = studio
    size = 2 * PART + 1000
    ticket = _start(web, base, csrf, size).get_json()
    assert ticket["method"] == "multipart" and len(ticket["parts"]) == 3
    first, _, last = (p["url"] for p in ticket["parts"])
    assert web.client.put(first, data=b"x" * (PART + 1)).status_code == 400
    assert web.client.put(first, data=b"x" * (PART - 1)).status_code == 400
    # The last part is the rest: a full part there would make the file larger than declared.
    assert web.client.put(last, data=b"x" * PART).status_code == 400
    etags = []
    for number, part in enumerate(ticket["parts"], 1):
        length = PART if number < 3 else 1000
        response = web.client.put(part["url"], data=bytes([number]) * length)
        assert response.status_code == 200
        etags.append({"number": number, "etag": response.headers["ETag"].strip('"')})
    done = _complete(web, csrf, ticket["complete_url"], etags)
    assert done.status_code == 200 and done.get_json()["status"] != "rejected"
    assert fresh(db).get(Upload, ticket["upload_id"]).size == size


def test_parts_larger_than_declared_are_caught_at_arrival(studio, db):
    platform, web, base, csrf, _ = studio
    ticket = _start(web, base, csrf, 2 * PART + 1000).get_json()
    upload = fresh(db).get(Upload, ticket["upload_id"])
    # A storage service that ignored the signed length would let these through.
    parts = [
        platform.storage.receive_part(PartGrant(upload.staging_key, upload.multipart_id, n), [b"y" * PART])
        for n in (1, 2, 3)
    ]
    done = _complete(web, csrf, ticket["complete_url"],
                     [{"number": p.part_number, "etag": p.etag} for p in parts])
    assert done.get_json()["status"] == "rejected"
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert "instead of" in upload.problems[0]["message"]
    assert not platform.storage.exists(upload.staging_key)


def test_pending_uploads_count_against_the_quota(studio):
    _, web, base, csrf, _ = studio
    assert _start(web, base, csrf, QUOTA // 2 + 1).status_code == 201
    refused = _start(web, base, csrf, QUOTA // 2 + 1, name="second.flac")
    assert refused.status_code == 422 and "storage quota" in refused.get_json()["error"]


def test_a_ticket_works_once(studio, db):
    platform, web, base, csrf, _ = studio
    ticket = _start(web, base, csrf, 1000).get_json()
    assert _post(web, ticket["url"], ticket["fields"], b"z" * 1000).status_code == 204
    assert _complete(web, csrf, ticket["complete_url"]).status_code == 200
    again = _post(web, ticket["url"], ticket["fields"], b"z" * 1000)
    assert again.status_code == 403 and b"already been used" in again.data
    assert not platform.storage.exists(fresh(db).get(Upload, ticket["upload_id"]).staging_key)


def test_part_urls_stop_working_once_the_upload_is_complete(studio):
    _, web, base, csrf, _ = studio
    ticket = _start(web, base, csrf, 2 * PART + 1).get_json()
    etags = []
    for number, part in enumerate(ticket["parts"], 1):
        response = web.client.put(part["url"], data=b"p" * (PART if number < 3 else 1))
        etags.append({"number": number, "etag": response.headers["ETag"].strip('"')})
    assert _complete(web, csrf, ticket["complete_url"], etags).status_code == 200
    assert web.client.put(ticket["parts"][0]["url"], data=b"p" * PART).status_code == 404
