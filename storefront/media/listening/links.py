"""Private listening links: an artist's members let someone (press, a radio host) stream a release, often
before it is public, at /listen/<token> until the link expires or is revoked.

The token is 43 characters of `secrets.token_urlsafe` (256 bits), so guessing one is hopeless; only its
SHA-256 is stored, and the artist sees the link once, when it is made. A link streams the release's preview
rendition (what the public player plays) and nothing else: never a master or a download format.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...accounts.models import User
from ...db import utcnow
from ...errors import RuleError
from ...events import record_event
from ...releases.models import Release, ReleaseStatus, Track
from .. import recipes
from ..models import MediaStatus, Rendition
from .models import NOTE_LENGTH, ListeningLink

DEFAULT_DAYS = 14
MAX_DAYS = 90
MAX_LIVE_LINKS = 200  # live links of one release: a press list, not a broadcast


class ListeningLinkError(RuleError):
    """A listening link that cannot be made as asked; the message is for the artist."""


class ListeningClock:
    """What time it is for listening links; tests hand the service one they move."""

    def __init__(self, now: Callable[[], datetime] = utcnow) -> None:
        self.now = now


def lookup_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    return 40 <= len(token) <= 64 and all(ch.isalnum() or ch in "-_" for ch in token)


@dataclass(frozen=True)
class Made:
    link: ListeningLink
    token: str  # shown once; only its digest is kept


@dataclass(frozen=True)
class Opened:
    """What the holder of a link finds: the link, or why it no longer plays (`gone` set)."""

    link: ListeningLink
    gone: str | None


class ListeningLinkService:
    def __init__(self, session: Session, clock: ListeningClock | None = None) -> None:
        self.session = session
        self.now = (clock or ListeningClock()).now

    # -- the artist's side ---------------------------------------------------------------------------------
    def links(self, release: Release) -> list[ListeningLink]:
        return list(
            self.session.scalars(
                select(ListeningLink)
                .where(ListeningLink.release_id == release.id)
                .order_by(ListeningLink.created_at.desc(), ListeningLink.id.desc())
            )
        )

    def state(self, link: ListeningLink) -> str:
        if link.revoked_at is not None:
            return "revoked"
        if link.expires_at <= self.now():
            return "expired"
        return "active"

    def create(self, release: Release, by: User, *, note: str, days: int) -> Made:
        if release.status == ReleaseStatus.TAKEN_DOWN:
            raise ListeningLinkError("This release was taken down, so it cannot be shared.")
        note = " ".join(note.split())
        if not note:
            raise ListeningLinkError("Say who the link is for, such as “Pitchfork — J. Doe”.", "note")
        if len(note) > NOTE_LENGTH:
            raise ListeningLinkError(f"Keep the note to {NOTE_LENGTH} characters.", "note")
        if not 1 <= days <= MAX_DAYS:
            raise ListeningLinkError(f"A link lasts between 1 and {MAX_DAYS} days.", "days")
        live = [link for link in self.links(release) if self.state(link) == "active"]
        if len(live) >= MAX_LIVE_LINKS:
            raise ListeningLinkError(f"A release can have at most {MAX_LIVE_LINKS} live links; revoke some.")
        token = secrets.token_urlsafe(32)
        now = self.now()
        link = ListeningLink(
            release_id=release.id,
            note=note,
            lookup=lookup_of(token),
            created_by_id=by.id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        self.session.add(link)
        self.session.flush()
        self._event("listening:created", link, by, days=days)
        return Made(link, token)

    def find_own(self, release: Release, link_id: int) -> ListeningLink | None:
        return self.session.scalar(
            select(ListeningLink).where(ListeningLink.id == link_id, ListeningLink.release_id == release.id)
        )

    def revoke(self, link: ListeningLink, by: User) -> bool:
        """The link and every stream through it stop at once. False if it was revoked already."""
        if link.revoked_at is not None:
            return False
        link.revoked_at = self.now()
        self._event("listening:revoked", link, by)
        return True

    def _event(self, name: str, link: ListeningLink, by: User, **data: int) -> None:
        record_event(
            self.session,
            name,
            subject_type="release",
            subject_id=link.release_id,
            actor_id=by.id,
            data={"link_id": link.id, **data},
        )

    # -- the holder's side ---------------------------------------------------------------------------------
    def open(self, token: str) -> Opened | None:
        """The link a token names, with why it no longer plays if it does not; None for no link at all."""
        if not looks_like_token(token):
            return None
        link = self.session.scalar(select(ListeningLink).where(ListeningLink.lookup == lookup_of(token)))
        if link is None:
            return None
        if link.release.status == ReleaseStatus.TAKEN_DOWN:
            return Opened(link, "taken_down")
        state = self.state(link)
        return Opened(link, None if state == "active" else state)

    def count_opening(self, link: ListeningLink) -> None:
        # One UPDATE, so two people opening at once both count.
        self.session.execute(
            update(ListeningLink).where(ListeningLink.id == link.id).values(opened=ListeningLink.opened + 1)
        )

    def stream_of(self, link: ListeningLink, track_id: int) -> tuple[Track, Rendition] | None:
        """The ready preview rendition of a track of the link's own release; None for any other track."""
        track = self.session.scalar(
            select(Track).where(Track.id == track_id, Track.release_id == link.release_id)
        )
        if track is None or track.master is None:
            return None
        rendition = self.session.scalar(
            select(Rendition).where(
                Rendition.upload_id == track.master.id, Rendition.format == recipes.PREVIEW_FORMAT
            )
        )
        if rendition is None or rendition.status != MediaStatus.READY or rendition.key is None:
            return None
        return track, rendition

    def playable(self, link: ListeningLink) -> set[int]:
        """Ids of the link's tracks whose current master has a stream ready."""
        masters = [t.master.id for t in link.release.tracks if t.master is not None]
        rows = self.session.scalars(
            select(Rendition.track_id).where(
                Rendition.upload_id.in_(masters),
                Rendition.format == recipes.PREVIEW_FORMAT,
                Rendition.status == MediaStatus.READY,
                Rendition.key.is_not(None),
            )
        )
        return set(rows)
