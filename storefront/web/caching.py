"""HTTP caching of the public catalog: validators, conditional requests, Cache-Control, cookie-free forms.

Every page says `no-store` (web/headers.py) unless its view opts in with `@cacheable(stamp)`. The stamp is a
cheap read of what the page is made of (the newest change times, and the few rows that have none), taken
before anything is rendered; it becomes the page's ETag and Last-Modified, so a conditional request that still
matches is answered 304 at the cost of that one read, made outside any transaction.

An anonymous visitor's page is the same for everyone and sets no cookie: `public, max-age=60,
stale-while-revalidate=300`, so a CDN in front may keep it a minute and then serve it up to five minutes
stale while it asks again in the background. A signed-in person's page holds their own navigation,
collection and form tokens: `private, no-cache`, without validators, never kept by a shared cache. Both vary
on Cookie. A page whose rendering wrote to the session (a flashed message shown) keeps `no-store`.

Behind the validators, the web process keeps public pages it rendered under their ETag (web/page_cache.py),
so a visitor whose copy is older, or who has none, is sent the page without rendering it again. Only a
request that carries no cookie at all reads or fills it: nothing of anybody's session can be in such a page.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import current_app, make_response, request, session
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, generate_csrf
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from ..config import Settings
from ..db import utcnow
from .access import current_user
from .page_cache import PageCache, StoredPage
from .services import find_service

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_MAX_AGE = 60
# Long enough to ride out a burst of traffic on a page that just expired, short enough that a takedown (410)
# reaches every visitor within minutes even through a CDN that has not been purged.
STALE_WHILE_REVALIDATE = 300
PUBLIC_CACHE_CONTROL = f"public, max-age={PUBLIC_MAX_AGE}, stale-while-revalidate={STALE_WHILE_REVALIDATE}"
PRIVATE_CACHE_CONTROL = "private, no-cache"
CACHEABLE = "_storefront_cacheable"


@dataclass(frozen=True)
class Stamp:
    """What a page is made of, as its validators need it: `parts` (values with a stable repr) and the newest
    change time among them (None when none of them has a time)."""

    parts: tuple[Any, ...]
    changed_at: datetime | None = None


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: datetime | None


StampReader = Callable[..., Stamp | None]


def cacheable(stamp: StampReader) -> Callable[[F], F]:
    """Opt a public page in to HTTP caching. `stamp` takes the view's arguments and returns the page's Stamp,
    or None when the view should simply run (a missing or withdrawn subject: its 404 or 410 stays no-store).
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def cached_view(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if current_user() is not None:
                return _private(make_response(view(*args, **kwargs)))
            # A session already being changed (an expired login cleared) will send a cookie: no caching.
            found = None if session.modified else stamp(*args, **kwargs)
            if found is None:
                return cast(ResponseReturnValue, view(*args, **kwargs))
            validators = validators_for(found)
            if _still_valid(validators):
                return _public(current_app.response_class(status=304), validators)
            pages = find_service(PageCache)
            shared = pages.enabled and not request.cookies
            stored = pages.get(validators.etag) if shared else None
            if stored is not None:
                return _public(stored.response(current_app.response_class), validators)
            response = make_response(view(*args, **kwargs))
            # A page whose rendering touched the session sends a cookie: never for a shared cache.
            if response.status_code != 200 or session.modified or "Set-Cookie" in response.headers:
                return response
            if shared and not response.is_streamed:
                pages.put(validators.etag, StoredPage.of(response))
            return _public(response, validators)

        setattr(cached_view, CACHEABLE, True)
        return cast(F, cached_view)

    return decorator


def validators_for(stamp: Stamp) -> Validators:
    build = build_stamp()
    settings = find_service(Settings)
    where = (request.host, request.full_path)
    seen = (build.digest, settings.base_url, settings.payments, where, "anonymous", stamp.parts)
    etag = hashlib.sha256(repr(seen).encode()).hexdigest()[:32]
    changed = max(t for t in (stamp.changed_at, build.changed_at) if t is not None)
    second = changed.replace(microsecond=0)
    # An HTTP date counts whole seconds: a date is only given once its second is over, so that a second
    # change within the same second can never hide behind it.
    last_modified = second if utcnow().replace(microsecond=0) > second else None
    return Validators(etag, last_modified)


def _still_valid(validators: Validators) -> bool:
    if "If-None-Match" in request.headers:
        # When both are sent the entity tag decides (RFC 9110, 13.2.2).
        return request.if_none_match.contains_weak(validators.etag)
    since = request.if_modified_since
    return since is not None and validators.last_modified is not None and validators.last_modified <= since


def _public(response: Response, validators: Validators) -> Response:
    response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    response.set_etag(validators.etag, weak=True)
    if validators.last_modified is not None:
        response.last_modified = validators.last_modified
    response.vary.add("Cookie")
    return response


def _private(response: Response) -> Response:
    if response.status_code == 200:
        response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
        response.vary.add("Cookie")
    return response


# -- what the code and templates add to every page --------------------------------------------------------
_PACKAGE = str(Path(__file__).resolve().parents[1])  # resolved once: it costs system calls


@dataclass(frozen=True)
class Build:
    digest: str
    changed_at: datetime


def build_stamp() -> Build:
    """The running code, templates and static files: a new release of the site changes every page."""
    folders = (
        _PACKAGE,
        str(current_app.template_folder),
        str(current_app.static_folder),
    )
    if current_app.jinja_env.auto_reload:
        return _read_build(folders)  # development: templates change under a running app
    return _cached_build(folders)


def _read_build(folders: tuple[str, ...]) -> Build:
    digest = hashlib.sha256()
    newest = 0
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            info = path.stat()
            digest.update(f"{path}:{info.st_size}:{info.st_mtime_ns}\n".encode())
            newest = max(newest, info.st_mtime_ns)
    return Build(digest.hexdigest(), datetime.fromtimestamp(newest / 1e9, UTC))


_cached_build = functools.cache(_read_build)


# -- forms on cached pages --------------------------------------------------------------------------------
GUEST_TOKEN_SALT = "guest-form"  # noqa: S105  (a signing salt, not a secret)


def form_token() -> str:
    """The token a form carries: the session's own for a signed-in person; for a guest one token shared by
    every guest, so the page stays the same for everyone and starts no session (see `guest_form`)."""
    if current_user() is not None:
        return str(generate_csrf())
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=GUEST_TOKEN_SALT).dumps("guest")


def guest_form(view: F) -> F:
    """A form that guests post from a publicly cached page. A signed-in person's post is checked against
    their session's token as everywhere. A guest's carries the shared guest token (or a session token, from
    a page that had one), and since a shared token proves nothing on its own, the browser's word decides:
    a post that says it comes from another site (Origin, Sec-Fetch-Site) is refused."""
    from .. import csrf

    @functools.wraps(view)
    def checked_view(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_user() is not None or not _is_guest_token(request.form.get("csrf_token", "")):
            csrf.protect()
        elif not _same_origin():
            raise CSRFError("The form was sent from another site.")
        return cast(ResponseReturnValue, view(*args, **kwargs))

    csrf.exempt(checked_view)
    return cast(F, checked_view)


def _is_guest_token(token: str) -> bool:
    try:
        value = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=GUEST_TOKEN_SALT).loads(token)
    except BadSignature:
        return False
    return bool(value == "guest")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _same_origin() -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        # Browsers send Origin with every cross-site POST; a post without one is not a forged form.
        return origin is None
    return origin.lower() in {_origin(find_service(Settings).base_url), _origin(request.host_url)}
