"""“Verify a file”: a fan's file checked against the platform's signed manifests, by its hash or its audio.

The page's script hashes the file in the browser and sends only the hash; a file whose bytes match nothing
(a re-tagged FLAC) may then be sent whole so its audio is compared. Without the script the form sends the
file, bounded in size. Sending a file is rate-limited per address; it changes nothing on the site.
"""

from __future__ import annotations

import json
from contextlib import closing
from typing import Any

from flask import Blueprint, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ... import csrf
from ...db import get_session
from ...web.access import PUBLIC, access
from ...web.inputs import query_id
from ...web.ratelimit import RateLimiter, in_about, key_part, paused
from ...web.services import client_ip, find_service
from ..services import AttestationService
from ..verification import Keyring
from .files import FileDigest, digest_stream, is_sha256
from .identify import Answer, FileIdentifier

bp = Blueprint("verify_file", __name__)
# The script reads a file whole to hash it (SubtleCrypto cannot hash in pieces); larger files are hashed
# with `sha256sum` and the hash pasted instead.
BROWSER_HASH_LIMIT = 512 * 1024 * 1024
# Enough for a long hi-res track in FLAC; an album ZIP is checked by its hash.
UPLOAD_LIMIT = 200 * 1024 * 1024
# Files sent whole, per address: decoding audio costs the server a few seconds each.
UPLOADS_PER_WINDOW = (20, 3600)


def _mib(size: int) -> int:
    return size // (1024 * 1024)


def _field(name: str) -> str:
    """A field of the query or the form; only the query's when the body is refused as too large."""
    try:
        return request.values.get(name, "")
    except RequestEntityTooLarge:
        return request.args.get(name, "")


def _expected_release() -> int | None:
    raw = _field("release")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _reply(answer: Answer | None, status: int = 200, problem: str | None = None) -> Response:
    """JSON for the page's script (it sends format=json), else the page with the answer."""
    if _field("format") == "json":
        body: dict[str, Any] = answer.to_json() if answer is not None else {"problem": problem}
        if answer is not None and answer.release_id is not None:
            body["certificate_url"] = url_for("provenance.certificate_page", release_id=answer.release_id)
        response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    else:
        page = render_template(
            "provenance/verify_file.html",
            answer=answer,
            problem=problem,
            release_id=_expected_release(),
            upload_limit_mib=_mib(UPLOAD_LIMIT),
            hash_limit_mib=_mib(BROWSER_HASH_LIMIT),
        )
        response = Response(page, status=status, mimetype="text/html")
    return response


def _identify(digest: FileDigest) -> Answer:
    identifier = FileIdentifier(get_session(), find_service(AttestationService), find_service(Keyring).jwks())
    return identifier.identify(digest, expected_release=_expected_release())


@bp.get("/verify/file")
@access(PUBLIC)
def page() -> Response:
    if query_id("release") is None and request.args.get("release"):
        return _reply(None, 404, "There is no such release to check against.")
    return _reply(None)


@bp.post("/verify/file/hash")
@access(PUBLIC)
def by_hash() -> Response:
    sha256 = (request.form.get("sha256") or "").strip().lower()
    if not is_sha256(sha256):
        return _reply(None, 422, "A SHA-256 hash is 64 characters, 0–9 and a–f, as `sha256sum` prints it.")
    return _reply(_identify(FileDigest(request.form.get("name") or "your file", sha256)))


@bp.post("/verify/file/upload")
@access(PUBLIC)
def by_upload() -> Response:
    limiter = find_service(RateLimiter)
    verdict = limiter.hit_with(limiter.item(*UPLOADS_PER_WINDOW), f"verify-file:ip:{key_part(client_ip())}")
    if not verdict.allowed:
        message = (
            f"You have sent many files in a short time. Try again in {in_about(verdict.retry_after)}, or "
            "paste the file's SHA-256 instead."
        )
        return paused(_reply(None, 429, message), verdict.retry_after)
    request.max_content_length = UPLOAD_LIMIT
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        return _reply(
            None,
            413,
            f"That file is larger than {_mib(UPLOAD_LIMIT)} MB, the most this page accepts. Run "
            "`sha256sum` on it and paste the hash instead.",
        )
    if upload is None or not upload.filename:
        return _reply(None, 422, "Choose a file to check.")
    with closing(upload):  # spooled to disk when large: closed as soon as it is read
        digest = digest_stream(upload.filename, upload.stream, audio=True)
    return _reply(_identify(digest))


# No form token: the size limit must be in force before anything reads the body, and the CSRF check would
# read it first. Sending a file here changes nothing on the site.
csrf.exempt(by_upload)
