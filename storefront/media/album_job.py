"""The job that puts a release's tracks in one format, and its cover, into a ZIP archive; the archive and each
file inside it join the rendition manifest in the transaction that marks the archive ready."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..attestations.manifests.entries import DeliveredFile, FileKind, Source
from ..audio.archive import AlbumTrack
from ..audio.formats import get_format
from ..jobs.runner import JobContext
from . import recipes, transfer
from .models import AlbumArchive, MediaStatus, Rendition
from .provenance import artwork_source, master_source, record_delivered
from .services import all_tracks_ready, delete_later
from .transfer import GIVE_UP_AFTER, Made, Measured, download, job_services, store


@dataclass(frozen=True)
class Member:
    """A file put in the archive: its path there, what it was made from, and its digests."""

    path: str
    source: Source | None
    title: str | None
    found: Measured


def _delivered(archive_name: str, fmt: str, made: Made, members: list[Member]) -> list[DeliveredFile]:
    sources = tuple(m.source for m in members if m.source is not None)
    files = [DeliveredFile(FileKind.ARCHIVE, made.sha256, made.size, archive_name, sources, format=fmt)]
    for member in members:
        if member.source is None:
            continue
        is_cover = member.source.track is None
        files.append(
            DeliveredFile(
                FileKind.COVER if is_cover else FileKind.ARCHIVE_MEMBER,
                member.found.sha256,
                member.found.size,
                member.path,
                (member.source,),
                format=None if is_cover else fmt,
                track=member.source.track,
                title=member.title,
                audio=member.found.audio,
                archive_sha256=made.sha256,
            )
        )
    return files


def album_zip(context: JobContext, payload: dict[str, Any]) -> None:
    storage, workshop, base_url = job_services(context)
    release_id, fmt = int(payload["release_id"]), str(payload["format"])
    fingerprint = str(payload["fingerprint"])
    with context.database.transaction() as session:
        archive = session.scalar(
            select(AlbumArchive).where(AlbumArchive.release_id == release_id, AlbumArchive.format == fmt)
        )
        if (
            archive is None
            or archive.fingerprint != fingerprint
            or archive.status in (MediaStatus.READY, MediaStatus.FAILED)
        ):
            return
        release = archive.release
        renditions = {
            r.upload_id: r
            for r in session.scalars(
                select(Rendition).where(Rendition.release_id == release_id, Rendition.format == fmt)
            )
        }
        tracks = [t for t in release.tracks if t.master is not None]
        for track in tracks:
            rendition = renditions.get(track.master.id) if track.master is not None else None
            if rendition is not None and rendition.status == MediaStatus.FAILED:
                archive.status = MediaStatus.FAILED
                archive.error = f"Track {track.position} (“{track.title}”): {rendition.error}"
                return
        if not all_tracks_ready(session, release, fmt, base_url):
            return  # started again by the last of its tracks to be made
        archive.status = MediaStatus.PROCESSING
        items = [
            (renditions[t.master.id].key, t.position, t.title, master_source(t))
            for t in tracks
            if t.master is not None
        ]
        artwork = release.artwork
        cover_key = artwork.final_key if artwork is not None else None
        cover_source = artwork_source(release)
        artist, album = release.artist.name, release.title
        key = recipes.archive_key(release, fmt, fingerprint)
        archive_name = recipes.album_download_name(release, fmt)
    try:
        with tempfile.TemporaryDirectory(prefix="velvet-album-") as folder:
            tmp = Path(folder)
            ext, mime = get_format(fmt).extension, get_format(fmt).mime_type
            album_tracks: list[AlbumTrack] = []
            sources: list[tuple[Source | None, str | None, Measured]] = []
            for source_key, position, title, source in items:
                assert source_key is not None
                path = tmp / f"{position}.{ext}"
                download(storage, source_key, path)
                album_tracks.append(AlbumTrack(source=path, number=position, title=title))
                sources.append((source, title, transfer.measure(path, mime)))
            cover = None
            if cover_key is not None:
                cover = tmp / "cover.jpg"
                download(storage, cover_key, cover)
                sources.append((cover_source, None, transfer.measure(cover, "image/jpeg")))
            dest = tmp / "album.zip"
            names = workshop.album(dest, album_tracks, artist=artist, album=album, fmt_key=fmt, cover=cover)
            made = store(storage, dest, key, "application/zip")
            members = [Member(n, s, t, f) for n, (s, t, f) in zip(names, sources, strict=True)]
    except Exception as exc:
        if context.attempt < GIVE_UP_AFTER:
            raise
        with context.database.transaction() as session:
            failed = session.get(AlbumArchive, archive.id)
            if failed is not None and failed.fingerprint == fingerprint:
                failed.status = MediaStatus.FAILED
                failed.error = f"The archive could not be made: {exc}"[:500]
        return
    with context.database.transaction() as session:
        current = session.get(AlbumArchive, archive.id)
        if current is None or current.fingerprint != fingerprint:
            delete_later(session, storage, made.key)
            return
        if current.key != made.key:
            delete_later(session, storage, current.key)
        current.status, current.key, current.size = MediaStatus.READY, made.key, made.size
        current.error = None
        delivered = _delivered(archive_name, fmt, made, members)
        record_delivered(session, context.services.settings, storage, current.release, delivered)
