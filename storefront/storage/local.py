"""Object storage in a local directory: the embedded default for a single machine."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .interfaces import (
    FILENAME_VARIABLE,
    InvalidKey,
    InvalidPart,
    MultipartPart,
    ObjectInfo,
    PendingMultipart,
    StorageHealth,
    UploadTicket,
    validate_key,
)
from .tickets import (
    MAX_PART_SIZE,
    AlreadyReceived,
    DownloadGrant,
    KeyTooLong,
    PartGrant,
    PolicyViolation,
    TransferTokens,
    UnusableName,
    UploadGrant,
    UploadTooLarge,
    UploadTooSmall,
)

_META_DIR = ".meta"
_MULTIPART_DIR = ".multipart"
_INCOMING_DIR = ".incoming"
_HEALTH_PROBE = ".health"
# One empty file per key a browser upload has landed at: an upload ticket works once.
_RECEIVED_DIR = ".received"
# Top-level names the backend keeps for itself; no object key may start with one of them.
_RESERVED = frozenset({_META_DIR, _MULTIPART_DIR, _INCOMING_DIR, _HEALTH_PROBE, _RECEIVED_DIR})
_CHUNK = 1024 * 1024
# The same ceiling S3 has, so code that works here does not break on S3.
MAX_KEY_BYTES = 1024
# Most file systems take 255 bytes in one name; the metadata file adds ".json" to the object's.
_MAX_NAME_BYTES = 250


class LocalStorage:
    """Objects as files under `root`; browsers transfer through the app's `/storage` endpoints.

    Presigned URLs are app URLs carrying signed, expiring tokens, so the browser flow is the same as
    with S3: a form POST for a single file, PUTs of numbered parts for a multipart upload.
    """

    backend_name = "local"

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        secret_key: str,
        url_prefix: str = "/storage",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret_key:
            raise ValueError("LocalStorage needs a secret key to sign transfer tokens")
        self.root = Path(root).resolve()
        self.tokens = TransferTokens(secret_key, url_prefix=url_prefix, clock=clock)

    # -- paths -------------------------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        validate_key(key)
        if key.split("/", 1)[0] in _RESERVED:
            raise InvalidKey(f"reserved storage key: {key!r}")
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise FileNotFoundError(key)
        return path

    def _meta_path(self, key: str) -> Path:
        validate_key(key)
        return self.root / _META_DIR / (key + ".json")

    def _write_meta(self, key: str, content_type: str, etag: str) -> None:
        meta = self._meta_path(key)
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"content_type": content_type, "etag": etag}))

    def _read_meta(self, key: str) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._meta_path(key).read_text())
        except (FileNotFoundError, ValueError):
            return {"content_type": "application/octet-stream", "etag": ""}
        return data

    def _spool(self, chunks: Iterable[bytes], dest: Path, *, max_size: int, min_size: int = 0) -> str:
        """Write `chunks` to `dest` all or nothing, refusing a size outside the range as soon as it shows.

        The bytes go to a private staging directory and are renamed into place at the end, so a reader
        never sees half an object and a refused upload leaves no trace beside its key.
        """
        incoming = self.root / _INCOMING_DIR
        incoming.mkdir(parents=True, exist_ok=True)
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=incoming, prefix="part-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_size:
                        raise UploadTooLarge(f"more than {max_size} bytes")
                    digest.update(chunk)
                    out.write(chunk)
            if size < min_size:
                raise UploadTooSmall(f"fewer than {min_size} bytes")
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, dest)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return digest.hexdigest()

    # -- objects -----------------------------------------------------------------------------------------
    def put(self, key: str, data: BinaryIO, *, content_type: str) -> ObjectInfo:
        etag = self._spool(iter(lambda: data.read(_CHUNK), b""), self._path(key), max_size=2**63)
        self._write_meta(key, content_type, etag)
        return self.head(key)

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.open("rb")

    def object_path(self, key: str) -> Path:
        """Where the object's bytes are, for serving them from disk; `FileNotFoundError` if absent."""
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path

    def head(self, key: str) -> ObjectInfo:
        stat = self.object_path(key).stat()
        meta = self._read_meta(key)
        return ObjectInfo(
            key=key,
            size=stat.st_size,
            content_type=meta.get("content_type", "application/octet-stream"),
            etag=meta.get("etag", ""),
            last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
        )

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except FileNotFoundError:
            return False

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)

    def copy(self, source_key: str, dest_key: str) -> ObjectInfo:
        content_type = self.head(source_key).content_type
        with self.open(source_key) as fh:
            return self.put(dest_key, fh, content_type=content_type)

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        if not self.root.exists():
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            if rel_dir == ".":
                dirnames[:] = [name for name in dirnames if name not in _RESERVED]
            dirnames.sort()
            for name in sorted(filenames):
                key = name if rel_dir == "." else f"{rel_dir}/{name}"
                if key.startswith(prefix) and key not in _RESERVED:
                    try:
                        yield self.head(key)
                    except FileNotFoundError:
                        continue  # deleted while we walked

    # -- transfer tokens: read back by the `/storage` endpoints ----------------------------------------------
    def read_upload_token(self, token: str) -> UploadGrant:
        return self.tokens.read_upload(token)

    def read_download_token(self, token: str) -> DownloadGrant:
        return self.tokens.read_download(token)

    def read_part_token(self, token: str) -> PartGrant:
        return self.tokens.read_part(token)

    # -- browser-direct transfers --------------------------------------------------------------------------
    def presign_upload(
        self,
        key: str,
        *,
        max_size: int,
        content_type: str,
        expires_in: int,
        success_redirect: str | None = None,
    ) -> UploadTicket:
        self._path(key)
        return self.tokens.upload_ticket(
            key,
            max_size=max_size,
            content_type=content_type,
            expires_in=expires_in,
            success_redirect=success_redirect,
        )

    def landing_key(self, grant: UploadGrant, filename: str | None) -> str:
        """Where a form upload lands: as on S3, `${filename}` becomes the name the browser sent.

        Names this directory cannot hold (a `..` part, a backslash, longer than a file name may be) are
        refused; S3 would store them under an odd key, and the app refuses those when it reads the key back.
        """
        if FILENAME_VARIABLE not in grant.key:
            return grant.key
        prefix = grant.key.split(FILENAME_VARIABLE, 1)[0]
        key = grant.key.replace(FILENAME_VARIABLE, filename or "")
        # The policy S3 applies to such a ticket: any key, as long as it starts with the prefix.
        if not key.startswith(prefix):
            raise PolicyViolation("the key does not start with the ticket's prefix")
        if len(key.encode()) > MAX_KEY_BYTES or any(
            len(part.encode()) > _MAX_NAME_BYTES for part in key.split("/")
        ):
            raise KeyTooLong("the file's name is too long for a storage key")
        try:
            self._path(key)
        except (InvalidKey, FileNotFoundError):
            raise UnusableName("the file's name cannot be part of a storage key") from None
        return key

    def receive_upload(
        self,
        grant: UploadGrant,
        declared_type: str | None,
        chunks: Iterable[bytes],
        *,
        filename: str | None = None,
    ) -> ObjectInfo:
        """Store a browser's form upload under the grant's key, enforcing the grant while it streams.

        `filename` is the name the form gave the file, for a key ending in `${filename}`."""
        if declared_type != grant.content_type:
            raise PolicyViolation("content type differs from the ticket's")
        key = self.landing_key(grant, filename)
        # Claimed before the bytes flow, so two uses of one ticket cannot both land; given back on failure.
        claim = self.root / _RECEIVED_DIR / hashlib.sha256(grant.key.encode()).hexdigest()
        claim.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            raise AlreadyReceived("this upload ticket has already been used") from None
        try:
            etag = self._spool(chunks, self._path(key), max_size=grant.max_size, min_size=1)
        except BaseException:
            claim.unlink(missing_ok=True)
            raise
        self._write_meta(key, grant.content_type, etag)
        return self.head(key)

    def reported_key(self, key: str) -> str | None:
        # The redirect names the key as the app gave it: this backend has no prefix of its own.
        return key or None

    def presign_download(
        self,
        key: str,
        *,
        expires_in: int,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
    ) -> str:
        self._path(key)
        return self.tokens.download_url(
            key, expires_in=expires_in, filename=filename, content_type=content_type, inline=inline
        )

    # -- multipart: parts are files in a per-upload directory, joined on completion -----------------------
    def _upload_dir(self, upload_id: str) -> Path:
        if not upload_id.isalnum():
            raise FileNotFoundError(upload_id)
        return self.root / _MULTIPART_DIR / upload_id

    def _read_upload(self, key: str, upload_id: str) -> dict[str, str]:
        try:
            manifest: dict[str, str] = json.loads((self._upload_dir(upload_id) / "upload.json").read_text())
        except (FileNotFoundError, ValueError) as exc:
            raise FileNotFoundError(f"{key} (upload {upload_id})") from exc
        if manifest.get("key") != key:
            raise FileNotFoundError(f"{key} (upload {upload_id})")
        return manifest

    def create_multipart(self, key: str, *, content_type: str) -> str:
        self._path(key)
        upload_id = secrets.token_hex(16)
        directory = self._upload_dir(upload_id)
        directory.mkdir(parents=True)
        manifest = {"key": key, "content_type": content_type, "initiated": datetime.now(UTC).isoformat()}
        (directory / "upload.json").write_text(json.dumps(manifest))
        return upload_id

    def presign_part(
        self, key: str, upload_id: str, part_number: int, *, expires_in: int, size: int | None = None
    ) -> str:
        url = self.tokens.part_url(key, upload_id, part_number, expires_in=expires_in, size=size)
        self._read_upload(key, upload_id)
        return url

    def receive_part(self, grant: PartGrant, chunks: Iterable[bytes]) -> MultipartPart:
        """Store one part of a pending multipart upload; uploading a part again replaces it."""
        self._read_upload(grant.key, grant.upload_id)
        directory = self._upload_dir(grant.upload_id)
        etag = self._spool(
            chunks,
            directory / f"{grant.part_number:05d}",
            max_size=grant.size or MAX_PART_SIZE,
            min_size=grant.size or 0,
        )
        (directory / f"{grant.part_number:05d}.etag").write_text(etag)
        return MultipartPart(part_number=grant.part_number, etag=etag)

    def complete_multipart(self, key: str, upload_id: str, parts: list[MultipartPart]) -> ObjectInfo:
        manifest = self._read_upload(key, upload_id)
        directory = self._upload_dir(upload_id)
        ordered = sorted(parts, key=lambda part: part.part_number)
        if not ordered:
            raise InvalidPart("a multipart upload needs at least one part")
        paths = []
        for part in ordered:
            path = directory / f"{part.part_number:05d}"
            try:
                stored_etag = (directory / f"{part.part_number:05d}.etag").read_text()
            except FileNotFoundError as exc:
                raise InvalidPart(f"part {part.part_number} was not uploaded") from exc
            if stored_etag != part.etag.strip('"'):
                raise InvalidPart(f"part {part.part_number} has another ETag")
            paths.append(path)

        def joined() -> Iterator[bytes]:
            for path in paths:
                with path.open("rb") as fh:
                    yield from iter(lambda: fh.read(_CHUNK), b"")

        etag = self._spool(joined(), self._path(key), max_size=2**63)
        self._write_meta(key, manifest["content_type"], etag)
        shutil.rmtree(directory, ignore_errors=True)
        return self.head(key)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self._read_upload(key, upload_id)
        except FileNotFoundError:
            return
        shutil.rmtree(self._upload_dir(upload_id), ignore_errors=True)

    def list_multipart(self, prefix: str) -> Iterator[PendingMultipart]:
        base = self.root / _MULTIPART_DIR
        if not base.is_dir():
            return
        for directory in sorted(base.iterdir()):
            try:
                manifest = json.loads((directory / "upload.json").read_text())
            except (OSError, ValueError):
                continue
            if manifest["key"].startswith(prefix):
                initiated = datetime.fromisoformat(manifest["initiated"])
                yield PendingMultipart(key=manifest["key"], upload_id=directory.name, initiated=initiated)

    def check(self) -> StorageHealth:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            # A name of its own per process and thread: workers probing at once must not delete each
            # other's file and report a healthy directory as broken.
            probe = self.root / _META_DIR / f"{_HEALTH_PROBE}.{os.getpid()}.{threading.get_ident()}"
            probe.parent.mkdir(exist_ok=True)
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            return StorageHealth(ok=False, backend=self.backend_name, detail=f"{self.root}: {exc.strerror}")
        free = shutil.disk_usage(self.root).free
        return StorageHealth(ok=True, backend=self.backend_name, extra={"free_bytes": str(free)})
