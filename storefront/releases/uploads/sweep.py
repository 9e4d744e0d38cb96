"""Reconciling storage with the database: orphan objects, rows whose object is gone, abandoned uploads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...storage.interfaces import ObjectStorage
from ..models import Upload, UploadStatus
from .names import addressable, form_prefix
from .pipeline import move, whereabouts
from .services import TICKET_SECONDS
from .validation import KEEP_REPLACED

# Objects younger than this may belong to a transaction that has not committed yet: leave them be.
GRACE = timedelta(hours=1)
_LIVE_STAGING = (UploadStatus.AWAITING, UploadStatus.VALIDATING, UploadStatus.FAILED)


@dataclass
class SweepReport:
    dry_run: bool
    lines: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def note(self, kind: str, text: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.lines.append(("would " if self.dry_run else "") + text)


def _old(moment: datetime | None, now: datetime, age: timedelta) -> bool:
    return moment is None or moment < now - age


def sweep(
    session: Session, storage: ObjectStorage, *, now: datetime, dry_run: bool, grace: timedelta = GRACE
) -> SweepReport:
    report = SweepReport(dry_run)
    uploads = list(session.scalars(select(Upload).options(selectinload(Upload.transitions))))
    live_staging = {u.staging_key for u in uploads if u.status in _LIVE_STAGING}
    # A plain form's file lands under its upload's prefix, named after itself, and the app learns the key
    # only when the artist confirms: until then anything under the prefix may be it.
    pending_prefixes = tuple(
        prefix for u in uploads if u.status == UploadStatus.AWAITING and (prefix := form_prefix(u))
    )
    live_final: set[str] = set()
    for u in uploads:
        recently_replaced = u.status == UploadStatus.REPLACED and not _old(u.validated_at, now, KEEP_REPLACED)
        if u.status == UploadStatus.READY or recently_replaced:
            live_final.update(k for k in u.info.get("keys", [u.final_key]) if k)
    existing: set[str] = set()

    # Objects without a row that wants them.
    for prefix, live in (("staging/", live_staging), ("releases/", live_final)):
        for obj in storage.list_objects(prefix):
            existing.add(obj.key)
            wanted = obj.key in live or obj.key.startswith(pending_prefixes)
            if not wanted and _old(obj.last_modified, now, grace):
                if not addressable(obj.key):
                    # Only a crafted form upload to S3 makes such a key; the storage's own tools remove it.
                    report.note("unsafe_keys", f"leave {obj.key!r}: remove it with the storage's own tools")
                    continue
                report.note("orphan_objects", f"delete {obj.key} ({obj.size} bytes): no upload needs it")
                if not dry_run:
                    storage.delete(obj.key)

    # Multipart uploads nobody will finish.
    waiting = {u.multipart_id for u in uploads if u.status == UploadStatus.AWAITING and u.multipart_id}
    for pending in storage.list_multipart("staging/"):
        stale = _old(pending.initiated, now, timedelta(seconds=TICKET_SECONDS) + grace)
        if pending.upload_id not in waiting or stale:
            report.note("abandoned_multipart", f"abort the unfinished multipart upload of {pending.key}")
            if not dry_run:
                storage.abort_multipart(pending.key, pending.upload_id)

    # Rows whose object is gone, or that were never finished.
    for u in uploads:
        state = whereabouts(u).state
        if state == UploadStatus.READY and u.final_key not in existing:
            report.note(
                "missing_objects",
                f"mark upload {u.id} ({u.original_filename}) failed: {u.final_key} is missing from storage",
            )
            if not dry_run:
                move(u, UploadStatus.FAILED, f"the sweep found {u.final_key} missing from storage")
                u.problems = [
                    {
                        "code": "missing",
                        "message": f"{u.original_filename} is missing from storage.",
                        "advice": "Upload the file again.",
                    }
                ]
        elif state == UploadStatus.AWAITING and _old(
            u.created_at, now, timedelta(seconds=TICKET_SECONDS) + grace
        ):
            report.note(
                "abandoned_uploads", f"close upload {u.id} ({u.original_filename}): it never finished"
            )
            if not dry_run:
                move(u, UploadStatus.REJECTED, "the sweep closed it: the file never finished uploading")
                u.problems = [
                    {
                        "code": "abandoned",
                        "message": f"{u.original_filename} never finished uploading.",
                        "advice": "Upload it again.",
                    }
                ]
                prefix = form_prefix(u)
                for key in sorted(existing):
                    if (key == u.staging_key or (prefix and key.startswith(prefix))) and addressable(key):
                        storage.delete(key)
        elif (
            state in (UploadStatus.VALIDATING, UploadStatus.FAILED)
            and u.staging_key not in existing
            and _old(u.finalized_at, now, grace)
        ):
            report.note(
                "missing_objects",
                f"mark upload {u.id} ({u.original_filename}) rejected: its staged file is gone",
            )
            if not dry_run:
                move(u, UploadStatus.REJECTED, "the sweep found its staged file gone")
                u.problems = [
                    {
                        "code": "missing",
                        "message": f"{u.original_filename} is missing from storage.",
                        "advice": "Upload the file again.",
                    }
                ]
    return report
