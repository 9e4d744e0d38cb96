"""Signed, expiring transfer tokens: how the local backend lets a browser transfer through the app.

Each token names one object and one purpose (a form upload, a download, one part of a multipart upload);
the `/storage` endpoints read it back and act only within what it grants. S3 signs its own URLs instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from .interfaces import UploadTicket, validate_key

# The same ceilings S3 has, so code that works here does not break on S3.
MAX_EXPIRES_IN = 7 * 24 * 3600
MAX_PART_SIZE = 5 * 1024**3
_SALTS = {"upload": "storage.upload", "download": "storage.download", "part": "storage.part"}


class TokenRejected(PermissionError):
    """A transfer token that is tampered with, expired, or made for another purpose."""


class PolicyViolation(PermissionError):
    """A browser upload that breaks its ticket's conditions (another content type)."""


class UploadTooLarge(ValueError):
    """More bytes than the ticket allows; nothing was kept."""


class UploadTooSmall(ValueError):
    """An empty upload, or a part shorter than its ticket says; nothing was kept."""


class AlreadyReceived(PermissionError):
    """An upload ticket used a second time: its upload has already arrived."""


class KeyTooLong(ValueError):
    """A form upload whose file name makes a key longer than S3 or this directory allows."""


class UnusableName(ValueError):
    """A form upload whose file name cannot be part of a key here (a `..` part, a backslash, NUL)."""


@dataclass(frozen=True)
class UploadGrant:
    key: str
    max_size: int
    content_type: str
    success_redirect: str | None = None


@dataclass(frozen=True)
class DownloadGrant:
    key: str
    filename: str | None
    content_type: str | None
    inline: bool


@dataclass(frozen=True)
class PartGrant:
    key: str
    upload_id: str
    part_number: int
    # The part's exact size when the ticket fixed one, so no part carries more than was declared.
    size: int | None = None


class TransferTokens:
    """Makes the URLs a browser transfers through and reads their tokens back. Keys are checked by the
    storage before it asks for a token; here only the purpose, the signature and the time are."""

    def __init__(self, secret_key: str, *, url_prefix: str, clock: Callable[[], float] = time.time) -> None:
        self.url_prefix = url_prefix.rstrip("/")
        self._clock = clock
        self._serializers = {
            purpose: URLSafeTimedSerializer(secret_key, salt=salt) for purpose, salt in _SALTS.items()
        }

    def _sign(self, purpose: str, payload: dict[str, Any], expires_in: int) -> str:
        if not 0 < expires_in <= MAX_EXPIRES_IN:
            raise ValueError(f"expires_in must be between 1 and {MAX_EXPIRES_IN} seconds")
        token: str = self._serializers[purpose].dumps({**payload, "exp": self._clock() + expires_in})
        return token

    def _verify(self, purpose: str, token: str) -> dict[str, Any]:
        try:
            # The signed timestamp caps any token's life even if the clock we were given drifts.
            payload = self._serializers[purpose].loads(token, max_age=MAX_EXPIRES_IN)
        except BadSignature as exc:
            raise TokenRejected("invalid token") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int | float):
            raise TokenRejected("invalid token")
        if payload["exp"] < self._clock():
            raise TokenRejected("token has expired")
        return payload

    # -- making -------------------------------------------------------------------------------------------
    def upload_ticket(
        self, key: str, *, max_size: int, content_type: str, expires_in: int, success_redirect: str | None
    ) -> UploadTicket:
        if max_size < 1:
            raise ValueError("max_size must be at least one byte")
        payload: dict[str, Any] = {"key": key, "max": max_size, "type": content_type}
        if success_redirect:
            payload["redirect"] = success_redirect
        token = self._sign("upload", payload, expires_in)
        return UploadTicket(
            url=f"{self.url_prefix}/upload",
            fields={"token": token, "Content-Type": content_type},
            key=key,
            max_size=max_size,
            content_type=content_type,
            expires_at=datetime.fromtimestamp(self._clock() + expires_in, tz=UTC),
        )

    def download_url(
        self, key: str, *, expires_in: int, filename: str | None, content_type: str | None, inline: bool
    ) -> str:
        payload = {"key": key, "name": filename, "type": content_type, "inl": inline}
        return f"{self.url_prefix}/o/{self._sign('download', payload, expires_in)}"

    def part_url(
        self, key: str, upload_id: str, part_number: int, *, expires_in: int, size: int | None
    ) -> str:
        if not 1 <= part_number <= 10000:
            raise ValueError("part_number must be between 1 and 10000")
        if size is not None and not 1 <= size <= MAX_PART_SIZE:
            raise ValueError(f"size must be between 1 and {MAX_PART_SIZE} bytes")
        payload: dict[str, Any] = {"key": key, "up": upload_id, "n": part_number}
        if size is not None:
            payload["size"] = size
        return f"{self.url_prefix}/part/{self._sign('part', payload, expires_in)}"

    # -- reading back -------------------------------------------------------------------------------------
    def read_upload(self, token: str) -> UploadGrant:
        p = self._verify("upload", token)
        return UploadGrant(
            key=validate_key(p["key"]),
            max_size=int(p["max"]),
            content_type=str(p["type"]),
            success_redirect=p.get("redirect"),
        )

    def read_download(self, token: str) -> DownloadGrant:
        p = self._verify("download", token)
        return DownloadGrant(
            key=validate_key(p["key"]), filename=p["name"], content_type=p["type"], inline=p["inl"]
        )

    def read_part(self, token: str) -> PartGrant:
        p = self._verify("part", token)
        size = p.get("size")
        return PartGrant(
            key=validate_key(p["key"]),
            upload_id=str(p["up"]),
            part_number=int(p["n"]),
            size=int(size) if size is not None else None,
        )
