"""Behaviour every storage backend shares: subclass a contract and provide its fixtures to run it."""

from __future__ import annotations

import hashlib
import io
import os
import time
from typing import Protocol

import pytest

from storefront.storage.interfaces import FILENAME_VARIABLE, InvalidKey, MultipartPart, ObjectStorage

MiB = 1024 * 1024


class FakeClock:
    """A clock tests move by hand, so expiry is tested without sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Browser(Protocol):
    """What a web page does with the URLs a backend hands out, spoken over each backend's transport."""

    def post_form(
        self, url: str, fields: dict[str, str], *, filename: str, body: bytes, content_type: str
    ) -> tuple[int, str]: ...

    def put(self, url: str, body: bytes) -> tuple[int, dict[str, str]]: ...

    def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]: ...


def _put_bytes(storage: ObjectStorage, key: str, data: bytes, content_type: str = "audio/flac") -> None:
    storage.put(key, io.BytesIO(data), content_type=content_type)


class ObjectContract:
    """Object operations through the Python API. Needs a `storage` fixture with no objects in it."""

    def test_put_then_open_head_exists(self, storage: ObjectStorage) -> None:
        data = os.urandom(3000)
        info = storage.put("releases/1/master.flac", io.BytesIO(data), content_type="audio/flac")
        assert (info.key, info.size, info.content_type) == ("releases/1/master.flac", 3000, "audio/flac")
        assert info.last_modified is not None
        with storage.open("releases/1/master.flac") as fh:
            assert fh.read() == data
        head = storage.head("releases/1/master.flac")
        assert (head.size, head.content_type, head.etag) == (3000, "audio/flac", info.etag)
        assert storage.exists("releases/1/master.flac")

    def test_open_reads_in_pieces(self, storage: ObjectStorage) -> None:
        data = os.urandom(2 * MiB + 5)
        _put_bytes(storage, "big.bin", data)
        with storage.open("big.bin") as fh:
            pieces = list(iter(lambda: fh.read(MiB), b""))
        assert [len(piece) for piece in pieces] == [MiB, MiB, 5]
        assert b"".join(pieces) == data

    def test_missing_objects_are_file_not_found(self, storage: ObjectStorage) -> None:
        with pytest.raises(FileNotFoundError):
            storage.open("nope/missing.flac")
        with pytest.raises(FileNotFoundError):
            storage.head("nope/missing.flac")
        with pytest.raises(FileNotFoundError):
            storage.copy("nope/missing.flac", "nope/copy.flac")
        assert not storage.exists("nope/missing.flac")
        storage.delete("nope/missing.flac")  # deleting what is not there is fine

    def test_put_replaces(self, storage: ObjectStorage) -> None:
        _put_bytes(storage, "a/cover.jpg", b"first", "image/jpeg")
        _put_bytes(storage, "a/cover.jpg", b"second!", "image/png")
        with storage.open("a/cover.jpg") as fh:
            assert fh.read() == b"second!"
        assert storage.head("a/cover.jpg").content_type == "image/png"

    def test_delete(self, storage: ObjectStorage) -> None:
        _put_bytes(storage, "a/b.flac", b"x")
        storage.delete("a/b.flac")
        assert not storage.exists("a/b.flac")
        assert [info.key for info in storage.list_objects("a/")] == []

    def test_copy_keeps_bytes_and_content_type(self, storage: ObjectStorage) -> None:
        _put_bytes(storage, "staging/u1/master.wav", b"RIFF....WAVE", "audio/wav")
        info = storage.copy("staging/u1/master.wav", "releases/9/master.wav")
        assert (info.key, info.size, info.content_type) == ("releases/9/master.wav", 12, "audio/wav")
        with storage.open("releases/9/master.wav") as fh:
            assert fh.read() == b"RIFF....WAVE"
        assert storage.exists("staging/u1/master.wav")

    def test_list_objects_by_prefix(self, storage: ObjectStorage) -> None:
        for key in ("r/1/a.flac", "r/1/b.flac", "r/10/c.flac", "s/d.flac"):
            _put_bytes(storage, key, key.encode())
        assert sorted(i.key for i in storage.list_objects("r/1/")) == ["r/1/a.flac", "r/1/b.flac"]
        under_r1 = sorted(i.key for i in storage.list_objects("r/1"))
        assert under_r1 == ["r/1/a.flac", "r/1/b.flac", "r/10/c.flac"]
        sizes = {i.key: i.size for i in storage.list_objects("")}
        assert sizes == {"r/1/a.flac": 10, "r/1/b.flac": 10, "r/10/c.flac": 11, "s/d.flac": 8}

    @pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "a/./b", "back\\slash", "nul\x00"])
    def test_unsafe_keys_are_refused(self, storage: ObjectStorage, key: str) -> None:
        with pytest.raises(InvalidKey):
            _put_bytes(storage, key, b"x")

    def test_multipart_list_and_abort(self, storage: ObjectStorage) -> None:
        first = storage.create_multipart("up/a/master.flac", content_type="audio/flac")
        second = storage.create_multipart("up/b/master.flac", content_type="audio/flac")
        pending = {(p.key, p.upload_id) for p in storage.list_multipart("up/")}
        assert pending == {("up/a/master.flac", first), ("up/b/master.flac", second)}
        assert [p.upload_id for p in storage.list_multipart("up/a/")] == [first]
        storage.abort_multipart("up/a/master.flac", first)
        storage.abort_multipart("up/a/master.flac", first)  # aborting twice is fine
        assert [p.upload_id for p in storage.list_multipart("up/")] == [second]
        assert not storage.exists("up/a/master.flac")
        storage.abort_multipart("up/b/master.flac", second)

    def test_completing_an_unknown_upload_is_file_not_found(self, storage: ObjectStorage) -> None:
        upload_id = storage.create_multipart("up/c.flac", content_type="audio/flac")
        storage.abort_multipart("up/c.flac", upload_id)
        with pytest.raises(FileNotFoundError):
            storage.complete_multipart("up/c.flac", upload_id, [MultipartPart(1, "0" * 32)])

    def test_check_is_ok(self, storage: ObjectStorage) -> None:
        health = storage.check()
        assert health.ok, health.detail
        assert health.backend == storage.backend_name


class BrowserContract:
    """The browser-direct flows. Needs `storage` and a `browser` that can reach the backend's URLs."""

    def test_presigned_upload_lands_at_its_key(self, storage: ObjectStorage, browser: Browser) -> None:
        body = os.urandom(1000)
        key = "staging/u7/master.flac"
        ticket = storage.presign_upload(key, max_size=1000, content_type="audio/flac", expires_in=60)
        assert (ticket.key, ticket.max_size, ticket.content_type) == (key, 1000, "audio/flac")
        status, text = browser.post_form(
            ticket.url, ticket.fields, filename="My Song.flac", body=body, content_type="audio/flac"
        )
        assert status in (200, 201, 204), text
        info = storage.head("staging/u7/master.flac")
        assert (info.size, info.content_type) == (1000, "audio/flac")
        with storage.open("staging/u7/master.flac") as fh:
            assert fh.read() == body

    @pytest.mark.parametrize("name", ["my cover.jpg", "Björk – 日本 (2024).jpg"])
    def test_a_filename_key_lands_under_the_name_the_browser_sent(
        self, storage: ObjectStorage, browser: Browser, name: str
    ) -> None:
        ticket = storage.presign_upload(
            "staging/u9/t/" + FILENAME_VARIABLE, max_size=100, content_type="image/jpeg", expires_in=60
        )
        status, text = browser.post_form(
            ticket.url, ticket.fields, filename=name, body=b"\xff\xd8jpeg", content_type="image/jpeg"
        )
        assert status in (200, 201, 204), text
        assert [o.key for o in storage.list_objects("staging/u9/")] == ["staging/u9/t/" + name]
        with storage.open("staging/u9/t/" + name) as fh:
            assert fh.read() == b"\xff\xd8jpeg"

    def test_multipart_through_presigned_parts(self, storage: ObjectStorage, browser: Browser) -> None:
        data = os.urandom(12 * MiB)
        chunks = [data[: 5 * MiB], data[5 * MiB : 10 * MiB], data[10 * MiB :]]
        upload_id = storage.create_multipart("staging/u8/master.wav", content_type="audio/wav")
        parts = []
        # Parts may arrive in any order; completion orders them.
        for number in (2, 1, 3):
            url = storage.presign_part("staging/u8/master.wav", upload_id, number, expires_in=60)
            status, headers = browser.put(url, chunks[number - 1])
            assert status == 200
            parts.append(MultipartPart(part_number=number, etag=headers["etag"]))
        assert [p.upload_id for p in storage.list_multipart("staging/u8/")] == [upload_id]
        info = storage.complete_multipart("staging/u8/master.wav", upload_id, parts)
        assert (info.size, info.content_type) == (12 * MiB, "audio/wav")
        with storage.open("staging/u8/master.wav") as fh:
            assert hashlib.sha256(fh.read()).digest() == hashlib.sha256(data).digest()
        assert list(storage.list_multipart("staging/u8/")) == []

    def test_download_url_names_the_file(self, storage: ObjectStorage, browser: Browser) -> None:
        _put_bytes(storage, "releases/3/track.flac", b"fLaC-bytes")
        name = 'Björk "Jóga" / 日本.flac'
        url = storage.presign_download(
            "releases/3/track.flac", expires_in=60, filename=name, content_type="audio/flac"
        )
        status, headers, body = browser.get(url)
        assert (status, body) == (200, b"fLaC-bytes")
        assert headers["content-type"] == "audio/flac"
        assert headers["content-disposition"] == (
            "attachment; filename=\"Bjork _Joga_ _ __.flac\"; filename*=UTF-8''"
            "Bj%C3%B6rk%20%22J%C3%B3ga%22%20_%20%E6%97%A5%E6%9C%AC.flac"
        )

    def test_download_inline_keeps_stored_type(self, storage: ObjectStorage, browser: Browser) -> None:
        _put_bytes(storage, "art/cover.jpg", b"\xff\xd8jpeg", "image/jpeg")
        url = storage.presign_download("art/cover.jpg", expires_in=60, inline=True)
        status, headers, body = browser.get(url)
        assert (status, body) == (200, b"\xff\xd8jpeg")
        assert headers["content-type"] == "image/jpeg"
        assert headers["content-disposition"] == "inline"
