"""Streaming a stored object through the app, for small files the app serves itself (pictures)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, abort, stream_with_context

from ..storage.interfaces import ObjectStorage


def stream_object(
    storage: ObjectStorage, key: str, mimetype: str, *, max_age: int, private: bool = False
) -> Response:
    try:
        stream = storage.open(key)
    except FileNotFoundError:
        abort(404)

    def chunks() -> Iterator[bytes]:
        with stream:
            while chunk := stream.read(64 * 1024):
                yield chunk

    response = Response(stream_with_context(chunks()), mimetype=mimetype)
    response.headers["Cache-Control"] = f"{'private' if private else 'public'}, max-age={max_age}"
    return response
