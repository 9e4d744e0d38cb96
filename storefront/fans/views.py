"""A fan's wishlist, follows, feed and mail settings, and the one-click unsubscribe.

The wishlist and follow buttons sit on catalog pages that caches share, so they carry the guests' shared
form token (`guest_form`); a guest who presses one is sent to log in and comes back to the page.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField

from .. import csrf
from ..accounts.access import current_user
from ..accounts.credentials import Tokens
from ..accounts.models import Artist, Label, User
from ..catalog.browse import CursorError, parse_cursors
from ..db import get_session
from ..releases.models import Release
from ..web.access import LOGGED_IN, PUBLIC, access, safe_next
from ..web.caching import guest_form
from ..web.services import find_service
from .announcements import NEW_RELEASES, UnsubscribeInvalid, read_unsubscribe_token
from .follows import FanError, FanService
from .mailings import MailingService

bp = Blueprint("fans", __name__)


def _viewer_wishes(release: Release) -> bool:
    """For the wishlist button: whether the signed-in viewer wishes for it. Always False for a guest, whose
    page a cache shares; a signed-in person's page is never shared (web/caching.py)."""
    user = current_user()
    return user is not None and find_service(FanService).wishes(user, release.id)


def _viewer_follows(profile: Artist | Label) -> bool:
    """For the follow button, as `_viewer_wishes`."""
    user = current_user()
    return user is not None and find_service(FanService).follows(user, profile)


bp.add_app_template_global(_viewer_wishes, "viewer_wishes")
bp.add_app_template_global(_viewer_follows, "viewer_follows")


def _me() -> User:
    user = current_user()
    assert user is not None  # the access rule asked for a login
    return user


def _back(default: str) -> str:
    return safe_next(request.form.get("next"), default)


def _release(release_id: int) -> Release:
    release = get_session().get(Release, release_id)
    if release is None:
        abort(404)
    return release


def _subject(kind: str, slug: str) -> Artist | Label:
    found: Artist | Label | None
    if kind == "artist":
        found = get_session().scalar(select(Artist).where(Artist.slug == slug))
    else:
        found = get_session().scalar(select(Label).where(Label.slug == slug))
    if found is None:
        abort(404)
    return found


def _added(add: Callable[[], bool], said: Callable[[bool], str], default: str) -> Response:
    """Add, flash what happened (added now, there already, or why not) and go back where the form was."""
    try:
        added = add()
    except FanError as error:
        flash(error.message, "error")
    else:
        flash(said(added), "success")
    return redirect(_back(default), code=303)


# -- wishlist ---------------------------------------------------------------------------------------------
@bp.post("/wishlist/<int:release_id>")
@access(LOGGED_IN)
@guest_form
def wish(release_id: int) -> Response:
    release = _release(release_id)
    return _added(
        lambda: find_service(FanService).wish(_me(), release),
        lambda added: f"“{release.title}” is {'now' if added else 'already'} on your wishlist.",
        url_for("fans.wishlist"),
    )


@bp.post("/wishlist/<int:release_id>/remove")
@access(LOGGED_IN)
def unwish(release_id: int) -> Response:
    find_service(FanService).unwish(_me(), release_id)
    flash("Removed from your wishlist.", "success")
    return redirect(_back(url_for("fans.wishlist")), code=303)


@bp.get("/wishlist")
@access(LOGGED_IN)
def wishlist() -> str:
    return render_template("fans/wishlist.html", items=find_service(FanService).wishlist(_me()))


# -- follows ----------------------------------------------------------------------------------------------
@bp.post("/follow/<any(artist, label):kind>/<slug>")
@access(LOGGED_IN)
@guest_form
def follow(kind: str, slug: str) -> Response:
    subject = _subject(kind, slug)
    return _added(
        lambda: find_service(FanService).follow(_me(), subject),
        lambda added: f"You {'now follow' if added else 'already follow'} {subject.name}.",
        url_for("fans.following"),
    )


@bp.post("/unfollow/<any(artist, label):kind>/<slug>")
@access(LOGGED_IN)
def unfollow(kind: str, slug: str) -> Response:
    subject = _subject(kind, slug)
    find_service(FanService).unfollow(_me(), subject)
    flash(f"You no longer follow {subject.name}.", "success")
    return redirect(_back(url_for("fans.following")), code=303)


@bp.get("/following")
@access(LOGGED_IN)
def following() -> str:
    return render_template("fans/following.html", follows=find_service(FanService).following(_me()))


@bp.get("/feed")
@access(LOGGED_IN)
def feed() -> str:
    try:
        before, after = parse_cursors(request.args.get("before"), request.args.get("after"))
    except CursorError as error:
        abort(400, description=str(error))
    service = find_service(FanService)
    me = _me()
    return render_template(
        "fans/feed.html",
        page=service.feed(me, before=before, after=after),
        paged=before is not None or after is not None,
        follows_anything=bool(service.following(me)),
    )


# -- mail settings and unsubscribing ----------------------------------------------------------------------
class MailSettingsForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped: FlaskForm is Any
    new_releases = BooleanField(
        "Mail me when an artist or label I follow releases something new",
        description="One message per release. Every message has a link to stop them.",
    )
    artist_messages = BooleanField(
        "Let artists I follow or bought from write to me",
        description="At most one message a day from each artist. Every message has a link to stop them.",
    )


@bp.route("/settings/mail", methods=["GET", "POST"])
@access(LOGGED_IN)
def mail_settings() -> ResponseReturnValue:
    service = find_service(FanService)
    me = _me()
    form = MailSettingsForm()
    if request.method == "POST":
        if form.validate():
            service.set_new_releases(me.id, bool(form.new_releases.data))
            MailingService(get_session()).set_artist_messages(me.id, bool(form.artist_messages.data))
            flash("Your mail settings are saved.", "success")
            return redirect(url_for("fans.mail_settings"), code=303)
        return render_template("fans/mail_settings.html", form=form), 422
    form.new_releases.data = service.wants_new_releases(me)
    form.artist_messages.data = MailingService(get_session()).wants_artist_messages(me.id)
    return render_template("fans/mail_settings.html", form=form)


class UnsubscribeForm(FlaskForm):  # type: ignore[misc]
    pass


def unsubscriber(token: str, list_name: str = NEW_RELEASES) -> int | str:
    """The account id the link for `list_name` names, or the message saying why the link does not work."""
    try:
        user_id = read_unsubscribe_token(find_service(Tokens), token, list_name)
    except UnsubscribeInvalid as error:
        return error.message
    user = get_session().get(User, user_id)
    if user is None or user.deleted_at is not None:
        return "This unsubscribe link is for an account that no longer exists."
    return user_id


@bp.get("/unsubscribe/<token>")
@access(PUBLIC)
def unsubscribe_page(token: str) -> ResponseReturnValue:
    # A GET changes nothing: mail scanners open links. The page asks for one press of a button.
    found = unsubscriber(token)
    if isinstance(found, str):
        return render_template("fans/unsubscribe.html", problem=found), 400
    return render_template("fans/unsubscribe.html", form=UnsubscribeForm(), token=token)


@bp.post("/unsubscribe/<token>")
@access(PUBLIC)
def unsubscribe(token: str) -> ResponseReturnValue:
    """RFC 8058: a mail client posts `List-Unsubscribe=One-Click` here with no cookie and no form token;
    the signed link is the proof, so this endpoint is exempt from CSRF."""
    found = unsubscriber(token)
    if isinstance(found, str):
        return render_template("fans/unsubscribe.html", problem=found), 400
    find_service(FanService).set_new_releases(found, False)
    return render_template("fans/unsubscribe.html", done=True)


csrf.exempt(unsubscribe)
