"""Artists' owners write to their fans (write, preview, send); fans stop artists' messages in one click."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from .. import csrf
from ..accounts.access import ARTIST_OWNER, current_user
from ..accounts.models import Artist, User
from ..db import get_session
from ..jobs.interfaces import JobQueue
from ..web.access import PUBLIC, access
from ..web.services import find_service
from .mailings import ARTIST_MESSAGES, BODY_MAX, SUBJECT_MAX, MailingError, MailingService, clean
from .views import UnsubscribeForm, unsubscriber

bp = Blueprint("mailings", __name__)


class MailingForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped: FlaskForm is Any
    subject = StringField("Subject", render_kw={"maxlength": SUBJECT_MAX, "autocomplete": "off"})
    body = TextAreaField(
        "Message",
        description="Plain text. Links are shown as written. Every message ends with a link to stop them.",
        render_kw={"maxlength": BODY_MAX, "rows": 12},
    )


def _me() -> User:
    user = current_user()
    assert user is not None  # the access rule asked for a login
    return user


def _page(
    artist: Artist, form: MailingForm, *, draft: object = None, status: int = 200
) -> ResponseReturnValue:
    service = MailingService(get_session())
    return (
        render_template(
            "fans/mailing.html",
            artist=artist,
            form=form,
            draft=draft,
            audience=service.audience(artist),
            next_allowed=service.next_allowed(artist),
            sent=service.sent(artist),
        ),
        status,
    )


@bp.get("/artists/<slug>/mailings")
@access(ARTIST_OWNER)
def new(artist: Artist) -> ResponseReturnValue:
    return _page(artist, MailingForm())


@bp.post("/artists/<slug>/mailings/preview")
@access(ARTIST_OWNER)
def preview(artist: Artist) -> ResponseReturnValue:
    form = MailingForm()
    if not form.validate():
        return _page(artist, form, status=422)
    try:
        draft = clean(form.subject.data or "", form.body.data or "")
    except MailingError as error:
        form.body.errors = [error.message]
        return _page(artist, form, status=422)
    return _page(artist, form, draft=draft)


@bp.post("/artists/<slug>/mailings")
@access(ARTIST_OWNER)
def send(artist: Artist) -> ResponseReturnValue:
    form = MailingForm()
    if not form.validate():
        return _page(artist, form, status=422)
    try:
        MailingService(get_session()).send(
            find_service(JobQueue), artist, _me(), form.subject.data or "", form.body.data or ""
        )
    except MailingError as error:
        form.body.errors = [error.message]
        return _page(artist, form, status=422)
    flash("Your message is on its way to your fans.", "success")
    return redirect(url_for("mailings.new", slug=artist.slug), code=303)


# -- unsubscribing from artists' messages -------------------------------------------------------------------
@bp.get("/unsubscribe/artist-messages/<token>")
@access(PUBLIC)
def unsubscribe_page(token: str) -> ResponseReturnValue:
    # A GET changes nothing: mail scanners open links. The page asks for one press of a button.
    found = unsubscriber(token, ARTIST_MESSAGES)
    if isinstance(found, str):
        return render_template("fans/unsubscribe_messages.html", problem=found), 400
    return render_template("fans/unsubscribe_messages.html", form=UnsubscribeForm(), token=token)


@bp.post("/unsubscribe/artist-messages/<token>")
@access(PUBLIC)
def unsubscribe(token: str) -> ResponseReturnValue:
    """RFC 8058 one-click: the signed link is the proof, so this endpoint is exempt from CSRF."""
    found = unsubscriber(token, ARTIST_MESSAGES)
    if isinstance(found, str):
        return render_template("fans/unsubscribe_messages.html", problem=found), 400
    MailingService(get_session()).set_artist_messages(found, False)
    return render_template("fans/unsubscribe_messages.html", done=True)


csrf.exempt(unsubscribe)
