"""Download codes over HTTP: an artist's batches of a release, their CSV, revoking; a fan's /redeem page.

The batches of a release are seen by its artist's members and by staff of its label while the artist is on
the roster; for anyone else the release and its batches do not exist (404), whichever id they try.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ..accounts.access import current_user
from ..accounts.models import User
from ..db import get_session
from ..releases.models import Release
from ..storage.naming import content_disposition
from ..web.access import PUBLIC, Rule, ViewArgs, access
from ..web.ratelimit import RateLimiter, in_about, key_part, paused
from ..web.services import client_ip, find_service
from ..web.spreadsheets import csv_cell
from .codes import MAX_BATCH, NAME_LENGTH, CodeError, CodeService, may_manage_codes, normalise
from .models import CodeBatch

bp = Blueprint("codes", __name__)

# Redemption attempts, counted whether or not the code works: per account, and per address (looser, since a
# venue's guests may share one).
ACCOUNT_LIMIT = (10, 600)
ADDRESS_LIMIT = (60, 600)
# A guest's code waits in its own signed cookie while they sign in or up: logging in starts a new session.
CODE_COOKIE = "velvet_code"
CODE_COOKIE_SECONDS = 24 * 3600


def _release_for_codes(user: User, view_args: ViewArgs) -> ViewArgs | None:
    granted = dict(view_args)
    release = get_session().get(Release, granted.pop("release_id"))
    if release is None or not may_manage_codes(user, release):
        abort(404)
    granted["release"] = release
    return granted


def _batch_for_codes(user: User, view_args: ViewArgs) -> ViewArgs | None:
    granted = dict(view_args)
    batch = get_session().get(CodeBatch, granted.pop("batch_id"))
    if batch is None or not may_manage_codes(user, batch.release):
        abort(404)
    granted["batch"] = batch
    return granted


RELEASE_CODES = Rule("release-codes", True, True, _release_for_codes)
BATCH_CODES = Rule("batch-codes", True, True, _batch_for_codes)


class BatchForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped: FlaskForm is Any
    name = StringField(
        "Name of the batch",
        [DataRequired("Give the batch a name, such as “Tour 2027”.")],
        description="For you: where the codes go, such as “Tour 2027” or “Press list”.",
        render_kw={"maxlength": NAME_LENGTH},
    )
    count = IntegerField(
        "How many codes",
        [
            InputRequired("Say how many codes to make."),
            NumberRange(1, MAX_BATCH, f"Make between 1 and {MAX_BATCH:,} codes in one batch."),
        ],
        default=50,
    )
    expires_on = DateField(
        "Valid until (optional)",
        [Optional()],
        description="Unused codes stop working at the end of this day (UTC). Leave empty for no end.",
    )


class RedeemForm(FlaskForm):  # type: ignore[misc]
    code = StringField(
        "Download code",
        [DataRequired("Type the code printed on your card or sent to you.")],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 40},
    )


def _end_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


@bp.route("/releases/<int:release_id>/codes", methods=["GET", "POST"])
@access(RELEASE_CODES)
def batches(release: Release) -> ResponseReturnValue:
    form = BatchForm()
    service = find_service(CodeService)
    status = 200
    if request.method == "POST":
        if form.validate():
            user = current_user()
            assert user is not None
            try:
                batch = service.create_batch(
                    release,
                    user,
                    name=form.name.data or "",
                    count=form.count.data,
                    expires_at=_end_of(form.expires_on.data),
                )
            except CodeError as error:
                target = getattr(form, error.field, None) if error.field else None
                (target.errors if target is not None else form.form_errors).append(error.message)
            else:
                flash(f"{len(batch.codes)} codes made for “{batch.name}”. Download them as CSV below.")
                return redirect(url_for("codes.batch", batch_id=batch.id), code=303)
        status = 422
    return render_template(
        "fans/codes.html", release=release, form=form, batches=service.batches(release)
    ), status


@bp.get("/codes/<int:batch_id>")
@access(BATCH_CODES)
def batch(batch: CodeBatch) -> str:
    return render_template(
        "fans/batch.html", batch=batch, release=batch.release, codes=find_service(CodeService).codes_of(batch)
    )


@bp.get("/codes/<int:batch_id>.csv")
@access(BATCH_CODES)
def batch_csv(batch: CodeBatch) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["code", "release", "batch", "status", "redeemed_at"])
    for code in find_service(CodeService).codes_of(batch):
        status = "redeemed" if code.redeemed_at else ("revoked" if batch.revoked_at else "unused")
        redeemed = code.redeemed_at.strftime("%Y-%m-%d %H:%M:%S") if code.redeemed_at else ""
        writer.writerow([csv_cell(v) for v in (code.code, batch.release.title, batch.name, status, redeemed)])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    name = f"codes-{batch.release.slug}-{batch.id}.csv"
    response.headers["Content-Disposition"] = content_disposition(name)
    return response


@bp.post("/codes/<int:batch_id>/revoke")
@access(BATCH_CODES)
def revoke(batch: CodeBatch) -> Response:
    user = current_user()
    assert user is not None
    if find_service(CodeService).revoke(batch, user):
        flash(f"“{batch.name}” is revoked: its unused codes no longer work. Fans who redeemed one keep it.")
    else:
        flash(f"“{batch.name}” was already revoked.")
    return redirect(url_for("codes.batch", batch_id=batch.id), code=303)


# -- the fan's side ---------------------------------------------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="storefront.redeem-code")


def _kept_code() -> str:
    raw = request.cookies.get(CODE_COOKIE, "")
    try:
        value = _serializer().loads(raw, max_age=CODE_COOKIE_SECONDS) if raw else ""
    except BadSignature:
        return ""
    return value if isinstance(value, str) else ""


def _too_many(retry_after: int, form: RedeemForm) -> Response:
    form.form_errors.append(
        "You have tried many codes in a short time, so we are pausing redemption to keep codes safe from "
        f"guessing. Try again in {in_about(retry_after)}."
    )
    return paused(Response(render_template("fans/redeem.html", form=form), mimetype="text/html"), retry_after)


def _limited(user: User) -> int | None:
    limiter = find_service(RateLimiter)
    checks = (
        (limiter.item(*ACCOUNT_LIMIT), f"redeem:account:{user.id}"),
        (limiter.item(*ADDRESS_LIMIT), f"redeem:ip:{key_part(client_ip())}"),
    )
    refused = [v.retry_after for v in (limiter.hit_with(item, key) for item, key in checks) if not v.allowed]
    return max(refused) if refused else None


@bp.route("/redeem", methods=["GET", "POST"])
@access(PUBLIC)
def redeem() -> ResponseReturnValue:
    form = RedeemForm()
    user = current_user()
    if request.method == "GET":
        form.code.data = form.code.data or _kept_code()
        return render_template("fans/redeem.html", form=form)
    if not form.validate():
        return render_template("fans/redeem.html", form=form), 422
    typed = form.code.data or ""
    if normalise(typed) is None:
        form.code.errors.append("A download code has 12 letters and digits, like ABCD-EFGH-JKMN.")
        return render_template("fans/redeem.html", form=form), 422
    if user is None:
        # Nothing is looked up for a guest: the code waits in a cookie while they sign in or sign up.
        response = redirect(url_for("accounts.login", next=url_for("codes.redeem")), code=303)
        response.set_cookie(
            CODE_COOKIE,
            _serializer().dumps(typed.strip()),
            max_age=CODE_COOKIE_SECONDS,
            path=url_for("codes.redeem"),
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
        flash("Log in or sign up to redeem your code: it will be waiting for you here.")
        return response
    if (retry_after := _limited(user)) is not None:
        return _too_many(retry_after, form)
    try:
        redeemed = find_service(CodeService).redeem(typed, user)
    except CodeError as error:
        (form.code.errors if error.field else form.form_errors).append(error.message)
        return render_template("fans/redeem.html", form=form), 422
    flash(f"“{redeemed.release.title}” is in your collection. Download it in any format.")
    response = redirect(url_for("library.index"), code=303)
    response.delete_cookie(CODE_COOKIE, path=url_for("codes.redeem"))
    return response
