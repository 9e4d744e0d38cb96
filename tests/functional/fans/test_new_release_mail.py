"""New-release mail: approval tells the followers who opted in, once each, with a one-click unsubscribe."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from storefront.accounts.credentials import Tokens
from storefront.db import commit, utcnow
from storefront.fans.announcements import ANNOUNCE_JOB, announce, unsubscribe_token
from storefront.fans.models import FanMailPreference, Follow, ReleaseAnnouncement
from storefront.jobs.interfaces import JobQueue
from storefront.jobs.models import Job
from storefront.mail.models import OutboundMessage
from storefront.releases.models import Release, ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.factories.attestations import attestation_url, signable_release, signature_form
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh, mail_to, text_of


def _signed_in(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _follow(db, user, *, artist=None, label=None) -> None:
    db.add(
        Follow(user_id=user.id, artist_id=artist.id if artist else None, label_id=label.id if label else None)
    )
    commit(db)


def _publish(db, platform, release: Release) -> None:
    """What curation's approval does for this room: the release turns public and its hook queues the job."""
    release = fresh(db).get(Release, release.id)
    release.status, release.approved_at = ReleaseStatus.APPROVED, utcnow()
    announce(JobQueue(db, platform.jobs), release)
    commit(db)


def _new_release_mail(app, address: str) -> list[OutboundMessage]:
    return [m for m in mail_to(app, address) if m.kind == "new_release"]


def _unsubscribe_path(message: OutboundMessage) -> str:
    match = re.fullmatch(r"<https?://[^/]+(/unsubscribe/[^>]+)>", message.headers["List-Unsubscribe"])
    assert match, message.headers
    return match.group(1)


def test_a_curators_approval_mails_the_followers_who_want_it_once_each(app, db, platform, tmp_path) -> None:
    owner = make_user(db, platform, email="artist@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release, _files = signable_release(db, artist, tmp_path)
    fans = {
        name: make_user(db, platform, email=f"{name}@example.com", verified=name != "unverified")
        for name in ("fan", "quiet", "unverified", "stranger")
    }
    _follow(db, fans["fan"], artist=artist)
    _follow(db, fans["quiet"], artist=artist)
    _follow(db, fans["unverified"], artist=artist)
    db.add(FanMailPreference(user_id=fans["quiet"].id, new_releases=False))
    commit(db)

    web = _signed_in(app, owner)
    base = f"/artists/{artist.slug}/releases/{release.id}"
    web.submit(attestation_url(artist, release), signature_form())
    assert web.submit(base, action=f"{base}/submit").status_code == 302
    assert _new_release_mail(app, "fan@example.com") == []  # not public yet
    curator = _signed_in(app, make_user(db, platform, email="curator@example.com", admin=True))
    page = f"/review/releases/{release.id}"
    decided = curator.submit(page, {"decision": "approve", "message": ""}, action=page + "/decide")
    assert decided.status_code == 302, re.findall(r"(?:alert|error)[^>]*>([^<]+)", text_of(decided))

    (message,) = _new_release_mail(app, "fan@example.com")
    assert message.subject == f"New from Ana Ruiz: “{release.title}”"
    assert f"/artists/ana-ruiz/album/{release.slug}" in message.text_body
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _unsubscribe_path(message) in message.text_body
    for name in ("quiet", "unverified", "stranger"):
        assert _new_release_mail(app, f"{name}@example.com") == []
    # The admin's outbox shows the header fields with the message.
    admin = _signed_in(app, make_user(db, platform, admin=True))
    shown = text_of(admin.get(f"/admin/outbox/{message.id}"))
    assert "List-Unsubscribe-Post" in shown and "One-Click" in shown


def test_the_job_run_again_sends_nothing_twice_and_resumes_where_it_stopped(app, db, platform) -> None:
    artist = make_artist(db, make_user(db, platform), name="Ana Ruiz", slug="ana-ruiz")
    label = make_label(db, make_user(db, platform), name="Harbour Records", slug="harbour-records")
    release = make_release(db, artist, title="Second Record")
    release.label_id = label.id
    fans = [make_user(db, platform, email=f"fan{n}@example.com") for n in range(5)]
    for fan in fans[:3]:
        _follow(db, fan, artist=artist)
    # Following the label, or both: one message all the same.
    _follow(db, fans[2], label=label)
    _follow(db, fans[3], label=label)
    _follow(db, fans[4], label=label)
    # As if a worker had reached the first fan and died before finishing.
    db.add(ReleaseAnnouncement(release_id=release.id, user_id=fans[0].id))
    commit(db)
    _publish(db, platform, release)
    assert _new_release_mail(app, "fan0@example.com") == []
    assert all(len(_new_release_mail(app, f"fan{n}@example.com")) == 1 for n in range(1, 5))

    # Queued again for the same release: the dedupe key returns the job that ran.
    _publish(db, platform, release)
    assert fresh(db).scalar(select(func.count(Job.id)).where(Job.name == ANNOUNCE_JOB.name)) == 1
    # Run again by hand, as a retry would: nobody hears twice.
    again = Job(name=ANNOUNCE_JOB.name, payload={"release_id": release.id}, run_after=utcnow())
    db.add(again)
    commit(db)
    platform.executor.run(again.id)
    assert all(len(_new_release_mail(app, f"fan{n}@example.com")) == 1 for n in range(1, 5))
    count = fresh(db).scalar(select(func.count(ReleaseAnnouncement.id)))
    assert count == 5


def test_a_release_taken_down_before_the_job_runs_is_not_announced(make_app) -> None:
    waiting = make_app(inline_jobs="manual")
    platform = waiting.extensions["storefront"]
    db = platform.database.session()
    artist = make_artist(db, make_user(db, platform), name="Ana Ruiz", slug="ana-ruiz")
    release = make_release(db, artist, title="Gone Soon")
    _follow(db, make_user(db, platform, email="fan@example.com"), artist=artist)
    _publish(db, platform, release)
    fresh(db).get(Release, release.id).status = ReleaseStatus.TAKEN_DOWN
    commit(db)
    platform.jobs.drain()
    assert _new_release_mail(waiting, "fan@example.com") == []
    db.close()


def test_one_click_unsubscribe_by_the_mail_client_stops_new_release_mail(app, db, platform) -> None:
    artist = make_artist(db, make_user(db, platform), name="Ana Ruiz", slug="ana-ruiz")
    fan = make_user(db, platform, email="fan@example.com")
    _follow(db, fan, artist=artist)
    _publish(db, platform, make_release(db, artist, title="First"))
    (message,) = _new_release_mail(app, fan.email)
    path = _unsubscribe_path(message)

    # Opening the link changes nothing (mail scanners open links); it asks for one press.
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe" in text_of(page)
    assert fresh(db).get(FanMailPreference, fan.id) is None
    # RFC 8058: the client posts this body with no cookie and no form token.
    posted = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert posted.status_code == 200 and "You are unsubscribed" in text_of(posted)
    assert fresh(db).get(FanMailPreference, fan.id).new_releases is False
    assert app.test_client().post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    _publish(db, platform, make_release(fresh(db), artist, title="Second"))
    assert len(_new_release_mail(app, fan.email)) == 1
    # The follow itself stays; the settings page turns the mail back on.
    web = _signed_in(app, fan)
    assert "Ana Ruiz" in text_of(web.get("/following"))
    box = re.search(r'<input[^>]*name="new_releases"[^>]*>', text_of(web.get("/settings/mail")))
    assert box is not None and "checked" not in box.group(0)
    assert web.submit("/settings/mail", {"new_releases": "y"}).status_code == 303
    assert fresh(db).get(FanMailPreference, fan.id).new_releases is True
    _publish(db, platform, make_release(fresh(db), artist, title="Third"))
    assert len(_new_release_mail(app, fan.email)) == 2
    assert web.submit("/settings/mail", {}).status_code == 303
    assert fresh(db).get(FanMailPreference, fan.id).new_releases is False


def test_tampered_or_foreign_unsubscribe_links_are_refused(app, db, platform) -> None:
    fan = make_user(db, platform, email="fan@example.com")
    other = make_user(db, platform, email="other@example.com")
    tokens: Tokens = platform.tokens
    good = unsubscribe_token(tokens, fan.id)
    claim_like = tokens.make("claim-order", {"user": other.id, "list": "new-releases"})
    forged = Tokens("another-secret-key-0123456789abcdef0123").make(
        "unsubscribe", {"user": other.id, "list": "new-releases"}
    )
    cases = [
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),  # signature altered
        good.replace(good.split(".")[0], tokens.make("unsubscribe", {"user": other.id}).split(".")[0]),
        claim_like,  # signed by us, for another purpose
        forged,  # signed with another key
        "not-a-token",
        "x" * 1000,
    ]
    client = app.test_client()
    for token in cases:
        for response in (client.get(f"/unsubscribe/{token}"), client.post(f"/unsubscribe/{token}")):
            assert response.status_code == 400, token
            assert "link is not valid" in text_of(response)
    assert fresh(db).scalar(select(func.count()).select_from(FanMailPreference)) == 0
    # A link for an account that was deleted since.
    gone = make_user(db, platform, email="gone@example.com")
    gone.deleted_at = utcnow()
    commit(db)
    late = client.post(f"/unsubscribe/{unsubscribe_token(tokens, gone.id)}")
    assert late.status_code == 400 and "no longer exists" in text_of(late)


def test_a_pre_order_is_announced_as_one_with_its_date_and_first_window(app, db, platform) -> None:
    artist = make_artist(db, make_user(db, platform), name="Ana Ruiz", slug="ana-ruiz")
    today = utcnow().date()
    coming = make_release(db, artist, title="Coming Soon")
    coming.release_date = today + timedelta(days=20)
    coming.first_window_until = today + timedelta(days=50)
    out = make_release(db, artist, title="Out Already")
    out.release_date = today - timedelta(days=3)
    fan = make_user(db, platform, email="fan@example.com")
    _follow(db, fan, artist=artist)
    _publish(db, platform, coming)
    _publish(db, platform, out)

    by_title = {m.subject: m for m in _new_release_mail(app, "fan@example.com")}
    day = coming.release_date
    pre_order = by_title[f"Pre-order from Ana Ruiz: “Coming Soon”, out {day.day} {day:%B %Y}"]
    assert "is up for pre-order" in pre_order.text_body
    assert f"comes out on {day.day} {day:%B %Y}" in pre_order.text_body
    until = coming.first_window_until
    assert f"Here first until {until.day} {until:%B %Y}" in pre_order.text_body
    released = by_title["New from Ana Ruiz: “Out Already”"]
    assert "pre-order" not in released.text_body and "Here first" not in released.text_body
