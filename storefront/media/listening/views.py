"""Private listening links over HTTP: the release workspace's list of links, making and revoking one; the
holder's /listen/<token> page, its cover and its streams.

Every request naming a token looks the link up again, so a revoked or expired link stops the page, the cover
and every stream at once. Lookups are rate limited per address, and tokens that match no link far more
strictly, and logged: guessing is hopeless and noisy.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from ...accounts.access import current_user
from ...accounts.models import User
from ...audio.formats import get_format
from ...releases.access import ARTIST_RELEASE
from ...releases.models import Release
from ...storage.interfaces import ObjectStorage
from ...web.access import PUBLIC, access
from ...web.ratelimit import RateLimiter, in_about, key_part, paused
from ...web.services import client_ip, find_service
from ...web.streaming import stream_object
from .. import recipes
from ..models import PreviewMode
from ..services import MediaService
from .links import (
    DEFAULT_DAYS,
    MAX_DAYS,
    ListeningLinkError,
    ListeningLinkService,
    Opened,
)
from .models import NOTE_LENGTH

log = logging.getLogger(__name__)
bp = Blueprint("listening", __name__)
LINKS_PATH = "/artists/<slug>/releases/<int:release_id>/listening-links"
# Every request naming a token (a player asks for many ranges of each track), and tokens matching no link.
LOOKUP_LIMIT = (600, 600)
MISS_LIMIT = (10, 600)
# A new link's token waits here for the one page that shows it, after the redirect that follows its making.
MADE_KEY = "listening_link_made"
# Set once the holder pressed “Listen” (and was counted), scoped to the link's own path.
OPENED_COOKIE = "velvet_listening"
PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}
GONE = {
    "expired": "This listening link has expired.",
    "revoked": "This listening link was withdrawn by the artist.",
    "taken_down": "This release is no longer available.",
}


class LinkForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped: FlaskForm is Any
    note = StringField(
        "Who is it for",
        [DataRequired("Say who the link is for, such as “Pitchfork — J. Doe”.")],
        description="Only you see this, in the list below: for example “Pitchfork — J. Doe”.",
        render_kw={"maxlength": NOTE_LENGTH},
    )
    days = IntegerField(
        "Days before it expires",
        [
            InputRequired("Say how many days the link lasts."),
            NumberRange(1, MAX_DAYS, f"A link lasts between 1 and {MAX_DAYS} days."),
        ],
        default=DEFAULT_DAYS,
    )


class ListenForm(FlaskForm):  # type: ignore[misc]
    pass


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE_HEADERS)
    return response


# -- the artist's side ------------------------------------------------------------------------------------
def _links_page(release: Release, form: LinkForm, status: int = 200) -> Response:
    service = find_service(ListeningLinkService)
    links = [(link, service.state(link)) for link in service.links(release)]
    made = session.pop(MADE_KEY, None)
    token = made.get("token") if isinstance(made, dict) and made.get("release") == release.id else None
    made_url = url_for("listening.listen", token=token, _external=True) if token else None
    policy = find_service(MediaService).policy(release)
    page = render_template(
        "media/listening_links.html",
        release=release,
        form=form,
        links=links,
        made=made_url,
        max_days=MAX_DAYS,
        clipped=policy is not None and policy.mode == PreviewMode.CLIP,
    )
    # The page may hold a new link's only copy: nothing keeps it.
    return _private(Response(page, status=status, mimetype="text/html"))


@bp.route(LINKS_PATH, methods=["GET", "POST"])
@access(ARTIST_RELEASE)
def links(release: Release) -> ResponseReturnValue:
    form = LinkForm()
    if request.method == "GET":
        return _links_page(release, form)
    if form.validate():
        user = current_user()
        assert user is not None
        try:
            made = find_service(ListeningLinkService).create(
                release, user, note=form.note.data or "", days=form.days.data
            )
        except ListeningLinkError as error:
            target = getattr(form, error.field, None) if error.field else None
            (target.errors if target is not None else form.form_errors).append(error.message)
        else:
            session[MADE_KEY] = {"release": release.id, "token": made.token}
            here = url_for("listening.links", slug=release.artist.slug, release_id=release.id)
            return redirect(here + "#new-link", code=303)
    return _links_page(release, form, 422)


@bp.post(LINKS_PATH + "/<int:link_id>/revoke")
@access(ARTIST_RELEASE)
def revoke(release: Release, link_id: int) -> ResponseReturnValue:
    service = find_service(ListeningLinkService)
    link = service.find_own(release, link_id)
    if link is None:
        abort(404)
    user = current_user()
    assert isinstance(user, User)
    if service.revoke(link, user):
        flash(f"The link for “{link.note}” is revoked: it stops playing at once.")
    else:
        flash(f"The link for “{link.note}” was already revoked.")
    return redirect(url_for("listening.links", slug=release.artist.slug, release_id=release.id), code=303)


# -- the holder's side ------------------------------------------------------------------------------------
def _too_many(retry_after: int) -> Response:
    page = render_template(
        "media/listen_closed.html",
        title="Too many requests",
        message="Too many listening links were asked for from your address. "
        f"Try again in {in_about(retry_after)}.",
    )
    return _private(paused(Response(page, mimetype="text/html"), retry_after))


def _closed(status: int, message: str) -> Response:
    page = render_template("media/listen_closed.html", title="Listening link", message=message)
    return _private(Response(page, status=status, mimetype="text/html"))


def _lookup(token: str) -> Opened | Response:
    """The link a token names, or the page to answer with: paused, unknown (404) or gone (410)."""
    limiter = find_service(RateLimiter)
    address = key_part(client_ip())
    misses = limiter.item(*MISS_LIMIT)
    checks = [
        limiter.test_with(misses, f"listen:miss:{address}"),
        limiter.hit_with(limiter.item(*LOOKUP_LIMIT), f"listen:ip:{address}"),
    ]
    refused = [v.retry_after for v in checks if not v.allowed]
    if refused:
        return _too_many(max(refused))
    opened = find_service(ListeningLinkService).open(token)
    if opened is None:
        limiter.hit_with(misses, f"listen:miss:{address}")
        log.warning("listening link: unknown token asked for from address %s", address)
        return _closed(404, "There is no listening link at this address. Check that you copied all of it.")
    if opened.gone is not None:
        return _closed(410, GONE[opened.gone] + " Ask the artist for a new link if you need one.")
    return opened


def _cookie_path(token: str) -> str:
    return url_for("listening.listen", token=token)


@bp.get("/listen/<token>")
@access(PUBLIC)
def listen(token: str) -> ResponseReturnValue:
    found = _lookup(token)
    if isinstance(found, Response):
        return found
    link = found.link
    service = find_service(ListeningLinkService)
    playing = request.cookies.get(OPENED_COOKIE) == str(link.id)
    page = render_template(
        "media/listen.html",
        link=link,
        release=link.release,
        token=token,
        playable=service.playable(link),
        playing=playing,
        form=ListenForm(),
        on_sale=link.release.status.value == "approved",
    )
    return _private(Response(page, mimetype="text/html"))


@bp.post("/listen/<token>")
@access(PUBLIC)
def start(token: str) -> ResponseReturnValue:
    found = _lookup(token)
    if isinstance(found, Response):
        return found
    if not ListenForm().validate():
        abort(400)
    link = found.link
    find_service(ListeningLinkService).count_opening(link)
    response = redirect(url_for("listening.listen", token=token) + "#tracks", code=303)
    response.set_cookie(
        OPENED_COOKIE,
        str(link.id),
        max_age=MAX_DAYS * 86400,
        path=_cookie_path(token),
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return _private(response)


@bp.get("/listen/<token>/cover.jpg")
@access(PUBLIC)
def cover(token: str) -> ResponseReturnValue:
    found = _lookup(token)
    if isinstance(found, Response):
        return found
    artwork = found.link.release.artwork
    files: dict[str, str] = artwork.info.get("files", {}) if artwork is not None else {}
    key = files.get("cover-600.jpg") or files.get("cover.jpg")
    if key is None:
        return _closed(404, "This release has no cover yet.")
    return _private(stream_object(find_service(ObjectStorage), key, "image/jpeg", max_age=0, private=True))


@bp.get("/listen/<token>/tracks/<int:track_id>")
@access(PUBLIC)
def stream(token: str, track_id: int) -> ResponseReturnValue:
    found = _lookup(token)
    if isinstance(found, Response):
        return found
    streamable = find_service(ListeningLinkService).stream_of(found.link, track_id)
    if streamable is None:  # a track of another release, or one whose stream is not ready
        return _closed(404, "This link has no such track.")
    _, rendition = streamable
    assert rendition.key is not None
    storage = find_service(ObjectStorage)
    try:
        size = storage.head(rendition.key).size
        body = storage.open(rendition.key)
    except FileNotFoundError:
        return _closed(404, "This track cannot be played just now.")
    response = Response(
        wrap_file(request.environ, body),
        mimetype=get_format(recipes.PREVIEW_FORMAT).mime_type,
        direct_passthrough=True,
    )
    # Range requests (206, 416) so players can seek; the file is never offered as a download.
    response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _private(response)
