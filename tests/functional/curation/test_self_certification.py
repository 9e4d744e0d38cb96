"""Nobody certifies their own music: one account playing artist, label and curator gets no certificate."""

from __future__ import annotations

from sqlalchemy import select

from storefront.accounts.models import Artist, ArtistMember, Label, LabelStaff, MemberRole, RosterLink, User
from storefront.attestations.models import Attestation
from storefront.curation.models import Appeal, Decision, ReviewDecision
from storefront.db import commit, utcnow
from storefront.events import AuditEvent
from storefront.releases.models import Release, ReleaseStatus, Upload
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.factories.attestations import attestation_url, signable_release, signature_form
from tests.helpers import WebClient, fresh, text_of


def _logged_in(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _decide(web: WebClient, release_id: int, decision: str, message: str = "", reason: str = ""):
    # The home page carries a CSRF token for anyone logged in, so a refused reviewer can still post.
    data = {"decision": decision, "message": message, "reason": reason}
    return web.submit("/", data, action=f"/review/releases/{release_id}/decide")


def _countersign(web: WebClient, label: Label, attestation_id: int):
    page = f"/labels/{label.slug}/attestations/{attestation_id}/countersign"
    return web.submit(page, {"confirm": "y"})


def _in_review(db, release: Release) -> Release:
    fresh(db)
    found = db.get(Release, release.id)
    found.status, found.submitted_at = ReleaseStatus.IN_REVIEW, utcnow()
    commit(db)
    return found


def test_one_account_cannot_walk_a_release_to_a_certificate(app, db, platform, tmp_path):
    real = make_artist(db, make_user(db, platform), name="Mara Lind", slug="mara-lind")
    real.verified_at, real.verified_by, real.verified_detail = utcnow(), "label", "Harbour Lights"
    commit(db)
    mallory = make_user(db, platform, email="mallory@example.com")
    web = _logged_in(app, mallory)

    # 1. A new artist, then renamed to exactly the verified artist's name: held, and not verified.
    profile = {"bio": "", "location": "", "links": ""}
    assert (
        web.submit("/artists/new", {"name": "Night Shift", "slug": "night-shift", **profile}).status_code
        == 302
    )
    renamed = web.submit("/artists/night-shift/edit", {"name": "Mara Lind", "slug": "night-shift", **profile})
    assert renamed.status_code == 302
    artist = fresh(db).scalar(select(Artist).where(Artist.slug == "night-shift"))
    assert artist.name == "Mara Lind" and artist.verified_at is None
    assert "close to the verified artist “Mara Lind”" in artist.hold_reason

    # 2. Its own label, with the artist on the roster (both sides agree: the same person).
    assert (
        web.submit("/labels/new", {"name": "Night Records", "slug": "night-records", **profile}).status_code
        == 302
    )
    web.submit(
        "/labels/night-records/members",
        {"slug": "night-shift"},
        action="/labels/night-records/roster/propose",
    )
    web.submit(
        "/artists/night-shift/members",
        {"slug": "night-records"},
        action="/artists/night-shift/roster/propose",
    )
    label = fresh(db).scalar(select(Label).where(Label.slug == "night-records"))
    assert db.scalar(select(RosterLink).where(RosterLink.label_id == label.id)).status.value == "active"

    # 3. The label's vouch does not verify the artist, nor lift its hold.
    web.submit("/labels/night-records/members", action="/labels/night-records/vouch/night-shift")
    artist = fresh(db).get(Artist, artist.id)
    assert artist.verified_at is None and artist.hold_reason is not None

    # 4. The artist signs; the same person can't countersign for the label.
    release, _files = signable_release(db, artist, tmp_path, label=label)
    assert web.submit(attestation_url(artist, release), signature_form()).status_code == 302
    attestation = fresh(db).scalar(select(Attestation).where(Attestation.release_id == release.id))
    refused = _countersign(web, label, attestation.id)
    assert refused.status_code == 422 and "has to countersign it" in text_of(refused)
    assert fresh(db).get(Attestation, attestation.id).label_countersigned_at is None

    # 5. A held artist can't submit, and only a platform curator clears holds or trusts labels.
    base = f"/artists/night-shift/releases/{release.id}"
    web.submit(base, action=f"{base}/submit")
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.DRAFT
    assert web.submit("/", action=f"/admin/holds/{artist.id}/clear").status_code == 403
    trust = {"verified": "y", "trusted_to_approve": "y"}
    assert web.submit("/", trust, action=f"/admin/labels/{label.id}/standing").status_code == 403
    fresh(db)
    assert db.get(Artist, artist.id).hold_reason is not None
    assert db.get(Label, label.id).verified_at is None and not db.get(Label, label.id).trusted_to_approve

    # 6. Even had the release reached review, its own people can't approve it as label staff.
    _in_review(db, release)
    answer = _decide(web, release.id, "approve")
    assert answer.status_code == 422 and "held for review" in text_of(answer)
    # Nor judge it any other way: the person is a member of the artist and signed its attestation.
    rejected = _decide(web, release.id, "reject", "Not good enough.", "other")
    assert rejected.status_code == 422 and "another curator will" in text_of(rejected)
    fresh(db)
    assert db.get(Release, release.id).status == ReleaseStatus.IN_REVIEW
    assert db.get(Release, release.id).approved_at is None
    assert db.scalars(select(ReviewDecision)).all() == []
    assert web.get(f"/releases/{release.id}/certificate.json").status_code == 404


def _label_release(app, db, platform, tmp_path, *, verified: bool, trusted: bool):
    """A label release in review, countersigned by one staff member; another staff member will decide."""
    countersigner = make_user(db, platform, email="lena@example.com")
    label = make_label(db, countersigner, name="Tidal", slug="tidal")
    reviewer = make_user(db, platform, email="omar@example.com")
    label.staff.append(LabelStaff(user=reviewer, role=MemberRole.MEMBER))
    label.verified_at = utcnow() if verified else None
    label.trusted_to_approve = trusted
    owner = make_user(db, platform, email="ana@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release, _ = signable_release(db, artist, tmp_path, label=label)
    artist_web = _logged_in(app, owner)
    assert artist_web.submit(attestation_url(artist, release), signature_form()).status_code == 302
    attestation = fresh(db).scalar(select(Attestation).where(Attestation.release_id == release.id))
    assert _countersign(_logged_in(app, countersigner), label, attestation.id).status_code == 302
    base = f"/artists/ana-ruiz/releases/{release.id}"
    artist_web.submit(base, action=f"{base}/submit")
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.IN_REVIEW
    return label, release, artist_web, countersigner, reviewer


def test_an_untrusted_label_cannot_approve_and_a_trusted_one_can(app, db, platform, tmp_path):
    label, release, artist_web, _countersigner, reviewer = _label_release(
        app, db, platform, tmp_path, verified=True, trusted=False
    )
    staff = _logged_in(app, reviewer)
    refused = _decide(staff, release.id, "approve")
    assert refused.status_code == 422 and "not trusted by the platform to approve" in text_of(refused)
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.IN_REVIEW

    admin = _logged_in(app, make_user(db, platform, admin=True))
    assert "Tidal" in text_of(admin.get("/admin/labels"))
    saved = admin.submit(
        "/admin/labels",
        {"verified": "y", "trusted_to_approve": "y"},
        action=f"/admin/labels/{label.id}/standing",
    )
    assert saved.status_code == 302
    assert fresh(db).get(Label, label.id).trusted_to_approve
    event = db.scalar(select(AuditEvent).where(AuditEvent.tag == "label:approval_trusted"))
    assert event is not None and event.subject_id == label.id

    assert _decide(staff, release.id, "approve").status_code == 302
    approved = fresh(db).get(Release, release.id)
    assert approved.status == ReleaseStatus.APPROVED and approved.approved_at is not None
    assert artist_web.get(f"/releases/{release.id}/certificate.json").status_code == 200


def test_trust_needs_verification_and_withdrawing_verification_withdraws_trust(app, db, platform):
    label = make_label(db, make_user(db, platform), name="Tidal", slug="tidal")
    admin = _logged_in(app, make_user(db, platform, admin=True))
    action = f"/admin/labels/{label.id}/standing"
    refused = admin.submit("/admin/labels", {"trusted_to_approve": "y"}, action=action, follow_redirects=True)
    assert "Verify Tidal before trusting it" in text_of(refused)
    assert not fresh(db).get(Label, label.id).trusted_to_approve
    admin.submit("/admin/labels", {"verified": "y", "trusted_to_approve": "y"}, action=action)
    admin.submit("/admin/labels", {}, action=action)
    fresh(db)
    assert db.get(Label, label.id).verified_at is None and not db.get(Label, label.id).trusted_to_approve
    tags = set(db.scalars(select(AuditEvent.tag).where(AuditEvent.subject_type == "label")))
    assert {"label:verified", "label:verification_withdrawn", "label:approval_trust_withdrawn"} <= tags


def test_people_involved_in_a_release_cannot_decide_on_it(app, db, platform, tmp_path):
    _label, release, _artist_web, countersigner, reviewer = _label_release(
        app, db, platform, tmp_path, verified=True, trusted=True
    )
    # The countersigner stood behind this very attestation: not theirs to approve, even as an admin.
    fresh(db)
    db.get(User, countersigner.id).is_admin = True
    # Uploading the files is a stake in the release too.
    upload = db.scalar(select(Upload).where(Upload.release_id == release.id))
    upload.uploaded_by_id = reviewer.id
    commit(db)
    for person in (countersigner, reviewer):
        web = _logged_in(app, person)
        approve = _decide(web, release.id, "approve")
        assert approve.status_code == 422 and "another curator will" in text_of(approve)
        changes = _decide(web, release.id, "request_changes", "Fix the credits.")
        assert changes.status_code == 422 and "another curator will" in text_of(changes)
    # A platform admin who is a member of the artist is conflicted too.
    member_admin = make_user(db, platform, admin=True)
    artist = fresh(db).get(Release, release.id).artist
    artist.members.append(ArtistMember(user_id=member_admin.id, role=MemberRole.MEMBER))
    commit(db)
    refused = _decide(_logged_in(app, member_admin), release.id, "approve")
    assert refused.status_code == 422 and "member of Ana Ruiz" in text_of(refused)
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.IN_REVIEW
    assert db.scalars(select(ReviewDecision)).all() == []
    # An uninvolved curator decides.
    assert (
        _decide(_logged_in(app, make_user(db, platform, admin=True)), release.id, "approve").status_code
        == 302
    )
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.APPROVED


def test_leaving_the_roster_ends_the_labels_access_at_once(app, db, platform, tmp_path):
    staff_user = make_user(db, platform)
    label = make_label(db, staff_user, name="Tidal", slug="tidal")
    owner = make_user(db, platform)
    artist = make_artist(db, owner, name="Kelp", slug="kelp")
    release, _ = signable_release(db, artist, tmp_path, label=label)
    release.status, release.approved_at = ReleaseStatus.APPROVED, utcnow()
    commit(db)
    evidence = db.scalar(select(Upload).where(Upload.release_id == release.id))
    staff = _logged_in(app, staff_user)
    assert staff.get(f"/review/releases/{release.id}").status_code == 200
    assert staff.get(f"/downloads/{release.id}").status_code == 200

    link = db.scalar(select(RosterLink).where(RosterLink.artist_id == artist.id))
    artist_web = _logged_in(app, owner)
    assert (
        artist_web.submit("/artists/kelp/members", action=f"/artists/kelp/roster/{link.id}/end").status_code
        == 302
    )
    assert fresh(db).get(Release, release.id).label_id == label.id  # the release still names the label

    assert staff.get(f"/review/releases/{release.id}").status_code == 403
    assert staff.get(f"/downloads/{release.id}").status_code == 403
    assert f"/review/releases/{release.id}" not in text_of(staff.get("/review?status=in_review"))
    opened = staff.submit("/", action=f"/review/releases/{release.id}/evidence/{evidence.id}")
    assert opened.status_code == 403
    takedown = staff.submit(
        "/", {"reason": "other", "message": "We part ways."}, action=f"/review/releases/{release.id}/takedown"
    )
    assert takedown.status_code == 403
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.APPROVED


def test_staff_cannot_decide_an_appeal_on_another_labels_release(app, db, platform, tmp_path):
    label = make_label(db, make_user(db, platform), name="Tidal", slug="tidal")
    artist = make_artist(db, make_user(db, platform), name="Kelp", slug="kelp")
    release, _ = signable_release(db, artist, tmp_path, label=label)
    release.status = ReleaseStatus.REJECTED
    decision = ReviewDecision(
        release_id=release.id, reviewer_id=None, decision=Decision.REJECT, reason=None, message="No."
    )
    db.add(decision)
    commit(db)
    appeal = Appeal(
        release_id=release.id,
        decision_id=decision.id,
        appellant_id=artist.members[0].user_id,
        text="These are my own recordings.",
    )
    db.add(appeal)
    commit(db)
    outsider = make_user(db, platform)
    make_label(db, outsider, name="Other", slug="other")
    web = _logged_in(app, outsider)
    answer = {"outcome": "overturn", "answer": "Fine by us."}
    assert web.submit("/", answer, action=f"/review/appeals/{appeal.id}/decide").status_code == 403
    assert web.submit("/", answer, action="/review/appeals/999999/decide").status_code == 404
    assert fresh(db).get(Appeal, appeal.id).status.value == "open"
    assert db.get(Release, release.id).status == ReleaseStatus.REJECTED


def test_the_decision_log_keeps_never_published_titles_private(app, db, platform, tmp_path):
    artist = make_artist(db, make_user(db, platform), name="Kelp", slug="kelp")
    shown, _ = signable_release(db, artist, tmp_path)
    hidden, _ = signable_release(db, artist, tmp_path)
    shown.title, hidden.title = "Tide Tables", "Secret Sessions"
    shown.status, shown.approved_at, hidden.status = (
        ReleaseStatus.TAKEN_DOWN,
        utcnow(),
        ReleaseStatus.REJECTED,
    )
    db.add_all(
        [
            ReviewDecision(release_id=shown.id, decision=Decision.TAKE_DOWN, reason=None, message="private"),
            ReviewDecision(release_id=hidden.id, decision=Decision.REJECT, reason=None, message="private"),
        ]
    )
    commit(db)
    log = text_of(WebClient(app).get("/decisions"))
    assert "Tide Tables" in log and "taken down" in log
    assert "Secret Sessions" not in log and "rejected" in log and "not published" in log
