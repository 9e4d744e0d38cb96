"""Uploads through HTTP on the local backend: ticket, direct send to storage, arrival, validation, display."""

from __future__ import annotations

import io
import re
from html import unescape as html_unescape

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from storefront.releases.models import Release, Track, Upload, UploadStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import cover_bytes, make_release, master_bytes
from tests.helpers import fresh, text_of


class Uploader:
    """What the workspace's script does, step by step, through the test client."""

    def __init__(self, web, release_id: int, slug: str = "band") -> None:
        self.web = web
        self.base = f"/artists/{slug}/releases/{release_id}"
        self.csrf = web.token(self.base)

    def start(
        self,
        kind: str,
        filename: str,
        data: bytes,
        content_type: str,
        track_id: int | None = None,
        size: int | None = None,
    ):
        return self.web.client.post(
            f"{self.base}/uploads",
            headers={"X-CSRFToken": self.csrf},
            json={
                "kind": kind,
                "filename": filename,
                "size": len(data) if size is None else size,
                "content_type": content_type,
                "track_id": track_id,
            },
        )

    def send(self, ticket: dict, data: bytes, filename: str):
        # Encoded here as bytes: the test client would spool a large body to a temporary file it never
        # closes. Storage ignores the part's file name (the real one travels in the ticket request), so a
        # neutral one keeps names with line breaks from breaking this encoding.
        fields = {**ticket["fields"], "file": FileStorage(io.BytesIO(data), "upload")}
        boundary, body = encode_multipart(fields)
        return self.web.client.post(
            ticket["url"], data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )

    def complete(self, ticket: dict):
        return self.web.client.post(
            ticket["complete_url"], headers={"X-CSRFToken": self.csrf}, json={"parts": []}
        )

    def upload(self, kind: str, filename: str, data: bytes, content_type: str, track_id: int | None = None):
        started = self.start(kind, filename, data, content_type, track_id)
        assert started.status_code == 201, started.get_json()
        ticket = started.get_json()
        sent = self.send(ticket, data, filename)
        assert sent.status_code == 204, sent.data
        done = self.complete(ticket)
        assert done.status_code == 200, done.get_json()
        return ticket


@pytest.fixture
def band(web, db, platform):
    user = make_user(db, platform)
    artist = make_artist(db, user, slug="band")
    web.login(user.email, PASSWORD)
    return artist


def _objects(platform, prefix: str) -> list[str]:
    return [o.key for o in platform.storage.list_objects(prefix)]


def test_two_masters_and_a_cover_become_a_complete_release(web, db, platform, band, tmp_path):
    release = make_release(db, band)
    up = Uploader(web, release.id)
    up.upload("master", "01 - Harbour Lights.flac", master_bytes(tmp_path, seed=1), "audio/flac")
    up.upload(
        "master",
        "02_Low_Tide.wav",
        master_bytes(tmp_path, seed=2, suffix=".wav", bit_depth=24, sample_rate=96000),
        "audio/wav",
    )
    up.upload("artwork", "cover.jpg", cover_bytes(1600), "image/jpeg")

    release = fresh(db).get(Release, release.id)
    assert [t.title for t in release.tracks] == ["Harbour Lights", "Low Tide"]
    first, second = (t.master for t in release.tracks)
    assert first.status == UploadStatus.READY and first.info["format"] == "FLAC"
    assert second.info["sample_rate"] == 96000 and second.info["bit_depth"] == 24
    assert len(first.sha256) == 64 and first.final_key.startswith(f"releases/{band.id}/{release.id}/masters/")
    assert release.artwork is not None and release.artwork.info["width"] == 1600
    assert _objects(platform, "staging/") == []
    page = text_of(web.get(up.base + "?step=tracks"))
    assert "2 of 2" in page and "96.0 kHz" in page and "0:02" in page
    cover = web.get(f"{up.base}/artwork/350.jpg")
    assert cover.status_code == 200 and cover.mimetype == "image/jpeg"


def test_a_bad_file_is_rejected_with_its_reason_and_the_rest_stays(web, db, platform, band, tmp_path):
    release = make_release(db, band)
    up = Uploader(web, release.id)
    up.upload("master", "good.flac", master_bytes(tmp_path, seed=3), "audio/flac")
    truncated = master_bytes(tmp_path, seed=4, seconds=4, suffix=".wav")
    up.upload("master", "track 3.wav", truncated[: len(truncated) // 2], "audio/wav")

    rejected = fresh(db).scalar(select(Upload).where(Upload.original_filename == "track 3.wav"))
    assert rejected.status == UploadStatus.REJECTED
    assert rejected.problems[0]["code"] == "truncated"
    assert rejected.final_key is None
    page = text_of(web.get(up.base))
    assert "track 3.wav" in page and "ends early" in page
    good = db.scalar(select(Upload).where(Upload.original_filename == "good.flac"))
    assert good.status == UploadStatus.READY
    assert _objects(platform, "staging/") == []
    assert [o for o in _objects(platform, "releases/") if "/masters/" in o] == [good.final_key]


def test_replacing_a_master_keeps_the_tracks_details(web, db, platform, band, tmp_path):
    release = make_release(db, band, tracks=1)
    track = release.tracks[0]
    track.isrc, track.lyrics = "GBABC2400001", "words"
    from storefront.db import commit

    commit(db)
    up = Uploader(web, release.id)
    up.upload("master", "v1.flac", master_bytes(tmp_path, seed=5), "audio/flac", track_id=track.id)
    old = fresh(db).get(Track, track.id).master
    up.upload("master", "v2.flac", master_bytes(tmp_path, seed=6, seconds=3), "audio/flac", track_id=track.id)
    fresh(db)
    replaced = db.get(Upload, old.id)
    current = db.get(Track, track.id)
    assert replaced.status == UploadStatus.REPLACED
    assert current.master.original_filename == "v2.flac"
    assert (current.title, current.isrc, current.lyrics, current.position) == (
        "Song 1",
        "GBABC2400001",
        "words",
        1,
    )
    # The replaced file is kept a while (a refused replacement gives way to it), then swept away.
    assert platform.storage.exists(replaced.final_key)
    from datetime import timedelta

    from storefront.db import utcnow
    from storefront.releases.uploads.sweep import sweep

    with platform.database.transaction() as session:
        sweep(session, platform.storage, now=utcnow() + timedelta(days=31), dry_run=False)
    assert not platform.storage.exists(replaced.final_key)
    assert platform.storage.exists(current.master.final_key)


@pytest.mark.parametrize(
    ("filename", "data_kind", "code"),
    [
        ("tiny.jpg", "small", "too_small"),
        ("wide.png", "wide", "not_square"),
        ("notes.jpg", "text", "not_image"),
    ],
)
def test_bad_artwork_is_refused(web, db, platform, band, filename, data_kind, code):
    data = {
        "small": cover_bytes(800),
        "wide": cover_bytes(2000, fmt="PNG", height=1500),
        "text": b"these are my liner notes, not a picture",
    }[data_kind]
    release = make_release(db, band)
    up = Uploader(web, release.id)
    up.upload("artwork", filename, data, "image/png" if filename.endswith(".png") else "image/jpeg")
    upload = fresh(db).scalar(select(Upload))
    assert upload.status == UploadStatus.REJECTED
    assert upload.problems[0]["code"] == code, upload.problems
    assert filename in upload.problems[0]["message"]
    assert fresh(db).get(Release, release.id).artwork is None


def test_tickets_refuse_wrong_types_sizes_and_quotas(make_app, db, tmp_path):
    app = make_app(upload_quota_bytes=1_000_000, uploads_per_hour=3)
    from tests.helpers import WebClient

    platform = app.extensions["storefront"]
    user = make_user(db, platform)
    artist = make_artist(db, user, slug="band")
    release = make_release(db, artist)
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    up = Uploader(web, release.id)
    refused = up.start("master", "song.mp3", b"x" * 10, "audio/mpeg")
    assert refused.status_code == 422 and "not a FLAC, WAV, AIFF or ALAC file" in refused.get_json()["error"]
    refused = up.start("master", "huge.flac", b"", "audio/flac", size=3_000_000_000)
    assert refused.status_code == 422 and "the most we take is" in refused.get_json()["error"]
    refused = up.start("master", "big.flac", b"", "audio/flac", size=2_000_000)
    assert refused.status_code == 422 and "storage quota" in refused.get_json()["error"]
    for n in range(3):
        assert up.start("artwork", f"c{n}.jpg", b"x" * 10, "image/jpeg").status_code == 201
    refused = up.start("artwork", "c4.jpg", b"x" * 10, "image/jpeg")
    assert refused.status_code == 422 and "in the last hour" in refused.get_json()["error"]


def test_storage_refuses_a_body_larger_than_the_ticket(web, db, platform, band, tmp_path):
    release = make_release(db, band)
    up = Uploader(web, release.id)
    data = master_bytes(tmp_path, seed=7)
    ticket = up.start("master", "a.flac", data, "audio/flac", size=len(data) - 100).get_json()
    response = up.send(ticket, data, "a.flac")
    assert response.status_code == 400 and b"EntityTooLarge" in response.data
    done = up.complete(ticket)
    assert done.status_code == 409 and "did not arrive" in done.get_json()["error"]


def test_nothing_arrived_or_arrived_short(web, db, platform, band, tmp_path):
    release = make_release(db, band)
    up = Uploader(web, release.id)
    data = master_bytes(tmp_path, seed=8)
    ticket = up.start("master", "short.flac", data, "audio/flac", size=len(data) + 10).get_json()
    assert up.send(ticket, data, "short.flac").status_code == 204
    assert up.complete(ticket).get_json()["status"] == "rejected"
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert "arrived with" in upload.problems[0]["message"]
    assert _objects(platform, "staging/") == []


def test_a_storage_fault_during_the_check_ends_retryable_and_loses_nothing(web, db, platform, band, tmp_path):
    release = make_release(db, band)
    up = Uploader(web, release.id)
    real_put = platform.storage.put
    calls = {"n": 0}

    def flaky_put(key, data, *, content_type):
        calls["n"] += 1
        raise TimeoutError("storage timed out")

    platform.storage.put = flaky_put
    platform.executor.backoff_base = 0.0
    ticket = up.upload("master", "patient.flac", master_bytes(tmp_path, seed=9), "audio/flac")
    from storefront.jobs.inline import InlineDispatcher

    InlineDispatcher(platform.executor, mode="manual").drain()
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert upload.status == UploadStatus.FAILED and calls["n"] == 5
    assert "could not be checked" in upload.problems[0]["message"]
    assert platform.storage.exists(upload.staging_key)  # the artist's bytes are still there
    assert _objects(platform, "releases/") == []
    page = text_of(web.get(up.base))
    assert "Retry" in page

    platform.storage.put = real_put
    retry_url = re.search(r'action="([^"]+/retry)"', page).group(1)
    assert web.submit(up.base, action=retry_url).status_code == 302
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert upload.status == UploadStatus.READY and platform.storage.exists(upload.final_key)
    assert not platform.storage.exists(upload.staging_key)


def test_upload_without_javascript(web, db, platform, band, tmp_path):
    """The plain-form path: a form straight to storage, which sends the browser back to confirm."""
    release = make_release(db, band, tracks=1)
    track = release.tracks[0]
    base = f"/artists/band/releases/{release.id}"
    page = text_of(web.get(base))
    assert "Upload without JavaScript" in page
    choice = {"kind": "master", "track_id": str(track.id)}
    form_page = web.submit(base, choice, action=f"{base}/uploads/direct")
    assert form_page.status_code == 200
    html = text_of(form_page)
    action = re.search(r'<form method="post" action="([^"]+)" enctype', html).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    data = master_bytes(tmp_path, seed=11)
    boundary, body = encode_multipart({**fields, "file": FileStorage(io.BytesIO(data), "whatever.flac")})
    sent = web.client.post(action, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert sent.status_code == 303
    back = sent.headers["Location"].replace("http://localhost", "")
    assert back.startswith(f"{base}/uploads/") and "key=" in back
    assert "Your file arrived" in text_of(web.get(back))
    upload = fresh(db).scalar(select(Upload))
    assert upload.status == UploadStatus.AWAITING  # the redirect's GET changed nothing
    arrived = text_of(web.get(back))
    check = re.search(r'action="([^"]+/check)"', arrived).group(1)
    # The page hands on the key storage reported, as a browser posts the form's hidden fields.
    key = re.search(r'name="key" value="([^"]*)"', arrived).group(1)
    assert web.submit(back, {"key": html_unescape(key)}, action=check).status_code == 302
    upload = fresh(db).scalar(select(Upload))
    assert upload.status == UploadStatus.READY and upload.size == len(data)
    assert upload.original_filename == "whatever.flac"
    assert db.get(Track, track.id).master.id == upload.id


def test_a_grainy_full_size_cover_is_accepted(web, db, platform, band):
    from tests.factories.releases import grainy_cover_bytes

    release = make_release(db, band)
    up = Uploader(web, release.id)
    ticket = up.upload("artwork", "film grain.jpg", grainy_cover_bytes(), "image/jpeg")
    upload = fresh(db).get(Upload, ticket["upload_id"])
    assert upload.status == UploadStatus.READY, upload.problems
    assert upload.info["width"] == 3000
    assert web.get(f"{up.base}/artwork/1200.jpg").status_code == 200


def test_only_a_storage_fault_is_called_one():
    from storefront.releases.uploads.validation import StorageFault, _failure_problem

    storage = _failure_problem("“a.jpg”", StorageFault("TimeoutError"))
    ours = _failure_problem("“a.jpg”", MemoryError())
    assert "storage did not answer (TimeoutError)" in storage["message"]
    assert "storage" not in ours["message"] and "our checking step failed" in ours["message"]
