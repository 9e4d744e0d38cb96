"""Uploads straight from the browser to storage: tickets, quotas, arrival checks and validation."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...accounts.services import Actor
from ...audio.problems import display_name, format_bytes
from ...db import after_commit, utcnow
from ...events import record_event
from ...jobs.interfaces import JobQueue
from ...storage.interfaces import FILENAME_VARIABLE, MultipartPart, ObjectStorage
from ..models import Release, Track, Upload, UploadKind, UploadStatus
from ..services import EDITABLE, ReleaseError, next_track_position
from .names import MAX_STAGING_KEY, addressable, form_prefix, sent_name, shown_name
from .pipeline import VALIDATE_JOB, begin, move

MULTIPART_THRESHOLD = 100 * 1024 * 1024
PART_SIZE = 32 * 1024 * 1024
TICKET_SECONDS = 3600
MAX_BYTES = {
    UploadKind.MASTER: 2_000_000_000,
    UploadKind.ARTWORK: 25_000_000,
    UploadKind.EVIDENCE: 2_000_000_000,
}
CONTENT_TYPES = {
    UploadKind.MASTER: {
        "audio/flac",
        "audio/x-flac",
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
        "audio/vnd.wave",
        "audio/aiff",
        "audio/x-aiff",
        "audio/mp4",
        "audio/x-m4a",
        "application/octet-stream",
    },
    UploadKind.ARTWORK: {"image/jpeg", "image/png", "application/octet-stream"},
    UploadKind.EVIDENCE: {
        "audio/flac",
        "audio/x-flac",
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
        "audio/aiff",
        "audio/x-aiff",
        "audio/mpeg",
        "audio/mp4",
        "audio/x-m4a",
        "image/jpeg",
        "image/png",
        "image/heic",
        "video/mp4",
        "video/quicktime",
        "application/pdf",
        "application/zip",
        "application/x-zip-compressed",
        "text/plain",
        "application/octet-stream",
    },
}
# Objects that count against an artist's quota: being checked, or kept.
_COUNTED = (UploadStatus.AWAITING, UploadStatus.VALIDATING, UploadStatus.READY, UploadStatus.FAILED)


@dataclass(frozen=True)
class UploadLimits:
    quota_bytes: int
    per_hour: int
    # Larger files go up in parts: a failed part is sent again alone, and S3 takes at most 5 GB in one POST.
    multipart_threshold: int = MULTIPART_THRESHOLD
    part_size: int = PART_SIZE


class StorageUnavailable(ReleaseError):
    """Storage did not answer; nothing was changed and the same step can be tried again."""


def title_from_filename(filename: str) -> str:
    """“03 - Harbour Song.flac” → “Harbour Song”: what an artist would type for the track."""
    stem = display_name(filename).rsplit(".", 1)[0]
    stem = re.sub(r"^\s*\d{1,3}\s*[-_.)\s]\s*", "", stem).replace("_", " ").strip()
    return stem[:200] or "Untitled"


class UploadService:
    def __init__(
        self, session: Session, storage: ObjectStorage, queue: JobQueue, limits: UploadLimits
    ) -> None:
        self.session = session
        self.storage = storage
        self.queue = queue
        self.limits = limits

    # -- starting --------------------------------------------------------------------------------------
    def _used(self, artist_id: int, *, excluding: int | None = None) -> int:
        stmt = select(func.coalesce(func.sum(func.coalesce(Upload.size, Upload.declared_size)), 0)).where(
            Upload.artist_id == artist_id, Upload.status.in_(_COUNTED)
        )
        if excluding is not None:
            stmt = stmt.where(Upload.id != excluding)
        return int(self.session.scalar(stmt) or 0)

    def _check_quota(self, release: Release, size: int) -> None:
        artist_id = release.artist_id
        used = self._used(artist_id)
        if used + size > self.limits.quota_bytes:
            raise ReleaseError(
                f"This file ({format_bytes(size)}) would take you past your storage quota of "
                f"{format_bytes(self.limits.quota_bytes)} ({format_bytes(int(used))} used). Remove files you "
                "no longer need, or ask the platform for more space.",
                "file",
            )
        recent = (
            self.session.scalar(
                select(func.count(Upload.id)).where(
                    Upload.artist_id == artist_id, Upload.created_at > utcnow() - timedelta(hours=1)
                )
            )
            or 0
        )
        if recent >= self.limits.per_hour:
            raise ReleaseError(
                f"You have started {recent} uploads in the last hour, the most we take. Try again later.",
                "file",
            )

    def start(
        self,
        release: Release,
        actor: Actor,
        *,
        kind: str,
        filename: str,
        size: int | None,
        content_type: str,
        track_id: int | None = None,
        success_redirect: Callable[[int], str] | None = None,
    ) -> tuple[Upload, dict[str, Any]]:
        """Record an upload and issue what the browser needs to send the file to storage itself.

        `size` None is a plain HTML form, which cannot tell the size before sending: its ticket allows up to
        the largest file or the quota left, that much is reserved against the quota until the file has
        arrived, and the real size is checked then."""
        if release.status not in EDITABLE:
            raise ReleaseError("This release can't take new files now.", "file")
        try:
            kind_ = UploadKind(kind)
        except ValueError:
            raise ReleaseError("Upload a master (audio) or the artwork.", "file") from None
        name = display_name(filename)
        content_type = (content_type or "application/octet-stream").split(";")[0].strip().lower()
        if content_type not in CONTENT_TYPES[kind_]:
            what = {
                UploadKind.MASTER: "a FLAC, WAV, AIFF or ALAC file",
                UploadKind.ARTWORK: "a JPEG or PNG image",
                UploadKind.EVIDENCE: "audio, a picture, a video, a PDF or a ZIP archive",
            }[kind_]
            raise ReleaseError(f"{name}: this is {content_type}, not {what}.", "file")
        if size is not None and size <= 0:
            raise ReleaseError(f"{name} is empty.", "file")
        if size is not None and size > MAX_BYTES[kind_]:
            raise ReleaseError(
                f"{name} is {format_bytes(size)}; the most we take is {format_bytes(MAX_BYTES[kind_])}.",
                "file",
            )
        # A form upload reserves all the room its ticket allows, so pending tickets cannot add up past the
        # quota; the reservation shrinks to the real size on arrival.
        reserved = size if size is not None else max(
            1, min(MAX_BYTES[kind_], self.limits.quota_bytes - self._used(release.artist_id))
        )
        self._check_quota(release, reserved)
        track: Track | None = None
        names_track = False
        if kind_ == UploadKind.MASTER:
            if track_id is not None:
                track = next((t for t in release.tracks if t.id == track_id), None)
                if track is None:
                    raise ReleaseError("Choose a track of this release.", "file")
            else:
                # Files dropped on the release become new tracks, named after the files.
                position = next_track_position(self.session, release)
                track = Track(title=title_from_filename(name), position=position)
                release.tracks.append(track)
                self.session.flush()
                names_track = True
        upload = Upload(
            artist_id=release.artist_id,
            release_id=release.id,
            track_id=track.id if track else None,
            kind=kind_,
            original_filename=name,
            content_type=content_type,
            declared_size=reserved,
            staging_key="",
            uploaded_by_id=actor.user_id,
            info={"sent_by_form": True, "names_track": names_track} if size is None else {},
        )
        self.session.add(upload)
        self.session.flush()
        begin(upload, "a ticket was issued; the browser is sending the file")
        # The key fixes the artist and this upload; the random part keeps keys unguessable.
        upload.staging_key = f"staging/{release.artist_id}/{upload.id}/{secrets.token_hex(8)}"
        if size is None:
            # A plain form cannot tell us the file's name; storage puts it in the key it reports back.
            upload.staging_key += "/" + FILENAME_VARIABLE
        ticket: dict[str, Any] = {"upload_id": upload.id, "track_id": upload.track_id, "size": size}
        if size is not None and size > self.limits.multipart_threshold:
            upload.multipart_id = self.storage.create_multipart(upload.staging_key, content_type=content_type)
            count = math.ceil(size / self.limits.part_size)
            ticket.update(
                method="multipart",
                part_size=self.limits.part_size,
                parts=[
                    {
                        "number": n,
                        # Each part's exact length is signed into its URL: the parts add up to the declared
                        # size and nothing more.
                        "url": self.storage.presign_part(
                            upload.staging_key,
                            upload.multipart_id,
                            n,
                            expires_in=TICKET_SECONDS,
                            size=min(self.limits.part_size, size - (n - 1) * self.limits.part_size),
                        ),
                    }
                    for n in range(1, count + 1)
                ],
            )
        else:
            post = self.storage.presign_upload(
                upload.staging_key,
                max_size=reserved,
                content_type=content_type,
                expires_in=TICKET_SECONDS,
                success_redirect=success_redirect(upload.id) if success_redirect else None,
            )
            ticket.update(method="post", url=post.url, fields=post.fields)
        record_event(
            self.session,
            "upload:started",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"upload_id": upload.id, "kind": kind_.value, "size": size},
        )
        return upload, ticket

    # -- arrival ---------------------------------------------------------------------------------------
    def complete(
        self,
        upload: Upload,
        actor: Actor,
        parts: list[MultipartPart] | None = None,
        *,
        key: str | None = None,
    ) -> Upload:
        """The browser says the bytes are in storage: check what arrived, then queue the validation.

        `key` is where storage says a plain form's file landed (as our key; "" for one that is not ours);
        the file's own name is read from it."""
        if upload.status != UploadStatus.AWAITING:
            return upload
        if key is not None and form_prefix(upload) is not None and not self._take_key(upload, key):
            return upload
        name = upload.original_filename
        try:
            if upload.multipart_id:
                if not parts:
                    raise ReleaseError(f"{name}: the upload is not finished; send it again.")
                self.storage.complete_multipart(upload.staging_key, upload.multipart_id, parts)
            info = self.storage.head(upload.staging_key)
        except (ReleaseError, FileNotFoundError) as error:
            if isinstance(error, ReleaseError):
                raise
            raise ReleaseError(f"{name} did not arrive. Try sending it again.") from None
        except ValueError as error:
            # The parts named do not make the object (a part missing or sent twice with other bytes).
            raise ReleaseError(f"{name} arrived damaged ({error}). Send it again.") from None
        except Exception as error:
            raise StorageUnavailable(
                f"Storage did not answer while {name} was being received ({error.__class__.__name__}). "
                "Nothing is lost: try again in a moment."
            ) from error
        problem = None
        if upload.info.get("sent_by_form") or upload.declared_size == 0:
            # A plain form upload: its size is known only now, and must fit in the room it reserved.
            if upload.declared_size and info.size > upload.declared_size:
                problem = (
                    f"{upload.original_filename} ({format_bytes(info.size)}) is larger than the "
                    f"{format_bytes(upload.declared_size)} this upload had room for."
                )
            upload.declared_size = info.size
            if problem is None and (
                self._used(upload.artist_id, excluding=upload.id) + info.size > self.limits.quota_bytes
            ):
                problem = (
                    f"{upload.original_filename} ({format_bytes(info.size)}) would take you past your "
                    f"storage quota of {format_bytes(self.limits.quota_bytes)}."
                )
        if problem is None and info.size != upload.declared_size:
            problem = (
                f"{upload.original_filename} arrived with {format_bytes(info.size)} instead of "
                f"{format_bytes(upload.declared_size)}. Send it again."
            )
        elif (
            problem is None
            # A plain form's ticket fixes only the form's Content-Type field; some S3 servers (SeaweedFS)
            # keep the browser's own label for the file instead. The bytes are checked for what they are.
            and not upload.info.get("sent_by_form")
            and info.content_type.split(";")[0] != upload.content_type
        ):
            problem = f"{upload.original_filename} arrived as {info.content_type}. Send it again."
        if problem is not None:
            self._reject(upload, [{"code": "arrival", "message": problem, "advice": "Send the file again."}])
            return upload
        upload.size = info.size
        move(upload, UploadStatus.VALIDATING, "the file arrived; a job is checking it")
        upload.finalized_at = utcnow()
        self.queue.enqueue(VALIDATE_JOB, {"upload_id": upload.id}, dedupe_key=f"validate:{upload.id}:1")
        record_event(
            self.session,
            "upload:arrived",
            subject_type="release",
            subject_id=upload.release_id,
            actor_id=actor.user_id,
            data={"upload_id": upload.id},
        )
        return upload

    def _take_key(self, upload: Upload, key: str) -> bool:
        """Adopt the key a form upload landed at and the file name in it; reject the upload if unsafe."""
        sent = sent_name(upload, key)
        if sent is None:
            prefix = form_prefix(upload) or ""
            if key.startswith(prefix) and len(key) <= MAX_STAGING_KEY and addressable(key):
                upload.staging_key = key  # so the rejection deletes what arrived
            self._reject(
                upload,
                [
                    {
                        "code": "arrival",
                        "message": f"{upload.original_filename} arrived under a name we cannot keep "
                        "(too long, or with a slash or backslash in it).",
                        "advice": "Rename the file and send it again.",
                    }
                ],
            )
            return False
        placeholder = upload.original_filename
        upload.staging_key = key
        upload.original_filename = shown_name(sent)
        track = upload.track
        if upload.info.get("names_track") and track and track.title == title_from_filename(placeholder):
            # The track was made for this file before its name was known; it takes the name now.
            track.title = title_from_filename(upload.original_filename)
        return True

    def _reject(self, upload: Upload, problems: list[dict[str, str]]) -> None:
        move(upload, UploadStatus.REJECTED, "refused on arrival: " + problems[0]["message"])
        upload.problems = problems
        upload.validated_at = utcnow()
        key = upload.staging_key
        after_commit(self.session, lambda: self.storage.delete(key))

    def retry(self, upload: Upload, actor: Actor) -> Upload:
        """Check a file again after a storage fault; the bytes are still in staging."""
        if upload.status != UploadStatus.FAILED:
            raise ReleaseError(
                "Only a file whose check could not run can be retried; upload rejected files again."
            )
        move(upload, UploadStatus.VALIDATING, "the artist asked for the check to run again")
        upload.problems = []
        # No dedupe key: a second click finds the upload no longer failed, and the job checks the status.
        self.queue.enqueue(VALIDATE_JOB, {"upload_id": upload.id})
        return upload

    def for_release(self, release: Release) -> list[Upload]:
        stmt = select(Upload).where(Upload.release_id == release.id).order_by(Upload.id.desc())
        return list(self.session.scalars(stmt))
