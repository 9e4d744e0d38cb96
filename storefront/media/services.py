"""Who may download and preview what; asking for renditions and archives; issuing short-lived links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from ..accounts.memberships import manages_releases_of
from ..accounts.models import User
from ..audio.formats import get_format
from ..curation.approvals import can_review
from ..db import after_commit
from ..errors import RuleError
from ..jobs.interfaces import JobQueue, JobSpec
from ..orders.models import Entitlement
from ..releases.models import Release, ReleaseStatus, Track, Upload
from ..releases.preorders import Calendar, held_back
from ..storage.interfaces import ObjectStorage
from . import recipes
from .models import AlbumArchive, MediaStatus, PreviewMode, PreviewPolicy, Rendition, TrackAnalysis

RENDER_JOB = JobSpec("audio.render")
ALBUM_JOB = JobSpec("audio.album_zip")
# Long enough to start a download on a slow connection; short enough that a shared link soon stops working.
DOWNLOAD_LINK_SECONDS = 300
# A player may fetch ranges of a preview for as long as someone listens to it.
PREVIEW_LINK_SECONDS = 900
CLIP_LENGTH_RANGE = (5.0, 600.0)


class MediaError(RuleError):
    """A request about downloads or previews the media rules refuse."""


# -- who may have what ----------------------------------------------------------------------------------
def is_member(user: User | None, release: Release) -> bool:
    return user is not None and any(m.user_id == user.id for m in release.artist.members)


def _has_role(user: User | None, release: Release) -> bool:
    """Members of the artist, the staff of a label it lets manage its releases, and curators hold their
    right by role, without an entitlement row."""
    return user is not None and (
        is_member(user, release) or manages_releases_of(user, release.artist) or can_review(user, release)
    )


def can_download(
    user: User | None, release: Release, track: Track | None = None, *, today: date | None = None
) -> bool:
    """The whole release (track None) or one track. Never once taken down; a buyer only while on sale, and
    before the release date of a pre-order only the tracks the artist gives at once."""
    if user is None or release.status == ReleaseStatus.TAKEN_DOWN:
        return False
    if _has_role(user, release):
        return True
    if release.status != ReleaseStatus.APPROVED:
        return False
    if held_back(release, track, today or Calendar().today()):
        return False
    session = object_session(release)
    assert session is not None
    stmt = select(Entitlement.id).where(
        Entitlement.user_id == user.id,
        Entitlement.release_id == release.id,
        Entitlement.revoked_at.is_(None),
    )
    # A right to the release covers each of its tracks; a right to one track covers only that track.
    stmt = stmt.where(
        Entitlement.track_id.is_(None)
        if track is None
        else (Entitlement.track_id.is_(None) | (Entitlement.track_id == track.id))
    )
    return session.scalar(stmt.limit(1)) is not None


def can_preview(user: User | None, release: Release) -> bool:
    """Anyone while on sale; otherwise only those who work on the release (drafts, review, appeals)."""
    return release.status == ReleaseStatus.APPROVED or _has_role(user, release)


@dataclass(frozen=True)
class FileState:
    """What a person is told about one file."""

    status: str  # "missing" (never asked for), "waiting", "processing", "ready", "failed"
    error: str | None = None

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    @property
    def pending(self) -> bool:
        return self.status in ("waiting", "processing")


class MediaService:
    def __init__(
        self,
        session: Session,
        *,
        queue: JobQueue,
        storage: ObjectStorage,
        base_url: str,
        link_seconds: int = DOWNLOAD_LINK_SECONDS,
    ) -> None:
        self.session = session
        self.jobs = queue
        self.storage = storage
        self.base_url = base_url
        self.link_seconds = link_seconds
        # A release's attestation in force, asked once per request however many files a page lists.
        self._attested: dict[int, int | None] = {}

    # -- reading ---------------------------------------------------------------------------------------
    def policy(self, release: Release) -> PreviewPolicy | None:
        return self.session.scalar(select(PreviewPolicy).where(PreviewPolicy.release_id == release.id))

    def rendition(self, master: Upload, fmt_key: str) -> Rendition | None:
        return self.session.scalar(
            select(Rendition).where(Rendition.upload_id == master.id, Rendition.format == fmt_key)
        )

    def renditions(self, release: Release) -> dict[tuple[int, str], Rendition]:
        """The renditions of the masters in force, by (track id, format)."""
        masters = {t.master.id for t in release.tracks if t.master is not None}
        rows = self.session.scalars(select(Rendition).where(Rendition.release_id == release.id))
        return {(r.track_id, r.format): r for r in rows if r.upload_id in masters}

    def analysis(self, track: Track) -> TrackAnalysis | None:
        master = track.master
        if master is None:
            return None
        return self.session.scalar(select(TrackAnalysis).where(TrackAnalysis.upload_id == master.id))

    def inputs(self, track: Track, fmt_key: str, policy: PreviewPolicy | None = None) -> str:
        assert track.master is not None
        params = recipes.preview_params(policy) if fmt_key == recipes.PREVIEW_FORMAT else {}
        attested = self.attested(track.release) if recipes.is_signed_format(fmt_key) else None
        return recipes.rendition_inputs(track.master, track, fmt_key, params, self.base_url, attested)

    def attested(self, release: Release) -> int | None:
        if release.id not in self._attested:
            self._attested[release.id] = recipes.attestation_id(self.session, release)
        return self._attested[release.id]

    def state(
        self, track: Track, fmt_key: str, rendition: Rendition | None, policy: PreviewPolicy | None = None
    ) -> FileState:
        if rendition is None or track.master is None:
            return FileState("missing")
        if rendition.status == MediaStatus.READY and rendition.inputs != self.inputs(track, fmt_key, policy):
            return FileState("missing")  # out of date: made again when next asked for
        return FileState(rendition.status.value, rendition.error)

    def album_parts(self, release: Release, fmt_key: str) -> list[tuple[int, str, str]]:
        tracks = [t for t in release.tracks if t.master is not None]
        return [(t.position, t.title, self.inputs(t, fmt_key)) for t in tracks]

    def archive(self, release: Release, fmt_key: str) -> AlbumArchive | None:
        return self.session.scalar(
            select(AlbumArchive).where(AlbumArchive.release_id == release.id, AlbumArchive.format == fmt_key)
        )

    def album_state(self, release: Release, fmt_key: str, archive: AlbumArchive | None) -> FileState:
        fingerprint = recipes.archive_fingerprint(release, fmt_key, self.album_parts(release, fmt_key))
        if archive is None or archive.fingerprint != fingerprint:
            return FileState("missing")
        return FileState(archive.status.value, archive.error)

    # -- asking for files ------------------------------------------------------------------------------
    def _enqueue_render(self, rendition: Rendition) -> None:
        self.jobs.enqueue(
            RENDER_JOB,
            {"upload_id": rendition.upload_id, "format": rendition.format},
            dedupe_key=f"{RENDER_JOB.name}:{rendition.upload_id}:{rendition.format}:{rendition.generation}",
        )

    def request_rendition(self, track: Track, fmt_key: str, *, retry: bool = False) -> Rendition | None:
        """Make sure the file is ready or on its way. A failed file waits for a retry (the artist's
        button), so a fault is not repeated on every click. None: the track has no master."""
        master = track.master
        if master is None:
            return None
        get_format(fmt_key)
        policy = self.policy(track.release) if fmt_key == recipes.PREVIEW_FORMAT else None
        inputs = self.inputs(track, fmt_key, policy)
        rendition, created = rendition_row(self.session, master, fmt_key, inputs)
        if created:
            self._enqueue_render(rendition)
            return rendition
        # Other inputs may well succeed where the old ones failed, so an outdated failure is tried again.
        stale = rendition.inputs != inputs
        if stale or (rendition.status == MediaStatus.FAILED and retry):
            rendition.status, rendition.error, rendition.inputs = MediaStatus.WAITING, None, inputs
            rendition.generation += 1
            self.session.flush()
            self._enqueue_render(rendition)
        return rendition

    def retry(self, rendition: Rendition) -> None:
        if rendition.status != MediaStatus.FAILED:
            raise MediaError("Only a file that failed can be tried again.")
        self.request_rendition(rendition.track, rendition.format, retry=True)

    def request_album(self, release: Release, fmt_key: str) -> AlbumArchive:
        if not recipes.is_download_format(fmt_key):
            raise MediaError("Choose one of the formats offered.", "format")
        tracks = [t for t in release.tracks if t.master is not None]
        if not tracks:
            raise MediaError("This release has no tracks to download yet.")
        fingerprint = recipes.archive_fingerprint(release, fmt_key, self.album_parts(release, fmt_key))
        archive = self.archive(release, fmt_key)
        was_failed = archive is not None and archive.status == MediaStatus.FAILED
        if archive is None:
            archive = AlbumArchive(
                release_id=release.id,
                format=fmt_key,
                fingerprint=fingerprint,
                status=MediaStatus.WAITING,
                generation=0,
            )
            self.session.add(archive)
        elif archive.fingerprint != fingerprint or archive.status == MediaStatus.FAILED:
            # A fan asking again is the retry of an archive: its usual fault is a track that failed.
            archive.fingerprint, archive.status, archive.error = fingerprint, MediaStatus.WAITING, None
            archive.generation += 1
        self.session.flush()
        if archive.status == MediaStatus.READY:
            return archive
        for track in tracks:
            self.request_rendition(track, fmt_key, retry=was_failed)
        start_ready_archives(self.session, self.jobs, release, {fmt_key}, self.base_url)
        return archive

    def refresh(self, release: Release) -> None:
        """Remake the preview and common formats whose tags are out of date (for when a release is
        approved: titles, track count or date may have changed since its masters were processed)."""
        for track in release.tracks:
            for fmt_key in (recipes.PREVIEW_FORMAT, *recipes.PRECOMPUTED):
                self.request_rendition(track, fmt_key)

    def set_policy(self, release: Release, mode: str, start: float, length: float) -> None:
        try:
            chosen = PreviewMode(mode)
        except ValueError:
            raise MediaError("Choose the whole track or a clip.", "mode") from None
        low, high = CLIP_LENGTH_RANGE
        if chosen == PreviewMode.CLIP and not (start >= 0 and low <= length <= high):
            message = f"A clip starts at 0 s or later and lasts {low:.0f}–{high:.0f} s."
            raise MediaError(message, "clip_length")
        policy = self.policy(release)
        if policy is None:
            policy = PreviewPolicy(release_id=release.id)
            self.session.add(policy)
        policy.mode = chosen
        if chosen == PreviewMode.CLIP:
            policy.clip_start, policy.clip_length = start, length
        self.session.flush()
        for track in release.tracks:
            self.request_rendition(track, recipes.PREVIEW_FORMAT)

    # -- links -----------------------------------------------------------------------------------------
    def track_link(self, track: Track, fmt_key: str) -> str | None:
        """A fresh, short-lived link to a ready file; None when it is not ready (ask for it first)."""
        master = track.master
        rendition = self.rendition(master, fmt_key) if master is not None else None
        if rendition is None or not self.state(track, fmt_key, rendition).ready or rendition.key is None:
            return None
        return self.storage.presign_download(
            rendition.key,
            expires_in=self.link_seconds,
            content_type=get_format(fmt_key).mime_type,
            filename=recipes.download_name(track.release, track, fmt_key),
        )

    def album_link(self, release: Release, fmt_key: str) -> str | None:
        archive = self.archive(release, fmt_key)
        if archive is None or not self.album_state(release, fmt_key, archive).ready or archive.key is None:
            return None
        return self.storage.presign_download(
            archive.key,
            expires_in=self.link_seconds,
            content_type="application/zip",
            filename=recipes.album_download_name(release, fmt_key),
        )

    def preview_link(self, track: Track) -> str | None:
        master = track.master
        rendition = self.rendition(master, recipes.PREVIEW_FORMAT) if master is not None else None
        if rendition is None or rendition.status != MediaStatus.READY or rendition.key is None:
            return None
        return self.storage.presign_download(
            rendition.key,
            expires_in=PREVIEW_LINK_SECONDS,
            inline=True,
            content_type=get_format(recipes.PREVIEW_FORMAT).mime_type,
            filename=recipes.preview_name(track.release, track),
        )


def rendition_row(session: Session, master: Upload, fmt_key: str, inputs: str) -> tuple[Rendition, bool]:
    """The row of this master in this format, and whether it was just created (waiting, with `inputs`).
    Two requests may race to create it; the loser reads the winner's row instead of failing."""
    query = select(Rendition).where(Rendition.upload_id == master.id, Rendition.format == fmt_key)
    found = session.scalar(query)
    if found is not None:
        return found, False
    assert master.track_id is not None
    row = Rendition(
        upload_id=master.id,
        track_id=master.track_id,
        release_id=master.release_id,
        format=fmt_key,
        status=MediaStatus.WAITING,
        inputs=inputs,
        generation=0,
        params={},
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = session.scalar(query)
        assert found is not None
        return found, False
    return row, True


def start_ready_archives(
    session: Session, queue: JobQueue, release: Release, formats: set[str], base_url: str
) -> None:
    """Start the archives that were waiting for their tracks, now that every one of them is ready."""
    archives = session.scalars(
        select(AlbumArchive).where(
            AlbumArchive.release_id == release.id,
            AlbumArchive.status == MediaStatus.WAITING,
            AlbumArchive.format.in_(formats),
        )
    )
    for archive in archives:
        if all_tracks_ready(session, release, archive.format, base_url):
            queue.enqueue(
                ALBUM_JOB,
                {"release_id": release.id, "format": archive.format, "fingerprint": archive.fingerprint},
                dedupe_key=f"{ALBUM_JOB.name}:{archive.id}:{archive.fingerprint[:16]}:{archive.generation}",
            )


def all_tracks_ready(session: Session, release: Release, fmt_key: str, base_url: str) -> bool:
    found = {
        r.upload_id: r
        for r in session.scalars(
            select(Rendition).where(Rendition.release_id == release.id, Rendition.format == fmt_key)
        )
    }
    attested = recipes.attestation_id(session, release) if recipes.is_signed_format(fmt_key) else None
    for track in release.tracks:
        if track.master is None:
            continue
        rendition = found.get(track.master.id)
        inputs = recipes.rendition_inputs(track.master, track, fmt_key, {}, base_url, attested)
        if rendition is None or rendition.status != MediaStatus.READY or rendition.inputs != inputs:
            return False
    return True


def delete_later(session: Session, storage: ObjectStorage, key: str | None) -> None:
    """Delete an object once the transaction that stopped needing it has committed."""
    if key:
        after_commit(session, partial(storage.delete, key))
