"""The local backend's browser endpoints: signed-token uploads, parts and ranged downloads over HTTP."""

from __future__ import annotations

import io
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storefront.storage.local import LocalStorage
from tests.unit.storage.contract import BrowserContract, FakeClock

MiB = 1024 * 1024


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def ticket_fields(
    storage: LocalStorage, key: str = "staging/u1/master.flac", max_size: int = 100
) -> dict[str, str]:
    return storage.presign_upload(key, max_size=max_size, content_type="audio/flac", expires_in=60).fields


def post(
    client: FlaskClient, fields: dict[str, str], body: bytes, file_type: str = "audio/flac"
) -> tuple[int, str]:
    data: dict[str, object] = {**fields, "file": (io.BytesIO(body), "song.flac", file_type)}
    with client.post("/storage/upload", data=data, content_type="multipart/form-data") as response:
        return response.status_code, response.get_data(as_text=True)


def form_body(parts: list[tuple[str, str | bytes]]) -> tuple[str, bytes]:
    """A multipart/form-data body with its parts in exactly the given order; bytes values are files."""
    boundary = "----velvet-test-boundary"
    out = bytearray()
    for name, value in parts:
        out += f"--{boundary}\r\n".encode()
        if isinstance(value, bytes):
            out += f'Content-Disposition: form-data; name="{name}"; filename="a.flac"\r\n'.encode()
            out += b"Content-Type: audio/flac\r\n\r\n" + value + b"\r\n"
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    out += f"--{boundary}--\r\n".encode()
    return boundary, bytes(out)


def post_raw(client: FlaskClient, boundary: str, body: io.IOBase | io.BytesIO, length: int) -> int:
    response = client.post(
        "/storage/upload",
        input_stream=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        content_length=length,
    )
    with response:
        return response.status_code


class TestLocalBrowserContract(BrowserContract):
    pass


# -- uploads -------------------------------------------------------------------------------------------------
def test_upload_of_exactly_max_size_lands_at_the_key(client: FlaskClient, storage: LocalStorage) -> None:
    status, _ = post(client, ticket_fields(storage, max_size=100), b"x" * 100)
    assert status == 204
    assert storage.head("staging/u1/master.flac").size == 100


def test_oversize_upload_is_refused_and_leaves_nothing(client: FlaskClient, storage: LocalStorage) -> None:
    status, text = post(client, ticket_fields(storage, max_size=100), b"x" * 101)
    assert (status, text) == (400, "EntityTooLarge: the upload exceeds the maximum allowed size\n")
    assert files_under(storage.root) == []


def test_oversize_is_refused_while_streaming(client: FlaskClient, storage: LocalStorage) -> None:
    boundary, body = form_body([*ticket_fields(storage, max_size=MiB).items(), ("file", b"x" * 10 * MiB)])
    stream = io.BytesIO(body)
    assert post_raw(client, boundary, stream, len(body)) == 400
    # The refusal came after about 1 MiB of a 10 MiB body, not after reading it all.
    assert stream.tell() < 2 * MiB
    assert files_under(storage.root) == []


def test_upload_is_streamed_not_held_in_memory(client: FlaskClient, storage: LocalStorage) -> None:
    size = 24 * MiB
    boundary, body = form_body([*ticket_fields(storage, max_size=size).items(), ("file", os.urandom(size))])
    stream = io.BytesIO(body)
    tracemalloc.start()
    try:
        status = post_raw(client, boundary, stream, len(body))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 204
    assert storage.head("staging/u1/master.flac").size == size
    assert peak < 4 * MiB


def test_empty_file_is_refused(client: FlaskClient, storage: LocalStorage) -> None:
    assert post(client, ticket_fields(storage), b"")[0] == 400
    assert files_under(storage.root) == []


def test_wrong_content_type_is_refused(client: FlaskClient, storage: LocalStorage) -> None:
    fields = {**ticket_fields(storage), "Content-Type": "text/html"}
    status, text = post(client, fields, b"<script>alert(1)</script>", file_type="text/html")
    assert status == 403
    assert "Policy Condition failed" in text
    assert files_under(storage.root) == []


def test_missing_content_type_field_is_refused(client: FlaskClient, storage: LocalStorage) -> None:
    fields = {"token": ticket_fields(storage)["token"]}
    assert post(client, fields, b"abc")[0] == 403


def test_the_file_part_type_does_not_matter(client: FlaskClient, storage: LocalStorage) -> None:
    # Browsers guess the file's own type from its extension; the ticket's form field is what counts.
    assert post(client, ticket_fields(storage), b"abc", file_type="audio/x-flac")[0] == 204
    assert storage.head("staging/u1/master.flac").content_type == "audio/flac"


def test_expired_token_is_refused(client: FlaskClient, storage: LocalStorage, clock: FakeClock) -> None:
    fields = ticket_fields(storage)
    clock.now += 61
    status, text = post(client, fields, b"abc")
    assert (status, text) == (403, "AccessDenied: token has expired\n")
    assert files_under(storage.root) == []


def test_tampered_token_is_refused(client: FlaskClient, storage: LocalStorage) -> None:
    fields = ticket_fields(storage, max_size=10)
    # Raise the size limit inside the signed payload of another ticket: the signature no longer matches.
    other = ticket_fields(storage, max_size=10**9)["token"]
    forged = other.split(".")[0] + "." + ".".join(fields["token"].split(".")[1:])
    assert post(client, {**fields, "token": forged}, b"x" * 11)[0] == 403
    assert post(client, {**fields, "token": fields["token"][:-3] + "AAA"}, b"x")[0] == 403
    assert post(client, {**fields, "token": ""}, b"x")[0] == 403
    assert files_under(storage.root) == []


def test_download_token_cannot_upload(client: FlaskClient, storage: LocalStorage) -> None:
    url = storage.presign_download("staging/u1/master.flac", expires_in=60)
    fields = {"token": url.rsplit("/", 1)[1], "Content-Type": "audio/flac"}
    assert post(client, fields, b"abc")[0] == 403
    assert files_under(storage.root) == []


def test_upload_token_cannot_download(client: FlaskClient, storage: LocalStorage) -> None:
    storage.put("staging/u1/master.flac", io.BytesIO(b"abc"), content_type="audio/flac")
    with client.get(f"/storage/o/{ticket_fields(storage)['token']}") as response:
        assert response.status_code == 403


def test_fields_after_the_file_do_not_count(client: FlaskClient, storage: LocalStorage) -> None:
    fields = ticket_fields(storage)
    boundary, body = form_body([("file", b"abc"), *fields.items()])
    assert post_raw(client, boundary, io.BytesIO(body), len(body)) == 403
    assert files_under(storage.root) == []
    # ...whereas the same parts with the file last are accepted.
    boundary, body = form_body([*fields.items(), ("file", b"abc")])
    assert post_raw(client, boundary, io.BytesIO(body), len(body)) == 204


def test_a_non_form_body_is_refused(client: FlaskClient, storage: LocalStorage) -> None:
    with client.post("/storage/upload", data=b"raw", content_type="application/octet-stream") as response:
        assert response.status_code == 400


# -- parts ---------------------------------------------------------------------------------------------------
def test_part_put_returns_a_quoted_etag(client: FlaskClient, storage: LocalStorage) -> None:
    upload_id = storage.create_multipart("u/big.wav", content_type="audio/wav")
    with client.put(storage.presign_part("u/big.wav", upload_id, 1, expires_in=60), data=b"abc") as response:
        assert response.status_code == 200
        assert response.headers["ETag"] == '"900150983cd24fb0d6963f7d28e17f72"'


def test_part_put_after_abort_or_with_bad_token(client: FlaskClient, storage: LocalStorage) -> None:
    upload_id = storage.create_multipart("u/big.wav", content_type="audio/wav")
    url = storage.presign_part("u/big.wav", upload_id, 1, expires_in=60)
    with client.put(url[:-2] + "xx", data=b"abc") as response:
        assert response.status_code == 403
    storage.abort_multipart("u/big.wav", upload_id)
    with client.put(url, data=b"abc") as response:
        assert response.status_code == 404
    assert files_under(storage.root) == []


# -- downloads -----------------------------------------------------------------------------------------------
DATA = bytes(range(100))


@pytest.fixture
def track_url(storage: LocalStorage) -> str:
    storage.put("releases/1/track.flac", io.BytesIO(DATA), content_type="audio/flac")
    return storage.presign_download("releases/1/track.flac", expires_in=60, filename="Plage d'été.flac")


def test_download_whole(client: FlaskClient, storage: LocalStorage, track_url: str) -> None:
    with client.get(track_url) as response:
        assert response.status_code == 200
        assert response.get_data() == DATA
        headers = response.headers
        assert headers["Accept-Ranges"] == "bytes"
        assert headers["Content-Length"] == "100"
        assert headers["Content-Type"] == "audio/flac"
        assert headers["ETag"] == f'"{storage.head("releases/1/track.flac").etag}"'
        assert headers["Content-Disposition"] == (
            "attachment; filename=\"Plage d'ete.flac\"; filename*=UTF-8''Plage%20d%27%C3%A9t%C3%A9.flac"
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("range_header", "content_range", "body"),
    [
        ("bytes=0-9", "bytes 0-9/100", DATA[:10]),
        ("bytes=-5", "bytes 95-99/100", DATA[-5:]),
        ("bytes=10-", "bytes 10-99/100", DATA[10:]),
        ("bytes=90-200", "bytes 90-99/100", DATA[90:]),
    ],
)
def test_range_requests(
    client: FlaskClient, track_url: str, range_header: str, content_range: str, body: bytes
) -> None:
    with client.get(track_url, headers={"Range": range_header}) as response:
        assert response.status_code == 206
        assert response.headers["Content-Range"] == content_range
        assert response.headers["Content-Length"] == str(len(body))
        assert response.get_data() == body


def test_unsatisfiable_range(client: FlaskClient, track_url: str) -> None:
    with client.get(track_url, headers={"Range": "bytes=100-200"}) as response:
        assert response.status_code == 416
        assert response.headers["Content-Range"] == "bytes */100"


def test_conditional_get_and_head(client: FlaskClient, storage: LocalStorage, track_url: str) -> None:
    etag = storage.head("releases/1/track.flac").etag
    with client.get(track_url, headers={"If-None-Match": f'"{etag}"'}) as response:
        assert response.status_code == 304
    with client.head(track_url) as response:
        assert (response.status_code, response.headers["Content-Length"]) == (200, "100")
        assert response.get_data() == b""


def test_download_refusals(
    client: FlaskClient, storage: LocalStorage, clock: FakeClock, track_url: str
) -> None:
    with client.get(track_url[:-4] + "AAAA") as response:
        assert response.status_code == 403
    with client.get(storage.presign_download("releases/1/absent.flac", expires_in=60)) as response:
        assert response.status_code == 404
    clock.now += 61
    with client.get(track_url) as response:
        assert (response.status_code, response.get_data()) == (403, b"AccessDenied: token has expired\n")


def test_endpoints_are_absent_without_local_storage(app: Flask, client: FlaskClient, track_url: str) -> None:
    app.extensions["storefront.storage"] = object()
    with client.get(track_url) as response:
        assert response.status_code == 404
    with client.post("/storage/upload", data={"token": "x"}) as response:
        assert response.status_code == 404
    with client.put("/storage/part/x", data=b"x") as response:
        assert response.status_code == 404


def test_the_real_app_takes_uploads_beyond_its_form_limit(make_app: Callable[[], Flask]) -> None:
    # create_app caps request bodies for forms; the storage endpoints must lift that cap for their own
    # token-bound limit, and must not need a session or a CSRF token.
    app = make_app()
    storage = app.extensions["storefront.storage"]
    assert isinstance(storage, LocalStorage)
    size = app.config["MAX_CONTENT_LENGTH"] + MiB
    boundary, body = form_body([*ticket_fields(storage, max_size=size).items(), ("file", b"x" * size)])
    assert post_raw(app.test_client(), boundary, io.BytesIO(body), len(body)) == 204
    assert storage.head("staging/u1/master.flac").size == size
    upload_id = storage.create_multipart("staging/u2/master.wav", content_type="audio/wav")
    url = storage.presign_part("staging/u2/master.wav", upload_id, 1, expires_in=60)
    with app.test_client().put(url, data=b"p" * size) as response:
        assert response.status_code == 200
