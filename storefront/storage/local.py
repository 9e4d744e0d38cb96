"""Object storage in a local directory: the embedded default for a single machine."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .interfaces import (
    MultipartPart,
    ObjectInfo,
    PendingMultipart,
    StorageHealth,
    UploadTicket,
    validate_key,
)

_META_DIR = ".meta"
_CHUNK = 1024 * 1024


class LocalStorage:
    backend_name = "local"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    # -- paths -------------------------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        validate_key(key)
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

    # -- objects -----------------------------------------------------------------------------------------
    def put(self, key: str, data: BinaryIO, *, content_type: str) -> ObjectInfo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.md5(usedforsecurity=False)
        # Write beside the target and rename, so a reader never sees half an object.
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := data.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        self._write_meta(key, content_type, digest.hexdigest())
        return self.head(key)

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.open("rb")

    def head(self, key: str) -> ObjectInfo:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        stat = path.stat()
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
        source = self._path(source_key)
        if not source.is_file():
            raise FileNotFoundError(source_key)
        meta = self._read_meta(source_key)
        with source.open("rb") as fh:
            return self.put(dest_key, fh, content_type=meta.get("content_type", "application/octet-stream"))

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        if not self.root.exists():
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            if rel_dir == _META_DIR or rel_dir.startswith(_META_DIR + "/"):
                dirnames[:] = []
                continue
            dirnames.sort()
            for name in sorted(filenames):
                if name.startswith(".part-"):
                    continue
                key = name if rel_dir == "." else f"{rel_dir}/{name}"
                if key.startswith(prefix):
                    yield self.head(key)

    # -- browser-direct transfers (the signed-token endpoint flow) -----------------------------------------
    def presign_upload(self, key: str, *, max_size: int, content_type: str, expires_in: int) -> UploadTicket:
        raise NotImplementedError("local presigned uploads arrive with the upload endpoint")

    def presign_download(
        self,
        key: str,
        *,
        expires_in: int,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
    ) -> str:
        raise NotImplementedError("local presigned downloads arrive with the download endpoint")

    def create_multipart(self, key: str, *, content_type: str) -> str:
        raise NotImplementedError

    def presign_part(self, key: str, upload_id: str, part_number: int, *, expires_in: int) -> str:
        raise NotImplementedError

    def complete_multipart(self, key: str, upload_id: str, parts: list[MultipartPart]) -> ObjectInfo:
        raise NotImplementedError

    def abort_multipart(self, key: str, upload_id: str) -> None:
        raise NotImplementedError

    def list_multipart(self, prefix: str) -> Iterator[PendingMultipart]:
        return iter(())

    def check(self) -> StorageHealth:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".health"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            return StorageHealth(ok=False, backend=self.backend_name, detail=f"{self.root}: {exc.strerror}")
        free = shutil.disk_usage(self.root).free
        return StorageHealth(ok=True, backend=self.backend_name, extra={"free_bytes": str(free)})
