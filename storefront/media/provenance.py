"""What the media jobs tell the rendition manifest: each file they deliver, described for the platform.

Entries are added in the same transaction that marks a file ready, so no file is offered to fans before the
platform has signed what it is.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from ..attestations.manifests.entries import DeliveredFile, FileKind, ManifestRecorder, Source
from ..attestations.verification import Keyring
from ..config import Settings
from ..releases.models import Release, Track
from ..storage.interfaces import ObjectStorage
from . import recipes
from .models import Rendition
from .transfer import Made

log = logging.getLogger(__name__)


def recorder(session: Session, settings: Settings) -> ManifestRecorder:
    return ManifestRecorder(session, key=Keyring.from_settings(settings).current, issuer=settings.base_url)


def master_source(track: Track) -> Source | None:
    master = track.master
    if master is None or master.sha256 is None:
        return None
    return Source(master.sha256, track.position)


def artwork_source(release: Release) -> Source | None:
    artwork = release.artwork
    return Source(artwork.sha256) if artwork is not None and artwork.sha256 else None


def rendition_file(rendition: Rendition, made: Made) -> DeliveredFile | None:
    """A rendition just made, with the master it was made from; None when that master has no hash."""
    track, master = rendition.track, rendition.upload
    if master.sha256 is None:
        return None
    fmt = rendition.format
    name = (
        recipes.download_name(track.release, track, fmt)
        if recipes.is_download_format(fmt)
        else recipes.preview_name(track.release, track)
    )
    return DeliveredFile(
        kind=FileKind.RENDITION,
        sha256=made.sha256,
        size=made.size,
        name=name,
        sources=(Source(master.sha256, track.position),),
        format=fmt,
        track=track.position,
        title=track.title,
        audio=made.audio,
    )


def cover_files(storage: ObjectStorage, release: Release, signing: ManifestRecorder) -> list[DeliveredFile]:
    """The cover pictures made from the artwork in force (the ZIP's cover.jpg, the one in each file's tags,
    the smaller ones of the pages), read once per artwork: later calls find them recorded and read nothing."""
    source = artwork_source(release)
    artwork = release.artwork
    if source is None or artwork is None or signing.has_cover_of(release.id, source.sha256):
        return []
    covers: dict[str, str] = artwork.info.get("files") or {}
    found = []
    for name, key in sorted(covers.items()):
        try:
            with storage.open(key) as fh:
                data = fh.read()
        except Exception:
            # Tried again with the next file made for the release; the files themselves are not held up.
            log.warning("cover %s could not be read for the rendition manifest", key, exc_info=True)
            return []
        sha256 = hashlib.sha256(data).hexdigest()
        found.append(DeliveredFile(FileKind.COVER, sha256, len(data), name, (source,)))
    return found


def record_delivered(
    session: Session,
    settings: Settings,
    storage: ObjectStorage,
    release: Release,
    files: Sequence[DeliveredFile],
) -> None:
    """Sign what was just made, and the release's covers if they are not recorded yet."""
    signing = recorder(session, settings)
    signing.record(release.id, [*files, *cover_files(storage, release, signing)])
