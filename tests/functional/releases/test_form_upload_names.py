"""Files sent without JavaScript keep their own names: storage puts each in the key, the app reads it."""

from __future__ import annotations

import io
import re
import secrets
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from storefront.db import utcnow
from storefront.releases.models import Track, Upload, UploadStatus
from storefront.releases.uploads.sweep import sweep
from storefront.storage.interfaces import ObjectInfo
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import cover_bytes, make_release, master_bytes
from tests.helpers import fresh, text_of


@pytest.fixture
def band(web, db, platform):
    user = make_user(db, platform)
    artist = make_artist(db, user, slug="band")
    web.login(user.email, PASSWORD)
    return artist


def browser_encoded(name: str) -> str:
    """A file name as browsers write it into a form's Content-Disposition (HTML standard)."""
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def form_body(fields: dict[str, str], filename: str, data: bytes) -> tuple[str, bytes]:
    """The form's fields, then the file under `filename` exactly as given (a browser's or a crafted one)."""
    boundary = "----form" + secrets.token_hex(8)
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return boundary, body


class FormSender:
    """What a browser without JavaScript does: ask for the form, send the file to storage, confirm."""

    def __init__(self, web, release_id: int) -> None:
        self.web = web
        self.base = f"/artists/band/releases/{release_id}"

    def ticket(self, kind: str, track_id: int | None = None) -> tuple[str, dict[str, str]]:
        choice = {"kind": kind, **({"track_id": str(track_id)} if track_id else {})}
        page = text_of(self.web.submit(self.base, choice, action=f"{self.base}/uploads/direct"))
        action = re.search(r'<form method="post" action="([^"]+)" enctype', page).group(1)
        fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
        return unescape(action), {name: unescape(value) for name, value in fields}

    def send(self, ticket: tuple[str, dict[str, str]], filename: str, data: bytes):
        boundary, body = form_body(ticket[1], filename, data)
        return self.web.client.post(
            ticket[0], data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )

    def confirm(self, sent) -> str:
        """Follow storage's redirect and press the button on the page it leads to; the page's text."""
        assert sent.status_code == 303, sent.get_data(as_text=True)
        back = sent.headers["Location"].replace("http://localhost", "")
        page = text_of(self.web.get(back))
        action = re.search(r'action="([^"]+/check)"', page).group(1)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
        fields = {name: unescape(value) for name, value in fields.items() if name != "csrf_token"}
        assert self.web.submit(back, fields, action=action).status_code == 302
        return page


def _only_upload(db) -> Upload:
    return fresh(db).scalar(select(Upload))


def test_a_small_cover_sent_without_javascript_is_named_in_every_message(web, db, platform, band):
    release = make_release(db, band)
    sender = FormSender(web, release.id)
    sent = sender.send(sender.ticket("artwork"), browser_encoded("my cover.jpg"), cover_bytes(300))
    arrived = sender.confirm(sent)
    assert "“my cover.jpg” is in storage" in arrived
    upload = _only_upload(db)
    assert upload.original_filename == "my cover.jpg"
    assert upload.staging_key.endswith("/my cover.jpg")
    assert upload.status == UploadStatus.REJECTED
    message = upload.problems[0]["message"]
    assert "“my cover.jpg” is 300 x 300 pixels" in message and "Cover" not in message
    workspace = text_of(web.get(sender.base + "?step=tracks"))
    assert "my cover.jpg" in workspace and "“Cover”" not in workspace


def test_a_master_sent_without_javascript_names_its_new_track(web, db, platform, band, tmp_path):
    release = make_release(db, band)
    sender = FormSender(web, release.id)
    sent = sender.send(sender.ticket("master"), "03 - Harbour Song.flac", master_bytes(tmp_path, seed=4))
    sender.confirm(sent)
    upload = _only_upload(db)
    assert upload.status == UploadStatus.READY, upload.problems
    assert upload.original_filename == "03 - Harbour Song.flac"
    assert fresh(db).get(Track, upload.track_id).title == "Harbour Song"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('say "hi"\n.jpg', 'say "hi" .jpg'),
        ("cover\u202egpj.jpg", "covergpj.jpg"),  # a right-to-left override would disguise the extension
        ("Bjo\u0308rk – 日本のカバー.jpg", "Björk – 日本のカバー.jpg"),
        ("x" * 200 + ".jpg", "x" * 115 + "….jpg"),
        ("${filename}.jpg", "${filename}.jpg"),
    ],
)
def test_names_browsers_send_are_kept_safely(web, db, platform, band, name, shown):
    release = make_release(db, band)
    sender = FormSender(web, release.id)
    sender.confirm(sender.send(sender.ticket("artwork"), browser_encoded(name), cover_bytes(300)))
    upload = _only_upload(db)
    assert upload.original_filename == shown
    assert f"“{shown}” is 300 x 300 pixels" in upload.problems[0]["message"]


@pytest.mark.parametrize("name", ["../../../escape.jpg", "..", "a\\b.jpg", "é" * 140 + ".jpg"])
def test_storage_refuses_names_it_cannot_hold_and_the_ticket_still_works(web, db, platform, band, name):
    release = make_release(db, band)
    sender = FormSender(web, release.id)
    ticket = sender.ticket("artwork")
    refused = sender.send(ticket, name, cover_bytes(300))
    assert refused.status_code == 400, refused.get_data(as_text=True)
    assert b"rename the file" in refused.data
    assert not (platform.storage.root / "escape.jpg").exists()
    assert [o.key for o in platform.storage.list_objects("")] == []
    # The ticket was not used up: the same form with a renamed file goes through.
    sender.confirm(sender.send(ticket, "renamed.jpg", cover_bytes(300)))
    assert _only_upload(db).original_filename == "renamed.jpg"


def test_a_name_with_a_slash_is_refused_and_what_arrived_is_deleted(web, db, platform, band):
    release = make_release(db, band)
    sender = FormSender(web, release.id)
    sent = sender.send(sender.ticket("artwork"), "covers/front.jpg", cover_bytes(300))
    assert "covers%2Ffront.jpg" in sent.headers["Location"]
    sender.confirm(sent)
    upload = _only_upload(db)
    assert upload.status == UploadStatus.REJECTED
    assert "arrived under a name we cannot keep" in upload.problems[0]["message"]
    assert [o.key for o in platform.storage.list_objects("staging/")] == []


def test_a_key_from_outside_the_ticket_is_refused_and_left_alone(web, db, platform, band):
    release = make_release(db, band)
    sender = FormSender(web, release.id)
    sent = sender.send(sender.ticket("artwork"), "mine.jpg", cover_bytes(300))
    first_key = parse_qs(urlsplit(sent.headers["Location"]).query)["key"][0]
    sender.ticket("artwork")
    first, second = fresh(db).scalars(select(Upload).order_by(Upload.id))
    # A hand-made confirmation of the second ticket naming the first file's key.
    check = f"{sender.base}/uploads/{second.id}/check"
    assert web.submit(sender.base, {"key": first_key}, action=check).status_code == 302
    first, second = fresh(db).get(Upload, first.id), fresh(db).get(Upload, second.id)
    assert second.status == UploadStatus.REJECTED and second.original_filename == "Cover"
    assert first.status == UploadStatus.AWAITING
    assert platform.storage.exists(first_key)


def test_the_sweep_keeps_a_file_waiting_for_its_confirmation_and_clears_it_once_abandoned(
    web, db, platform, band
):
    release = make_release(db, band)
    sender = FormSender(web, release.id)
    assert sender.send(sender.ticket("artwork"), "waiting.jpg", cover_bytes(300)).status_code == 303
    [landed] = [o.key for o in platform.storage.list_objects("staging/")]
    assert landed.endswith("/waiting.jpg")
    with platform.database.transaction() as session:
        # Past the grace period for objects, but the ticket could still be confirmed.
        report = sweep(session, platform.storage, now=utcnow() + timedelta(minutes=90), dry_run=False)
    assert "orphan_objects" not in report.counts
    assert platform.storage.exists(landed)
    with platform.database.transaction() as session:
        report = sweep(session, platform.storage, now=utcnow() + timedelta(hours=3), dry_run=False)
    assert report.counts.get("abandoned_uploads") == 1
    assert not platform.storage.exists(landed)
    assert _only_upload(db).status == UploadStatus.REJECTED


class WithCraftedKey:
    """The storage as S3 looks after a crafted form upload: one listed key no backend method accepts."""

    def __init__(self, real) -> None:
        self.real = real
        self.crafted = ObjectInfo(key="staging/1/2/t/../../x.jpg", size=3, content_type="")

    def list_objects(self, prefix: str):
        yield from self.real.list_objects(prefix)
        if self.crafted.key.startswith(prefix):
            yield self.crafted

    def __getattr__(self, name: str):
        return getattr(self.real, name)


def test_the_sweep_reports_a_key_it_cannot_address_and_carries_on(web, db, platform, band):
    platform.storage.put("staging/9/9/stray", io.BytesIO(b"left"), content_type="image/jpeg")
    with platform.database.transaction() as session:
        later = utcnow() + timedelta(hours=2)
        report = sweep(session, WithCraftedKey(platform.storage), now=later, dry_run=False)
    assert report.counts == {"orphan_objects": 1, "unsafe_keys": 1}
    assert "staging/1/2/t/../../x.jpg" in " ".join(report.lines)
    assert not platform.storage.exists("staging/9/9/stray")
