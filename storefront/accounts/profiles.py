"""Artist and label profiles: creation, editing, avatars, members by invitation, rosters by consent."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from typing import BinaryIO
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..events import record_event
from ..jobs.interfaces import JobSpec
from ..mail.services import MailService
from ..storage.interfaces import ObjectStorage
from .credentials import hash_token, new_secret_token
from .identity.checks import held_reason, look_alike_profile, recheck_after_rename
from .models import (
    Artist,
    ArtistMember,
    Invitation,
    InvitationKind,
    Label,
    LabelStaff,
    MemberRole,
    User,
)
from .services import AccountError, Actor, normalise_email

UrlFor = Callable[..., str]
# {"kind": "artist" | "label", "id": int}: search rewrites what carries the profile's name; its handler lives
# in search, which reads profiles (declared here so that accounts need not import it).
PROFILE_RENAMED = JobSpec("search.reindex_profile")

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    [
        "admin",
        "api",
        "account",
        "accounts",
        "login",
        "logout",
        "signup",
        "new",
        "edit",
        "static",
        "storage",
        "healthz",
        "about",
        "help",
        "support",
        "labels",
        "artists",
        "releases",
        "search",
        "cart",
        "checkout",
        "collection",
        "download",
        "downloads",
        "certificates",
        "verify",
    ]
)
INVITATION_DAYS = 14
AVATAR_MAX_BYTES = 8 * 1024 * 1024
AVATAR_MAX_PIXELS = 40_000_000
AVATAR_SIZE = 512
MAX_LINKS = 8


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60].strip("-")


def clean_links(raw: str) -> list[str]:
    links = [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()]
    if len(links) > MAX_LINKS:
        raise AccountError(f"Give at most {MAX_LINKS} links.", "links")
    for link in links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 300:
            raise AccountError(f"“{link[:60]}” is not a web address starting with https://.", "links")
    return links


def process_avatar(stream: BinaryIO) -> bytes:
    """A square 512 px JPEG without metadata, or an AccountError saying what is wrong with the image."""
    data = stream.read(AVATAR_MAX_BYTES + 1)
    if len(data) > AVATAR_MAX_BYTES:
        raise AccountError("The image is larger than 8 MB; choose a smaller one.", "avatar")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("JPEG", "PNG", "WEBP"):
                raise AccountError("Upload a JPEG, PNG or WebP image.", "avatar")
            if probe.width * probe.height > AVATAR_MAX_PIXELS:
                raise AccountError("The image has too many pixels; 6000×6000 is the most.", "avatar")
            image = probe.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise AccountError(
            "This file is not an image we can read. Upload a JPEG, PNG or WebP.", "avatar"
        ) from None
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side)).resize(
        (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS
    )
    out = io.BytesIO()
    square.save(out, "JPEG", quality=88, optimize=True)
    return out.getvalue()


class ProfileService:
    def __init__(
        self, session: Session, *, mail: MailService, storage: ObjectStorage, url_for: UrlFor
    ) -> None:
        self.session = session
        self.mail = mail
        self.storage = storage
        self.url_for = url_for

    # -- lookups ---------------------------------------------------------------------------------------
    def artist_by_slug(self, slug: str) -> Artist | None:
        return self.session.scalar(select(Artist).where(Artist.slug == slug))

    def label_by_slug(self, slug: str) -> Label | None:
        return self.session.scalar(select(Label).where(Label.slug == slug))

    def artists_of(self, user: User) -> list[Artist]:
        return [m.artist for m in user.artist_memberships]

    def labels_of(self, user: User) -> list[Label]:
        return [s.label for s in user.label_memberships]

    # -- creating and editing ------------------------------------------------------------------------------
    def _check_fields(
        self, model: type[Artist] | type[Label], name: str, slug: str, current: Artist | Label | None
    ) -> tuple[str, str]:
        name = name.strip()
        if not name:
            raise AccountError("Enter a name.", "name")
        if len(name) > 120:
            raise AccountError("Use at most 120 characters.", "name")
        slug = slug.strip().lower() or slugify(name)
        if not SLUG_RE.match(slug):
            raise AccountError(
                "Use 1–60 lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
                "slug",
            )
        if slug in RESERVED_SLUGS:
            raise AccountError(f"“{slug}” is reserved; choose another address.", "slug")
        taken = self.session.scalar(select(model.id).where(model.slug == slug))
        if taken is not None and (current is None or taken != current.id):
            raise AccountError(f"The address “{slug}” is taken; choose another.", "slug")
        return name, slug

    def _new_profile(
        self,
        model: type[Artist] | type[Label],
        user: User,
        actor: Actor,
        *,
        name: str,
        slug: str = "",
        bio: str = "",
        location: str = "",
        links: str = "",
    ) -> Artist | Label:
        name, slug = self._check_fields(model, name, slug, None)
        profile = model(
            name=name, slug=slug, bio=bio.strip(), location=location.strip()[:120], links=clean_links(links)
        )
        if isinstance(profile, Artist):
            # A new profile whose name could pass for a verified artist's waits for an admin before releasing.
            similar = look_alike_profile(self.session, name, slug)
            if similar is not None:
                profile.hold_reason = held_reason(similar)
            profile.members.append(ArtistMember(user=user, role=MemberRole.OWNER))
        else:
            profile.staff.append(LabelStaff(user=user, role=MemberRole.OWNER))
        self.session.add(profile)
        self.session.flush()
        kind = "artist" if isinstance(profile, Artist) else "label"
        record_event(
            self.session,
            f"{kind}:created",
            subject_type=kind,
            subject_id=profile.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"slug": slug},
        )
        record_event(
            self.session,
            f"{kind}:member_added",
            subject_type=kind,
            subject_id=profile.id,
            actor_id=actor.user_id,
            data={"user_id": user.id, "role": "owner"},
        )
        return profile

    def create_artist(self, user: User, actor: Actor, **fields: str) -> Artist:
        artist = self._new_profile(Artist, user, actor, **fields)
        assert isinstance(artist, Artist)
        return artist

    def create_label(self, user: User, actor: Actor, **fields: str) -> Label:
        label = self._new_profile(Label, user, actor, **fields)
        assert isinstance(label, Label)
        return label

    def update_profile(
        self,
        profile: Artist | Label,
        actor: Actor,
        *,
        name: str,
        slug: str,
        bio: str,
        location: str,
        links: str,
        avatar: BinaryIO | None = None,
    ) -> Artist | Label:
        name, slug = self._check_fields(type(profile), name, slug, profile)
        cleaned_links = clean_links(links)
        avatar_bytes = process_avatar(avatar) if avatar is not None else None
        kind = "artist" if isinstance(profile, Artist) else "label"
        changed = [
            f
            for f, v in (
                ("name", name),
                ("slug", slug),
                ("bio", bio.strip()),
                ("location", location.strip()),
                ("links", cleaned_links),
            )
            if getattr(profile, f) != v
        ]
        profile.name, profile.slug, profile.bio = name, slug, bio.strip()
        profile.location, profile.links = location.strip()[:120], cleaned_links
        if isinstance(profile, Artist) and {"name", "slug"} & set(changed):
            recheck_after_rename(self.session, profile, actor)
        if {"name", "slug", "location"} & set(changed):
            self.mail.queue.enqueue(PROFILE_RENAMED, {"kind": kind, "id": profile.id})
        if avatar_bytes is not None:
            digest = hashlib.sha256(avatar_bytes).hexdigest()[:16]
            key = f"avatars/{kind}s/{profile.id}/{digest}.jpg"
            self.storage.put(key, io.BytesIO(avatar_bytes), content_type="image/jpeg")
            profile.avatar_key = key
            changed.append("avatar")
        if changed:
            record_event(
                self.session,
                f"{kind}:updated",
                subject_type=kind,
                subject_id=profile.id,
                actor_id=actor.user_id,
                ip_hash=actor.ip_hash,
                data={"fields": changed},
            )
        return profile

    # -- invitations ------------------------------------------------------------------------------------
    def invite(self, target: Artist | Label, actor: Actor, inviter: User, email: str) -> Invitation:
        email = normalise_email(email)
        is_artist = isinstance(target, Artist)
        members = target.members if isinstance(target, Artist) else target.staff
        if any(m.user.email == email for m in members):
            raise AccountError("This person is already a member.", "email")
        now = utcnow()
        pending = self.session.scalars(
            select(Invitation).where(
                Invitation.email == email,
                (Invitation.artist_id == target.id) if is_artist else (Invitation.label_id == target.id),
            )
        )
        if any(inv.is_open(now) for inv in pending):
            raise AccountError("An invitation to this address is still open.", "email")
        token, token_hash = new_secret_token()
        invitation = Invitation(
            kind=InvitationKind.ARTIST_MEMBER if is_artist else InvitationKind.LABEL_STAFF,
            artist_id=target.id if is_artist else None,
            label_id=None if is_artist else target.id,
            email=email,
            token_hash=token_hash,
            invited_by_id=inviter.id,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        self.session.add(invitation)
        self.session.flush()
        kind = "artist" if is_artist else "label"
        record_event(
            self.session,
            f"{kind}:member_invited",
            subject_type=kind,
            subject_id=target.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"invitation_id": invitation.id},
        )
        self.mail.send(
            "invitation",
            email,
            f"{inviter.display_name} invites you to {target.name} on Velvet",
            "invitation",
            inviter=inviter,
            target=target,
            is_artist=is_artist,
            days=INVITATION_DAYS,
            link=self.url_for("profiles.invitation", token=token),
        )
        return invitation

    def invitation_by_token(self, token: str) -> Invitation | None:
        return self.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))

    def accept_invitation(self, token: str, user: User, actor: Actor) -> Artist | Label:
        invitation = self.invitation_by_token(token)
        if invitation is None or not invitation.is_open(utcnow()):
            raise AccountError("This invitation is no longer open. Ask for a new one.")
        if not user.is_verified or user.email != invitation.email:
            raise AccountError(
                f"This invitation was sent to {invitation.email}. Log in with that address "
                "(and confirm it) to accept."
            )
        invitation.accepted_at = utcnow()
        invitation.accepted_by_id = user.id
        target: Artist | Label
        if invitation.artist is not None:
            target = invitation.artist
            if not any(m.user_id == user.id for m in target.members):
                target.members.append(ArtistMember(user=user, role=MemberRole.MEMBER))
            kind = "artist"
        else:
            assert invitation.label is not None
            target = invitation.label
            if not any(s.user_id == user.id for s in target.staff):
                target.staff.append(LabelStaff(user=user, role=MemberRole.MEMBER))
            kind = "label"
        self.session.flush()
        record_event(
            self.session,
            f"{kind}:member_added",
            subject_type=kind,
            subject_id=target.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"user_id": user.id, "role": "member", "invitation_id": invitation.id},
        )
        return target

    def revoke_invitation(self, target: Artist | Label, invitation_id: int, actor: Actor) -> None:
        invitation = self.session.get(Invitation, invitation_id)
        if invitation is None:
            raise AccountError("There is no open invitation to revoke.")
        owner_id = invitation.artist_id if isinstance(target, Artist) else invitation.label_id
        if owner_id != target.id or invitation.accepted_at is not None:
            raise AccountError("There is no open invitation to revoke.")
        invitation.revoked_at = utcnow()
        kind = "artist" if isinstance(target, Artist) else "label"
        record_event(
            self.session,
            f"{kind}:invitation_revoked",
            subject_type=kind,
            subject_id=target.id,
            actor_id=actor.user_id,
            data={"invitation_id": invitation_id},
        )

    def open_invitations(self, target: Artist | Label) -> list[Invitation]:
        column = Invitation.artist_id if isinstance(target, Artist) else Invitation.label_id
        now = utcnow()
        found = self.session.scalars(
            select(Invitation).where(column == target.id).order_by(Invitation.created_at)
        )
        return [inv for inv in found if inv.is_open(now)]
