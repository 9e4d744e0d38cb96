"""The fan's collection lists what they hold a right to, with download links, and nothing of anyone else's."""

from __future__ import annotations

from storefront.db import commit, utcnow
from storefront.orders.models import Entitlement, EntitlementSource
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, text_of


def _fan(app, db, platform, name: str) -> tuple[object, WebClient]:
    user = make_user(db, platform, name=name)
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return user, web


def _on_sale(db, artist, title: str, tracks: int = 0):
    release = make_release(db, artist, title=title, tracks=tracks)
    release.status = ReleaseStatus.APPROVED
    release.approved_at = utcnow()
    return release


def test_collection_lists_bought_releases_and_tracks_with_download_links(app, db, platform) -> None:
    owner = make_user(db, platform, name="Ana")
    artist = make_artist(db, owner, name="The Band", slug="the-band")
    album = _on_sale(db, artist, "Harbour")
    single = _on_sale(db, artist, "Lanterns", tracks=2)
    fan, web = _fan(app, db, platform, "Fan")
    other, _ = _fan(app, db, platform, "Other")
    db.add(Entitlement(user_id=fan.id, release_id=album.id, source=EntitlementSource.PURCHASE))
    db.add(
        Entitlement(
            user_id=fan.id, release_id=single.id, track_id=single.tracks[1].id, source=EntitlementSource.GIFT
        )
    )
    # Another fan's purchase and a revoked right never show.
    hidden = _on_sale(db, artist, "Not Yours")
    db.add(Entitlement(user_id=other.id, release_id=hidden.id, source=EntitlementSource.PURCHASE))
    revoked = _on_sale(db, artist, "Refunded One")
    db.add(
        Entitlement(
            user_id=fan.id,
            release_id=revoked.id,
            source=EntitlementSource.PURCHASE,
            revoked_at=utcnow(),
            revoked_reason="refunded",
        )
    )
    commit(db)

    page = web.get("/collection")
    assert page.status_code == 200
    text = text_of(page)
    assert "Harbour" in text and "Lanterns" in text
    assert single.tracks[1].title in text and single.tracks[0].title not in text
    assert "Not Yours" not in text and "Refunded One" not in text
    html = page.get_data(as_text=True)
    assert f"/downloads/{album.id}" in html and f"/downloads/{single.id}" in html


def test_taken_down_release_stays_listed_without_downloads(app, db, platform) -> None:
    owner = make_user(db, platform, name="Ana")
    artist = make_artist(db, owner, name="The Band", slug="the-band")
    gone = _on_sale(db, artist, "Withdrawn Record")
    fan, web = _fan(app, db, platform, "Fan")
    db.add(Entitlement(user_id=fan.id, release_id=gone.id, source=EntitlementSource.PURCHASE))
    gone.status = ReleaseStatus.TAKEN_DOWN
    commit(db)

    page = web.get("/collection")
    assert "Withdrawn Record" in text_of(page) and "No longer available" in text_of(page)
    assert f"/downloads/{gone.id}" not in page.get_data(as_text=True)


def test_collection_needs_an_account(client) -> None:
    response = client.get("/collection")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_empty_collection_points_to_discovery(app, db, platform) -> None:
    _, web = _fan(app, db, platform, "Fan")
    assert "Nothing here yet" in text_of(web.get("/collection"))
