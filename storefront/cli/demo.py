"""`flask demo`: bring the schema up to date and seed a demo label, artists and a fan account."""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.models import Artist, ArtistMember, Label, LabelStaff, MemberRole, RosterLink, User
from ..container import Platform
from ..db import utcnow
from ..events import record_event
from .database import upgrade


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    name: str
    role: str


ADMIN = DemoAccount("admin@example.com", "velvet-demo-admin", "Ada Admin", "platform admin")
FAN = DemoAccount("fan@example.com", "velvet-demo-fan", "Felix Fan", "fan")
LABEL_OWNER = DemoAccount("label@example.com", "velvet-demo-label", "Lena Label", "label staff")
ARTISTS = (
    (
        DemoAccount("mara@example.com", "velvet-demo-artist", "Mara Lind", "artist member"),
        "Mara Lind",
        "mara-lind",
        "Gothenburg, Sweden",
        "Songs written at the kitchen table and recorded in one take, with a nylon-string guitar.",
    ),
    (
        DemoAccount("quiet@example.com", "velvet-demo-artist", "Jonah Reyes", "artist member"),
        "The Quiet Hours",
        "the-quiet-hours",
        "Leeds, UK",
        "A four-piece playing slow, warm indie rock on borrowed amplifiers.",
    ),
    (
        DemoAccount("orchard@example.com", "velvet-demo-artist", "Ines Okafor", "artist member"),
        "Static Orchard",
        "static-orchard",
        "Lagos, Nigeria",
        "Drum machines programmed by hand, synthesisers played live, tape loops from the street.",
    ),
)
DEMO_ACCOUNTS = (ADMIN, FAN, LABEL_OWNER, *(entry[0] for entry in ARTISTS))


def _user(session: Session, platform: Platform, account: DemoAccount, *, admin: bool = False) -> User:
    user = session.scalar(select(User).where(func.lower(User.email) == account.email))
    if user is None:
        user = User(
            email=account.email,
            display_name=account.name,
            password_hash=platform.passwords.hash(account.password),
            email_verified_at=utcnow(),
            is_admin=admin,
        )
        session.add(user)
        session.flush()
        record_event(
            session,
            "user:signed_up",
            subject_type="user",
            subject_id=user.id,
            actor_id=None,
            data={"via": "demo"},
        )
    return user


def seed(platform: Platform) -> bool:
    """Seed the demo data unless it is already there. Returns whether anything was added."""
    with platform.database.transaction() as session:
        if session.scalar(select(Label.id).where(Label.slug == "harbour-lights")) is not None:
            return False
        _user(session, platform, ADMIN, admin=True)
        _user(session, platform, FAN)
        staff = _user(session, platform, LABEL_OWNER)
        label = Label(
            name="Harbour Lights Records",
            slug="harbour-lights",
            location="Bristol, UK",
            bio="A small label for records made by hand, by people, in rooms.",
            links=["https://example.com/harbour-lights"],
        )
        label.staff.append(LabelStaff(user=staff, role=MemberRole.OWNER))
        now = utcnow()
        # Verified by the platform, so its vouch counts; a platform curator still approves its releases.
        label.verified_at = now
        session.add(label)
        for account, name, slug, location, bio in ARTISTS:
            member = _user(session, platform, account)
            artist = Artist(name=name, slug=slug, location=location, bio=bio, links=[])
            artist.members.append(ArtistMember(user=member, role=MemberRole.OWNER))
            if slug == "mara-lind":
                # One verified artist, so a new profile or a rename that copies the name is held for review.
                artist.verified_at, artist.verified_by, artist.verified_detail = now, "label", label.name
            session.add(artist)
            if slug != "static-orchard":
                session.add(
                    RosterLink(label=label, artist=artist, label_consent_at=now, artist_consent_at=now)
                )
        session.flush()
    return True


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Upgrade the database and add the demo data (safe to run again)."""
    platform: Platform = current_app.extensions["storefront"]
    upgrade(platform.settings.resolved_database_url)
    added = seed(platform)
    click.echo("Demo data added." if added else "Demo data is already there.")
    from .demo_releases import seed_releases

    releases = seed_releases(current_app._get_current_object(), platform, ADMIN.email)  # type: ignore[attr-defined]
    if releases:
        click.echo(f"{releases} demo releases synthesised, checked, signed and approved.")
    from .demo_purchase import connect_payees, seed_purchase

    if connected := connect_payees(platform):
        click.echo(f"{connected} demo artists have sandbox payout accounts, so their releases are on sale.")
    if seed_purchase(platform, FAN.email):
        click.echo(f"{FAN.email} bought a demo release in the payment sandbox (no money moved).")
    click.echo("Demo accounts (email / password / role):")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.email:<22} {account.password:<20} {account.role}")
