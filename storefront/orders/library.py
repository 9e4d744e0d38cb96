"""A fan's collection: everything they may download, and the purchases that gave them the right."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..accounts.access import current_user
from ..accounts.models import User
from ..db import get_session
from ..releases.identifiers import format_price
from ..releases.models import Release, ReleaseStatus, Track
from ..releases.preorders import Calendar, is_preorder
from ..web.access import LOGGED_IN, access
from ..web.services import find_service
from .models import Entitlement, Order, OrderStatus

bp = Blueprint("library", __name__)


@bp.app_context_processor
def _preorders() -> dict[str, Any]:
    """`preorder_out_on(release)`: the date a pre-order comes out, or None once it is out (or not one)."""

    def preorder_out_on(release: Release) -> date | None:
        return release.release_date if is_preorder(release, find_service(Calendar).today()) else None

    return {"preorder_out_on": preorder_out_on}


@dataclass
class CollectionItem:
    release: Release
    acquired_at: datetime
    whole: bool = False  # the whole release, not only some of its tracks
    tracks: list[Track] = field(default_factory=list)

    @property
    def available(self) -> bool:
        # A taken-down release leaves the collection's downloads, not its record.
        return self.release.status == ReleaseStatus.APPROVED


def collection(session: Session, user: User) -> list[CollectionItem]:
    """Releases the user holds a right to, newest first; a release bought track by track lists the tracks."""
    rights = session.scalars(
        select(Entitlement)
        .where(Entitlement.user_id == user.id, Entitlement.revoked_at.is_(None))
        .options(
            selectinload(Entitlement.release).options(
                selectinload(Release.artist), selectinload(Release.tracks), selectinload(Release.artwork)
            ),
            selectinload(Entitlement.track),
        )
        .order_by(Entitlement.created_at.desc(), Entitlement.id.desc())
    )
    items: dict[int, CollectionItem] = {}
    for right in rights:
        item = items.setdefault(right.release_id, CollectionItem(right.release, right.created_at))
        if right.track is None:
            item.whole = True
        elif right.track not in item.tracks:
            item.tracks.append(right.track)
    for item in items.values():
        if item.whole:
            item.tracks = []
        item.tracks.sort(key=lambda t: t.position)
    return list(items.values())


def matching(items: list[CollectionItem], query: str) -> list[CollectionItem]:
    """The items whose release, artist or a track's title holds every word of `query`, ignoring case."""
    words = query.casefold().split()
    if not words:
        return items

    def text(item: CollectionItem) -> str:
        release = item.release
        return " ".join([release.title, release.artist.name, *(t.title for t in release.tracks)]).casefold()

    return [item for item in items if all(word in text(item) for word in words)]


def purchases(session: Session, user: User, *, limit: int = 50) -> list[Order]:
    return list(
        session.scalars(
            select(Order)
            .where(Order.buyer_id == user.id, Order.status.in_((OrderStatus.PAID, OrderStatus.PROCESSING)))
            .options(selectinload(Order.lines))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )


@bp.get("/collection")
@access(LOGGED_IN)
def index() -> str:
    user = current_user()
    assert user is not None
    session = get_session()
    query = (request.args.get("q") or "").strip()[:100]
    items = collection(session, user)
    return render_template(
        "orders/collection.html",
        items=matching(items, query),
        query=query,
        total=len(items),
        orders=purchases(session, user),
        format_price=format_price,
    )
