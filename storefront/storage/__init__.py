"""Object storage: the interface, and backends the app factory chooses from (`local`, `s3`)."""

from .interfaces import (
    InvalidKey,
    MultipartPart,
    ObjectInfo,
    ObjectStorage,
    PendingMultipart,
    StorageHealth,
    UploadTicket,
    validate_key,
)
from .naming import content_disposition, safe_filename

# The backends live in their own modules (`.local`, `.s3`) so importing the interface never pulls boto3.
__all__ = [
    "InvalidKey",
    "MultipartPart",
    "ObjectInfo",
    "ObjectStorage",
    "PendingMultipart",
    "StorageHealth",
    "UploadTicket",
    "content_disposition",
    "safe_filename",
    "validate_key",
]
