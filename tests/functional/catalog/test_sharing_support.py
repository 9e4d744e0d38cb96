"""What the feed, embed, caching and sharing tests share: public (and not public) releases put straight into
the database, with a cover and masters the pages only link to, and a way to date the whole catalog back."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import update
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, Label
from storefront.db import commit, utcnow
from storefront.releases.models import Release, ReleaseStatus, Upload, UploadKind
from tests.factories.releases import make_release, ready_upload

HOSTILE = "</script><script>alert(1)</script> & <b>\"Bold\"</b> ]]> 'q'"
NOT_PUBLIC = (
    ReleaseStatus.DRAFT,
    ReleaseStatus.IN_REVIEW,
    ReleaseStatus.CHANGES_REQUESTED,
    ReleaseStatus.REJECTED,
    ReleaseStatus.TAKEN_DOWN,
)


def public_release(
    db: Session,
    artist: Artist,
    *,
    title: str | None = None,
    tracks: int = 2,
    tags: tuple[str, ...] = ("dream pop",),
    genre: str = "Post-punk",
    label: Label | None = None,
    status: ReleaseStatus = ReleaseStatus.APPROVED,
    cover: bool = True,
    description: str = "",
    approved_ago: timedelta = timedelta(0),
) -> Release:
    """A release in `status` with a cover and a 3:25 master per track; approved `approved_ago` before now."""
    release = make_release(db, artist, title=title, tracks=tracks)
    release.tags, release.genre, release.description = list(tags), genre, description
    release.release_date = date(2024, 3, 12)
    release.label_id = label.id if label is not None else None
    release.status = status
    if status in (ReleaseStatus.APPROVED, ReleaseStatus.TAKEN_DOWN):
        release.approved_at = utcnow() - approved_ago
    for track in release.tracks:
        track.isrc = f"GBSHR26{track.position:05d}"
    commit(db)
    if cover:
        files = {"cover.jpg": "releases/share/cover.jpg"} | {
            f"cover-{side}.jpg": f"releases/share/cover-{side}.jpg" for side in (300, 700)
        }
        ready_upload(db, release, UploadKind.ARTWORK, {"files": files}, None)
    for track in release.tracks:
        ready_upload(db, release, UploadKind.MASTER, {"duration_seconds": 205.4}, track.id)
    commit(db)
    return release


def page_of(release: Release) -> str:
    return f"/artists/{release.artist.slug}/album/{release.slug}"


def backdate(db: Session, by: timedelta = timedelta(hours=1)) -> None:
    """Move every change time of the catalog `by` into the past: an HTTP date is only given for a change
    whose second is over, and a test runs within the second it made its data in."""
    from storefront.accounts.models import Artist, Label
    from storefront.accounts.payees.models import PayeeAccount
    from storefront.events import AuditEvent

    then = utcnow() - by
    dated = {"status_changed_at": then, "updated_at": then, "created_at": then}
    db.execute(update(Release).where(Release.approved_at.is_(None)).values(**dated))
    # `updated_at` is given here too, or the update would set it to now.
    db.execute(update(Release).where(Release.approved_at.is_not(None)).values(approved_at=then, **dated))
    db.execute(update(Upload).values(validated_at=then, created_at=then))
    db.execute(update(Artist).values(created_at=then))
    db.execute(update(Label).values(created_at=then))
    db.execute(update(AuditEvent).values(created_at=then))
    db.execute(update(PayeeAccount).values(checked_at=then, created_at=then))
    commit(db)


def xml_of(body: bytes) -> ElementTree.Element:
    """The parsed document (our own output: a parse error fails the test)."""
    return ElementTree.fromstring(body)


def json_ld(html: str) -> list[dict[str, Any]]:
    """Every JSON-LD block of the page, parsed."""
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def meta(html: str, key: str) -> list[str]:
    """The content of every <meta property=key> or <meta name=key>, as the browser would read it."""
    import html as entities

    found = re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    return [entities.unescape(value) for value in found]
