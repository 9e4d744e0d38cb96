"""A fan's collection shown to others, when they choose: private by default, public at a random address.

The address is made the first time the fan makes the collection public and kept when they hide it again,
so a link they shared works again if they show it once more; hidden, it answers 404 like an address that
never existed. The public page lists releases on sale only: no downloads, no prices paid, no orders, and
nothing of the account (not even the fan's name).
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ..accounts.access import current_user
from ..accounts.models import User
from ..db import get_session, utcnow
from ..orders.library import CollectionItem, collection, matching
from ..web.access import LOGGED_IN, PUBLIC, access
from ..web.ratelimit import RateLimiter, in_about, key_part, paused
from ..web.services import client_ip, find_service
from .models import CollectionSharing

bp = Blueprint("showcase", __name__)
# A stranger's requests for public collections, per address: generous for people, not for a crawler of slugs.
VISITOR_LIMIT = (120, 600)


def sharing_of(session: Session, user: User) -> CollectionSharing | None:
    return session.get(CollectionSharing, user.id)


def set_public(session: Session, user: User, public: bool) -> CollectionSharing:
    sharing = sharing_of(session, user)
    if sharing is None:
        sharing = CollectionSharing(user_id=user.id, slug=secrets.token_urlsafe(12), public=public)
        session.add(sharing)
    sharing.public, sharing.changed_at = public, utcnow()
    session.flush()
    return sharing


def _viewer_sharing() -> CollectionSharing | None:
    """For the collection page (orders/library.py): the signed-in fan's choice, None while never made."""
    user = current_user()
    return sharing_of(get_session(), user) if user is not None else None


bp.add_app_template_global(_viewer_sharing, "collection_sharing")


def shown(session: Session, slug: str) -> User | None:
    """The owner of a public collection at `slug`, if the collection is public and the account is active."""
    if not slug or len(slug) > 32:
        return None
    sharing = session.scalars(
        select(CollectionSharing).where(CollectionSharing.slug == slug, CollectionSharing.public.is_(True))
    ).first()
    if sharing is None or sharing.user.deleted_at is not None or sharing.user.disabled_at is not None:
        return None
    return sharing.user


@bp.post("/collection/visibility")
@access(LOGGED_IN)
def visibility() -> Response:
    if not FlaskForm().validate_on_submit():
        abort(400)
    user = current_user()
    assert user is not None
    choice = request.form.get("visibility")
    if choice not in ("public", "private"):
        flash("Choose whether your collection is public or private.", "error")
        return redirect(url_for("library.index"), code=303)
    sharing = set_public(get_session(), user, choice == "public")
    if sharing.public:
        flash("Your collection is public: anyone with its address can see what you collect.", "success")
    else:
        flash("Your collection is private again: its public address shows nothing.", "success")
    return redirect(url_for("library.index"), code=303)


def _limited() -> int | None:
    limiter = find_service(RateLimiter)
    verdict = limiter.hit_with(limiter.item(*VISITOR_LIMIT), f"showcase:ip:{key_part(client_ip())}")
    return None if verdict.allowed else verdict.retry_after


@bp.get("/fans/<slug>/collection")
@access(PUBLIC)
def public_collection(slug: str) -> ResponseReturnValue:
    if (retry_after := _limited()) is not None:
        body = f"Too many requests: try again in {in_about(retry_after)}."
        return paused(Response(body, status=429, mimetype="text/plain"), retry_after)
    session = get_session()
    owner = shown(session, slug)
    if owner is None:
        abort(404, description="There is no public collection at this address.")
    query = (request.args.get("q") or "").strip()[:100]
    items: list[CollectionItem] = [item for item in collection(session, owner) if item.available]
    return render_template(
        "fans/showcase.html", items=matching(items, query), query=query, total=len(items), slug=slug
    )
