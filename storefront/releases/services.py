"""Release drafts: details, prices, tracks and their order, and credits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.models import Artist, Label, RosterStatus
from ..accounts.profiles import slugify
from ..accounts.services import Actor
from ..db import utcnow
from ..errors import RuleError
from ..events import record_event
from .identifiers import CURRENCIES, InvalidCode, normalise_isrc, normalise_upc, parse_price
from .models import Contributor, ContributorRole, License, Release, ReleaseStatus, ReleaseType, Track

EDITABLE = (ReleaseStatus.DRAFT, ReleaseStatus.CHANGES_REQUESTED)
MAX_TRACKS = 100
MAX_TAGS = 12


class ReleaseError(RuleError):
    """A change the release rules refuse; `field` names the form field the message belongs next to."""


@dataclass
class ReleaseDetails:
    """What a person typed into the release form, before it is checked."""

    title: str
    release_type: str = "album"
    release_date: date | None = None
    description: str = ""
    genre: str = ""
    tags: str = ""
    location: str = ""
    license: str = "all-rights-reserved"
    upc: str = ""
    currency: str = "USD"
    price: str = "0"
    pay_what_you_want: bool = False
    minimum_price: str = "0"
    label_slug: str = ""


def _tags(raw: str) -> list[str]:
    tags: list[str] = []
    for part in raw.replace(";", ",").split(","):
        tag = " ".join(part.strip().lower().split())[:40]
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ReleaseError(f"Use at most {MAX_TAGS} tags.", "tags")
    return tags


def next_track_position(session: Session, release: Release) -> int:
    """The position after the last track, taken under a lock on the release: two files dropped at once
    (two requests) must not both become track 1. SQLite serialises writers; PostgreSQL needs the row lock."""
    session.execute(select(Release.id).where(Release.id == release.id).with_for_update())
    last = session.scalar(select(func.max(Track.position)).where(Track.release_id == release.id))
    return int(last or 0) + 1


# What changes a release's content: whoever did any of these has a stake in it and can't decide on it.
EDIT_EVENTS = (
    "release:created",
    "release:updated",
    "release:track_added",
    "release:track_removed",
    "release:tracks_reordered",
    "release:credit_added",
    "release:credit_removed",
    "release:ai_training_changed",
    "release:submitted",
)


class ReleaseService:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- lookups ---------------------------------------------------------------------------------------
    def get_for_artist(self, artist: Artist, release_id: int) -> Release | None:
        release = self.session.get(Release, release_id)
        return release if release is not None and release.artist_id == artist.id else None

    def for_artist(self, artist: Artist) -> list[Release]:
        stmt = select(Release).where(Release.artist_id == artist.id).order_by(Release.created_at.desc())
        return list(self.session.scalars(stmt))

    def roster_labels(self, artist: Artist) -> list[Label]:
        return [link.label for link in artist.roster_links if link.status == RosterStatus.ACTIVE]

    # -- details ---------------------------------------------------------------------------------------
    def _apply(self, release: Release, details: ReleaseDetails) -> list[str]:
        """Check every field first, then change the release: a refused form changes nothing."""
        title = details.title.strip()
        if not title:
            raise ReleaseError("Enter a title.", "title")
        if len(title) > 200:
            raise ReleaseError("Use at most 200 characters.", "title")
        try:
            release_type = ReleaseType(details.release_type)
        except ValueError:
            raise ReleaseError("Choose album, EP or single.", "release_type") from None
        try:
            license_ = License(details.license)
        except ValueError:
            raise ReleaseError("Choose a license from the list.", "license") from None
        currency = details.currency.strip().upper()
        if currency not in CURRENCIES:
            raise ReleaseError("Choose a currency from the list.", "currency")
        try:
            upc = normalise_upc(details.upc)
        except InvalidCode as error:
            raise ReleaseError(str(error), "upc") from None
        try:
            price = parse_price(details.price, currency)
        except InvalidCode as error:
            raise ReleaseError(str(error), "price") from None
        try:
            minimum = parse_price(details.minimum_price, currency) if details.pay_what_you_want else 0
        except InvalidCode as error:
            raise ReleaseError(str(error), "minimum_price") from None
        if details.pay_what_you_want and price < minimum:
            raise ReleaseError("The suggested price can't be below the minimum.", "price")
        label = None
        if details.label_slug:
            label = next(
                (lb for lb in self.roster_labels(release.artist) if lb.slug == details.label_slug), None
            )
            if label is None:
                raise ReleaseError("Choose a label whose roster you are on.", "label_slug")
        tags = _tags(details.tags)

        new: dict[str, Any] = {
            "title": title,
            "release_type": release_type,
            "release_date": details.release_date,
            "description": details.description.strip(),
            "genre": details.genre.strip()[:60],
            "tags": tags,
            "location": details.location.strip()[:120],
            "license": license_,
            "upc": upc,
            "currency": currency,
            "price_minor": price,
            "pay_what_you_want": details.pay_what_you_want,
            "minimum_price_minor": minimum,
            "label_id": label.id if label else None,
        }
        changed = [name for name, value in new.items() if getattr(release, name) != value]
        for name, value in new.items():
            setattr(release, name, value)
        return changed

    def _unique_slug(self, artist: Artist, title: str) -> str:
        base = slugify(title)[:70] or "release"
        taken = set(self.session.scalars(select(Release.slug).where(Release.artist_id == artist.id)))
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        return slug

    def create(self, artist: Artist, actor: Actor, details: ReleaseDetails) -> Release:
        release = Release(artist=artist, title="", slug="")
        self.session.add(release)
        try:
            self._apply(release, details)
        except ReleaseError:
            self.session.expunge(release)
            raise
        release.slug = self._unique_slug(artist, release.title)
        self.session.flush()
        record_event(
            self.session,
            "release:created",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"artist_id": artist.id},
        )
        return release

    def _editable(self, release: Release) -> None:
        if release.status not in EDITABLE:
            raise ReleaseError(
                f"This release is {release.status.value.replace('_', ' ')}; it can't be edited now."
            )

    def update(self, release: Release, actor: Actor, details: ReleaseDetails) -> None:
        self._editable(release)
        changed = self._apply(release, details)
        if changed:
            record_event(
                self.session,
                "release:updated",
                subject_type="release",
                subject_id=release.id,
                actor_id=actor.user_id,
                ip_hash=actor.ip_hash,
                data={"fields": changed},
            )

    # -- tracks ----------------------------------------------------------------------------------------
    def add_track(self, release: Release, actor: Actor, title: str) -> Track:
        self._editable(release)
        title = title.strip()
        if not title:
            raise ReleaseError("Enter the track's title.", "title")
        if len(release.tracks) >= MAX_TRACKS:
            raise ReleaseError(f"A release can have at most {MAX_TRACKS} tracks.", "title")
        track = Track(title=title[:200], position=next_track_position(self.session, release))
        release.tracks.append(track)
        self.session.flush()
        record_event(
            self.session,
            "release:track_added",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            data={"track_id": track.id},
        )
        return track

    def update_track(
        self,
        track: Track,
        actor: Actor,
        *,
        title: str,
        isrc: str,
        lyrics: str,
        explicit: bool,
        price: str,
        instant_grat: bool = False,
    ) -> None:
        release = track.release
        self._editable(release)
        title = title.strip()
        if not title:
            raise ReleaseError("Enter the track's title.", "title")
        try:
            code = normalise_isrc(isrc)
        except InvalidCode as error:
            raise ReleaseError(str(error), "isrc") from None
        if code and any(t.isrc == code and t.id != track.id for t in release.tracks):
            raise ReleaseError("Another track of this release has the same ISRC.", "isrc")
        try:
            price_minor = parse_price(price, release.currency) if price.strip() else None
        except InvalidCode as error:
            raise ReleaseError(str(error), "price") from None
        track.title, track.isrc, track.lyrics = title[:200], code, lyrics.strip()
        track.explicit, track.price_minor, track.instant_grat = explicit, price_minor, instant_grat

    def reorder(self, release: Release, actor: Actor, ordered_ids: list[int]) -> None:
        self._editable(release)
        current = {t.id: t for t in release.tracks}
        if sorted(ordered_ids) != sorted(current):
            raise ReleaseError("The track list changed meanwhile; reload the page and try again.")
        # Positions are rewritten in two passes so no two tracks share one on the way.
        for track in current.values():
            track.position += 10_000
        self.session.flush()
        for position, track_id in enumerate(ordered_ids, start=1):
            current[track_id].position = position
        release.tracks.sort(key=lambda t: t.position)
        record_event(
            self.session,
            "release:tracks_reordered",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            data={"order": ordered_ids},
        )

    def move_track(self, track: Track, actor: Actor, direction: str) -> None:
        ids = [t.id for t in track.release.tracks]
        index = ids.index(track.id)
        target = index - 1 if direction == "up" else index + 1
        if 0 <= target < len(ids):
            ids[index], ids[target] = ids[target], ids[index]
            self.reorder(track.release, actor, ids)

    def delete_track(self, track: Track, actor: Actor) -> None:
        release = track.release
        self._editable(release)
        release.tracks.remove(track)
        self.session.delete(track)
        self.session.flush()
        for position, remaining in enumerate(release.tracks, start=1):
            remaining.position = position
        record_event(
            self.session,
            "release:track_removed",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            data={"track_id": track.id, "title": track.title},
        )

    # -- credits ---------------------------------------------------------------------------------------
    def add_contributor(
        self,
        release: Release,
        actor: Actor,
        *,
        name: str,
        role: str,
        instrument: str = "",
        track_id: int | None = None,
    ) -> Contributor:
        self._editable(release)
        name = name.strip()
        if not name:
            raise ReleaseError("Enter the person's name.", "name")
        try:
            role_ = ContributorRole(role)
        except ValueError:
            raise ReleaseError("Choose a role from the list.", "role") from None
        if role_ == ContributorRole.PERFORMER and not instrument.strip():
            raise ReleaseError("Name the instrument or voice, e.g. “lead vocals” or “cello”.", "instrument")
        track = None
        if track_id:
            track = next((t for t in release.tracks if t.id == track_id), None)
            if track is None:
                raise ReleaseError("Choose a track of this release.", "track_id")
        contributor = Contributor(
            name=name[:120],
            role=role_,
            instrument=instrument.strip()[:80],
            track_id=track.id if track else None,
        )
        release.contributors.append(contributor)
        self.session.flush()
        self._credited(release, actor, "release:credit_added", contributor)
        return contributor

    def _credited(self, release: Release, actor: Actor, tag: str, contributor: Contributor) -> None:
        record_event(
            self.session,
            tag,
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"name": contributor.name, "role": contributor.role.value, "track_id": contributor.track_id},
        )

    def remove_contributor(self, release: Release, actor: Actor, contributor_id: int) -> None:
        self._editable(release)
        contributor = next((c for c in release.contributors if c.id == contributor_id), None)
        if contributor is None:
            raise ReleaseError("That credit is already gone.")
        self._credited(release, actor, "release:credit_removed", contributor)
        release.contributors.remove(contributor)
        self.session.delete(contributor)

    def set_ai_training(self, release: Release, actor: Actor, *, opt_in: bool, terms: str) -> None:
        release.ai_training_opt_in, release.ai_training_terms = opt_in, terms if opt_in else ""
        record_event(
            self.session,
            "release:ai_training_changed",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"opt_in": opt_in},
        )

    def touch(self, release: Release) -> None:
        release.updated_at = utcnow()
