"""Curated collections: curators make, fill, order and publish them; fans see only published ones, with only
the releases on sale in them."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from storefront.catalog.models import CollectionItem, CuratedCollection
from storefront.db import commit
from storefront.events import AuditEvent
from storefront.releases.models import Release, ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.functional.catalog.test_browse_support import (
    assert_only_public,
    card_titles,
    collection,
    every_state,
    release,
)
from tests.helpers import WebClient, fresh, text_of

INDEX = "/curating/collections"


def _as(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _make(web, title: str, owner: str = "platform", slug: str = "") -> str:
    response = web.submit(
        INDEX, {"title": title, "slug": slug, "description": f"All about {title}.", "owner": owner}
    )
    assert response.status_code == 302, text_of(response)[:3000]
    return response.headers["Location"]


def _add(web, page: str, reference: str):
    return web.submit(page, {"reference": reference}, action=f"{page}/items")


def _home_picks(web) -> list[str]:
    html = text_of(web.get("/"))
    if 'id="staff-picks"' not in html:
        return []
    start = html.index('id="staff-picks"')
    return card_titles(html[start : html.index("<h2", start + 1)])


def test_a_curator_makes_fills_orders_and_publishes_the_staff_picks(app, web, db, platform):
    admin = make_user(db, platform, admin=True)
    artist = make_artist(db, make_user(db, platform), slug="kelp")
    first, second, third = (release(db, artist, title) for title in ("First", "Second", "Third"))
    curator = _as(app, admin)

    page = _make(curator, "Staff picks", slug="staff-picks")
    assert _add(curator, page, str(first.id)).status_code == 302
    assert _add(curator, page, f"http://localhost/artists/kelp/album/{second.slug}").status_code == 302
    assert _add(curator, page, f"/artists/kelp/album/{third.slug}/").status_code == 302
    html = text_of(curator.get(page))
    html = html[html.index('<h2 id="releases">') :]
    assert html.index("First") < html.index("Second") < html.index("Third")

    # Not published yet: fans see neither the page nor the picks; its curator sees a preview.
    assert web.get("/collections/staff-picks").status_code == 404 and _home_picks(web) == []
    assert "Not published" in text_of(curator.get("/collections/staff-picks"))

    # Third moves up twice, to the top; Second is removed.
    ids = dict(fresh(db).execute(select(Release.title, CollectionItem.id).join(CollectionItem.release)).all())
    for _ in range(2):
        assert (
            curator.submit(page, {"direction": "up"}, action=f"{page}/items/{ids['Third']}/move").status_code
            == 302
        )
    assert curator.submit(page, {}, action=f"{page}/items/{ids['Second']}/remove").status_code == 302
    assert curator.submit(page, {"published": "yes"}, action=f"{page}/publish").status_code == 302

    assert _home_picks(web) == ["Third", "First"]
    assert card_titles(text_of(web.get("/collections/staff-picks"))) == ["Third", "First"]
    tags = set(fresh(db).scalars(select(AuditEvent.tag).where(AuditEvent.subject_type == "collection")))
    assert {"collection:created", "collection:published"} <= tags


def test_only_releases_on_sale_go_in_a_collection_and_refusals_say_why(app, db, platform):
    curator = _as(app, make_user(db, platform, admin=True))
    artist = make_artist(db, make_user(db, platform), slug="refused")
    draft = release(db, artist, "Still A Draft", status=ReleaseStatus.DRAFT)
    on_sale = release(db, artist, "On Sale")
    page = _make(curator, "Mixed bag")
    assert _add(curator, page, str(on_sale.id)).status_code == 302
    for reference, message in [
        (str(draft.id), "“Still A Draft” is draft; only releases on sale go in a collection."),
        (str(on_sale.id), "“On Sale” is already in this collection."),
        ("999999", "There is no release with this number or address."),
        ("/artists/refused/album/nothing", "There is no release with this number or address."),
        ("not a release", "Give the release's number or the address of its page."),
        ("", "Give the release's number or the address of its page."),
    ]:
        response = _add(curator, page, reference)
        assert response.status_code == 422, reference
        assert message in unescape(text_of(response))
    assert text_of(curator.get(page)).count("On Sale") >= 1
    assert "Still A Draft" not in text_of(curator.get(page))


def test_a_collection_shows_only_releases_on_sale_and_loses_one_taken_down(web, db, platform):
    artist = make_artist(db, make_user(db, platform))
    kept, pulled = release(db, artist, "Kept"), release(db, artist, "Pulled Later")
    made = every_state(db, artist, "Shelved")
    collection(db, "Night", [pulled, kept, *made.values()], slug="night")
    assert_only_public(text_of(web.get("/collections/night")), made)
    assert card_titles(text_of(web.get("/collections/night"))) == ["Pulled Later", "Kept", "Shelved approved"]
    pulled.status = ReleaseStatus.TAKEN_DOWN
    commit(db)
    assert card_titles(text_of(web.get("/collections/night"))) == ["Kept", "Shelved approved"]


def test_label_staff_curate_their_label_page_and_nothing_else(app, web, db, platform):
    owner = make_user(db, platform)
    label = make_label(db, owner, name="Tidal", slug="tidal")
    other_label = make_label(db, make_user(db, platform), slug="other-label")
    artist = make_artist(db, make_user(db, platform))
    on_sale = release(db, artist, "Label Favourite")
    platform_shelf = collection(db, "Platform Shelf", [on_sale], slug="platform-shelf", published=False)
    other_shelf = collection(db, "Their Shelf", [on_sale], label=other_label)
    staff = _as(app, owner)

    assert 'value="platform"' not in text_of(staff.get(INDEX))
    refused = staff.submit(INDEX, {"title": "Sneaky", "owner": "platform"})
    assert refused.status_code == 422 and "Not a valid choice" in text_of(refused)
    taken = staff.submit(INDEX, {"title": "Picks", "slug": "staff-picks", "owner": str(label.id)})
    assert taken.status_code == 422 and "kept for the platform's staff picks" in unescape(text_of(taken))
    page = _make(staff, "Tidal Favourites", owner=str(label.id))
    assert _add(staff, page, str(on_sale.id)).status_code == 302
    assert staff.submit(page, {"published": "yes"}, action=f"{page}/publish").status_code == 302
    assert "Tidal Favourites" in text_of(web.get("/labels/tidal"))
    assert "Tidal Favourites" not in text_of(web.get("/"))

    for shelf in (platform_shelf, other_shelf):
        assert staff.get(f"{INDEX}/{shelf.id}").status_code == 403
    assert staff.get("/collections/platform-shelf").status_code == 404  # not theirs to preview
    fan = _as(app, make_user(db, platform))
    assert fan.get(INDEX).status_code == 403
    assert web.get(INDEX).status_code == 302  # to the login page


def test_curators_order_the_home_page_collections_and_can_delete_one(app, web, db, platform):
    curator = _as(app, make_user(db, platform, admin=True))
    artist = make_artist(db, make_user(db, platform))
    record = release(db, artist, "On Both")
    pages = [_make(curator, title) for title in ("Morning", "Evening")]
    for page in pages:
        _add(curator, page, str(record.id))
        curator.submit(page, {"published": "yes"}, action=f"{page}/publish")
    home = text_of(web.get("/"))
    assert home.index("Morning") < home.index("Evening")
    assert curator.submit(INDEX, {"direction": "down"}, action=f"{pages[0]}/move").status_code == 302
    home = text_of(web.get("/"))
    assert home.index("Evening") < home.index("Morning")
    bad = curator.submit(INDEX, {"direction": "sideways"}, action=f"{pages[0]}/move")
    assert bad.status_code == 400 and "“up” or “down”" in text_of(bad)

    assert curator.submit(pages[1], {}, action=f"{pages[1]}/delete").status_code == 302
    assert "Evening" not in text_of(web.get("/")) and curator.get(pages[1]).status_code == 404


def test_a_curator_edits_the_details_and_the_address_stays_unique(app, web, db, platform):
    curator = _as(app, make_user(db, platform, admin=True))
    collection(db, "Existing", [], slug="existing")
    page = _make(curator, "Draft Title")
    assert (
        curator.submit(page, {"title": "Final Title", "slug": "final", "description": "Better."}).status_code
        == 302
    )
    assert (
        fresh(db).scalar(select(CuratedCollection.title).where(CuratedCollection.slug == "final"))
        == "Final Title"
    )
    for slug, message in [
        ("existing", "Another collection has this address"),
        ("Bad Slug!", "Use lower-case"),
    ]:
        response = curator.submit(page, {"title": "Final Title", "slug": slug})
        assert response.status_code == 422 and message in text_of(response)


def test_a_missing_collection_is_404(web):
    assert web.get("/collections/nothing-here").status_code == 404
