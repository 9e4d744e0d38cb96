"""The release editor's per-track choice of what a pre-order gives at once: shown, saved, and cleared."""

from __future__ import annotations

from storefront.releases.models import Release
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import fresh, text_of


def test_an_artist_chooses_the_tracks_a_preorder_gives_at_once(web, db, platform):
    user = make_user(db, platform)
    artist = make_artist(db, user, slug="harbour")
    web.login(user.email, PASSWORD)
    release = make_release(db, artist, tracks=2)
    one, two = release.tracks
    base = f"/artists/harbour/releases/{release.id}"
    assert "Available at once on a pre-order" in text_of(web.get(base))

    chosen = web.submit(
        base, {f"t{one.id}-title": "One", f"t{one.id}-instant_grat": "y"}, action=f"{base}/tracks/{one.id}"
    )
    assert chosen.status_code == 302
    assert [t.instant_grat for t in fresh(db).get(Release, release.id).tracks] == [True, False]
    page = text_of(web.get(base))
    assert f'checked id="t{one.id}-instant_grat"' in page
    assert f'checked id="t{two.id}-instant_grat"' not in page

    cleared = web.submit(base, {f"t{one.id}-title": "One"}, action=f"{base}/tracks/{one.id}")
    assert cleared.status_code == 302
    assert not fresh(db).get(Release, release.id).tracks[0].instant_grat
    assert two.instant_grat is False


def test_another_artist_cannot_choose_them(web, db, platform):
    owner = make_user(db, platform)
    release = make_release(db, make_artist(db, owner, slug="harbour"), tracks=1)
    [track] = release.tracks
    stranger = make_user(db, platform)
    make_artist(db, stranger, slug="elsewhere")
    web.login(stranger.email, PASSWORD)
    base = f"/artists/harbour/releases/{release.id}"
    response = web.post(
        f"{base}/tracks/{track.id}",
        {"csrf_token": web.token("/"), f"t{track.id}-title": "Mine", f"t{track.id}-instant_grat": "y"},
    )
    assert response.status_code in (403, 404)
    assert not fresh(db).get(Release, release.id).tracks[0].instant_grat
