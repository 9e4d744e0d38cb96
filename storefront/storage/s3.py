"""Object storage on any S3-compatible service (AWS S3, SeaweedFS, MinIO, R2...) through boto3."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .interfaces import (
    InvalidPart,
    MultipartPart,
    ObjectInfo,
    PendingMultipart,
    StorageHealth,
    UploadTicket,
    validate_key,
)
from .naming import content_disposition

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef, CopySourceTypeDef

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchUpload"})
# SigV4 presigned URLs and POST policies cannot outlive seven days.
MAX_EXPIRES_IN = 7 * 24 * 3600
_TRANSFER = TransferConfig(multipart_threshold=64 * 1024 * 1024, multipart_chunksize=16 * 1024 * 1024)


def _is_missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error.get("Code", "") in _MISSING_CODES or (status == 404 and error.get("Code") != "NoSuchBucket")


def _check_expiry(expires_in: int) -> None:
    if not 0 < expires_in <= MAX_EXPIRES_IN:
        raise ValueError(f"expires_in must be between 1 and {MAX_EXPIRES_IN} seconds")


class _BodyReader(io.RawIOBase):
    """Adapts botocore's StreamingBody to a real file object, so callers can wrap or copy it like a file."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data: bytes = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Storage:
    """Objects in one bucket, under an optional key prefix; keys in and out are relative to the prefix."""

    backend_name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "",
        public_endpoint_url: str | None = None,
        client: S3Client | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 3,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.prefix = self._normalise_prefix(prefix)
        self._check_timeout = min(connect_timeout, 2.0)
        self._config = Config(
            signature_version="s3v4",
            # Path-style works everywhere; virtual hosts need DNS that self-hosted services rarely have.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # Counts the first try: max_attempts=3 is one request and at most two retries.
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            # The newer default checksums are refused by several S3-compatible services; send them only
            # where the API demands them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # One session for all our clients: it loads the S3 service model once.
        self._session = boto3.session.Session(
            region_name=region, aws_access_key_id=access_key, aws_secret_access_key=secret_key
        )
        self._client = client if client is not None else self._make_client(endpoint_url)
        # A health check must answer fast and once, not wait through the retries real work deserves;
        # its client is made on the first check.
        self._checker: S3Client | None = client
        self._checker_lock = threading.Lock()  # boto3 sessions must not make clients concurrently
        # Browsers may reach the service under another name than the app does (a proxy, a public host);
        # signatures cover the host, so URLs for browsers are signed by a client that uses that name.
        if public_endpoint_url and public_endpoint_url != endpoint_url:
            self._presigner = self._make_client(public_endpoint_url)
        else:
            self._presigner = self._client

    def _make_client(self, endpoint_url: str | None, *, quick: bool = False) -> S3Client:
        config = self._config
        if quick:
            config = config.merge(
                Config(
                    connect_timeout=self._check_timeout,
                    read_timeout=5,
                    retries={"mode": "standard", "total_max_attempts": 1},
                )
            )
        return self._session.client("s3", endpoint_url=endpoint_url, config=config)

    @staticmethod
    def _normalise_prefix(prefix: str) -> str:
        prefix = prefix.strip("/")
        return validate_key(prefix) + "/" if prefix else ""

    def _key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _strip(self, full_key: str) -> str:
        return full_key[len(self.prefix) :]

    # -- objects -----------------------------------------------------------------------------------------
    def put(self, key: str, data: BinaryIO, *, content_type: str) -> ObjectInfo:
        # The managed transfer streams any size (switching to multipart for large bodies) without
        # needing a seekable input.
        self._client.upload_fileobj(
            data, self.bucket, self._key(key), ExtraArgs={"ContentType": content_type}, Config=_TRANSFER
        )
        return self.head(key)

    def open(self, key: str) -> BinaryIO:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from exc
            raise
        return io.BufferedReader(_BodyReader(response["Body"]), buffer_size=1024 * 1024)

    def head(self, key: str) -> ObjectInfo:
        try:
            response = self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from exc
            raise
        return ObjectInfo(
            key=key,
            size=response["ContentLength"],
            content_type=response.get("ContentType", "application/octet-stream"),
            etag=response.get("ETag", "").strip('"'),
            last_modified=response.get("LastModified"),
        )

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def copy(self, source_key: str, dest_key: str) -> ObjectInfo:
        source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": self._key(source_key)}
        try:
            # Managed copy: objects over 5 GB need a multipart copy, which keeps the content type too.
            self._client.copy(source, self.bucket, self._key(dest_key), Config=_TRANSFER)
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(source_key) from exc
            raise
        return self.head(dest_key)

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        """Objects under `prefix`. A listing does not carry content types: `content_type` is empty."""
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    key=self._strip(item["Key"]),
                    size=item["Size"],
                    content_type="",
                    etag=item.get("ETag", "").strip('"'),
                    last_modified=item.get("LastModified"),
                )

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
        _check_expiry(expires_in)
        if max_size < 1:
            raise ValueError("max_size must be at least one byte")
        full_key = self._key(key)
        # boto3 adds the key condition itself: the exact key, or for a key ending in ${filename} a
        # starts-with on the prefix before it (the service substitutes the browser's file name, unchanged, so
        # whoever reads the key back must check it). The service then refuses any other key, any body
        # outside [1, max_size] bytes and any other Content-Type.
        fields: dict[str, Any] = {"Content-Type": content_type}
        conditions: list[Any] = [{"Content-Type": content_type}, ["content-length-range", 1, max_size]]
        if success_redirect:
            fields["success_action_redirect"] = success_redirect
            conditions.append({"success_action_redirect": success_redirect})
        post = self._presigner.generate_presigned_post(
            Bucket=self.bucket,
            Key=full_key,
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=expires_in,
        )
        return UploadTicket(
            url=post["url"],
            fields=dict(post["fields"]),
            key=key,
            max_size=max_size,
            content_type=content_type,
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        )

    def reported_key(self, key: str) -> str | None:
        if not key.startswith(self.prefix) or len(key) == len(self.prefix):
            return None
        return self._strip(key)

    def presign_download(
        self,
        key: str,
        *,
        expires_in: int,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
    ) -> str:
        _check_expiry(expires_in)
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "ResponseContentDisposition": content_disposition(filename, inline),
        }
        if content_type:
            params["ResponseContentType"] = content_type
        return self._presigner.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    # -- multipart -----------------------------------------------------------------------------------------
    def create_multipart(self, key: str, *, content_type: str) -> str:
        response = self._client.create_multipart_upload(
            Bucket=self.bucket, Key=self._key(key), ContentType=content_type
        )
        return response["UploadId"]

    def presign_part(
        self, key: str, upload_id: str, part_number: int, *, expires_in: int, size: int | None = None
    ) -> str:
        _check_expiry(expires_in)
        if not 1 <= part_number <= 10000:
            raise ValueError("part_number must be between 1 and 10000")
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "UploadId": upload_id,
            "PartNumber": part_number,
        }
        if size is not None:
            # Content-Length becomes a signed header: a PUT of any other length fails the signature.
            params["ContentLength"] = size
        return self._presigner.generate_presigned_url("upload_part", Params=params, ExpiresIn=expires_in)

    def complete_multipart(self, key: str, upload_id: str, parts: list[MultipartPart]) -> ObjectInfo:
        # S3 wants the parts in order and each ETag quoted, whatever the browser reported.
        completed: list[CompletedPartTypeDef] = [
            {"PartNumber": part.part_number, "ETag": '"' + part.etag.strip('"') + '"'}
            for part in sorted(parts, key=lambda part: part.part_number)
        ]
        try:
            self._client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self._key(key),
                UploadId=upload_id,
                MultipartUpload={"Parts": completed},
            )
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(f"{key} (upload {upload_id})") from exc
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall"):
                raise InvalidPart(f"{code}: the parts named do not make the object") from exc
            raise
        return self.head(key)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=self._key(key), UploadId=upload_id)
        except ClientError as exc:
            # Aborting twice, or after the upload completed, leaves nothing to clean: not an error.
            if not _is_missing(exc):
                raise

    def list_multipart(self, prefix: str) -> Iterator[PendingMultipart]:
        paginator = self._client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for upload in page.get("Uploads", []):
                yield PendingMultipart(
                    key=self._strip(upload["Key"]),
                    upload_id=upload["UploadId"],
                    initiated=upload.get("Initiated"),
                )

    def check(self) -> StorageHealth:
        extra = {"bucket": self.bucket, "endpoint": self.endpoint_url or "aws"}
        try:
            with self._checker_lock:
                if self._checker is None:
                    self._checker = self._make_client(self.endpoint_url, quick=True)
            self._checker.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            detail = f"bucket {self.bucket}: {error.get('Code', '?')} {error.get('Message', '')}".strip()
            return StorageHealth(ok=False, backend=self.backend_name, detail=detail, extra=extra)
        except BotoCoreError as exc:
            return StorageHealth(ok=False, backend=self.backend_name, detail=str(exc), extra=extra)
        return StorageHealth(ok=True, backend=self.backend_name, extra=extra)
