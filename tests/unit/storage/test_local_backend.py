"""The local-directory storage backend: the shared contract plus its signed-token transfers."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from storefront.storage.interfaces import InvalidKey, MultipartPart
from storefront.storage.local import InvalidPart, LocalStorage
from storefront.storage.tickets import (
    PartGrant,
    PolicyViolation,
    TokenRejected,
    UploadGrant,
    UploadTooLarge,
    UploadTooSmall,
)
from tests.unit.storage.contract import FakeClock, ObjectContract


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def storage(tmp_path: Path, clock: FakeClock) -> LocalStorage:
    return LocalStorage(tmp_path / "objects", secret_key="unit-test-secret", clock=clock)


def upload_grant(storage: LocalStorage, key: str = "u/m.flac", max_size: int = 10) -> UploadGrant:
    ticket = storage.presign_upload(key, max_size=max_size, content_type="audio/flac", expires_in=30)
    return storage.read_upload_token(ticket.fields["token"])


def part_grant(storage: LocalStorage, key: str, upload_id: str, number: int) -> PartGrant:
    url = storage.presign_part(key, upload_id, number, expires_in=30)
    return storage.read_part_token(url.rsplit("/", 1)[1])


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


class TestLocalContract(ObjectContract):
    pass


def test_a_secret_key_is_required(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secret key"):
        LocalStorage(tmp_path, secret_key="")


@pytest.mark.parametrize("key", [".meta/x.json", ".multipart/abc/upload.json", ".incoming/f", ".health"])
def test_internal_names_are_not_keys(storage: LocalStorage, key: str) -> None:
    with pytest.raises(InvalidKey):
        storage.put(key, io.BytesIO(b"x"), content_type="text/plain")


def test_a_symlink_cannot_lead_outside_the_root(storage: LocalStorage, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("s3cret")
    storage.root.mkdir(parents=True)
    (storage.root / "link").symlink_to(tmp_path)
    with pytest.raises(FileNotFoundError):
        storage.open("link/secret.txt")


def test_listing_hides_internal_files(storage: LocalStorage) -> None:
    storage.put("a/b.flac", io.BytesIO(b"abc"), content_type="audio/flac")
    storage.create_multipart("a/c.flac", content_type="audio/flac")
    assert [info.key for info in storage.list_objects("")] == ["a/b.flac"]


# -- tokens --------------------------------------------------------------------------------------------------
def test_upload_ticket_carries_a_token_and_the_content_type(storage: LocalStorage) -> None:
    ticket = storage.presign_upload("u/m.flac", max_size=10, content_type="audio/flac", expires_in=60)
    assert ticket.url == "/storage/upload"
    assert set(ticket.fields) == {"token", "Content-Type"}
    assert ticket.fields["Content-Type"] == "audio/flac"
    grant = storage.read_upload_token(ticket.fields["token"])
    assert (grant.key, grant.max_size, grant.content_type) == ("u/m.flac", 10, "audio/flac")


def test_url_prefix_is_configurable(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, secret_key="k", url_prefix="/files/")
    assert storage.presign_upload("a", max_size=1, content_type="x/y", expires_in=5).url == "/files/upload"
    assert storage.presign_download("a", expires_in=5).startswith("/files/o/")


def test_tokens_expire(storage: LocalStorage, clock: FakeClock) -> None:
    upload = storage.presign_upload("u/m.flac", max_size=10, content_type="audio/flac", expires_in=30)
    download = storage.presign_download("u/m.flac", expires_in=30).rsplit("/", 1)[1]
    clock.now += 29
    storage.read_upload_token(upload.fields["token"])
    storage.read_download_token(download)
    clock.now += 2
    with pytest.raises(TokenRejected, match="expired"):
        storage.read_upload_token(upload.fields["token"])
    with pytest.raises(TokenRejected, match="expired"):
        storage.read_download_token(download)


def test_tokens_serve_only_their_purpose(storage: LocalStorage) -> None:
    upload = storage.presign_upload("u/m.flac", max_size=10, content_type="audio/flac", expires_in=30)
    download = storage.presign_download("u/m.flac", expires_in=30).rsplit("/", 1)[1]
    with pytest.raises(TokenRejected):
        storage.read_download_token(upload.fields["token"])
    with pytest.raises(TokenRejected):
        storage.read_upload_token(download)
    with pytest.raises(TokenRejected):
        storage.read_part_token(download)


def test_tampered_and_foreign_tokens_are_rejected(storage: LocalStorage, tmp_path: Path) -> None:
    ticket = storage.presign_upload("u/m.flac", max_size=10, content_type="audio/flac", expires_in=30)
    token = ticket.fields["token"]
    payload, _, signature = token.rpartition(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(TokenRejected):
        storage.read_upload_token(f"{payload}.{flipped}")
    other = LocalStorage(tmp_path, secret_key="another-secret")
    with pytest.raises(TokenRejected):
        other.read_upload_token(token)


@pytest.mark.parametrize("expires_in", [0, -1, 7 * 24 * 3600 + 1])
def test_expiry_must_be_within_seven_days(storage: LocalStorage, expires_in: int) -> None:
    with pytest.raises(ValueError, match="expires_in"):
        storage.presign_download("a", expires_in=expires_in)


# -- receiving uploads -------------------------------------------------------------------------------------
def test_receive_upload_enforces_the_grant(storage: LocalStorage) -> None:
    grant = upload_grant(storage, max_size=10)
    with pytest.raises(PolicyViolation):
        storage.receive_upload(grant, "audio/mpeg", [b"abc"])
    with pytest.raises(UploadTooSmall):
        storage.receive_upload(grant, "audio/flac", [])
    info = storage.receive_upload(grant, "audio/flac", [b"12345", b"67890"])
    assert (info.size, info.content_type) == (10, "audio/flac")


def test_oversize_upload_stops_early_and_leaves_nothing(storage: LocalStorage) -> None:
    grant = upload_grant(storage, max_size=10)
    consumed: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        for chunk in (b"123456", b"789012", b"never read"):
            consumed.append(chunk)
            yield chunk

    with pytest.raises(UploadTooLarge):
        storage.receive_upload(grant, "audio/flac", chunks())
    assert consumed == [b"123456", b"789012"]
    assert files_under(storage.root) == []
    assert not storage.exists("u/m.flac")


def test_a_refused_upload_keeps_the_previous_object(storage: LocalStorage) -> None:
    storage.put("u/m.flac", io.BytesIO(b"old"), content_type="audio/flac")
    grant = upload_grant(storage, max_size=4)
    with pytest.raises(UploadTooLarge):
        storage.receive_upload(grant, "audio/flac", [b"too long"])
    with storage.open("u/m.flac") as fh:
        assert fh.read() == b"old"


# -- local multipart -----------------------------------------------------------------------------------------
def test_multipart_parts_join_in_order(storage: LocalStorage) -> None:
    upload_id = storage.create_multipart("u/big.wav", content_type="audio/wav")
    parts = []
    for number, body in ((2, b"world"), (1, b"hello ")):
        parts.append(storage.receive_part(part_grant(storage, "u/big.wav", upload_id, number), [body]))
    info = storage.complete_multipart("u/big.wav", upload_id, parts)
    assert (info.size, info.content_type) == (11, "audio/wav")
    with storage.open("u/big.wav") as fh:
        assert fh.read() == b"hello world"
    assert files_under(storage.root) == [".meta/u/big.wav.json", "u/big.wav"]


def test_multipart_completion_checks_etags(storage: LocalStorage) -> None:
    upload_id = storage.create_multipart("u/big.wav", content_type="audio/wav")
    part = storage.receive_part(part_grant(storage, "u/big.wav", upload_id, 1), [b"data"])
    with pytest.raises(InvalidPart):
        storage.complete_multipart("u/big.wav", upload_id, [MultipartPart(1, "0" * 32)])
    with pytest.raises(InvalidPart):
        storage.complete_multipart("u/big.wav", upload_id, [part, MultipartPart(2, part.etag)])
    with pytest.raises(InvalidPart):
        storage.complete_multipart("u/big.wav", upload_id, [])
    assert not storage.exists("u/big.wav")


def test_a_part_token_is_bound_to_its_upload(storage: LocalStorage) -> None:
    upload_id = storage.create_multipart("u/a.wav", content_type="audio/wav")
    with pytest.raises(FileNotFoundError):
        storage.presign_part("u/other.wav", upload_id, 1, expires_in=30)
    url = storage.presign_part("u/a.wav", upload_id, 1, expires_in=30)
    storage.abort_multipart("u/a.wav", upload_id)
    with pytest.raises(FileNotFoundError):
        storage.receive_part(storage.read_part_token(url.rsplit("/", 1)[1]), [b"late"])
    assert files_under(storage.root) == []


def test_check_reports_an_unwritable_root(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    health = LocalStorage(blocker / "objects", secret_key="k").check()
    assert not health.ok
    assert str(blocker) in health.detail


def test_put_streams_from_a_non_seekable_source(storage: LocalStorage) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"piped bytes")
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        assert storage.put("p/x.bin", pipe, content_type="application/octet-stream").size == 11
