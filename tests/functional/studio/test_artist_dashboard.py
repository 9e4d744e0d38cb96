"""The artist's dashboard: after log-in an artist sees this month's sales, plays, payout state and the
curators' messages; plays come from the player's beacon, counted per track per day and rate-limited."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from storefront.accounts.models import ArtistMember, MemberRole
from storefront.accounts.payees.models import PayeeAccount
from storefront.curation.models import Decision, ReviewDecision
from storefront.db import commit, utcnow
from storefront.orders.models import Order, OrderLine, OrderStatus
from storefront.payouts.models import PayoutTransfer, TransferStatus
from storefront.releases.models import Release, ReleaseStatus
from storefront.studio.figures import month_start
from storefront.studio.models import TrackPlayDay
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.functional.catalog.test_release_page_support import counting_queries
from tests.helpers import WebClient, fresh, text_of


def _signed_in(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _on_sale(db, release: Release) -> Release:
    release.status, release.approved_at = ReleaseStatus.APPROVED, utcnow()
    commit(db)
    return release


def _sold(
    db, release: Release, when, amount: int, currency: str = "USD", *, status=OrderStatus.PAID
) -> Order:
    reference = "ord_" + secrets.token_urlsafe(8)
    order = Order(
        reference=reference,
        currency=currency,
        subtotal_minor=amount,
        status=status,
        gateway="sandbox",
        transfer_group="order_" + reference,
        created_at=when,
        paid_at=when if status == OrderStatus.PAID else None,
    )
    order.lines.append(
        OrderLine(
            release_id=release.id,
            artist_id=release.artist_id,
            payee_artist_id=release.artist_id,
            title=release.title,
            amount_minor=amount,
            currency=currency,
        )
    )
    db.add(order)
    commit(db)
    return order


def test_an_artist_lands_on_the_dashboard_and_a_fan_where_they_always_did(app, db, platform) -> None:
    owner = make_user(db, platform, email="owner@example.com")
    band_member = make_user(db, platform, email="member@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    db.add(ArtistMember(artist_id=artist.id, user_id=band_member.id, role=MemberRole.MEMBER))
    commit(db)
    fan = make_user(db, platform, email="fan@example.com")

    pages = {}
    for user in (owner, band_member):
        web = WebClient(app)
        assert web.login(user.email, PASSWORD).headers["Location"].endswith("/dashboard")
        pages[user.email] = text_of(web.get("/dashboard"))
    # Writing to fans is for owners; a member is not offered it.
    assert "Write to fans" in pages[owner.email] and "Write to fans" not in pages[band_member.email]
    assert not WebClient(app).login(fan.email, PASSWORD).headers["Location"].endswith("/dashboard")


def test_the_dashboard_counts_this_months_sales_only_per_currency(app, db, platform) -> None:
    owner = make_user(db, platform)
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    other = make_artist(db, make_user(db, platform), name="Someone Else", slug="someone-else")
    first = _on_sale(db, make_release(db, artist, title="First"))
    second = _on_sale(db, make_release(db, artist, title="Second"))
    now = utcnow()
    _sold(db, first, now, 700)
    _sold(db, second, now, 900)
    _sold(db, first, now, 1000, "EUR")
    _sold(db, first, month_start(now) - timedelta(days=2), 5000)  # last month
    _sold(db, first, now, 3000, status=OrderStatus.PENDING)  # not paid
    _sold(db, _on_sale(db, make_release(db, other)), now, 4200)  # another artist's

    page = text_of(_signed_in(app, owner).get("/dashboard"))
    assert "Sales this month" in page
    assert "3 sold" in page
    assert "3 sold: 10.00 EUR, 16.00 USD" in page
    assert "50.00" not in page and "30.00" not in page and "42.00" not in page
    assert "Someone Else" not in page


def test_plays_are_counted_per_track_per_day_and_rate_limited(app, db, platform) -> None:
    owner = make_user(db, platform)
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release = _on_sale(db, make_release(db, artist, title="First", tracks=2))
    draft = make_release(db, artist, title="Not Out", tracks=1)
    one, two = release.tracks
    listener = app.test_client()

    # The release page hands the player the address to report to.
    page = text_of(listener.get(f"/artists/ana-ruiz/album/{release.slug}"))
    assert 'data-plays="/plays/ID"' in page

    # No form token, no cookie: what the player's beacon sends.
    assert listener.post(f"/plays/{one.id}").status_code == 204
    assert listener.post(f"/plays/{one.id}").status_code == 204  # heard again at once: not counted
    assert listener.post(f"/plays/{two.id}").status_code == 204
    assert listener.post(f"/plays/{draft.tracks[0].id}").status_code == 404  # not on sale
    assert listener.post("/plays/999999").status_code == 404
    assert listener.get(f"/plays/{one.id}").status_code == 405

    days = fresh(db).scalars(select(TrackPlayDay).order_by(TrackPlayDay.track_id)).all()
    assert [(d.track_id, d.day, d.plays) for d in days] == [
        (one.id, utcnow().date(), 1),
        (two.id, utcnow().date(), 1),
    ]
    # Last month's plays stay out of this month's figure.
    db.add(TrackPlayDay(track_id=one.id, day=(month_start() - timedelta(days=1)).date(), plays=40))
    commit(db)
    page = text_of(_signed_in(app, owner).get("/dashboard"))
    assert "Plays this month</dt><dd>2</dd>" in page.replace("\n", "").replace("  ", "")


def test_the_dashboard_shows_payout_state_and_the_curators_messages(app, db, platform) -> None:
    owner = make_user(db, platform)
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release = make_release(db, artist, title="Changes Wanted")
    web = _signed_in(app, owner)
    assert "Set up payouts" in text_of(web.get("/dashboard"))

    account = PayeeAccount(
        artist_id=artist.id,
        gateway="sandbox",
        provider_account_id="acct_" + secrets.token_hex(6),
        details_needed=["external_account"],
    )
    db.add(account)
    order = _sold(db, _on_sale(db, make_release(db, artist)), utcnow(), 1500)
    db.add(
        PayoutTransfer(
            order_id=order.id,
            payee_key=f"artist:{artist.id}",
            amount_minor=1234,
            currency="USD",
            idempotency_key="velvet-transfer-test",
            status=TransferStatus.HELD,
        )
    )
    db.add(
        ReviewDecision(
            release_id=release.id,
            decision=Decision.REQUEST_CHANGES,
            message="Please credit the co-writer of track 2.",
        )
    )
    commit(db)
    page = text_of(web.get("/dashboard"))
    assert "Finish Stripe onboarding" in page and "external_account" in page
    assert "Waiting to be sent: 12.34 USD" in page
    assert "Messages from curators" in page
    assert "Please credit the co-writer of track 2." in page

    fresh(db).get(PayeeAccount, account.id).transfers_enabled = True
    commit(db)
    assert "Payouts active." in text_of(web.get("/dashboard"))


def test_the_dashboard_shows_only_the_artists_one_belongs_to(app, db, platform) -> None:
    stranger = make_user(db, platform)
    artist = make_artist(db, make_user(db, platform), name="Ana Ruiz", slug="ana-ruiz")
    release = make_release(db, artist, title="Secret")
    db.add(ReviewDecision(release_id=release.id, decision=Decision.REJECT, message="Private words."))
    commit(db)
    page = text_of(_signed_in(app, stranger).get("/dashboard"))
    assert "Private words." not in page and "Ana Ruiz" not in page


def test_each_artist_shows_its_latest_curator_messages_and_the_queries_do_not_grow_with_releases(
    app, db, platform
) -> None:
    owner = make_user(db, platform)
    busy = make_artist(db, owner, name="Busy Band", slug="busy-band")
    quiet = make_artist(db, owner, name="Quiet Duo", slug="quiet-duo")
    base = utcnow() - timedelta(days=1)
    for n in range(7):
        release = make_release(db, busy, title=f"Busy {n}")
        db.add(
            ReviewDecision(
                release_id=release.id,
                decision=Decision.REJECT,
                message=f"Note number {n}.",
                created_at=base + timedelta(minutes=n),
            )
        )
    db.add(
        ReviewDecision(release_id=make_release(db, quiet).id, decision=Decision.APPROVE, message="Lovely.")
    )
    commit(db)
    web = _signed_in(app, owner)
    page = text_of(web.get("/dashboard"))
    assert all(f"Note number {n}." in page for n in range(2, 7))
    assert "Note number 0." not in page and "Note number 1." not in page
    assert "Lovely." in page  # the busy artist's messages do not crowd out the other's

    def queries() -> int:
        with counting_queries(platform.database.engine) as statements:
            assert web.get("/dashboard").status_code == 200
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    for release in fresh(db).scalars(select(Release)).all():
        _on_sale(db, release)  # settled releases: what each needs next is known without asking
    before = queries()
    for n in range(5):
        _sold(db, _on_sale(db, make_release(db, quiet, title=f"More {n}", tracks=2)), utcnow(), 500)
    assert queries() == before
