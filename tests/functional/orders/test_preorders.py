"""Pre-orders: bought before the release date on the sandbox checkout, the tracks the artist gives at once
downloadable at once and the rest refused; on the release date every buyer gets the whole release and one
mail, however often the pass runs, even when the day passed while nothing ran; a refunded pre-order gets
neither."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.orders.models import OrderLine
from storefront.orders.preorders.models import ReleaseDayNotice
from tests.factories.accounts import PASSWORD
from tests.functional.orders.preorder_support import (
    buy,
    preorder,
    release_mails,
    run_release_day_command,
    run_release_day_job,
    use_clock,
)
from tests.functional.orders.test_checkout_support import fan, page_of, seller
from tests.functional.orders.test_refund_support import ask_refund
from tests.helpers import WebClient, fresh, text_of

FORMAT = {"format": "flac"}


def _download(web: WebClient, release, track) -> int:
    page = f"/downloads/{release.id}"
    return web.submit(page, FORMAT, action=f"{page}/tracks/{track.id}").status_code


def _album(web: WebClient, release) -> int:
    page = f"/downloads/{release.id}"
    return web.post(f"{page}/album", {"csrf_token": web.token("/collection"), **FORMAT}).status_code


@pytest.fixture
def band(db, platform):
    return seller(db, platform, "Pale Orchard")


def test_a_preorder_is_sold_and_gives_only_the_chosen_track_before_its_date(app, db, platform, band):
    clock = use_clock(platform)
    release = preorder(db, band, title="Night Ferry", instant=1)
    first, second, third = release.tracks
    out = release.release_date.strftime("%-d %B %Y")
    assert f"Pre-order — out {out}" in text_of(WebClient(app).get(page_of(release)))

    _, web = fan(app, db, platform)
    buy(web, db, release)
    collection = text_of(web.get("/collection"))
    assert "Night Ferry" in collection and f"Pre-order — out {out}" in collection

    listing = web.get(f"/downloads/{release.id}")
    assert listing.status_code == 200
    assert first.title in text_of(listing) and third.title not in text_of(listing)
    assert f"Pre-order — out {out}" in text_of(listing)
    assert _download(web, release, first) == 303
    assert _download(web, release, second) == 403
    assert _download(web, release, third) == 403
    assert _album(web, release) == 403

    # The day before, still held back; on the day, everything.
    clock.move_to(release.release_date - timedelta(days=1), hour=23)
    assert _download(web, release, second) == 403
    clock.move_to(release.release_date, hour=0)
    assert _download(web, release, second) == 303
    assert _album(web, release) == 303
    assert "Pre-order" not in text_of(web.get("/collection"))


def test_a_preorder_without_chosen_tracks_downloads_nothing_before_its_date(app, db, platform, band):
    use_clock(platform)
    release = preorder(db, band, title="Quiet Engines", instant=0)
    _, web = fan(app, db, platform)
    buy(web, db, release)
    assert web.get(f"/downloads/{release.id}").status_code == 403
    assert "Downloads open on the release date" in text_of(web.get("/collection"))


def test_someone_who_did_not_buy_gets_no_track_of_a_preorder(app, db, platform, band):
    use_clock(platform)
    release = preorder(db, band, title="Salt Roads", instant=1)
    _, web = fan(app, db, platform, "Stranger")
    assert _download(web, release, release.tracks[0]) == 403


def test_the_release_day_pass_run_twice_mails_each_buyer_once(app, db, platform, band):
    clock = use_clock(platform)
    release = preorder(db, band, title="Night Ferry")
    ana, ana_web = fan(app, db, platform, "Ana")
    bo, bo_web = fan(app, db, platform, "Bo")
    buy(ana_web, db, release)
    buy(bo_web, db, release)

    run_release_day_job(platform)  # before the day: nothing
    assert release_mails(db) == []

    clock.move_to(release.release_date, hour=6)
    run_release_day_job(platform)
    run_release_day_job(platform)
    assert "0 buyer(s) told" in run_release_day_command(app)
    mails = release_mails(db)
    assert sorted(m.to_address for m in mails) == sorted([ana.email, bo.email])
    [mail] = release_mails(db, ana.email)
    assert mail.subject == "Night Ferry is out: download it in any format"
    assert "http://localhost/collection" in mail.text_body
    assert len(fresh(db).scalars(select(ReleaseDayNotice)).all()) == 2
    assert _download(ana_web, release, release.tracks[2]) == 303


def test_a_release_day_missed_while_nothing_ran_is_caught_up(app, db, platform, band):
    clock = use_clock(platform)
    early = preorder(db, band, title="Early Light", days_ahead=3)
    later = preorder(db, band, title="Late Tide", days_ahead=5)
    buyer, web = fan(app, db, platform)
    buy(web, db, early)
    buy(web, db, later)

    # Nothing runs for a week; then the command runs once.
    clock.move_to(later.release_date + timedelta(days=2))
    output = run_release_day_command(app)
    assert "2 release(s) out" in output and "2 buyer(s) told" in output
    subjects = sorted(m.subject for m in release_mails(db, buyer.email))
    assert subjects == [
        "Early Light is out: download it in any format",
        "Late Tide is out: download it in any format",
    ]
    assert "0 release(s) out" in run_release_day_command(app)


def test_a_preorder_refunded_before_its_day_gets_no_mail_and_no_download(app, db, platform, band):
    clock = use_clock(platform)
    release = preorder(db, band, title="Night Ferry", instant=1)
    kept, kept_web = fan(app, db, platform, "Keeps it")
    _, refunded_web = fan(app, db, platform, "Changed mind")
    buy(kept_web, db, release)
    order = buy(refunded_web, db, release)
    [line] = fresh(db).scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()

    owner = WebClient(app)
    owner.login(band.members[0].user.email, PASSWORD)
    assert ask_refund(owner, line.id, "7.00").status_code in (302, 303)
    assert _download(refunded_web, release, release.tracks[0]) == 403

    clock.move_to(release.release_date)
    run_release_day_job(platform)
    assert [m.to_address for m in release_mails(db)] == [kept.email]
    assert _download(refunded_web, release, release.tracks[1]) == 403
    assert _download(kept_web, release, release.tracks[1]) == 303


def test_a_release_redated_after_its_day_does_not_mail_its_buyers_again(app, db, platform, band):
    clock = use_clock(platform)
    release = preorder(db, band, title="Night Ferry", days_ahead=2)
    buyer, web = fan(app, db, platform)
    buy(web, db, release)
    clock.move_to(release.release_date)
    run_release_day_job(platform)
    assert len(release_mails(db, buyer.email)) == 1

    # The date is moved on (and reached) after the day was handled: handled again, nobody told twice.
    fresh(db).get(type(release), release.id).release_date = release.release_date + timedelta(days=1)
    db.commit()
    clock.move_to(release.release_date + timedelta(days=1))
    assert "1 release(s) out" in run_release_day_command(app)
    assert len(release_mails(db, buyer.email)) == 1


def test_the_public_page_stops_saying_pre_order_once_the_day_is_handled(app, db, platform, band):
    clock = use_clock(platform)
    release = preorder(db, band, title="Night Ferry", days_ahead=2)
    visitor = WebClient(app)
    before = visitor.get(page_of(release))
    assert "Pre-order — out" in text_of(before)

    clock.move_to(release.release_date)
    run_release_day_job(platform)
    after = visitor.get(page_of(release), headers={"If-None-Match": before.headers.get("ETag", "")})
    assert after.status_code == 200 and "Pre-order" not in text_of(after)


def test_a_guest_who_preordered_is_mailed_a_claim_link_unless_refunded(app, db, platform, band):
    clock = use_clock(platform)
    release = preorder(db, band, title="Night Ferry")
    buy(WebClient(app), db, release, email="guest@example.com")
    refunded = buy(WebClient(app), db, release, email="changed@example.com")
    [line] = fresh(db).scalars(select(OrderLine).where(OrderLine.order_id == refunded.id)).all()
    owner = WebClient(app)
    owner.login(band.members[0].user.email, PASSWORD)
    assert ask_refund(owner, line.id, "7.00").status_code in (302, 303)

    clock.move_to(release.release_date)
    run_release_day_job(platform)
    run_release_day_job(platform)
    [mail] = release_mails(db)
    assert mail.to_address == "guest@example.com"
    assert "http://localhost/claim/" in mail.text_body
