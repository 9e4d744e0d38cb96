"""Screening gates review: no submission or approval while a file has no result, unless a curator says why."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from storefront.attestations.verification import verify_certificate
from storefront.db import commit
from storefront.events import AuditEvent
from storefront.jobs.interfaces import JobRegistry
from storefront.jobs.models import Job, JobStatus
from storefront.releases.models import Release, ReleaseStatus, Upload, UploadKind, UploadStatus
from storefront.releases.uploads.pipeline import VALIDATE_JOB
from storefront.releases.uploads.validation import check_follow_ups
from storefront.screening.models import (
    ScreeningOverride,
    ScreeningResult,
    ScreeningVerdict,
    Severity,
)
from storefront.screening.services import SCREEN_JOB
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.attestations import attestation_url, signable_release, signature_form
from tests.factories.provenance import ThrowawayCA, c2pa_sign, manifest, master
from tests.functional.releases.test_uploads import Uploader
from tests.helpers import WebClient, fresh, mail_to, text_of

REASON = "Screening is stalled for hours; I listened to every track and checked the session files."


@pytest.fixture
def app(make_app):
    """Jobs run only when a test runs them: screening can be held back as a busy queue would."""
    return make_app(inline_jobs="manual")


@pytest.fixture
def studio(app, db, platform, tmp_path):
    owner = make_user(db, platform, email="artist@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release, _files = signable_release(db, artist, tmp_path)
    web = WebClient(app)
    web.login(owner.email, PASSWORD)
    return web, artist, release


@pytest.fixture
def curator(app, db, platform) -> WebClient:
    admin = make_user(db, platform, email="curator@example.com", admin=True)
    web = WebClient(app)
    web.login(admin.email, PASSWORD)
    return web


def run_jobs(platform, db, name: str) -> int:
    queued = fresh(db).scalars(
        select(Job.id).where(Job.name == name, Job.status == JobStatus.QUEUED).order_by(Job.id)
    )
    ids = list(queued)
    for job_id in ids:
        platform.executor.run(job_id)
    return len(ids)


def _decide(web: WebClient, release_id: int, decision: str):
    return web.submit(
        f"/review/releases/{release_id}",
        {"decision": decision, "message": ""},
        action=f"/review/releases/{release_id}/decide",
    )


def _override(web: WebClient, release_id: int, reason: str = REASON):
    return web.submit(
        f"/review/releases/{release_id}",
        {"reason": reason},
        action=f"/review/releases/{release_id}/screening-override",
        follow_redirects=True,
    )


def test_a_late_refusal_cannot_slip_through_and_takes_an_approved_release_off_sale(
    studio, curator, app, db, platform, tmp_path
):
    web, artist, release = studio
    base = f"/artists/{artist.slug}/releases/{release.id}"
    track = release.tracks[0]
    ai_master = c2pa_sign(
        master(tmp_path / "plain.wav", seed=31, seconds=6),
        tmp_path / "Night Drive.wav",
        ThrowawayCA.create(),
        manifest("trainedAlgorithmicMedia", generator="SongForge AI"),
    )
    ticket = Uploader(web, release.id, artist.slug).upload(
        "master", "Night Drive.wav", ai_master.read_bytes(), "audio/wav", track_id=track.id
    )
    assert run_jobs(platform, db, VALIDATE_JOB.name) == 1  # accepted; screening still waits in the queue
    assert fresh(db).get(Upload, ticket["upload_id"]).status == UploadStatus.READY
    assert web.submit(attestation_url(artist, release), signature_form()).status_code == 302

    # The artist sees that the new master is not screened yet, and cannot submit it.
    waiting = "not screened yet: Track 1, “Song 1” (Night Drive.wav)"
    page = text_of(web.get(base + "?step=attestation"))
    assert "Screening of your files: screening" in page
    assert waiting in text_of(web.get(base + "?step=review"))
    refused = text_of(web.submit(base, action=f"{base}/submit", follow_redirects=True))
    assert waiting in refused
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.DRAFT

    # A curator lets it through on the record; the release is submitted and approved.
    review = text_of(curator.get(f"/review/releases/{release.id}"))
    assert "Track 1, “Song 1” (Night Drive.wav)" in review and "not screened yet" in review
    assert "Say why" in text_of(_override(curator, release.id, "stuck"))
    assert "The override is recorded" in text_of(_override(curator, release.id))
    override = fresh(db).scalar(select(ScreeningOverride))
    assert override is not None and override.upload_ids == [ticket["upload_id"]]
    assert fresh(db).scalar(select(AuditEvent).where(AuditEvent.tag == "release:screening_overridden"))
    assert web.submit(base, action=f"{base}/submit").status_code == 302
    assert "not screened yet" in text_of(curator.get("/review"))
    assert _decide(curator, release.id, "approve").status_code == 302
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.APPROVED

    # The certificate says plainly that screening did not run, inside the signed approval.
    certificate = text_of(web.get(f"/releases/{release.id}/certificate"))
    assert f"screening not run: {REASON}" in certificate
    published = web.get(f"/releases/{release.id}/certificate.json").get_json()
    assert published["approval"]["document"]["screening"] == f"screening not run: {REASON}"
    keys = web.get("/.well-known/velvet/platform-key.json").get_json()["keys"]
    verdict = verify_certificate(published, keys)
    assert verdict.ok, verdict.reasons
    public = f"/artists/{artist.slug}/album/{release.slug}"
    assert web.get(public).status_code == 200 and release.title in text_of(web.get("/"))

    # Screening catches up: the master is refused, and the release leaves the store for review again.
    assert run_jobs(platform, db, SCREEN_JOB.name) >= 1
    assert fresh(db).get(Upload, ticket["upload_id"]).status == UploadStatus.REJECTED
    pulled = fresh(db).get(Release, release.id)
    assert pulled.status == ReleaseStatus.IN_REVIEW
    assert web.get(public).status_code == 404
    assert web.get(f"/releases/{release.id}/certificate.json").status_code == 404
    assert release.title not in text_of(web.get("/"))
    event = fresh(db).scalar(select(AuditEvent).where(AuditEvent.tag == "release:screening_pulled"))
    assert event is not None and event.data["file"] == "Night Drive.wav"
    for address in ("artist@example.com", "curator@example.com"):
        mail = mail_to(app, address)[-1]
        assert "off sale" in mail.subject and "Night Drive.wav" in mail.text_body
        assert "trainedAlgorithmicMedia" in mail.text_body
    assert "refused by screening" in text_of(web.get(base + "?step=attestation"))
    assert "Refused by screening: Track 1, “Song 1” (Night Drive.wav)" in text_of(
        curator.get(f"/review/releases/{release.id}")
    )


def test_the_queue_tells_not_screened_yet_from_nothing_found_and_approval_waits(
    studio, curator, app, db, platform, tmp_path
):
    web, artist, release = studio
    base = f"/artists/{artist.slug}/releases/{release.id}"
    web.submit(attestation_url(artist, release), signature_form())
    assert web.submit(base, action=f"{base}/submit").status_code == 302
    other, _ = signable_release(db, make_artist(db, make_user(db, platform), slug="tide"), tmp_path)
    other.status = ReleaseStatus.IN_REVIEW
    # Submitted before the cover was screened (as releases in review were when the gate arrived).
    cover = db.scalar(
        select(Upload).where(Upload.release_id == release.id, Upload.kind == UploadKind.ARTWORK)
    )
    db.execute(delete(ScreeningResult).where(ScreeningResult.upload_id == cover.id))
    commit(db)

    queue = text_of(curator.get("/review"))
    assert "not screened yet" in queue and "nothing found" in queue
    waiting = text_of(curator.get("/review?severity=unscreened"))
    assert release.title in waiting and other.title not in waiting
    clean = text_of(curator.get("/review?severity=none"))
    assert other.title in clean and release.title not in clean

    refused = _decide(curator, release.id, "approve")
    assert refused.status_code == 422
    assert "not screened yet: Cover artwork (cover.jpg)" in text_of(refused)
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.IN_REVIEW
    # The artist is not a curator: no override from their side.
    artist_override = web.post(f"/review/releases/{release.id}/screening-override", data={"reason": REASON})
    assert artist_override.status_code in (400, 403)
    assert fresh(db).scalar(select(ScreeningOverride)) is None
    _override(curator, release.id)
    assert _decide(curator, release.id, "approve").status_code == 302


def test_artists_see_flags_before_signing_and_curators_see_track_and_file_names(studio, curator, db):
    web, artist, release = studio
    first = db.scalar(
        select(Upload).where(Upload.release_id == release.id, Upload.track_id == release.tracks[0].id)
    )
    result = db.scalar(select(ScreeningResult).where(ScreeningResult.upload_id == first.id))
    result.verdict, result.severity = ScreeningVerdict.FLAG, Severity.HIGH
    result.summary = "Tags carry traces of an AI music generator (Suno)."
    commit(db)

    page = text_of(web.get(f"/artists/{artist.slug}/releases/{release.id}?step=attestation"))
    assert "Screening of your files: flagged" in page
    assert "Track 1, “Song 1” (01.flac)" in page and "Tags carry traces of an AI music generator" in page
    review = text_of(curator.get(f"/review/releases/{release.id}"))
    assert "Track 1, “Song 1” (01.flac)" in review and "Cover artwork (cover.jpg)" in review
    assert f"<td>{first.id}</td>" not in curator.get(f"/review/releases/{release.id}").text


def test_an_unregistered_follow_up_job_stops_start_up(platform):
    check_follow_ups(platform.registry)  # what create_app registers is complete
    partial = JobRegistry()
    partial.add(VALIDATE_JOB, lambda context, payload: None)
    with pytest.raises(RuntimeError) as stopped:
        check_follow_ups(partial)
    message = str(stopped.value)
    assert "provenance.screen_upload (after an accepted artwork, master)" in message
    assert "audio.process_master (after an accepted master)" in message
