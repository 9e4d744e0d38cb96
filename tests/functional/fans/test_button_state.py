"""The wishlist and follow buttons show a signed-in fan's own state on pages a cache shares with guests,
and guests keep one shared page with the plain buttons; the navigation leads a fan to what they keep."""

from __future__ import annotations

from storefront.db import commit, utcnow
from storefront.fans.models import Follow, WishlistItem
from storefront.releases.models import ReleaseStatus
from storefront.web.caching import PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, text_of


def _world(app, db, platform):
    artist = make_artist(db, make_user(db, platform), name="The Band", slug="the-band")
    release = make_release(db, artist, title="Harbour Lights")
    release.status, release.approved_at = ReleaseStatus.APPROVED, utcnow()
    fan = make_user(db, platform, name="Fan")
    other = make_user(db, platform, name="Other")
    db.add(WishlistItem(user_id=fan.id, release_id=release.id))
    db.add(Follow(user_id=fan.id, artist_id=artist.id))
    commit(db)
    return release, fan, other


def _signed_in(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def test_a_fan_sees_their_own_wish_and_follow_and_can_undo_them(app, db, platform):
    release, fan, _ = _world(app, db, platform)
    web = _signed_in(app, fan)
    page_path = f"/artists/the-band/album/{release.slug}"
    page = web.get(page_path)
    assert page.headers["Cache-Control"] == PRIVATE_CACHE_CONTROL
    assert "On your wishlist" in text_of(page) and "Add to wishlist" not in text_of(page)
    profile = web.get("/artists/the-band")
    assert "Following The Band" in text_of(profile) and "Follow The Band" not in text_of(profile)

    removed = web.submit(page_path, {"next": page_path}, action=f"/wishlist/{release.id}/remove")
    assert removed.status_code == 303 and removed.headers["Location"].endswith(page_path)
    assert "Add to wishlist" in text_of(web.get(page_path))
    unfollowed = web.submit(
        "/artists/the-band", {"next": "/artists/the-band"}, action="/unfollow/artist/the-band"
    )
    assert unfollowed.status_code == 303
    assert "Follow The Band" in text_of(web.get("/artists/the-band"))


def test_guests_and_other_fans_never_see_someone_elses_state(app, db, platform):
    release, _, other = _world(app, db, platform)
    page_path = f"/artists/the-band/album/{release.slug}"
    guest = WebClient(app)
    for path in (page_path, "/artists/the-band"):
        shared = guest.get(path)
        assert shared.headers["Cache-Control"] == PUBLIC_CACHE_CONTROL, path
        assert "On your wishlist" not in text_of(shared) and "Following" not in text_of(shared), path
    web = _signed_in(app, other)
    assert "Add to wishlist" in text_of(web.get(page_path))
    assert "Follow The Band" in text_of(web.get("/artists/the-band"))


def test_the_navigation_leads_a_signed_in_fan_to_collection_wishlist_and_feed(app, db, platform):
    _, fan, _ = _world(app, db, platform)
    html = _signed_in(app, fan).get("/").get_data(as_text=True)
    nav = html[html.index('class="site-nav"') : html.index("</nav>")]
    for link in ('href="/collection"', 'href="/wishlist"', 'href="/feed"'):
        assert link in nav, link
    guest_nav = WebClient(app).get("/").get_data(as_text=True)
    assert 'href="/wishlist"' not in guest_nav.split("</nav>")[0]
