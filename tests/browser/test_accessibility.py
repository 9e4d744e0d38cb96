"""axe-core on the pages fans browse, in light and dark mode: no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest

from storefront.accounts.models import Label, RosterLink
from storefront.db import commit, utcnow
from tests.factories.accounts import make_artist, make_user
from tests.functional.media.builders import on_sale_release

pytestmark = pytest.mark.browser

SERIOUS = ("serious", "critical")


@pytest.fixture
def catalog(db, platform, tmp_path) -> dict[str, str]:
    owner = make_user(db, platform, name="Ana")
    artist = make_artist(db, owner, name="Harbour Band", slug="harbour-band")
    artist.bio, artist.location = "Songs written in a kitchen by the sea.", "Göteborg"
    label = Label(name="Harbour Lights Records", slug="harbour-lights", bio="A small label.")
    db.add(label)
    db.flush()
    now = utcnow()
    db.add(RosterLink(label=label, artist=artist, label_consent_at=now, artist_consent_at=now))
    release = on_sale_release(db, platform, artist, tmp_path, tracks=2, title="Ferry to Styrsö", seconds=2.0)
    release.label_id, release.genre, release.tags = label.id, "folk", ["accordion", "field recordings"]
    commit(db)
    base = f"/artists/{artist.slug}/album/{release.slug}"
    return {
        "home": "/",
        "release": base,
        "track": f"{base}/track/1",
        "artist": f"/artists/{artist.slug}",
        "label": f"/labels/{label.slug}",
        "tag": "/tags/accordion",
        "search": "/search?q=ferry",
        "embed": f"/embed/release/{release.id}",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_violations(
    browser: Any, live_server: str, catalog: dict[str, str], scheme: str
) -> None:
    """Each page loads (200) and axe reports nothing serious or critical on it."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(base_url=live_server, color_scheme=scheme)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        found: dict[str, list[str]] = {}
        for name, path in catalog.items():
            response = page.goto(path)
            assert response is not None and response.status == 200, (name, path)
            results = axe.run(page)
            serious = [
                f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
                for v in results.response["violations"]
                if v.get("impact") in SERIOUS
            ]
            if serious:
                found[name] = serious
        assert found == {}
        # axe did run: a page made inaccessible on purpose is caught.
        page.set_content('<html><body><img src="x.png"><button></button></body></html>')
        caught = {v["id"] for v in axe.run(page).response["violations"] if v.get("impact") in SERIOUS}
        assert {"image-alt", "button-name"} <= caught
    finally:
        context.close()
