"""Keeping the copy index in step with the catalog, in the transaction that changes it.

A fingerprint is in force while its master is ready and its algorithm is the current one: the same set the
full scan compared with. Whatever moves a master in or out of force (accepted, replaced, refused by
screening, put back when its replacement was refused, lost from storage) goes through `Upload.status`, and
whatever changes a fingerprint goes through its row; after each flush the fingerprints touched are indexed
again from the database as it now stands. Deleting a fingerprint, or the upload, release or artist it
belongs to, deletes its rows by the foreign key's cascade. Approvals and takedowns change neither, so the
index keeps a taken-down track: a re-upload of it is still caught.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, event, insert, inspect, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ...releases.models import Upload, UploadStatus
from .. import fingerprint as fp
from ..models import ALGORITHM, Fingerprint
from .keys import entries
from .models import CopyIndexEntry

# Rows per INSERT: large enough to be quick, small enough for SQLite's limit on bound parameters.
INSERT_ROWS = 3000
_WATCHED_PRINT = ("data", "algorithm", "upload_id")


def in_force() -> ColumnElement[bool]:
    """Fingerprints joined to their upload that a new master is compared with."""
    return and_(Upload.status == UploadStatus.READY, Fingerprint.algorithm == ALGORITHM)


def index_rows(fingerprint_id: int, data: str) -> list[dict[str, int]]:
    """The entries of one stored fingerprint; none when it cannot be read (the scan skipped those too)."""
    try:
        values, positions = entries(fp.decode_fingerprint(data))
    except fp.FingerprintError:
        return []
    return [
        {"fingerprint_id": fingerprint_id, "position": p, "value": v}
        for v, p in zip(values.tolist(), positions.tolist(), strict=True)
    ]


def insert_rows(session: Session, rows: list[dict[str, int]]) -> None:
    for start in range(0, len(rows), INSERT_ROWS):
        session.execute(insert(CopyIndexEntry), rows[start : start + INSERT_ROWS])


def reindex(
    session: Session, *, fingerprint_ids: Collection[int] = (), upload_ids: Collection[int] = ()
) -> None:
    """Index these fingerprints (and those of these uploads) again from what the database now holds.

    The fingerprints' rows are locked first (PostgreSQL), so two transactions re-indexing the same one take
    turns and the later reads what the earlier committed."""
    if not fingerprint_ids and not upload_ids:
        return
    rows = session.execute(
        select(Fingerprint.id, Fingerprint.data, in_force().label("in_force"))
        .join(Upload, Upload.id == Fingerprint.upload_id)
        .where(or_(Fingerprint.id.in_(list(fingerprint_ids)), Fingerprint.upload_id.in_(list(upload_ids))))
        .order_by(Fingerprint.id)
        .with_for_update(of=Fingerprint)
    ).all()
    if not rows:
        return
    session.execute(delete(CopyIndexEntry).where(CopyIndexEntry.fingerprint_id.in_([r.id for r in rows])))
    insert_rows(session, [entry for r in rows if r.in_force for entry in index_rows(r.id, r.data)])


def _changed(obj: Any, names: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, flush_context: Any) -> None:
    prints: set[int] = set()
    uploads: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Fingerprint):
            prints.add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, Fingerprint) and _changed(obj, _WATCHED_PRINT):
            prints.add(obj.id)
        elif isinstance(obj, Upload) and _changed(obj, ("status",)):
            uploads.add(obj.id)
    reindex(session, fingerprint_ids=prints, upload_ids=uploads)


# The session factories already following. Not `event.contains`: SQLAlchemy keys its registry by the
# target's id(), so a new factory at the address of a collected one would look as if it were following.
_following: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()


def follow_catalog(sessions: sessionmaker[Session]) -> None:
    """Keep the copy index in step with every flush of sessions made by `sessions`."""
    if sessions not in _following:
        event.listen(sessions, "after_flush", _after_flush)
        _following.add(sessions)
