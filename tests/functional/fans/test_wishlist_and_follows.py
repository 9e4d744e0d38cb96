"""Wishlists and follows by plain forms (no JavaScript), idempotent, and the feed of followed releases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storefront.db import commit, utcnow
from storefront.fans.models import Follow, WishlistItem
from storefront.orders.models import Entitlement, EntitlementSource
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh, text_of


def _signed_in(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _on_sale(db, artist, title: str, *, at=None, label=None):
    release = make_release(db, artist, title=title)
    release.status = ReleaseStatus.APPROVED
    release.approved_at = at or utcnow()
    release.label_id = label.id if label is not None else None
    commit(db)
    return release


def _world(app, db, platform):
    owner = make_user(db, platform, name="Ana")
    artist = make_artist(db, owner, name="The Band", slug="the-band")
    release = _on_sale(db, artist, "Harbour Lights")
    fan = make_user(db, platform, name="Fan")
    return artist, release, fan, _signed_in(app, fan)


def _release_page(release) -> str:
    return f"/artists/{release.artist.slug}/album/{release.slug}"


def test_a_fan_wishlists_a_release_from_its_page_twice_and_it_is_there_once(app, db, platform) -> None:
    _, release, fan, web = _world(app, db, platform)
    page = _release_page(release)
    assert "Add to wishlist" in text_of(web.get(page))
    first = web.submit(page, {"next": page}, action=f"/wishlist/{release.id}")
    assert first.status_code == 303 and first.headers["Location"].endswith(page)
    second = web.submit(page, {"next": page}, action=f"/wishlist/{release.id}")
    assert second.status_code == 303
    assert "already on your wishlist" in text_of(web.get(page))
    assert fresh(db).scalar(select(func.count(WishlistItem.id)).where(WishlistItem.user_id == fan.id)) == 1
    listing = web.get("/wishlist")
    assert "Harbour Lights" in text_of(listing) and "The Band" in text_of(listing)

    removed = web.submit("/wishlist", action=f"/wishlist/{release.id}/remove")
    assert removed.status_code == 303
    assert web.submit("/wishlist", action=f"/wishlist/{release.id}/remove").status_code == 303
    assert f'data-release="{release.id}"' not in text_of(web.get("/wishlist"))


def test_a_release_leaves_the_wishlist_once_it_is_bought_or_redeemed(app, db, platform) -> None:
    _, release, fan, web = _world(app, db, platform)
    assert web.submit("/wishlist", action=f"/wishlist/{release.id}").status_code == 303
    db.add(Entitlement(user_id=fan.id, release_id=release.id, source=EntitlementSource.PURCHASE))
    commit(db)
    assert fresh(db).scalar(select(func.count(WishlistItem.id))) == 0
    assert f'data-release="{release.id}"' not in text_of(web.get("/wishlist"))
    # Nor can it go back on while owned; the release page no longer offers it.
    again = web.submit("/wishlist", action=f"/wishlist/{release.id}")
    assert again.status_code == 303 and "already in your collection" in text_of(web.get("/wishlist"))
    assert "Add to wishlist" not in text_of(web.get(_release_page(release)))


def test_bad_wishlist_requests(app, db, platform) -> None:
    artist, release, _, web = _world(app, db, platform)
    draft = make_release(db, artist, title="Secret Draft")
    refused = web.submit("/wishlist", action=f"/wishlist/{draft.id}")
    assert refused.status_code == 303 and "Only releases on sale" in text_of(web.get("/wishlist"))
    assert web.submit("/wishlist", action="/wishlist/987654321").status_code == 404
    assert web.submit("/wishlist", action="/wishlist/99999999999999999999").status_code == 404
    # No token, no change; a guest is asked to log in and nothing is written.
    assert web.post(f"/wishlist/{release.id}").status_code == 400
    guest = WebClient(app).post(f"/wishlist/{release.id}", headers={"Referer": _release_page(release)})
    assert guest.status_code == 302 and "/login" in guest.headers["Location"]
    # An off-site "next" is never followed.
    away = web.submit("/wishlist", {"next": "https://evil.example/"}, action=f"/wishlist/{release.id}")
    assert away.headers["Location"].endswith("/wishlist")
    assert fresh(db).scalar(select(func.count(WishlistItem.id))) == 1


def test_following_artists_and_labels_is_idempotent_and_undone_from_the_following_page(
    app, db, platform
) -> None:
    artist, _, fan, web = _world(app, db, platform)
    label = make_label(db, make_user(db, platform), name="Harbour Records", slug="harbour-records")
    artist_page, label_page = "/artists/the-band", "/labels/harbour-records"
    assert "Follow The Band" in text_of(web.get(artist_page))
    assert "Follow Harbour Records" in text_of(web.get(label_page))
    for _ in range(2):
        assert web.submit(artist_page, action="/follow/artist/the-band").status_code == 303
        assert web.submit(label_page, action="/follow/label/harbour-records").status_code == 303
    assert fresh(db).scalar(select(func.count(Follow.id)).where(Follow.user_id == fan.id)) == 2
    following = text_of(web.get("/following"))
    assert "The Band" in following and "Harbour Records" in following

    assert web.submit("/following", action="/unfollow/artist/the-band").status_code == 303
    assert web.submit("/following", action="/unfollow/artist/the-band").status_code == 303
    assert 'data-follow="artist:the-band"' not in text_of(web.get("/following"))
    assert fresh(db).scalar(select(Follow.label_id).where(Follow.user_id == fan.id)) == label.id
    # Unknown names and kinds are 404s; a guest is sent to log in.
    assert web.submit("/following", action="/follow/artist/nobody").status_code == 404
    assert web.submit("/following", action="/follow/user/the-band").status_code == 404
    guest = WebClient(app)
    token = guest.token(artist_page)  # the shared guest token of a cached page
    sent = guest.post("/follow/artist/the-band", {"csrf_token": token}, headers={"Referer": artist_page})
    assert sent.status_code == 302 and "/login" in sent.headers["Location"]
    assert artist.id not in fresh(db).scalars(select(Follow.artist_id)).all()


def test_the_feed_shows_public_releases_of_what_a_fan_follows_newest_first_in_pages(
    app, db, platform
) -> None:
    artist, first, _fan, web = _world(app, db, platform)
    assert "Follow artists and labels" in text_of(web.get("/feed"))
    label = make_label(db, make_user(db, platform), name="Harbour Records", slug="harbour-records")
    other = make_artist(db, make_user(db, platform), name="Someone Else", slug="someone-else")
    start = utcnow() - timedelta(days=60)
    mine = [_on_sale(db, artist, f"Band Record {n:02d}", at=start + timedelta(days=n)) for n in range(30)]
    on_label = _on_sale(db, other, "Label Record", at=start + timedelta(days=45), label=label)
    _on_sale(db, other, "Unfollowed Record", at=start + timedelta(days=46))
    hidden = make_release(db, artist, title="Band Draft")
    taken = _on_sale(db, artist, "Band Withdrawn")
    taken.status = ReleaseStatus.TAKEN_DOWN
    commit(db)
    web.submit("/artists/the-band", action="/follow/artist/the-band")
    web.submit("/labels/harbour-records", action="/follow/label/harbour-records")

    page = web.get("/feed")
    assert page.status_code == 200
    body = text_of(page)
    # Newest first: the first release (now), the label's (15 days ago), then the band's from day 29 down.
    assert body.index(first.title) < body.index("Label Record") < body.index("Band Record 29")
    assert "Unfollowed Record" not in body and hidden.title not in body and "Band Withdrawn" not in body
    followed = [first.title, on_label.title, *(r.title for r in mine)]
    seen = {title for title in followed if title in body}
    older = body.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    rest = text_of(web.get(older))
    later = {title for title in followed if title in rest}
    assert len(seen) == 24 and len(later) == 8 and seen | later == set(followed)
    assert "Band Record 00" in later and 'rel="next"' not in rest and "Unfollowed Record" not in rest
    assert web.get("/feed?before=garbage").status_code == 400
    assert web.get("/feed?before=1-1&after=1-1").status_code == 400
    assert WebClient(app).get("/feed").status_code == 302
