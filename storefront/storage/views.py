"""HTTP endpoints through which browsers upload and download objects of the local storage backend."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from flask import Blueprint, Response, abort, current_app, redirect, request, send_file
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Field, File, MultipartDecoder
from werkzeug.wrappers import Response as BaseResponse

from .interfaces import InvalidKey
from .local import LocalStorage
from .naming import add_query, content_disposition
from .tickets import (
    MAX_PART_SIZE,
    AlreadyReceived,
    KeyTooLong,
    PolicyViolation,
    TokenRejected,
    UnusableName,
    UploadTooLarge,
    UploadTooSmall,
)

storage_blueprint = Blueprint("storage", __name__, url_prefix="/storage")

_READ_SIZE = 64 * 1024
# Form fields other than the file are a token and a few short values; anything bigger is abuse.
_MAX_FIELD_BYTES = 16 * 1024
_MAX_PARTS = 16
# The app's MAX_CONTENT_LENGTH suits forms and would refuse any real master; these endpoints enforce each
# token's own limit while streaming, so the body ceiling here only stops the absurd (S3's limits, plus room).
_UPLOAD_BODY_CEILING = 5 * 1024**3 + 1024 * 1024
_PART_BODY_CEILING = MAX_PART_SIZE
_QUOTED_FILENAME = re.compile(r'(?:^|;)\s*filename="([^"]*)"', re.IGNORECASE)


class MalformedForm(ValueError):
    """A POST body that is not the multipart/form-data a storage upload sends."""


def _storage() -> LocalStorage:
    storage = current_app.extensions.get("storefront.storage")
    if not isinstance(storage, LocalStorage):
        abort(404)
    return storage


def _refuse(status: int, code: str, message: str) -> Response:
    # Short plain-text bodies, in the spirit of S3's error documents.
    return Response(f"{code}: {message}\n", status=status, mimetype="text/plain")


class _FormStream:
    """Reads a multipart form from a stream without buffering the file: fields first, then file chunks.

    As with S3's POST uploads, the file must be the last part; anything after it is ignored.
    """

    def __init__(self, stream: IO[bytes], boundary: bytes) -> None:
        self._stream = stream
        self._decoder = MultipartDecoder(boundary, max_form_memory_size=4 * _READ_SIZE, max_parts=_MAX_PARTS)
        # The name the browser gave the file, known once `fields()` has reached the file.
        self.filename: str | None = None

    def _next(self) -> Field | File | Data | None:
        while True:
            try:
                event = self._decoder.next_event()
                if event is NEED_DATA:
                    self._decoder.receive_data(self._stream.read(_READ_SIZE) or None)
                    continue
            except (ValueError, RequestEntityTooLarge) as exc:
                raise MalformedForm(str(exc)) from exc
            if isinstance(event, Epilogue):
                return None
            if isinstance(event, Field | File | Data):
                return event

    def fields(self) -> dict[str, str]:
        """The fields before the file, names lower-cased (S3 matches form field names case-blind)."""
        fields: dict[str, str] = {}
        name: str | None = None
        value = bytearray()
        total = 0
        while (event := self._next()) is not None:
            if isinstance(event, File):
                self.filename = _sent_filename(event)
                return fields
            if isinstance(event, Field):
                name, value = event.name.lower(), bytearray()
            elif isinstance(event, Data) and name is not None:
                total += len(event.data)
                if total > _MAX_FIELD_BYTES:
                    raise MalformedForm("form fields too large")
                value += event.data
                if not event.more_data:
                    fields[name] = value.decode("utf-8", "replace")
        raise MalformedForm("no file in the form")

    def file_chunks(self) -> Iterator[bytes]:
        while (event := self._next()) is not None:
            if isinstance(event, Data):
                if event.data:
                    yield event.data
                if not event.more_data:
                    return
        raise MalformedForm("form ended inside the file")


def _sent_filename(part: File) -> str:
    """The file name exactly as the browser sent it, as S3 puts it in a `${filename}` key.

    Werkzeug's parsing drops backslashes and decodes `%22`; S3 does neither, so the quoted value is taken
    as it stands (browsers percent-encode quotes and line breaks rather than escaping them)."""
    found = _QUOTED_FILENAME.search(part.headers.get("Content-Disposition", ""))
    return found.group(1) if found else part.filename


def _body_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(_READ_SIZE):
        yield chunk


@storage_blueprint.post("/upload")
def upload() -> BaseResponse:
    storage = _storage()
    boundary = request.mimetype_params.get("boundary", "")
    if request.mimetype != "multipart/form-data" or not boundary:
        return _refuse(400, "MalformedPOSTRequest", "expected multipart/form-data")
    request.max_content_length = _UPLOAD_BODY_CEILING
    form = _FormStream(request.stream, boundary.encode("latin-1"))
    try:
        fields = form.fields()
        grant = storage.read_upload_token(fields.get("token", ""))
        info = storage.receive_upload(
            grant, fields.get("content-type"), form.file_chunks(), filename=form.filename
        )
    except (TokenRejected, InvalidKey, AlreadyReceived) as exc:
        return _refuse(403, "AccessDenied", str(exc) or "invalid token")
    except PolicyViolation as exc:
        return _refuse(403, "AccessDenied", f"Policy Condition failed: {exc}")
    except UploadTooLarge:
        return _refuse(400, "EntityTooLarge", "the upload exceeds the maximum allowed size")
    except UploadTooSmall:
        return _refuse(400, "EntityTooSmall", "the upload is empty")
    except KeyTooLong:
        return _refuse(
            400, "KeyTooLongError", "the file's name is too long; rename the file and send it again"
        )
    except UnusableName:
        return _refuse(
            400, "InvalidArgument", "the file's name cannot be stored here; rename the file and send it again"
        )
    except MalformedForm as exc:
        return _refuse(400, "MalformedPOSTRequest", str(exc))
    if grant.success_redirect:
        # As S3 does for form uploads: send the browser on, telling the page which object arrived.
        return redirect(add_query(grant.success_redirect, key=info.key, etag=f'"{info.etag}"'), code=303)
    return Response(status=204)


@storage_blueprint.put("/part/<token>")
def upload_part(token: str) -> Response:
    storage = _storage()
    request.max_content_length = _PART_BODY_CEILING
    try:
        grant = storage.read_part_token(token)
        part = storage.receive_part(grant, _body_chunks(request.stream))
    except (TokenRejected, InvalidKey) as exc:
        return _refuse(403, "AccessDenied", str(exc) or "invalid token")
    except FileNotFoundError:
        return _refuse(404, "NoSuchUpload", "the multipart upload does not exist")
    except UploadTooLarge:
        return _refuse(400, "EntityTooLarge", "the part exceeds the size its upload declared")
    except UploadTooSmall:
        return _refuse(400, "IncompleteBody", "the part is shorter than its upload declared")
    response = Response(status=200)
    response.headers["ETag"] = f'"{part.etag}"'
    return response


@storage_blueprint.get("/o/<token>")
def download(token: str) -> Response:
    storage = _storage()
    try:
        grant = storage.read_download_token(token)
        info = storage.head(grant.key)
        path = storage.object_path(grant.key)
    except (TokenRejected, InvalidKey) as exc:
        return _refuse(403, "AccessDenied", str(exc) or "invalid token")
    except FileNotFoundError:
        return _refuse(404, "NoSuchKey", "the object does not exist")
    # send_file streams from disk and answers Range and conditional requests (206, 304, 416).
    response = send_file(
        path,
        mimetype=grant.content_type or info.content_type,
        etag=info.etag or True,
        last_modified=info.last_modified,
        conditional=True,
        max_age=None,
    )
    response.headers["Content-Disposition"] = content_disposition(grant.filename, grant.inline)
    # Uploaded bytes are served from the app's own origin: never let a browser run them as a page.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.cache_control.no_cache = None
    response.cache_control.private = True
    return response
