"""Curation through HTTP: submission needs a signed attestation; curators decide; the public sees it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.curation.models import Appeal, RefundRequest, RefundStatus, Report, ReviewDecision
from storefront.events import AuditEvent
from storefront.orders.models import Entitlement, EntitlementSource
from storefront.releases.models import Release, ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.factories.attestations import attestation_url, signable_release, signature_form
from tests.helpers import WebClient, fresh, mail_to, text_of


@pytest.fixture
def studio(app, db, platform, tmp_path):
    owner = make_user(db, platform, email="artist@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release, _files = signable_release(db, artist, tmp_path)
    web = WebClient(app)
    web.login(owner.email, PASSWORD)
    return web, artist, release


def _workspace(artist, release) -> str:
    return f"/artists/{artist.slug}/releases/{release.id}"


def _curator(app, db, platform) -> WebClient:
    admin = make_user(db, platform, email="curator@example.com", admin=True)
    web = WebClient(app)
    web.login(admin.email, PASSWORD)
    return web


def test_submission_needs_a_signed_attestation(studio, db):
    web, artist, release = studio
    base = _workspace(artist, release)
    page = text_of(web.get(base + "?step=review"))
    assert "Before you can submit" in page and "Submit for review" not in page
    web.submit(base, action=f"{base}/submit")
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.DRAFT

    assert web.submit(attestation_url(artist, release), signature_form()).status_code == 302
    assert "Submit for review" in text_of(web.get(base + "?step=review"))
    assert web.submit(base, action=f"{base}/submit").status_code == 302
    submitted = fresh(db).get(Release, release.id)
    assert submitted.status == ReleaseStatus.IN_REVIEW and submitted.submitted_at is not None


def test_a_curator_approves_and_the_release_goes_on_sale_with_its_certificate(studio, app, db, platform):
    web, artist, release = studio
    base = _workspace(artist, release)
    web.submit(attestation_url(artist, release), signature_form())
    web.submit(base, action=f"{base}/submit")
    public = f"/artists/ana-ruiz/album/{release.slug}"
    assert web.get(public).status_code == 404  # not on sale before approval

    curator = _curator(app, db, platform)
    queue = text_of(curator.get("/review"))
    assert release.title in queue
    review = text_of(curator.get(f"/review/releases/{release.id}"))
    assert "Ana María Ruiz" in review and "<audio" in review
    response = curator.submit(
        f"/review/releases/{release.id}",
        {"decision": "approve", "message": ""},
        action=f"/review/releases/{release.id}/decide",
    )
    assert response.status_code == 302
    approved = fresh(db).get(Release, release.id)
    assert approved.status == ReleaseStatus.APPROVED and approved.approved_at is not None
    page = text_of(web.get(public))
    assert release.title in page and f"/releases/{release.id}/certificate" in page
    assert web.get(f"/releases/{release.id}/certificate.json").status_code == 200
    assert "approved" in mail_to(app, "artist@example.com")[-1].subject
    assert release.title in text_of(web.get("/decisions"))
    assert db.scalar(select(AuditEvent).where(AuditEvent.tag == "release:approve")) is not None


def test_changes_requested_and_rejection_are_explained_to_the_artist(studio, app, db, platform):
    web, artist, release = studio
    base = _workspace(artist, release)
    web.submit(attestation_url(artist, release), signature_form())
    web.submit(base, action=f"{base}/submit")
    curator = _curator(app, db, platform)
    decide = f"/review/releases/{release.id}/decide"
    missing = curator.submit(
        f"/review/releases/{release.id}", {"decision": "request_changes", "message": ""}, action=decide
    )
    assert missing.status_code == 422 and "Write a message for the artist" in text_of(missing)
    curator.submit(
        f"/review/releases/{release.id}",
        {"decision": "request_changes", "message": "Credit the drummer on track 2."},
        action=decide,
    )
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.CHANGES_REQUESTED
    assert "Credit the drummer on track 2." in text_of(web.get(base + "?step=review"))
    assert "Credit the drummer" in mail_to(app, "artist@example.com")[-1].text_body

    web.submit(base, action=f"{base}/submit")
    no_reason = curator.submit(
        f"/review/releases/{release.id}", {"decision": "reject", "message": "No."}, action=decide
    )
    assert no_reason.status_code == 422 and "Choose the reason" in text_of(no_reason)
    curator.submit(
        f"/review/releases/{release.id}",
        {"decision": "reject", "reason": "generative_ai", "message": "The vocals are a voice model."},
        action=decide,
    )
    rejected = fresh(db).get(Release, release.id)
    assert rejected.status == ReleaseStatus.REJECTED
    page = text_of(web.get(base + "?step=review"))
    assert "The vocals are a voice model." in page and "Appeal this decision" in page
    log = text_of(web.get("/decisions"))
    assert "rejected" in log and "Generated content" in log and "voice model" not in log  # no private text


def test_label_staff_review_only_their_labels_releases(app, db, platform, tmp_path):
    staff = make_user(db, platform)
    label = make_label(db, staff, name="Tidal", slug="tidal")
    artist = make_artist(db, make_user(db, platform), slug="kelp")
    ours, _ = signable_release(db, artist, tmp_path, label=label)
    other_artist = make_artist(db, make_user(db, platform), slug="other")
    theirs, _ = signable_release(db, other_artist, tmp_path)
    for release in (ours, theirs):
        release.status = ReleaseStatus.IN_REVIEW
    from storefront.db import commit

    commit(db)
    web = WebClient(app)
    web.login(staff.email, PASSWORD)
    queue = text_of(web.get("/review"))
    assert f"/review/releases/{ours.id}" in queue and f"/review/releases/{theirs.id}" not in queue
    assert web.get(f"/review/releases/{theirs.id}").status_code == 403
    fan = WebClient(app)
    fan.login(make_user(db, platform).email, PASSWORD)
    assert fan.get("/review").status_code == 403


def test_takedown_tells_buyers_revokes_and_refunds_then_the_artist_appeals(studio, app, db, platform):
    web, artist, release = studio
    base = _workspace(artist, release)
    web.submit(attestation_url(artist, release), signature_form())
    web.submit(base, action=f"{base}/submit")
    curator = _curator(app, db, platform)
    curator.submit(
        f"/review/releases/{release.id}",
        {"decision": "approve"},
        action=f"/review/releases/{release.id}/decide",
    )
    buyer = make_user(db, platform, email="buyer@example.com")
    gifted = make_user(db, platform, email="gifted@example.com")
    db.add_all(
        [
            Entitlement(
                user=buyer,
                release_id=release.id,
                source=EntitlementSource.PURCHASE,
                payment_reference="pi_123",
                amount_minor=900,
                currency="USD",
            ),
            Entitlement(user=gifted, release_id=release.id, source=EntitlementSource.GIFT),
        ]
    )
    from storefront.db import commit

    commit(db)
    # A fan reports it; the report enters the queue.
    fan = WebClient(app)
    fan.login(buyer.email, PASSWORD)
    public = f"/artists/ana-ruiz/album/{release.slug}"
    fan.submit(
        public,
        {"reason": "generative_ai", "details": "The voice glitches like a voice model."},
        action=f"/releases/{release.id}/report",
    )
    assert fresh(db).scalar(select(Report)).status.value == "open"
    assert release.title in text_of(curator.get("/review?status=reported"))

    response = curator.submit(
        f"/review/releases/{release.id}",
        {"reason": "generative_ai", "message": "The stems show a voice model."},
        action=f"/review/releases/{release.id}/takedown",
    )
    assert response.status_code == 302
    fresh(db)
    assert db.get(Release, release.id).status == ReleaseStatus.TAKEN_DOWN
    assert web.get(public).status_code == 410
    assert all(e.revoked_at is not None for e in db.scalars(select(Entitlement)))
    refund = db.scalar(select(RefundRequest))
    assert (refund.payment_reference, refund.amount_minor, refund.status) == (
        "pi_123",
        900,
        RefundStatus.REFUNDED,
    )
    assert refund.gateway_reference.startswith("re_sandbox_")
    assert "withdrawn" in mail_to(app, "buyer@example.com")[-1].subject
    assert "refunding" in mail_to(app, "buyer@example.com")[-1].text_body
    assert "refunding" not in mail_to(app, "gifted@example.com")[-1].text_body
    assert db.scalar(select(Report)).status.value == "resolved"

    short = web.submit(f"{base}/appeal", {"text": "No."})
    assert short.status_code == 422
    appeal_text = "These are my own recordings; the stems and session files are attached as evidence."
    assert web.submit(f"{base}/appeal", {"text": appeal_text}).status_code == 302
    appeal = fresh(db).scalar(select(Appeal))
    curator.submit(
        f"/review/releases/{release.id}",
        {"outcome": "overturn", "answer": "The sessions convinced us."},
        action=f"/review/appeals/{appeal.id}/decide",
    )
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.APPROVED
    assert "reinstated on appeal" in text_of(web.get("/decisions"))
    # One appeal per decision.
    assert "Appeal this decision" not in text_of(web.get(base + "?step=review"))


def test_reports_are_rate_limited_per_account(studio, app, db, platform):
    _web, _artist, release = studio
    release.status = ReleaseStatus.APPROVED
    from storefront.db import commit, utcnow

    release.approved_at = utcnow()
    commit(db)
    fan = WebClient(app)
    fan.login(make_user(db, platform).email, PASSWORD)
    limit, _ = platform.settings.rate_limit
    for _ in range(limit):
        fan.submit(
            f"/artists/ana-ruiz/album/{release.slug}",
            {"reason": "other", "details": "Something is off here."},
            action=f"/releases/{release.id}/report",
        )
    refused = fan.submit(
        f"/artists/ana-ruiz/album/{release.slug}",
        {"reason": "other", "details": "Once more, off."},
        action=f"/releases/{release.id}/report",
    )
    assert refused.status_code == 429
    assert len(fresh(db).scalars(select(Report)).all()) == limit


def test_opening_private_evidence_is_recorded(studio, app, db, platform, tmp_path):
    web, _artist, release = studio
    from tests.functional.releases.test_uploads import Uploader

    up = Uploader(web, release.id, slug="ana-ruiz")
    ticket = up.upload(
        "evidence", "session-photo.jpg", b"\xff\xd8\xff\xe0 a photo of the session", "image/jpeg"
    )
    release.status = ReleaseStatus.IN_REVIEW
    from storefront.db import commit

    fresh(db)
    db.get(Release, release.id).status = ReleaseStatus.IN_REVIEW
    commit(db)
    curator = _curator(app, db, platform)
    page = text_of(curator.get(f"/review/releases/{release.id}"))
    assert "session-photo.jpg" in page
    opened = curator.submit(
        f"/review/releases/{release.id}",
        action=f"/review/releases/{release.id}/evidence/{ticket['upload_id']}",
    )
    assert opened.status_code == 303 and "/storage/o/" in opened.headers["Location"]
    with curator.get(opened.headers["Location"]) as downloaded:
        assert downloaded.data.startswith(b"\xff\xd8")
    event = fresh(db).scalar(select(AuditEvent).where(AuditEvent.tag == "release:evidence_viewed"))
    assert event is not None and event.data == {"upload_id": ticket["upload_id"]}
    # Fans can't open it, nor see the review page.
    fan = WebClient(app)
    fan.login(make_user(db, platform).email, PASSWORD)
    assert (
        fan.submit("/", action=f"/review/releases/{release.id}/evidence/{ticket['upload_id']}").status_code
        == 403
    )
    assert db.scalars(select(ReviewDecision)).all() == []
