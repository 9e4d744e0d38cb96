"""First windows: an artist marks a release as sold here first until a day; its page, the home page's shelf,
the feeds, the fan's feed and the certificate JSON say so while it is open, and nothing cached outlives it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.db import commit, utcnow
from storefront.events import AuditEvent
from storefront.fans.models import Follow
from storefront.releases.models import Release
from storefront.releases.preorders import Calendar
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.functional.catalog.test_sharing_support import page_of, public_release
from tests.helpers import ManualClock, WebClient, fresh, text_of


@pytest.fixture
def clock(override_service) -> ManualClock:
    moved = ManualClock(utcnow())
    override_service(Calendar, Calendar(moved))
    return moved


@pytest.fixture
def world(app, db, platform):
    owner = make_user(db, platform, name="Ana")
    artist = make_artist(db, owner, name="Window Band", slug="window-band")
    release = public_release(db, artist, title="First Light", tracks=0)
    web = WebClient(app)
    web.login(owner.email, PASSWORD)
    return owner, artist, release, web


def _workspace(release: Release) -> str:
    return f"/artists/{release.artist.slug}/releases/{release.id}"


def _set(web: WebClient, release: Release, until: str, **extra: str):
    page = _workspace(release)
    return web.submit(page, {"until": until, **extra}, action=page + "/first-window")


def _until(clock: ManualClock, days: int) -> str:
    return (clock.now.date() + timedelta(days=days)).isoformat()


def _long(day: str) -> str:
    from datetime import date

    found = date.fromisoformat(day)
    return f"Here first until {found.day} {found:%B %Y}"


def test_an_artist_opens_a_window_and_every_public_place_says_so(app, db, platform, clock, world):
    _, artist, release, web = world
    fan = make_user(db, platform, name="Fan")
    db.add(Follow(user_id=fan.id, artist_id=artist.id))
    commit(db)
    until = _until(clock, 10)
    saved = _set(web, release, until)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#first-window")
    assert _long(until) in text_of(web.get(_workspace(release) + "?step=extras"))
    assert fresh(db).get(Release, release.id).first_window_until.isoformat() == until
    web.logout()

    guest = WebClient(app)
    assert _long(until) in text_of(guest.get(page_of(release)))
    home = guest.get("/").get_data(as_text=True)
    assert home.index('id="here-first"') < home.index("First Light") < home.index('id="new-releases"')
    for feed in ("/feeds/releases.rss", "/feeds/releases.atom", "/feeds/artists/window-band.atom"):
        assert _long(until) in guest.get(feed).get_data(as_text=True), feed

    fans_web = WebClient(app)
    fans_web.login(fan.email, PASSWORD)
    assert _long(until) in text_of(fans_web.get("/feed"))


def test_the_shelf_and_badge_go_when_the_window_ends_even_from_the_cache(app, db, platform, clock, world):
    _, _, release, web = world
    public_release(db, make_artist(db, make_user(db, platform)), title="Ordinary Record")
    newer = public_release(db, make_artist(db, make_user(db, platform)), title="Later Window")
    assert _set(web, release, _until(clock, 3)).status_code == 302
    fresh(db).get(Release, newer.id).first_window_until = clock.now.date() + timedelta(days=30)
    commit(db)
    web.logout()

    guest = WebClient(app)
    home = guest.get("/").get_data(as_text=True)
    shelf = home[home.index('id="here-first"') : home.index('id="new-releases"')]
    # Newest first; a release without a window is not on the shelf.
    assert shelf.index("Later Window") < shelf.index("First Light")
    assert "Ordinary Record" not in shelf
    assert "Here first until" in text_of(guest.get(page_of(release)))

    clock.advance(timedelta(days=3))  # the last day of the window: still open
    assert "First Light" in guest.get("/").get_data(as_text=True).split('id="new-releases"')[0]
    clock.advance(timedelta(days=1))  # the next day: closed, with nothing written to the database
    home = guest.get("/").get_data(as_text=True)
    shelf = home.split('id="new-releases"')[0]
    assert "First Light" not in shelf and "Later Window" in shelf
    assert "Here first until" not in text_of(guest.get(page_of(release)))
    assert "Here first until" not in guest.get("/feeds/artists/window-band.atom").get_data(as_text=True)
    clock.advance(timedelta(days=30))
    assert 'id="here-first"' not in guest.get("/").get_data(as_text=True)
    assert "Ordinary Record" in home  # among the new releases all along


@pytest.mark.parametrize(
    ("until", "said"),
    [
        ("today", "must be in the future"),
        ("yesterday", "must be in the future"),
        ("too far", "at most 365 days"),
        ("31/12/2027", "as a date"),
        ("", "Choose the last day of the window"),
    ],
)
def test_a_bad_day_is_refused_in_words_and_changes_nothing(db, clock, world, until, said):
    _, _, release, web = world
    typed = {
        "today": _until(clock, 0),
        "yesterday": _until(clock, -1),
        "too far": _until(clock, 366),
    }.get(until, until)
    response = _set(web, release, typed)
    assert response.status_code == 302
    assert said in text_of(web.get(_workspace(release) + "?step=extras"))
    assert fresh(db).get(Release, release.id).first_window_until is None


def test_a_year_is_allowed_and_the_artist_can_end_the_window(db, clock, world):
    _, _, release, web = world
    assert _set(web, release, _until(clock, 365)).status_code == 302
    assert fresh(db).get(Release, release.id).first_window_until is not None
    assert _set(web, release, "", end="yes").status_code == 302
    assert "The first window has ended" in text_of(web.get(_workspace(release) + "?step=extras"))
    assert fresh(db).get(Release, release.id).first_window_until is None
    tags = fresh(db).scalars(select(AuditEvent.tag).where(AuditEvent.subject_id == release.id)).all()
    assert tags.count("release:first_window_changed") == 2


def test_nobody_else_can_set_the_window_of_a_release(app, db, platform, clock, world):
    _, _, release, _ = world
    stranger = make_user(db, platform, name="Stranger")
    make_artist(db, stranger, slug="stranger-band")
    web = WebClient(app)
    web.login(stranger.email, PASSWORD)
    token = web.token("/collection")
    for path in (
        f"/artists/window-band/releases/{release.id}/first-window",
        f"/artists/stranger-band/releases/{release.id}/first-window",
    ):
        response = web.post(path, {"csrf_token": token, "until": _until(clock, 5)})
        assert response.status_code in (403, 404), path
    guest = WebClient(app).post(
        f"/artists/window-band/releases/{release.id}/first-window", {"until": _until(clock, 5)}
    )
    assert guest.status_code in (302, 400, 401, 403)
    assert fresh(db).get(Release, release.id).first_window_until is None
