"""The release editor in steps: each step its own page with a checklist, and saving comes back to the step."""

from __future__ import annotations

import re

import pytest

from storefront.releases.models import Release, ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.attestations import attestation_url, signable_release, signature_form
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh

# Each step and the sections (their ids) only its page shows.
SECTIONS = {
    "details": ["details"],
    "tracks": ["tracks", "files"],
    "credits": ["credits"],
    "previews": ["media"],
    "ai-training": ["ai-training"],
    "attestation": ["attestation"],
    "review": ["review"],
    "extras": ["codes", "listening-links", "first-window"],
}
TITLES = {
    "details": "Details and price",
    "tracks": "Tracks and files",
    "credits": "Credits",
    "previews": "Previews",
    "ai-training": "AI training",
    "attestation": "Attestation",
    "review": "Review",
    "extras": "Codes, links and first window",
}


@pytest.fixture
def studio(app, db, platform):
    owner = make_user(db, platform, email="ana@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    web = WebClient(app)
    web.login(owner.email, PASSWORD)
    return web, artist


def _base(release: Release) -> str:
    return f"/artists/{release.artist.slug}/releases/{release.id}"


def _marks(html: str) -> dict[str, bool]:
    """The step navigation as {step: done}, read from its list items."""
    nav = html.split('aria-label="Release editor steps"', 1)[1].split("</nav>", 1)[0]
    found = re.findall(r'<li class="([^"]*)">\s*<a href="[^"]*\?step=([a-z-]+)"', nav)
    return {name: "done" in classes.split() for classes, name in found}


def _current(html: str) -> str:
    found = re.search(r'\?step=([a-z-]+)" aria-current="step"', html)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("step", list(SECTIONS))
def test_each_step_shows_only_its_own_sections(studio, db, step):
    web, artist = studio
    release = make_release(db, artist, tracks=1)
    response = web.get(f"{_base(release)}?step={step}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _current(html) == step
    assert f"<title>{TITLES[step]} · {release.title}" in html
    assert list(_marks(html)) == list(SECTIONS)  # every step, in order, on every page
    for name, sections in SECTIONS.items():
        for section in sections:
            shown = f'id="{section}"' in html
            assert shown is (name == step), (step, section)


def test_back_and_next_follow_the_order(studio, db):
    web, artist = studio
    release = make_release(db, artist)
    html = web.get(f"{_base(release)}?step=credits").get_data(as_text=True)
    assert re.search(r'rel="prev" href="[^"]*\?step=tracks"', html)
    assert re.search(r'rel="next" href="[^"]*\?step=previews"', html)
    first = web.get(f"{_base(release)}?step=details").get_data(as_text=True)
    assert 'rel="prev"' not in first and re.search(r'rel="next" href="[^"]*\?step=tracks"', first)


def test_an_unknown_step_is_not_found(studio, db):
    web, artist = studio
    release = make_release(db, artist)
    assert web.get(f"{_base(release)}?step=shipping").status_code == 404
    assert web.get(f"{_base(release)}?step=").status_code == 200  # empty: the first step not done


def test_another_artists_member_sees_no_step(app, db, platform, studio):
    _web, artist = studio
    release = make_release(db, artist, tracks=1)
    stranger_user = make_user(db, platform, email="other@example.com")
    make_artist(db, stranger_user, slug="other-band")
    stranger = WebClient(app)
    stranger.login(stranger_user.email, PASSWORD)
    for step in SECTIONS:
        assert stranger.get(f"{_base(release)}?step={step}").status_code == 403
    assert stranger.get(f"/artists/other-band/releases/{release.id}?step=review").status_code == 404


def test_the_checklist_follows_the_release_from_empty_draft_to_submitted(studio, db, tmp_path):
    web, artist = studio
    empty = make_release(db, artist)
    html = web.get(_base(empty)).get_data(as_text=True)
    marks = _marks(html)
    assert marks["details"] and marks["ai-training"]  # a title and a price; training reserved by default
    assert not any(marks[s] for s in ("tracks", "credits", "previews", "attestation", "review", "extras"))
    assert _current(html) == "tracks"  # the editor opens at the first step not done

    credit = {"name": "Ana Ruiz", "role": "composer", "instrument": "", "track_id": ""}
    web.submit(f"{_base(empty)}?step=credits", credit, action=f"{_base(empty)}/contributors")
    assert _marks(web.get(f"{_base(empty)}?step=credits").get_data(as_text=True))["credits"]

    release, _files = signable_release(db, artist, tmp_path)
    base = _base(release)
    marks = _marks(web.get(f"{base}?step=review").get_data(as_text=True))
    assert marks["tracks"] and marks["credits"] and not marks["attestation"] and not marks["review"]

    assert web.submit(attestation_url(artist, release), signature_form()).status_code == 302
    html = web.get(base).get_data(as_text=True)
    assert _marks(html)["attestation"] and not _marks(html)["review"]

    submitted = web.submit(f"{base}?step=review", action=f"{base}/submit")
    assert submitted.headers["Location"].endswith(f"{base}?step=review")
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.IN_REVIEW
    assert _marks(web.get(base).get_data(as_text=True))["review"]


def test_saving_comes_back_to_the_same_step(studio, db):
    web, artist = studio
    release = make_release(db, artist, tracks=1)
    base = _base(release)
    track = release.tracks[0]

    def saved(data: dict[str, str], action: str) -> str:
        response = web.submit(base, data, action=base + action)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response.headers["Location"].split(base, 1)[1]

    details = {"title": "Harbour Songs", "release_type": "album", "currency": "USD", "price": "8"}
    details |= {"minimum_price": "0", "license": "all-rights-reserved", "label_slug": ""}
    assert saved(details, "/details") == "?step=details#details"
    assert saved({"title": "Low Tide"}, "/tracks").startswith("?step=tracks#track-")
    assert saved({f"t{track.id}-title": "Harbour Lights"}, f"/tracks/{track.id}") == (
        f"?step=tracks#track-{track.id}"
    )
    credit = {"name": "Mia Chen", "role": "producer", "instrument": "", "track_id": ""}
    assert saved(credit, "/contributors") == "?step=credits#credits"
    assert saved({"opt_in": "no"}, "/ai-training") == "?step=ai-training#ai-training"
    assert saved({"mode": "full", "clip_start": "0", "clip_length": "30"}, "/preview-policy") == (
        "?step=previews#media"
    )
    assert saved({"until": "not a day"}, "/first-window") == "?step=extras#first-window"


def test_a_refused_form_stays_on_its_step_and_keeps_what_was_typed(studio, db):
    web, artist = studio
    release = make_release(db, artist)
    base = _base(release)
    details = {"title": "", "release_type": "album", "currency": "USD", "price": "8", "description": "Kept"}
    refused = web.submit(base, details, action=f"{base}/details")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and _current(html) == "details" and "Kept" in html
    assert 'id="tracks"' not in html
    refused = web.submit(base, {"name": "", "role": "composer"}, action=f"{base}/contributors")
    assert refused.status_code == 422 and _current(refused.get_data(as_text=True)) == "credits"
