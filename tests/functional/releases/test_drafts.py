"""Release drafts through HTTP: details, prices, tracks, order, credits; bad input changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from storefront.accounts.models import RosterLink
from storefront.db import commit, utcnow
from storefront.releases.models import Contributor, Release
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh, text_of

DETAILS = {
    "title": "Harbour Songs",
    "release_type": "album",
    "release_date": "2026-12-01",
    "description": "Ten songs.",
    "genre": "folk",
    "tags": "folk, acoustic, Folk",
    "location": "Bristol",
    "license": "cc-by-nc",
    "upc": "036000291452",
    "currency": "EUR",
    "price": "9.50",
    "minimum_price": "0",
    "label_slug": "",
}


def _artist_session(web, db, platform, slug="harbour"):
    user = make_user(db, platform)
    artist = make_artist(db, user, slug=slug)
    web.login(user.email, PASSWORD)
    return user, artist


def test_create_a_draft_with_details_and_price(web, db, platform):
    _artist_session(web, db, platform)
    response = web.submit("/artists/harbour/releases/new", DETAILS)
    assert response.status_code == 302
    release = fresh(db).scalar(select(Release))
    assert (release.title, release.slug, release.currency, release.price_minor) == (
        "Harbour Songs",
        "harbour-songs",
        "EUR",
        950,
    )
    assert release.tags == ["folk", "acoustic"] and release.upc == "036000291452"
    assert release.license.value == "cc-by-nc" and release.status.value == "draft"
    page = text_of(web.get(f"/artists/harbour/releases/{release.id}"))
    assert "Harbour Songs" in page and "At least one track" in page
    listing = text_of(web.get("/artists/harbour/releases"))
    assert "9.50 EUR" in listing


def test_pay_what_you_want_with_a_zero_minimum_is_free(web, db, platform):
    _artist_session(web, db, platform)
    web.submit(
        "/artists/harbour/releases/new",
        {**DETAILS, "price": "0", "pay_what_you_want": "y", "minimum_price": "0"},
    )
    release = fresh(db).scalar(select(Release))
    assert release.is_free and release.pay_what_you_want


def test_bad_details_are_explained_and_nothing_is_saved(web, db, platform):
    _artist_session(web, db, platform)
    cases = [
        ({"title": ""}, "Enter a title."),
        ({"upc": "036000291453"}, "check digit does not match"),
        ({"upc": "12345"}, "A UPC has 12 digits"),
        ({"price": "-3"}, "Enter a price as a number"),
        ({"price": "9.999"}, "EUR has 2 decimal places"),
        ({"price": "5000"}, "The most we accept is 1000 EUR"),
        ({"currency": "JPY", "price": "9.5"}, "JPY has no decimal places"),
        ({"pay_what_you_want": "y", "minimum_price": "12", "price": "5"}, "can&#39;t be below the minimum"),
        ({"label_slug": "not-my-label"}, "Choose a label whose roster you are on."),
        ({"tags": ",".join(f"t{n}" for n in range(13))}, "at most 12 tags"),
    ]
    for change, message in cases:
        response = web.submit("/artists/harbour/releases/new", {**DETAILS, **change})
        assert response.status_code == 422, change
        assert message in text_of(response), (change, text_of(response)[:3000])
    assert fresh(db).scalars(select(Release)).all() == []


def test_a_release_can_name_a_label_of_the_artists_roster(web, db, platform):
    _, artist = _artist_session(web, db, platform)
    label = make_label(db, make_user(db, platform), slug="tidal")
    db.add(RosterLink(label=label, artist=artist, label_consent_at=utcnow(), artist_consent_at=utcnow()))
    commit(db)
    assert web.submit("/artists/harbour/releases/new", {**DETAILS, "label_slug": "tidal"}).status_code == 302
    assert fresh(db).scalar(select(Release)).label_id == label.id


def test_tracks_add_edit_reorder_and_remove(web, db, platform):
    _, artist = _artist_session(web, db, platform)
    release = make_release(db, artist)
    base = f"/artists/harbour/releases/{release.id}"
    for title in ("One", "Two", "Three"):
        assert web.submit(base, {"title": title}, action=f"{base}/tracks").status_code == 302
    tracks = fresh(db).get(Release, release.id).tracks
    one, two, three = tracks
    assert [t.position for t in tracks] == [1, 2, 3]

    bad = web.submit(
        base, {f"t{one.id}-title": "One", f"t{one.id}-isrc": "XX123"}, action=f"{base}/tracks/{one.id}"
    )
    assert bad.status_code == 422 and "An ISRC looks like" in text_of(bad)
    ok = web.submit(
        base,
        {
            f"t{one.id}-title": "One (live)",
            f"t{one.id}-isrc": "gb-abc-24-00001",
            f"t{one.id}-lyrics": "la la",
            f"t{one.id}-explicit": "y",
            f"t{one.id}-price": "1.29",
        },
        action=f"{base}/tracks/{one.id}",
    )
    assert ok.status_code == 302
    fresh(db)
    assert (one.title, one.isrc, one.explicit, one.price_minor) == ("One (live)", "GBABC2400001", True, 129)
    duplicate = web.submit(
        base, {f"t{two.id}-title": "Two", f"t{two.id}-isrc": "GBABC2400001"}, action=f"{base}/tracks/{two.id}"
    )
    assert duplicate.status_code == 422 and "same ISRC" in text_of(duplicate)

    # Without JavaScript: one step at a time.
    web.submit(base, {"direction": "up"}, action=f"{base}/tracks/{three.id}/move")
    assert [t.title for t in fresh(db).get(Release, release.id).tracks] == ["One (live)", "Three", "Two"]
    # The script's drag and drop sends the whole order.
    order = f"{two.id},{one.id},{three.id}"
    response = web.submit(
        base, {"order": order}, action=f"{base}/tracks/order", headers={"Accept": "application/json"}
    )
    assert response.status_code == 200 and response.get_json() == {"order": [two.id, one.id, three.id]}
    stale = web.submit(base, {"order": f"{two.id},{one.id}"}, action=f"{base}/tracks/order")
    assert stale.status_code == 422
    web.submit(base, action=f"{base}/tracks/{one.id}/delete")
    tracks = fresh(db).get(Release, release.id).tracks
    assert [(t.title, t.position) for t in tracks] == [("Two", 1), ("Three", 2)]


def test_credits(web, db, platform):
    _, artist = _artist_session(web, db, platform)
    release = make_release(db, artist, tracks=1)
    base = f"/artists/harbour/releases/{release.id}"
    missing = web.submit(
        base, {"name": "Ana", "role": "performer", "instrument": ""}, action=f"{base}/contributors"
    )
    assert missing.status_code == 422 and "Name the instrument" in text_of(missing)
    track = release.tracks[0]
    assert (
        web.submit(
            base,
            {"name": "Ana", "role": "performer", "instrument": "cello", "track_id": str(track.id)},
            action=f"{base}/contributors",
        ).status_code
        == 302
    )
    assert (
        web.submit(base, {"name": "Ben", "role": "composer"}, action=f"{base}/contributors").status_code
        == 302
    )
    credits = fresh(db).scalars(select(Contributor)).all()
    assert {(c.name, c.role.value, c.track_id) for c in credits} == {
        ("Ana", "performer", track.id),
        ("Ben", "composer", None),
    }
    web.submit(base, action=f"{base}/contributors/{credits[0].id}/delete")
    assert len(fresh(db).scalars(select(Contributor)).all()) == 1


def test_other_artists_releases_are_out_of_reach(web, app, db, platform):
    _, artist = _artist_session(web, db, platform)
    release = make_release(db, artist)
    other_user = make_user(db, platform)
    make_artist(db, other_user, slug="other")
    stranger = WebClient(app)
    stranger.login(other_user.email, PASSWORD)
    assert stranger.get(f"/artists/harbour/releases/{release.id}").status_code == 403
    # Through one's own artist, another artist's release id is simply not found.
    assert stranger.get(f"/artists/other/releases/{release.id}").status_code == 404
