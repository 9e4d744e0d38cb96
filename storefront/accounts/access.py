"""Access rules that read accounts: admins, reviewers, and the members and owners of artists and labels.

A profile rule loads the artist or label named by the URL's `slug` and hands it to the view as `artist` or
`label` in place of the slug; an unknown slug is a 404, a signed-in stranger a 403.
"""

from __future__ import annotations

from flask import abort, g
from sqlalchemy import select

from ..db import get_session
from ..web.access import Check, Rule, ViewArgs, granted_when
from .memberships import manages_releases_of
from .models import Artist, Label, MemberRole, User


def current_user() -> User | None:
    """The signed-in user, loaded by the session hook before any access rule runs."""
    user: User | None = g.get("user")
    return user


def _profile_check(kind: str, owner_only: bool, managers: bool = False) -> Check:
    def check(user: User, view_args: ViewArgs) -> ViewArgs | None:
        granted = dict(view_args)
        slug = granted.pop("slug", None)
        profile: Artist | Label | None
        if kind == "artist":
            profile = get_session().scalar(select(Artist).where(Artist.slug == slug))
        else:
            profile = get_session().scalar(select(Label).where(Label.slug == slug))
        if profile is None:
            abort(404)
        members = profile.members if isinstance(profile, Artist) else profile.staff
        for member in members:
            if member.user_id == user.id:
                if owner_only and member.role != MemberRole.OWNER:
                    return None
                granted[kind] = profile
                return granted
        if managers and isinstance(profile, Artist) and manages_releases_of(user, profile):
            granted[kind] = profile
            return granted
        return None

    return check


def _reviewer(user: User) -> bool:
    return user.is_admin or bool(user.label_memberships)


def _admin(user: User) -> bool:
    return user.is_admin


# The artist's members, passing `artist` to the view: other rooms build their rules on it.
artist_member = _profile_check("artist", owner_only=False)
# The artist's members and the staff of the labels it lets manage its releases: the release workspace's.
artist_manager = _profile_check("artist", owner_only=False, managers=True)

ADMIN = Rule("admin", needs_login=True, needs_verified=True, check=granted_when(_admin))
# Platform curators and label staff; which releases each may decide is checked per release.
REVIEWER = Rule("reviewer", True, True, granted_when(_reviewer))
ARTIST_MEMBER = Rule("artist-member", True, True, artist_member)
ARTIST_MANAGER = Rule("artist-manager", True, True, artist_manager)
ARTIST_OWNER = Rule("artist-owner", True, True, _profile_check("artist", owner_only=True))
LABEL_STAFF = Rule("label-staff", True, True, _profile_check("label", owner_only=False))
LABEL_OWNER = Rule("label-owner", True, True, _profile_check("label", owner_only=True))
