"""Artist identity: a label's vouch or a token on the artist's website, and holds on look-alike names."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db import utcnow
from ...events import record_event
from ..models import Artist, Label, RosterStatus, User
from ..services import AccountError, Actor
from .website import WebsiteFetcher

WELL_KNOWN_PATH = "/.well-known/velvet-artist.txt"
Fetcher = Callable[[str], str]


def name_key(name: str) -> str:
    """The part of a name that matters for confusion: no case, accents, punctuation or leading "the"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = re.sub(r"^the\s+", "", text.strip())
    return (
        re.sub(r"[^a-z0-9]", "", text).replace("0", "o").replace("1", "l").replace("3", "e").replace("5", "s")
    )


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def look_alike(session: Session, name: str, *, excluding: int | None = None) -> Artist | None:
    """A verified artist whose name this one could be mistaken for."""
    key = name_key(name)
    if not key:
        return None
    for artist in session.scalars(select(Artist).where(Artist.verified_at.is_not(None))):
        if artist.id == excluding:
            continue
        other = name_key(artist.name)
        if key == other or (min(len(key), len(other)) >= 5 and _distance(key, other) <= 1):
            return artist
    return None


def look_alike_profile(
    session: Session, name: str, slug: str, *, excluding: int | None = None
) -> Artist | None:
    """A verified artist that this name or this address could be taken for."""
    return look_alike(session, name, excluding=excluding) or look_alike(session, slug, excluding=excluding)


def held_reason(similar: Artist) -> str:
    return f"The name is close to the verified artist “{similar.name}”."


def recheck_after_rename(session: Session, artist: Artist, actor: Actor) -> None:
    """A new name or address is a new identity claim: verification is earned again, look-alikes are held."""
    if artist.verified_at is not None:
        artist.verified_at, artist.verified_by, artist.verified_detail = None, None, ""
        record_event(
            session,
            "artist:verification_dropped",
            subject_type="artist",
            subject_id=artist.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"why": "renamed"},
        )
    similar = look_alike_profile(session, artist.name, artist.slug, excluding=artist.id)
    if similar is not None and artist.hold_reason is None:
        artist.hold_reason = held_reason(similar)
        record_event(
            session,
            "artist:held",
            subject_type="artist",
            subject_id=artist.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"similar_to": similar.id},
        )


def fetch_public(url: str, *, fetcher: WebsiteFetcher | None = None) -> str:
    """GET a short text from a public web address; see WebsiteFetcher for what is refused."""
    return (fetcher or WebsiteFetcher())(url)


class IdentityService:
    def __init__(self, session: Session, *, fetch: Fetcher) -> None:
        self.session = session
        self.fetch = fetch

    def _verify(self, artist: Artist, actor: Actor, method: str, detail: str) -> None:
        # A vouch or a website proves who runs the profile, not that its name is not someone else's: a held
        # profile stays held until a platform curator clears it, and is verified only after that.
        if artist.hold_reason:
            raise AccountError(
                f"{artist.name} is held for review: {artist.hold_reason} A platform curator has to clear "
                "the hold before it can be verified."
            )
        artist.verified_at, artist.verified_by, artist.verified_detail = utcnow(), method, detail[:300]
        record_event(
            self.session,
            "artist:verified",
            subject_type="artist",
            subject_id=artist.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"method": method, "detail": detail},
        )

    def vouch(self, artist: Artist, label: Label, actor: Actor) -> None:
        """A label vouches only for an artist that is on its roster, with both sides' consent."""
        if not any(
            link.label_id == label.id and link.status == RosterStatus.ACTIVE for link in artist.roster_links
        ):
            raise AccountError(f"{artist.name} is not on {label.name}'s roster.")
        if label.verified_at is None:
            raise AccountError(
                f"{label.name} is not verified by the platform yet, so its vouch can't verify an artist."
            )
        if any(member.user_id == actor.user_id for member in artist.members):
            raise AccountError(
                f"You are a member of {artist.name}, so your vouch does not count. Another member of "
                f"{label.name}'s staff, or the artist's own website, can verify it."
            )
        self._verify(artist, actor, "label", label.name)

    def start_website_check(self, artist: Artist, actor: Actor, website: str) -> str:
        try:
            parts = urlsplit(website.strip())
            parts.port  # noqa: B018 - a port beyond 65535 raises here, not on the first check
        except ValueError:
            parts = urlsplit("")
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.username
            or parts.password
            or len(parts.netloc) > 200
        ):
            raise AccountError("Give the address of your website, starting with https://.", "website")
        artist.website_url = f"{parts.scheme}://{parts.netloc}"
        artist.website_token = artist.website_token or f"velvet-artist-{secrets.token_urlsafe(18)}"
        return artist.website_token

    def check_website(self, artist: Artist, actor: Actor) -> None:
        if not artist.website_url or not artist.website_token:
            raise AccountError("Start by giving your website's address.", "website")
        body = self.fetch(artist.website_url + WELL_KNOWN_PATH)
        if artist.website_token not in body:
            raise AccountError(
                f"{artist.website_url}{WELL_KNOWN_PATH} does not contain your token yet.", "website"
            )
        self._verify(artist, actor, "website", artist.website_url)

    def hold_if_look_alike(self, artist: Artist) -> None:
        similar = look_alike_profile(self.session, artist.name, artist.slug, excluding=artist.id)
        if similar is not None and artist.verified_at is None and artist.hold_reason is None:
            artist.hold_reason = held_reason(similar)

    def clear_hold(self, artist: Artist, curator: User, actor: Actor) -> None:
        """Only a platform curator lifts a hold; a label's vouch or a website never does."""
        if not curator.is_admin:
            raise AccountError("Only a platform curator can clear a hold.")
        artist.hold_reason = None
        record_event(
            self.session,
            "artist:hold_cleared",
            subject_type="artist",
            subject_id=artist.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
        )

    # -- labels: what the platform says about them -------------------------------------------------------
    def set_label_standing(
        self, label: Label, admin: User, actor: Actor, *, verified: bool, trusted_to_approve: bool
    ) -> list[str]:
        """Verify a label (its vouches count) and trust it to approve (its approvals are certified).

        Only platform admins decide this; trust needs verification, so withdrawing one withdraws both.
        Returns the audit tags recorded, one per change.
        """
        if not admin.is_admin:
            raise AccountError("Only a platform admin can verify a label or trust it to approve.")
        if trusted_to_approve and not verified:
            raise AccountError(f"Verify {label.name} before trusting it to approve releases.")
        changes = []
        if verified != (label.verified_at is not None):
            label.verified_at = utcnow() if verified else None
            changes.append("label:verified" if verified else "label:verification_withdrawn")
        if trusted_to_approve != label.trusted_to_approve:
            label.trusted_to_approve = trusted_to_approve
            changes.append(
                "label:approval_trusted" if trusted_to_approve else "label:approval_trust_withdrawn"
            )
        for tag in changes:
            record_event(
                self.session,
                tag,
                subject_type="label",
                subject_id=label.id,
                actor_id=actor.user_id,
                ip_hash=actor.ip_hash,
            )
        return changes
