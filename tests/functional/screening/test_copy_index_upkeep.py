"""Whatever happens to masters and releases (accepted, screened again, replaced, refused, lost, approved,
taken down, deleted), the copy index equals one rebuilt from scratch from the stored fingerprints."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storefront.accounts.models import Artist
from storefront.db import commit
from storefront.releases.models import Release, ReleaseStatus, Track, Upload, UploadKind, UploadStatus
from storefront.releases.uploads.pipeline import move
from storefront.screening.copies.models import CopyIndexEntry
from storefront.screening.copies.rebuild import check_index
from storefront.screening.copies.upkeep import in_force, index_rows
from storefront.screening.fingerprint import encode_fingerprint
from storefront.screening.models import Fingerprint
from tests.factories.accounts import make_artist, make_user
from tests.factories.releases import make_release, ready_upload
from tests.helpers import fresh

PRINTS = [np.random.default_rng(seed).integers(0, 2**32, 200, dtype=np.uint32) for seed in range(6)]
Entries = set[tuple[int, int, int]]
_names = itertools.count()


def held(session: Session) -> Entries:
    rows = session.execute(
        select(CopyIndexEntry.fingerprint_id, CopyIndexEntry.position, CopyIndexEntry.value)
    )
    return {(f, p, v) for f, p, v in rows}


def from_scratch(session: Session) -> Entries:
    rows = session.execute(
        select(Fingerprint.id, Fingerprint.data)
        .join(Upload, Upload.id == Fingerprint.upload_id)
        .where(in_force())
    )
    return {(e["fingerprint_id"], e["position"], e["value"]) for r in rows for e in index_rows(r.id, r.data)}


def _master(session: Session, track: Track) -> Upload | None:
    """The track's master in force, else its newest file."""
    uploads = session.scalars(select(Upload).where(Upload.track_id == track.id).order_by(Upload.id.desc()))
    found = list(uploads)
    return next((u for u in found if u.status is UploadStatus.READY), found[0] if found else None)


def accept(session: Session, track: Track, n: int) -> None:
    """A new master passes validation and takes the place of the one in force, as validation does."""
    upload = ready_upload(session, track.release, UploadKind.MASTER, {}, track_id=track.id)
    upload.status = UploadStatus.VALIDATING
    session.flush()
    for older in session.scalars(
        select(Upload).where(Upload.track_id == track.id, Upload.status == UploadStatus.READY)
    ):
        move(older, UploadStatus.REPLACED, "replaced by a newer file")
    move(upload, UploadStatus.READY, "checked and accepted")


def screen(session: Session, track: Track, n: int) -> None:
    """The screening job stores the master's fingerprint, or replaces it when it runs again."""
    upload = _master(session, track)
    if upload is None or upload.status is not UploadStatus.READY:
        return
    row = session.scalar(select(Fingerprint).where(Fingerprint.upload_id == upload.id))
    if row is None:
        row = Fingerprint(upload_id=upload.id, artist_id=upload.artist_id, release_id=upload.release_id)
        session.add(row)
    row.track_id, row.data, row.duration = track.id, encode_fingerprint(PRINTS[n]), 24.0


def refuse(session: Session, track: Track, n: int) -> None:
    """Screening refuses the master in force; the one it replaced comes back."""
    upload = _master(session, track)
    if upload is None or upload.status is not UploadStatus.READY:
        return
    move(upload, UploadStatus.REJECTED, "refused by screening")
    previous = session.scalars(
        select(Upload)
        .where(Upload.track_id == track.id, Upload.status == UploadStatus.REPLACED, Upload.id < upload.id)
        .order_by(Upload.id.desc())
    ).first()
    if previous is not None:
        move(previous, UploadStatus.READY, "back in place")


def lose(session: Session, track: Track, n: int) -> None:
    upload = _master(session, track)
    if upload is not None and upload.status is UploadStatus.READY:
        move(upload, UploadStatus.FAILED, "the sweep found it missing from storage")


def older_algorithm(session: Session, track: Track, n: int) -> None:
    upload = _master(session, track)
    row = upload and session.scalar(select(Fingerprint).where(Fingerprint.upload_id == upload.id))
    if row is not None:
        row.algorithm = "chromaprint-test1"


def approve(session: Session, track: Track, n: int) -> None:
    track.release.status = ReleaseStatus.APPROVED


def take_down(session: Session, track: Track, n: int) -> None:
    track.release.status = ReleaseStatus.TAKEN_DOWN


def delete_upload(session: Session, track: Track, n: int) -> None:
    upload = _master(session, track)
    if upload is not None:
        session.delete(upload)


def delete_fingerprint(session: Session, track: Track, n: int) -> None:
    upload = _master(session, track)
    row = upload and session.scalar(select(Fingerprint).where(Fingerprint.upload_id == upload.id))
    if row is not None:
        session.delete(row)


def delete_release(session: Session, track: Track, n: int) -> None:
    # In the database, as an operator would: uploads, fingerprints and entries go by their cascades.
    session.execute(delete(Release).where(Release.id == track.release_id))


ACTIONS: list[Callable[[Session, Track, int], None]] = [
    accept,
    screen,
    refuse,
    lose,
    older_algorithm,
    approve,
    take_down,
    delete_upload,
    delete_fingerprint,
    delete_release,
]
steps = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.integers(0, 2), st.integers(0, len(PRINTS) - 1)),
    min_size=1,
    max_size=14,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_the_index_always_equals_a_rebuild_from_scratch(app, db, platform, plan) -> None:
    artist = make_artist(db, make_user(db, platform), slug=f"band-{next(_names)}")
    releases = [
        make_release(db, artist, tracks=2),
        make_release(db, fresh(db).get(Artist, artist.id), tracks=1),
    ]
    track_ids = [t.id for r in releases for t in fresh(db).get(Release, r.id).tracks]
    for action, which, n in plan:
        track = fresh(db).get(Track, track_ids[which])
        if track is None:
            continue  # its release was deleted
        action(db, track, n)
        commit(db)
        assert held(fresh(db)) == from_scratch(db), action.__name__

    before = held(fresh(db))
    assert not check_index(platform.database, repair=False).differences
    db.execute(delete(CopyIndexEntry))
    commit(db)
    report = check_index(platform.database, repair=True, batch=3)
    assert held(fresh(db)) == before
    assert report.entries == len(before)
    assert len(report.differences) == report.fingerprints


def test_the_command_reports_each_difference_and_mends_it(app, db, platform) -> None:
    artist = make_artist(db, make_user(db, platform), slug="mended")
    release = make_release(db, artist, tracks=2)
    first, second = (fresh(db).get(Release, release.id).tracks[i] for i in (0, 1))
    for track, n in ((first, 0), (second, 1)):
        accept(db, track, n)
        screen(db, track, n)
    commit(db)
    whole = held(fresh(db))
    lost = next(iter(whole))
    db.execute(
        delete(CopyIndexEntry).where(
            CopyIndexEntry.position == lost[1], CopyIndexEntry.fingerprint_id == lost[0]
        )
    )
    db.execute(CopyIndexEntry.__table__.insert().values(fingerprint_id=lost[0], position=9999, value=1))
    commit(db)

    runner = app.test_cli_runner()
    checked: Result = runner.invoke(args=["copy-index", "--check"])
    assert checked.exit_code == 1
    assert (
        f"fingerprint {lost[0]} (upload" in checked.output and "in force): the index held" in checked.output
    )
    assert "1 difference." in checked.output and held(fresh(db)) != whole

    mended = runner.invoke(args=["copy-index"])
    assert mended.exit_code == 0 and "2 fingerprints in force" in mended.output
    assert "1 difference, mended." in mended.output
    assert held(fresh(db)) == whole
    clean = runner.invoke(args=["copy-index", "--check"])
    assert clean.exit_code == 0 and "0 differences." in clean.output
