"""Platform administration: the mail outbox, users and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..accounts.access import ADMIN
from ..accounts.actor import actor
from ..accounts.forms import ConfirmForm
from ..accounts.models import User
from ..accounts.services import AccountError, AccountService
from ..db import get_session
from ..events import AuditEvent
from ..mail.models import OutboundMessage
from ..web.access import access
from ..web.services import find_service

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50


def _page() -> int:
    # Bounded: a page number past any table would only overflow the database's OFFSET.
    return min(max(1, request.args.get("page", 1, type=int) or 1), 1_000_000)


@bp.get("/")
@access(ADMIN)
def index() -> str:
    session = get_session()
    counts = {
        "users": session.scalar(select(func.count(User.id))),
        "messages": session.scalar(select(func.count(OutboundMessage.id))),
        "events": session.scalar(select(func.count(AuditEvent.id))),
    }
    return render_template("admin/index.html", counts=counts)


@bp.get("/outbox")
@access(ADMIN)
def outbox() -> str:
    page = _page()
    to = (request.args.get("to") or "").strip().lower()
    stmt = select(OutboundMessage).order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
    if to:
        stmt = stmt.where(OutboundMessage.to_address == to)
    messages = list(get_session().scalars(stmt.offset((page - 1) * PAGE).limit(PAGE + 1)))
    return render_template(
        "admin/outbox.html", messages=messages[:PAGE], page=page, has_more=len(messages) > PAGE, to=to
    )


@bp.get("/outbox/<int:message_id>")
@access(ADMIN)
def message(message_id: int) -> str:
    found = get_session().get(OutboundMessage, message_id)
    if found is None:
        abort(404)
    return render_template("admin/message.html", message=found)


@bp.get("/users")
@access(ADMIN)
def users() -> str:
    page = _page()
    q = (request.args.get("q") or "").strip().lower()
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc())
    if q:
        stmt = stmt.where(func.lower(User.email).contains(q) | func.lower(User.display_name).contains(q))
    found = list(get_session().scalars(stmt.offset((page - 1) * PAGE).limit(PAGE + 1)))
    return render_template(
        "admin/users.html",
        users=found[:PAGE],
        page=page,
        has_more=len(found) > PAGE,
        q=q,
        form=ConfirmForm(),
    )


@bp.post("/users/<int:user_id>/<any(disable, enable):change>")
@access(ADMIN)
def set_user_disabled(user_id: int, change: str) -> Response:
    user = get_session().get(User, user_id) if user_id < 2**63 else None
    if user is None:
        abort(404)
    if not ConfirmForm().validate():
        abort(400)
    try:
        find_service(AccountService).set_disabled(user, change == "disable", actor())
    except AccountError as error:
        flash(error.message, "error")
    else:
        ended = " Every session of it has ended." if change == "disable" else ""
        flash(f"{user.email} is {change}d.{ended}", "success")
    return redirect(url_for("admin.users"))


@bp.get("/events")
@access(ADMIN)
def events() -> str:
    page = _page()
    tag = (request.args.get("tag") or "").strip()
    stmt = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if tag:
        stmt = stmt.where(AuditEvent.tag == tag)
    found = list(get_session().scalars(stmt.offset((page - 1) * PAGE).limit(PAGE + 1)))
    return render_template(
        "admin/events.html", events=found[:PAGE], page=page, has_more=len(found) > PAGE, tag=tag
    )
