"""An artist's owner writes to its fans: preview, send, the fans who accept artists' messages once each,
one-click unsubscribe, one mailing a day, and refusals for members without the right and strangers."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select

from storefront.accounts.models import ArtistMember, MemberRole
from storefront.db import commit, utcnow
from storefront.fans.announcements import unsubscribe_token
from storefront.fans.mailings import MAILING_JOB
from storefront.fans.models import ArtistMailing, FanMailPreference, Follow, MailingDelivery
from storefront.jobs.models import Job
from storefront.orders.models import Order, OrderLine, OrderStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh, mail_to, text_of

PAGE = "/artists/ana-ruiz/mailings"


def _signed_in(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _follow(db, user, artist) -> None:
    db.add(Follow(user_id=user.id, artist_id=artist.id))
    commit(db)


def _bought(db, user, release) -> None:
    reference = "ord_" + secrets.token_urlsafe(8)
    order = Order(
        reference=reference,
        buyer_id=user.id,
        email=user.email,
        currency="USD",
        subtotal_minor=700,
        status=OrderStatus.PAID,
        gateway="sandbox",
        transfer_group="order_" + reference,
        paid_at=utcnow(),
    )
    order.lines.append(
        OrderLine(
            release_id=release.id,
            artist_id=release.artist_id,
            title=release.title,
            amount_minor=700,
            currency="USD",
        )
    )
    db.add(order)
    commit(db)


def _messages(app, address: str):
    return [m for m in mail_to(app, address) if m.kind == "artist_message"]


def _send(web: WebClient, subject: str, body: str):
    return web.submit(PAGE, {"subject": subject, "body": body}, action=PAGE)


def _setup(db, platform):
    owner = make_user(db, platform, email="owner@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release = make_release(db, artist, title="First")
    fans = {
        name: make_user(db, platform, email=f"{name}@example.com", verified=name != "unverified")
        for name in ("follower", "buyer", "both", "quiet", "no_releases", "unverified", "stranger")
    }
    for name in ("follower", "both", "quiet", "no_releases", "unverified"):
        _follow(db, fans[name], artist)
    _bought(db, fans["buyer"], release)
    _bought(db, fans["both"], release)
    db.add(FanMailPreference(user_id=fans["quiet"].id, new_releases=True, artist_messages=False))
    # Stopping new-release mail is another list: artists' messages still come.
    db.add(FanMailPreference(user_id=fans["no_releases"].id, new_releases=False))
    commit(db)
    return owner, artist, fans


def test_an_owner_previews_then_sends_to_opted_in_followers_and_buyers_once_each(app, db, platform) -> None:
    owner, _artist, _fans = _setup(db, platform)
    web = _signed_in(app, owner)
    page = text_of(web.get(PAGE))
    assert "4 followers and buyers" in page

    preview = web.submit(
        PAGE,
        {"subject": "Tour dates", "body": "We play Lisbon on Friday.\nSee you there!"},
        action=PAGE + "/preview",
    )
    assert preview.status_code == 200
    shown = text_of(preview)
    assert "Preview" in shown and "Ana Ruiz: Tour dates" in shown and "We play Lisbon on Friday." in shown
    assert "Send to 4 fans" in shown
    assert _messages(app, "follower@example.com") == []  # a preview sends nothing
    assert fresh(db).scalar(select(func.count(ArtistMailing.id))) == 0

    sent = _send(web, "Tour dates", "We play Lisbon on Friday.\nSee you there!")
    assert sent.status_code == 303
    for name in ("follower", "buyer", "both", "no_releases"):
        (message,) = _messages(app, f"{name}@example.com")
        assert message.subject == "Ana Ruiz: Tour dates"
        assert "We play Lisbon on Friday.\nSee you there!" in message.text_body
        assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/unsubscribe/artist-messages/" in message.headers["List-Unsubscribe"]
    for name in ("quiet", "unverified", "stranger"):
        assert _messages(app, f"{name}@example.com") == []
    assert "Tour dates" in text_of(web.get(PAGE))  # listed as sent


def test_one_click_unsubscribe_stops_artists_messages_and_a_tampered_link_does_nothing(
    app, db, platform
) -> None:
    owner, _artist, fans = _setup(db, platform)
    _send(_signed_in(app, owner), "News", "A new song is coming.")
    (message,) = _messages(app, "follower@example.com")
    match = re.fullmatch(
        r"<https?://[^/]+(/unsubscribe/artist-messages/[^>]+)>", message.headers["List-Unsubscribe"]
    )
    assert match
    path = match.group(1)
    assert path in message.text_body
    client = app.test_client()
    assert client.post(path[:-3] + "abc", data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert fresh(db).get(FanMailPreference, fans["follower"].id) is None
    # A new-release link, signed for the other list, does not unsubscribe from artists' messages.
    other_list = unsubscribe_token(platform.tokens, fans["follower"].id)
    assert client.post(f"/unsubscribe/artist-messages/{other_list}").status_code == 400
    assert client.get(path).status_code == 200  # opening the link changes nothing
    assert fresh(db).get(FanMailPreference, fans["follower"].id) is None
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    preference = fresh(db).get(FanMailPreference, fans["follower"].id)
    assert preference.artist_messages is False and preference.new_releases is True


def test_a_second_mailing_within_a_day_is_refused(app, db, platform) -> None:
    owner, _artist, _fans = _setup(db, platform)
    web = _signed_in(app, owner)
    assert _send(web, "First", "One.").status_code == 303
    again = _send(web, "Second", "Two.")
    assert again.status_code == 422
    assert "less than a day ago" in text_of(again)
    assert fresh(db).scalar(select(func.count(ArtistMailing.id))) == 1
    assert len(_messages(app, "follower@example.com")) == 1


def test_bad_drafts_are_refused_with_a_message_and_nothing_sent(app, db, platform) -> None:
    owner, _artist, _fans = _setup(db, platform)
    web = _signed_in(app, owner)
    for subject, body, said in (
        ("Hi\r\nBcc: everyone@example.com", "Body", "one line of plain text"),
        ("Hi\nthere", "Body", "one line of plain text"),
        ("", "Body", "Write both a subject and a message"),
        ("Subject", "   ", "Write both a subject and a message"),
        ("x" * 121, "Body", "Keep the subject to 120 characters"),
        ("Subject", "y" * 5001, "Keep the message to 5,000 characters"),
    ):
        for action in (PAGE + "/preview", PAGE):
            answer = web.submit(PAGE, {"subject": subject, "body": body}, action=action)
            assert answer.status_code == 422, (subject, action)
            assert said in text_of(answer)
    assert fresh(db).scalar(select(func.count(ArtistMailing.id))) == 0
    assert _messages(app, "follower@example.com") == []


def test_strangers_and_members_without_the_right_are_refused(app, db, platform) -> None:
    owner, artist, fans = _setup(db, platform)
    member = make_user(db, platform, email="member@example.com")
    db.add(ArtistMember(artist_id=artist.id, user_id=member.id, role=MemberRole.MEMBER))
    commit(db)
    for user in (member, fans["stranger"]):
        web = _signed_in(app, user)
        assert web.get(PAGE).status_code == 403
        csrf = web.token("/settings/mail")
        for action in (PAGE + "/preview", PAGE):
            answer = web.post(action, {"csrf_token": csrf, "subject": "Hi", "body": "Spam"})
            assert answer.status_code == 403
    assert WebClient(app).get(PAGE).status_code == 302  # a guest is sent to log in
    assert _signed_in(app, owner).get("/artists/nobody/mailings").status_code == 404
    assert fresh(db).scalar(select(func.count(ArtistMailing.id))) == 0


def test_the_job_resumes_after_a_crash_and_run_again_mails_nobody_twice(make_app) -> None:
    waiting = make_app(inline_jobs="manual")
    platform = waiting.extensions["storefront"]
    db = platform.database.session()
    owner, _artist, fans = _setup(db, platform)
    assert _send(_signed_in(waiting, owner), "News", "Hello.").status_code == 303
    mailing = fresh(db).scalar(select(ArtistMailing))
    # As if a worker had mailed the follower and died before the others.
    db.add(MailingDelivery(mailing_id=mailing.id, user_id=fans["follower"].id))
    commit(db)
    platform.jobs.drain()
    assert _messages(waiting, "follower@example.com") == []
    for name in ("buyer", "both", "no_releases"):
        assert len(_messages(waiting, f"{name}@example.com")) == 1
    assert fresh(db).get(ArtistMailing, mailing.id).finished_at is not None

    again = Job(name=MAILING_JOB.name, payload={"mailing_id": mailing.id}, run_after=utcnow())
    db.add(again)
    commit(db)
    platform.executor.run(again.id)
    platform.jobs.drain()
    for name in ("buyer", "both", "no_releases"):
        assert len(_messages(waiting, f"{name}@example.com")) == 1
    assert fresh(db).scalar(select(func.count(MailingDelivery.id))) == 4
    db.close()


def test_a_fan_turns_artists_messages_off_and_on_in_the_mail_settings(app, db, platform) -> None:
    fan = make_user(db, platform, email="fan@example.com")
    web = _signed_in(app, fan)
    page = text_of(web.get("/settings/mail"))
    assert "Let artists I follow or bought from write to me" in page
    assert web.submit("/settings/mail", {"new_releases": "y"}).status_code == 303
    preference = fresh(db).get(FanMailPreference, fan.id)
    assert preference.new_releases is True and preference.artist_messages is False
    assert web.submit("/settings/mail", {"artist_messages": "y"}).status_code == 303
    preference = fresh(db).get(FanMailPreference, fan.id)
    assert preference.new_releases is False and preference.artist_messages is True
