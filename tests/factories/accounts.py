"""Factories for users, artist and label profiles, and their memberships."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, ArtistMember, Label, LabelStaff, MemberRole, User
from storefront.container import Platform
from storefront.db import commit, utcnow

PASSWORD = "plum-velvet-harbour-42"
_seq = itertools.count(1)


def make_user(
    session: Session,
    platform: Platform,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    verified: bool = True,
    admin: bool = False,
) -> User:
    n = next(_seq)
    user = User(
        email=email or f"user{n}@example.com",
        display_name=name or f"User {n}",
        password_hash=platform.passwords.hash(password),
        email_verified_at=utcnow() if verified else None,
        is_admin=admin,
    )
    session.add(user)
    commit(session)
    return user


def make_artist(session: Session, owner: User, *, name: str | None = None, slug: str | None = None) -> Artist:
    n = next(_seq)
    artist = Artist(name=name or f"Artist {n}", slug=slug or f"artist-{n}", links=[])
    artist.members.append(ArtistMember(user=owner, role=MemberRole.OWNER))
    session.add(artist)
    commit(session)
    return artist


def make_label(session: Session, owner: User, *, name: str | None = None, slug: str | None = None) -> Label:
    n = next(_seq)
    label = Label(name=name or f"Label {n}", slug=slug or f"label-{n}", links=[])
    label.staff.append(LabelStaff(user=owner, role=MemberRole.OWNER))
    session.add(label)
    commit(session)
    return label
