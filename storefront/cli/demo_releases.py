"""Demo releases with real audio, sent through the same checks, signing and review as an artist's."""

from __future__ import annotations

import io
import random
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy import select

from ..accounts.models import Artist, Label, User
from ..accounts.services import Actor
from ..attestations.policy import CURRENT_VERSION, ELEMENTS, POLICIES, AiUse, Declaration, Level
from ..attestations.services import AttestationService
from ..attestations.signing.rules import SigningRequest
from ..audio.synth import write_master
from ..container import Platform
from ..curation.models import Decision
from ..curation.services import CurationService
from ..db import commit, get_session
from ..jobs.inline import InlineDispatcher
from ..jobs.interfaces import JobQueue
from ..releases.models import (
    Contributor,
    ContributorRole,
    License,
    Release,
    ReleaseType,
    Track,
    Upload,
    UploadKind,
    UploadStatus,
)
from ..releases.uploads.pipeline import VALIDATE_JOB, begin, move
from ..web.services import find_service

TRACK_SECONDS = 24.0
# Demo codes: UPC-A numbers starting with 2 are for in-store use and never name a product on sale, and the
# ISRC registrant "ZZVLV" is fictional. Both pass their format and check-digit rules, so a demo release
# exports as DDEX like a real one.
ISRC_STEM = "ZZVLV26"


@dataclass(frozen=True)
class DemoRelease:
    artist_slug: str
    title: str
    kind: ReleaseType
    tracks: tuple[str, ...]
    price_minor: int
    credits: tuple[tuple[str, ContributorRole, str], ...]
    upc: str
    label_slug: str | None = None
    instrumental: bool = False
    pay_what_you_want: bool = False


DEMO_RELEASES = (
    DemoRelease(
        "mara-lind",
        "Kitchen Table Songs",
        ReleaseType.ALBUM,
        ("Morning Window", "Ferry to Styrsö", "Small Hours"),
        800,
        (
            ("Mara Lind", ContributorRole.COMPOSER, ""),
            ("Mara Lind", ContributorRole.LYRICIST, ""),
            ("Mara Lind", ContributorRole.PERFORMER, "vocals, nylon-string guitar"),
            ("Mara Lind", ContributorRole.PRODUCER, ""),
            ("Olle Berg", ContributorRole.MIXING_ENGINEER, ""),
            ("Olle Berg", ContributorRole.MASTERING_ENGINEER, ""),
            ("Sara Lind", ContributorRole.ARTWORK, ""),
        ),
        upc="202600000019",
        label_slug="harbour-lights",
    ),
    DemoRelease(
        "the-quiet-hours",
        "Borrowed Amplifiers",
        ReleaseType.EP,
        ("Lantern", "Slow Road North"),
        500,
        (
            ("Jonah Reyes", ContributorRole.COMPOSER, ""),
            ("Jonah Reyes", ContributorRole.LYRICIST, ""),
            ("Jonah Reyes", ContributorRole.PERFORMER, "lead vocals, guitar"),
            ("Priya Shah", ContributorRole.PERFORMER, "drums"),
            ("The Quiet Hours", ContributorRole.PRODUCER, ""),
            ("Priya Shah", ContributorRole.MIXING_ENGINEER, ""),
            ("Dan Cole", ContributorRole.MASTERING_ENGINEER, ""),
            ("Jonah Reyes", ContributorRole.ARTWORK, ""),
        ),
        upc="202600000026",
        pay_what_you_want=True,
    ),
    DemoRelease(
        "static-orchard",
        "Tape Loops From The Street",
        ReleaseType.SINGLE,
        ("Market Day",),
        200,
        (
            ("Ines Okafor", ContributorRole.COMPOSER, ""),
            ("Ines Okafor", ContributorRole.PERFORMER, "drum machine, synthesisers"),
            ("Ines Okafor", ContributorRole.PRODUCER, ""),
            ("Ines Okafor", ContributorRole.MIXING_ENGINEER, ""),
            ("Ines Okafor", ContributorRole.MASTERING_ENGINEER, ""),
            ("Ines Okafor", ContributorRole.ARTWORK, ""),
        ),
        upc="202600000033",
        instrumental=True,
    ),
)


def cover_art(seed: int, title: str) -> bytes:
    """A 1600 px square cover drawn from the seed: bands of colour and the title."""
    rng = random.Random(seed)  # noqa: S311 - a picture, not a secret
    image = Image.new("RGB", (1600, 1600), tuple(rng.randrange(30, 90) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y, size = rng.randrange(-200, 1600), rng.randrange(-200, 1600), rng.randrange(200, 900)
        colour = tuple(rng.randrange(60, 255) for _ in range(3))
        draw.ellipse((x, y, x + size, y + size), outline=colour, width=rng.randrange(6, 40))
    draw.text((100, 1420), title, fill=(250, 245, 240), font_size=96)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def _stage(
    platform: Platform,
    release: Release,
    kind: UploadKind,
    data: bytes,
    name: str,
    content_type: str,
    track: Track | None,
) -> None:
    session = get_session()
    upload = Upload(
        artist_id=release.artist_id,
        release_id=release.id,
        track_id=track.id if track else None,
        kind=kind,
        original_filename=name,
        content_type=content_type,
        declared_size=len(data),
        size=len(data),
        staging_key="",
        status=UploadStatus.AWAITING,
    )
    session.add(upload)
    session.flush()
    begin(upload, "the demo command made this file")
    upload.staging_key = f"staging/{release.artist_id}/{upload.id}/{secrets.token_hex(8)}"
    platform.storage.put(upload.staging_key, io.BytesIO(data), content_type=content_type)
    move(upload, UploadStatus.VALIDATING, "the file arrived; a job is checking it")
    JobQueue(session, InlineDispatcher(platform.executor, mode="manual")).enqueue(
        VALIDATE_JOB, {"upload_id": upload.id}
    )


def seed_releases(app: Flask, platform: Platform, curator_email: str) -> int:
    """Add the demo releases that are not there yet; returns how many were added."""
    added = 0
    seconds = platform.settings.demo_track_seconds
    with app.test_request_context(base_url=platform.settings.base_url, method="POST"):
        session = get_session()
        curator = session.scalar(select(User).where(User.email == curator_email))
        assert curator is not None
        for number, demo in enumerate(DEMO_RELEASES, start=1):
            artist = session.scalar(select(Artist).where(Artist.slug == demo.artist_slug))
            if artist is None or session.scalar(select(Release.id).where(Release.artist_id == artist.id)):
                continue
            label = (
                session.scalar(select(Label).where(Label.slug == demo.label_slug))
                if demo.label_slug
                else None
            )
            release = Release(
                artist=artist,
                label=label,
                title=demo.title,
                slug=demo.title.lower().replace(" ", "-"),
                release_type=demo.kind,
                tags=["human-made", "demo"],
                license=License.ALL_RIGHTS_RESERVED,
                price_minor=demo.price_minor,
                currency="USD",
                pay_what_you_want=demo.pay_what_you_want,
                description=f"{demo.title}, made by people, for this demo store.",
                upc=demo.upc,
            )
            for position, title in enumerate(demo.tracks, start=1):
                isrc = f"{ISRC_STEM}{number:03d}{position:02d}"
                release.tracks.append(Track(title=title, position=position, isrc=isrc))
            for name, role, instrument in demo.credits:
                release.contributors.append(Contributor(name=name, role=role, instrument=instrument))
            session.add(release)
            session.flush()
            with tempfile.TemporaryDirectory(prefix="velvet-demo-") as tmp:
                for track in release.tracks:
                    path = Path(tmp) / f"{track.position}.flac"
                    write_master(path, seed=number * 10 + track.position, seconds=seconds)
                    _stage(
                        platform,
                        release,
                        UploadKind.MASTER,
                        path.read_bytes(),
                        f"{track.title}.flac",
                        "audio/flac",
                        track,
                    )
            _stage(
                platform,
                release,
                UploadKind.ARTWORK,
                cover_art(number, demo.title),
                "cover.jpg",
                "image/jpeg",
                None,
            )
            commit(session)
            InlineDispatcher(platform.executor, mode="manual").drain()
            session.expire_all()
            owner = artist.members[0].user
            _sign(release, owner, instrumental=demo.instrumental)
            if label is not None:
                staff = label.staff[0].user
                attestation = find_service(AttestationService).current(release)
                assert attestation is not None
                find_service(AttestationService).countersign(attestation, label, staff, Actor(staff.id))
            curation = find_service(CurationService)
            curation.submit(release, Actor(owner.id))
            curation.decide(release, curator, Actor(curator.id), Decision.APPROVE, None, "")
            commit(session)
            added += 1
    return added


def _sign(release: Release, owner: User, *, instrumental: bool) -> None:
    policy = POLICIES[CURRENT_VERSION]
    declarations = {
        element.key: Declaration(
            AiUse.ABSENT if instrumental and element.key in ("lyrics", "vocals") else AiUse.NONE
        )
        for element in ELEMENTS
    }
    request = SigningRequest(
        legal_name=owner.display_name,
        level=Level.STANDARD.value,
        ticked=frozenset(s.id for s in policy.statements_for(Level.STANDARD)),
        declarations=declarations,
    )
    signing = find_service(AttestationService)
    signing.sign(release, owner, request, client_ip="127.0.0.1", actor=Actor(owner.id))
