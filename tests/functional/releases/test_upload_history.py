"""Where a file is and why, through HTTP: every move is recorded, and the artist and curator both see it."""

from __future__ import annotations

from sqlalchemy import select

from storefront.db import commit
from storefront.releases.models import Release, ReleaseStatus, Upload, UploadStatus, UploadTransition
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release, master_bytes
from tests.functional.releases.test_uploads import Uploader
from tests.helpers import WebClient, fresh, text_of


def test_every_move_is_recorded_and_shown_to_artist_and_curator(app, web, db, platform, tmp_path):
    owner = make_user(db, platform)
    artist = make_artist(db, owner, slug="band")
    web.login(owner.email, PASSWORD)
    release = make_release(db, artist)
    up = Uploader(web, release.id)
    up.upload("master", "good.flac", master_bytes(tmp_path, seed=11), "audio/flac")
    truncated = master_bytes(tmp_path, seed=12, seconds=4, suffix=".wav")
    up.upload("master", "cut.wav", truncated[: len(truncated) // 2], "audio/wav")

    fresh(db)
    good = db.scalar(select(Upload).where(Upload.original_filename == "good.flac"))
    cut = db.scalar(select(Upload).where(Upload.original_filename == "cut.wav"))
    moves = db.scalars(
        select(UploadTransition).where(UploadTransition.upload_id == good.id).order_by(UploadTransition.id)
    ).all()
    assert [(m.from_status, m.to_status) for m in moves] == [
        (None, UploadStatus.AWAITING),
        (UploadStatus.AWAITING, UploadStatus.VALIDATING),
        (UploadStatus.VALIDATING, UploadStatus.READY),
    ]
    assert all(m.at is not None for m in moves) and [m.at for m in moves] == sorted(m.at for m in moves)
    assert [t.to_status for t in cut.transitions][-1] == UploadStatus.REJECTED
    assert cut.whereabouts.reason == cut.problems[0]["message"]

    # The artist's release page: the refused file, its reason and how it got there.
    page = text_of(web.get(up.base))
    assert "cut.wav" in page and "History" in page
    assert "the file arrived; a job is checking it" in page
    assert "refused by the check: " + cut.problems[0]["message"] in page

    # The curator's review page: every file with its state and history, the accepted one too.
    stored = db.get(Release, release.id)
    stored.status = ReleaseStatus.IN_REVIEW
    commit(db)
    curator = make_user(db, platform, email="curator@example.com", admin=True)
    staff = WebClient(app)
    staff.login(curator.email, PASSWORD)
    review = text_of(staff.get(f"/review/releases/{release.id}"))
    assert "Files and their history" in review
    assert "good.flac" in review and "checked and accepted; moved to its final place" in review
    assert "cut.wav" in review and cut.problems[0]["message"] in review


def test_the_sweep_records_why_it_closed_an_upload(web, db, platform):
    from datetime import timedelta

    from storefront.db import utcnow
    from storefront.releases.uploads.sweep import sweep

    owner = make_user(db, platform)
    artist = make_artist(db, owner, slug="band")
    web.login(owner.email, PASSWORD)
    release = make_release(db, artist)
    up = Uploader(web, release.id)
    started = up.start("master", "never.flac", b"x" * 100, "audio/flac")
    assert started.status_code == 201
    with platform.database.transaction() as session:
        sweep(session, platform.storage, now=utcnow() + timedelta(days=1), dry_run=False)
    upload = fresh(db).scalar(select(Upload).where(Upload.original_filename == "never.flac"))
    last = upload.transitions[-1]
    assert (last.from_status, last.to_status) == (UploadStatus.AWAITING, UploadStatus.REJECTED)
    assert "never finished uploading" in last.reason
    assert upload.whereabouts.state is UploadStatus.REJECTED


def test_a_ready_file_says_which_follow_up_it_is_waiting_for(make_app, db, tmp_path):
    """Jobs wait in the queue here until run one by one, as on a busy worker."""
    from storefront.jobs.models import Job, JobStatus
    from storefront.releases.uploads.pipeline import PROCESS_JOB, SCREEN_JOB, VALIDATE_JOB

    app = make_app(inline_jobs="manual")
    platform = app.extensions["storefront"]
    web = WebClient(app)
    owner = make_user(db, platform)
    artist = make_artist(db, owner, slug="band")
    web.login(owner.email, PASSWORD)
    release = make_release(db, artist)
    up = Uploader(web, release.id)
    up.upload("master", "slow.flac", master_bytes(tmp_path, seed=21), "audio/flac")

    def run(spec) -> None:
        job = fresh(db).scalar(select(Job).where(Job.name == spec.name, Job.status == JobStatus.QUEUED))
        assert job is not None, spec.name
        platform.executor.run(job.id)

    def state() -> str:
        upload = fresh(db).scalar(select(Upload).where(Upload.original_filename == "slow.flac"))
        return upload.whereabouts.label

    assert state() == "checking…"
    run(VALIDATE_JOB)
    assert state() == "ready; screening and processing…"
    assert "ready; screening and processing…" in text_of(web.get(up.base))
    run(SCREEN_JOB)
    assert state() == "ready; processing…"
    run(PROCESS_JOB)
    assert state() == "ready"
    assert "ready; " not in text_of(web.get(up.base))
