"""A fan's wishlist and follows, their mail preference, and the feed of new releases from what they follow.

Adding what is there already, or removing what is not, changes nothing and is no error: a form sent twice
(a double click, a reload) leaves the same state as once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..accounts.models import Artist, Label, User
from ..catalog import browse
from ..db import insert_or_merge, utcnow
from ..errors import RuleError
from ..orders.models import Entitlement
from ..releases.models import Release, ReleaseStatus
from .models import FanMailPreference, Follow, WishlistItem

FOLLOW_LIMIT = 5000  # artists and labels one account may follow: far beyond a person, short of a scraper
WISHLIST_LIMIT = 2000


class FanError(RuleError):
    """A wishlist or follow the rules refuse (not on sale, owned already, over the limit)."""


class FanService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _upsert(self, model: Any, values: dict[str, Any]) -> Any:
        return insert_or_merge(self.session.get_bind().dialect, model).values(**values)

    def _insert_once(self, model: Any, values: dict[str, Any], keys: list[str]) -> bool:
        stmt = self._upsert(model, values).on_conflict_do_nothing(index_elements=keys).returning(model.id)
        return self.session.execute(stmt).scalar() is not None

    # -- wishlist ------------------------------------------------------------------------------------------
    def wish(self, user: User, release: Release) -> bool:
        """True when added; False when it was there already."""
        if release.status != ReleaseStatus.APPROVED:
            raise FanError("Only releases on sale can go on your wishlist.")
        if self._owns(user, release):
            raise FanError(f"“{release.title}” is already in your collection.")
        if self._count(WishlistItem, user) >= WISHLIST_LIMIT:
            raise FanError(f"Your wishlist holds at most {WISHLIST_LIMIT:,} releases. Remove some first.")
        return self._insert_once(
            WishlistItem,
            {"user_id": user.id, "release_id": release.id, "added_at": utcnow()},
            ["user_id", "release_id"],
        )

    def unwish(self, user: User, release_id: int) -> None:
        self.session.execute(
            delete(WishlistItem).where(WishlistItem.user_id == user.id, WishlistItem.release_id == release_id)
        )

    def wishlist(self, user: User) -> list[WishlistItem]:
        """Public releases only: one taken down since waits, unseen, until it is back."""
        return list(
            self.session.scalars(
                select(WishlistItem)
                .join(Release, Release.id == WishlistItem.release_id)
                .where(WishlistItem.user_id == user.id, browse.public())
                .options(joinedload(WishlistItem.release).joinedload(Release.artist))
                .order_by(WishlistItem.added_at.desc(), WishlistItem.id.desc())
            )
        )

    def _owns(self, user: User, release: Release) -> bool:
        return (
            self.session.scalar(
                select(Entitlement.id).where(
                    Entitlement.user_id == user.id,
                    Entitlement.release_id == release.id,
                    Entitlement.track_id.is_(None),
                    Entitlement.revoked_at.is_(None),
                )
            )
            is not None
        )

    # -- follows -------------------------------------------------------------------------------------------
    def follow(self, user: User, subject: Artist | Label) -> bool:
        if self._count(Follow, user) >= FOLLOW_LIMIT:
            raise FanError(f"You can follow at most {FOLLOW_LIMIT:,} artists and labels.")
        column = "artist_id" if isinstance(subject, Artist) else "label_id"
        return self._insert_once(
            Follow, {"user_id": user.id, column: subject.id, "created_at": utcnow()}, ["user_id", column]
        )

    def unfollow(self, user: User, subject: Artist | Label) -> None:
        column = Follow.artist_id if isinstance(subject, Artist) else Follow.label_id
        self.session.execute(delete(Follow).where(Follow.user_id == user.id, column == subject.id))

    def wishes(self, user: User, release_id: int) -> bool:
        found = select(WishlistItem.id).where(
            WishlistItem.user_id == user.id, WishlistItem.release_id == release_id
        )
        return self.session.scalar(found) is not None

    def follows(self, user: User, subject: Artist | Label) -> bool:
        column = Follow.artist_id if isinstance(subject, Artist) else Follow.label_id
        return (
            self.session.scalar(select(Follow.id).where(Follow.user_id == user.id, column == subject.id))
            is not None
        )

    def following(self, user: User) -> list[Follow]:
        return list(
            self.session.scalars(
                select(Follow)
                .where(Follow.user_id == user.id)
                .options(joinedload(Follow.artist), joinedload(Follow.label))
                .order_by(Follow.created_at.desc(), Follow.id.desc())
            )
        )

    def feed(self, user: User, *, before: browse.Cursor | None, after: browse.Cursor | None) -> browse.Page:
        """Public releases by followed artists or on followed labels, newest first, in keyset pages."""
        artists = select(Follow.artist_id).where(Follow.user_id == user.id, Follow.artist_id.is_not(None))
        labels = select(Follow.label_id).where(Follow.user_id == user.id, Follow.label_id.is_not(None))
        followed = or_(Release.artist_id.in_(artists), Release.label_id.in_(labels))
        source = browse.Source(
            lambda *cols: select(*cols).where(browse.public(), followed), Release.approved_at, Release.id
        )
        return browse.read_page(self.session, source, before=before, after=after)

    # -- mail preference -----------------------------------------------------------------------------------
    def wants_new_releases(self, user: User) -> bool:
        found = self.session.get(FanMailPreference, user.id, populate_existing=True)
        return True if found is None else found.new_releases

    def set_new_releases(self, user_id: int, wanted: bool) -> None:
        # One statement, so two unsubscribes at once (a mail client and a click) cannot collide.
        changed = {"new_releases": wanted, "changed_at": utcnow()}
        stmt = self._upsert(FanMailPreference, {"user_id": user_id, **changed})
        self.session.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=changed))

    def _count(self, model: Any, user: User) -> int:
        return int(self.session.scalar(select(func.count(model.id)).where(model.user_id == user.id)) or 0)
