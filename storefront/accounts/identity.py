"""Artist identity: a label's vouch or a token on the artist's website, and holds on look-alike names."""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
import unicodedata
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..events import record_event
from .models import Artist, Label, RosterStatus
from .services import AccountError, Actor

WELL_KNOWN_PATH = "/.well-known/velvet-artist.txt"
MAX_BODY = 4096
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


def fetch_public(url: str, *, allow_private: bool = False, timeout: float = 5.0) -> str:
    """GET a short text from a public web address; refuses addresses inside private networks."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AccountError("Give the address of your website, starting with https://.", "website")
    if not allow_private:
        for info in socket.getaddrinfo(parts.hostname, parts.port or 443):
            address = ipaddress.ip_address(info[4][0])
            if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
                raise AccountError("That address is not a public website.", "website")
    request = urllib.request.Request(url, headers={"User-Agent": "Velvet artist verification"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            return str(response.read(MAX_BODY).decode("utf-8", "replace"))
    except OSError as exc:
        raise AccountError(f"We could not read {url} ({exc.__class__.__name__}).", "website") from None


class IdentityService:
    def __init__(self, session: Session, *, fetch: Fetcher) -> None:
        self.session = session
        self.fetch = fetch

    def _verify(self, artist: Artist, actor: Actor, method: str, detail: str) -> None:
        artist.verified_at, artist.verified_by, artist.verified_detail = utcnow(), method, detail[:300]
        artist.hold_reason = None
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
        self._verify(artist, actor, "label", label.name)

    def start_website_check(self, artist: Artist, actor: Actor, website: str) -> str:
        parts = urlsplit(website.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
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
        similar = look_alike(self.session, artist.name, excluding=artist.id)
        if similar is not None and artist.verified_at is None:
            artist.hold_reason = f"The name is close to the verified artist “{similar.name}”."

    def clear_hold(self, artist: Artist, actor: Actor) -> None:
        artist.hold_reason = None
        record_event(
            self.session,
            "artist:hold_cleared",
            subject_type="artist",
            subject_id=artist.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
        )
