"""The object-storage contract every backend (local directory, S3-compatible) fulfils.

The database stores keys, never URLs. A missing object is always `FileNotFoundError`, whatever the backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    content_type: str
    etag: str = ""
    last_modified: datetime | None = None


@dataclass(frozen=True)
class UploadTicket:
    """What a browser needs to send one file straight to storage with an HTML form POST.

    `url` receives a multipart/form-data POST of `fields` followed by the file in a field named `file`.
    The backend refuses a body outside the size range, a key outside `key`, or another content type.
    """

    url: str
    fields: dict[str, str]
    key: str
    max_size: int
    content_type: str
    expires_at: datetime


@dataclass(frozen=True)
class MultipartPart:
    part_number: int
    etag: str


@dataclass(frozen=True)
class PendingMultipart:
    key: str
    upload_id: str
    initiated: datetime | None = None


@dataclass
class StorageHealth:
    ok: bool
    backend: str
    detail: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class ObjectStorage(Protocol):
    """Byte storage addressed by key. Keys are `/`-separated and never start with `/` or contain `..`."""

    backend_name: str

    def put(self, key: str, data: BinaryIO, *, content_type: str) -> ObjectInfo: ...

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the whole object; the caller closes it."""
        ...

    def head(self, key: str) -> ObjectInfo: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Deleting a missing object is not an error."""
        ...

    def copy(self, source_key: str, dest_key: str) -> ObjectInfo: ...

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]: ...

    def presign_upload(
        self,
        key: str,
        *,
        max_size: int,
        content_type: str,
        expires_in: int,
        success_redirect: str | None = None,
    ) -> UploadTicket:
        """`success_redirect`: where storage sends the browser (303, with `key` and `etag` added to the query)
        after a plain HTML form upload, so a page without JavaScript can carry on.

        A `key` ending in `FILENAME_VARIABLE` lets the object land at that prefix followed by the name the
        browser gave the file, as S3 substitutes it (raw); the ticket then allows any key under the prefix.
        """
        ...

    def reported_key(self, key: str) -> str | None:
        """Our key for the `key` storage put in a form upload's redirect, None if it is not one of ours.

        S3 reports the object's whole key in the bucket, so a backend with a key prefix takes it off."""
        ...

    def presign_download(
        self,
        key: str,
        *,
        expires_in: int,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
    ) -> str: ...

    def create_multipart(self, key: str, *, content_type: str) -> str: ...

    def presign_part(
        self, key: str, upload_id: str, part_number: int, *, expires_in: int, size: int | None = None
    ) -> str:
        """A URL for one PUT of part `part_number`; with `size`, a body of any other length is refused."""
        ...

    def complete_multipart(self, key: str, upload_id: str, parts: list[MultipartPart]) -> ObjectInfo: ...

    def abort_multipart(self, key: str, upload_id: str) -> None: ...

    def list_multipart(self, prefix: str) -> Iterator[PendingMultipart]: ...

    def check(self) -> StorageHealth: ...


# In a presigned POST's key, replaced by storage with the uploaded file's own name (S3's `${filename}`).
FILENAME_VARIABLE = "${filename}"


class InvalidPart(ValueError):
    """A multipart completion naming a part that was never uploaded, or with another ETag."""


class InvalidKey(ValueError):
    """A key that could escape its prefix or the storage root."""


def validate_key(key: str) -> str:
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise InvalidKey(f"invalid storage key: {key!r}")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return key
