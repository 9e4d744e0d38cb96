"""The Flask commands: check, create-admin, demo, db upgrade and worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from storefront.accounts.models import Artist, Label, User
from storefront.attestations.ddex.structure import structural_problems
from storefront.cli.demo import ADMIN, DEMO_ACCOUNTS, FAN
from storefront.mail.models import MessageStatus, OutboundMessage
from storefront.releases.models import Release, ReleaseStatus, UploadStatus
from tests.helpers import WebClient, fresh, text_of, wait_until

ROOT = Path(__file__).resolve().parents[3]


def test_check_reports_configuration_and_components(app, chromaprint):
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "STOREFRONT_DATABASE_URL" in result.output and "STOREFRONT_SECRET_KEY" in result.output
    assert "test-secret-key" not in result.output
    for component in ("database", "storage", "jobs", "payments", "mail", "screening"):
        assert f"[ok  ] {component}" in result.output
    assert "SANDBOX" in result.output


def test_check_fails_when_a_component_does_not_answer(make_app, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    app = make_app(storage_dir=str(blocker / "storage"))
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1 and "[FAIL] storage" in result.output


def test_create_admin_creates_then_promotes(app, db, web):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "boss@example.com", "--password", "short"])
    assert result.exit_code != 0 and "at least 10 characters" in result.output
    result = runner.invoke(args=["create-admin", "boss@example.com", "--password", "long-enough-pass-1"])
    assert result.exit_code == 0 and "Created administrator" in result.output
    result = runner.invoke(args=["create-admin", "BOSS@example.com", "--password", "whatever-else-22"])
    assert "Promoted administrator" in result.output
    user = fresh(db).scalar(select(User).where(User.email == "boss@example.com"))
    assert user.is_admin and user.is_verified
    web.login("boss@example.com", "long-enough-pass-1")
    assert web.get("/admin/").status_code == 200


def test_demo_seeds_once_and_its_accounts_work(make_app, db):
    app = make_app(demo_track_seconds=2.0)
    web = WebClient(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and "Demo data added." in first.output
    for account in DEMO_ACCOUNTS:
        assert account.email in first.output and account.password in first.output
    second = runner.invoke(args=["demo"])
    assert "already there" in second.output
    fresh(db)
    assert db.scalar(select(Label).where(Label.slug == "harbour-lights")) is not None
    assert len(db.scalars(select(Artist)).all()) == 3
    web.login(FAN.email, FAN.password)
    web.logout()
    web.login(ADMIN.email, ADMIN.password)
    assert web.get("/admin/").status_code == 200
    assert "Mara Lind" in text_of(web.get("/labels/harbour-lights"))
    # Approved releases with real audio, signed and certified, as an artist's would be.
    assert "3 demo releases synthesised, checked, signed and approved." in first.output
    releases = db.scalars(select(Release)).all()
    assert {r.status for r in releases} == {ReleaseStatus.APPROVED}
    album = next(r for r in releases if r.title == "Kitchen Table Songs")
    page = text_of(web.get(f"/artists/mara-lind/album/{album.slug}"))
    assert "Ferry to Styrsö" in page and "Human-made" in page
    assert web.get(f"/releases/{album.id}/certificate.json").get_json()["files_current"] is True
    assert all(t.master is not None and t.master.info["format"] == "FLAC" for t in album.tracks)
    # Demo files went the way an artist's do, and their history says so.
    for track in album.tracks:
        assert track.master is not None
        steps = [(s.from_status, s.to_status) for s in track.master.whereabouts.history]
        assert steps[:3] == [
            (None, UploadStatus.AWAITING),
            (UploadStatus.AWAITING, UploadStatus.VALIDATING),
            (UploadStatus.VALIDATING, UploadStatus.READY),
        ]
    # Each carries a valid UPC and ISRCs, so it exports as DDEX (a test message: no party id is set).
    for release in releases:
        exported = web.get(f"/releases/{release.id}/ddex.xml")
        assert exported.status_code == 200, exported.get_data(as_text=True)
        assert structural_problems(exported.data) == []
        assert b"<MessageControlType>TestMessage</MessageControlType>" in exported.data


def test_db_upgrade_is_idempotent(app):
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "head" in result.output


def test_worker_runs_queued_jobs_and_stops_on_sigterm(app, platform, db, tmp_path):
    from storefront.jobs.inline import InlineDispatcher
    from storefront.jobs.interfaces import JobQueue
    from storefront.mail.services import MailService

    with app.app_context(), platform.database.transaction() as session:
        queue = JobQueue(session, InlineDispatcher(platform.executor, mode="manual"))
        MailService(session, queue, lambda name, ctx: "body").send("test", "w@example.com", "Hi", "x")
    env = {
        **os.environ,
        "STOREFRONT_ENV": "test",
        "STOREFRONT_DATABASE_URL": platform.settings.resolved_database_url,
        "STOREFRONT_INSTANCE_DIR": str(tmp_path / "worker-instance"),
        "STOREFRONT_SECRET_KEY": platform.settings.secret_key,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def delivered() -> bool:
            assert worker.poll() is None, worker.communicate()[0]
            return fresh(db).scalar(select(OutboundMessage.status)) == MessageStatus.KEPT

        wait_until(delivered, what="the worker process to deliver the queued mail")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            worker.kill()  # never leave it behind, whatever the test's outcome
            output, _ = worker.communicate()
    assert worker.returncode == 0, output
    assert "Stopping after the running jobs finish" in output


def test_sweep_reports_in_a_dry_run_and_then_cleans(app, platform):
    import io

    platform.storage.put("staging/1/1/left-behind", io.BytesIO(b"x"), content_type="audio/flac")
    runner = app.test_cli_runner()
    # A fresh object is left alone: it may belong to an upload whose transaction has not committed yet.
    assert "nothing to do" in runner.invoke(args=["sweep", "--dry-run"]).output
    old = platform.storage.object_path("staging/1/1/left-behind")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    dry = runner.invoke(args=["sweep", "--dry-run"])
    assert dry.exit_code == 0 and "would delete staging/1/1/left-behind" in dry.output
    assert "Dry run: 1 orphan objects." in dry.output
    assert platform.storage.exists("staging/1/1/left-behind")
    real = runner.invoke(args=["sweep"])
    assert "delete staging/1/1/left-behind" in real.output and "1 orphan objects." in real.output
    assert not platform.storage.exists("staging/1/1/left-behind")
