"""A demo-like release as fans receive it: signed, approved, every format of every track and every album ZIP
made by the real jobs, each file signed into the rendition manifest; and the files themselves, by name."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist, User
from storefront.accounts.services import Actor
from storefront.attestations.policy import CURRENT_VERSION, ELEMENTS, POLICIES, AiUse, Declaration, Level
from storefront.attestations.services import AttestationService, SigningRequest
from storefront.attestations.verification import Keyring
from storefront.audio.formats import DOWNLOAD_FORMATS
from storefront.container import Platform
from storefront.db import commit, utcnow
from storefront.jobs.interfaces import JobQueue
from storefront.media.models import AlbumArchive, MediaStatus, Rendition
from storefront.media.services import MediaService
from storefront.releases.artwork import normalise_artwork
from storefront.releases.models import Contributor, Release, Upload, UploadKind, UploadStatus
from tests.factories.attestations import CREDITS, approve
from tests.factories.releases import cover_bytes, make_release
from tests.functional.media.builders import add_master
from tests.helpers import fresh


@dataclass
class Delivered:
    """Every file of a release as a fan would download it: (kind, label) -> bytes."""

    release_id: int
    renditions: dict[tuple[int, str], bytes] = field(default_factory=dict)  # (position, format)
    archives: dict[str, bytes] = field(default_factory=dict)  # format
    covers: dict[str, bytes] = field(default_factory=dict)  # name

    def members(self, fmt: str) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(self.archives[fmt])) as archive:
            return {name: archive.read(name) for name in archive.namelist()}


def _cover(db: Session, platform: Platform, release: Release, tmp: Path, shade: int) -> None:
    """The artwork as validation leaves it: the upload's hash, and the JPEGs made from it in storage."""
    original = tmp / f"cover-{release.id}.png"
    original.write_bytes(cover_bytes(1400, fmt="PNG") if shade == 0 else cover_bytes(1450, fmt="PNG"))
    result = normalise_artwork(original, filename="cover.png")
    assert result.artwork is not None
    upload = Upload(
        artist_id=release.artist_id,
        release_id=release.id,
        kind=UploadKind.ARTWORK,
        status=UploadStatus.READY,
        original_filename="cover.png",
        content_type="image/png",
        declared_size=original.stat().st_size,
        staging_key=f"staging/delivered/{release.id}",
        size=original.stat().st_size,
        sha256=hashlib.sha256(original.read_bytes()).hexdigest(),
        validated_at=utcnow(),
    )
    db.add(upload)
    db.flush()
    keys = {}
    for name, data in result.artwork.files().items():
        keys[name] = f"releases/{release.artist_id}/{release.id}/artwork/{upload.id}/{name}"
        platform.storage.put(keys[name], io.BytesIO(data), content_type="image/jpeg")
    upload.final_key = keys["cover.jpg"]
    upload.info = {"files": keys, "keys": list(keys.values()), "width": 1400, "height": 1400}
    commit(db)


def signable_on_storage(
    db: Session, platform: Platform, artist: Artist, tmp: Path, *, tracks: int = 2, seed: int = 1
) -> Release:
    """Masters and artwork in storage, processed by the real jobs, every role credited: ready to sign."""
    release = make_release(db, artist, tracks=tracks, title=f"Tides {seed}")
    release.upc = "036000291452"
    for track in release.tracks:
        track.isrc = f"GBVLV26{release.id % 100:02d}{track.position:03d}"
    for name, role, instrument in CREDITS:
        db.add(Contributor(release=release, name=name, role=role, instrument=instrument))
    commit(db)
    _cover(db, platform, release, tmp, seed - 1)
    for track in release.tracks:
        add_master(db, platform, track, tmp, seed=seed * 10 + track.position, seconds=1.5)
    return release


def certify(db: Session, platform: Platform, keyring: Keyring, release_id: int, owner_id: int) -> None:
    """The artist signs (every statement, no AI anywhere) and a curator approves, as the demo does."""
    session = fresh(db)
    release, owner = session.get(Release, release_id), session.get(User, owner_id)
    assert release is not None and owner is not None
    statements = POLICIES[CURRENT_VERSION].statements_for(Level.STANDARD)
    request = SigningRequest(
        legal_name="Ana María Ruiz",
        ticked=frozenset(s.id for s in statements),
        declarations={element.key: Declaration(AiUse.NONE) for element in ELEMENTS},
    )
    service = AttestationService(session, secret=platform.settings.secret_key, keyring=keyring)
    service.sign(release, owner, request, client_ip="127.0.0.1", actor=Actor(owner.id))
    commit(session)
    approve(db, release_id)


def make_everything(db: Session, platform: Platform, release_id: int) -> Delivered:
    """Ask for every download format of every track and every album ZIP, let the jobs run, read the files."""
    session = fresh(db)
    release = session.get(Release, release_id)
    assert release is not None
    media = MediaService(
        session,
        queue=JobQueue(session, platform.jobs),
        storage=platform.storage,
        base_url=platform.settings.base_url,
    )
    for track in release.tracks:
        for fmt in DOWNLOAD_FORMATS:
            media.request_rendition(track, fmt)
    commit(session)
    for fmt in DOWNLOAD_FORMATS:
        media.request_album(release, fmt)
    commit(session)
    return read_delivered(db, platform, release_id)


def read_delivered(db: Session, platform: Platform, release_id: int) -> Delivered:
    session = fresh(db)
    release = session.get(Release, release_id)
    assert release is not None
    found = Delivered(release_id)
    positions = {t.id: t.position for t in release.tracks}
    masters = {t.master.id for t in release.tracks if t.master is not None}
    for rendition in session.scalars(select(Rendition).where(Rendition.release_id == release_id)):
        assert rendition.status == MediaStatus.READY and rendition.key, (rendition.format, rendition.error)
        if rendition.upload_id in masters:
            found.renditions[(positions[rendition.track_id], rendition.format)] = _read(
                platform, rendition.key
            )
    for archive in session.scalars(select(AlbumArchive).where(AlbumArchive.release_id == release_id)):
        assert archive.status == MediaStatus.READY and archive.key, (archive.format, archive.error)
        found.archives[archive.format] = _read(platform, archive.key)
    artwork = release.artwork
    assert artwork is not None
    for name, key in artwork.info["files"].items():
        found.covers[name] = _read(platform, key)
    return found


def _read(platform: Platform, key: str) -> bytes:
    with platform.storage.open(key) as fh:
        return fh.read()
