"""No AI training without consent: robots.txt, TDMRep headers, meta and file, and an artist's opt-in."""

from __future__ import annotations

from storefront.db import commit, utcnow
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.helpers import fresh, text_of


def test_robots_refuses_ai_crawlers_only(client):
    robots = text_of(client.get("/robots.txt"))
    for crawler in ("GPTBot", "CCBot", "ClaudeBot", "Google-Extended", "Bytespider"):
        assert f"User-agent: {crawler}\nDisallow: /\n" in robots
    assert "User-agent: *\nDisallow: /admin/" in robots and "Allow: /\n" in robots


def test_every_page_reserves_mining_and_names_the_policy(client):
    for path in ("/", "/login", "/tdm-policy"):
        response = client.get(path)
        assert response.headers["tdm-reservation"] == "1"
        assert response.headers["tdm-policy"] == "http://localhost/tdm-policy"
        assert '<meta name="tdm-reservation" content="1">' in text_of(response)
    assert "Article 4(3)" in text_of(client.get("/tdm-policy"))
    assert client.get("/.well-known/tdmrep.json").get_json() == [
        {"location": "/*", "tdm-reservation": 1, "tdm-policy": "http://localhost/tdm-policy"}
    ]


def test_an_artist_opts_a_release_in_on_their_terms(web, db, platform):
    user = make_user(db, platform)
    artist = make_artist(db, user, slug="open-band")
    release = make_release(db, artist, title="Open Data")
    release.status, release.approved_at = ReleaseStatus.APPROVED, utcnow()
    commit(db)
    web.login(user.email, PASSWORD)
    base = f"/artists/open-band/releases/{release.id}"
    refused = web.submit(base, {"opt_in": "yes", "terms": "ok"}, action=f"{base}/ai-training")
    assert refused.status_code == 302 and not fresh(db).get(type(release), release.id).ai_training_opt_in
    terms = "Research use only, credited, and a share of any revenue to the band."
    assert (
        web.submit(base, {"opt_in": "yes", "terms": terms}, action=f"{base}/ai-training").status_code == 302
    )
    page = web.get(f"/artists/open-band/album/{release.slug}")
    assert page.headers["tdm-reservation"] == "0" and "tdm-policy" not in page.headers
    assert '<meta name="tdm-reservation" content="0">' in text_of(page) and terms in text_of(page)
    rules = web.get("/.well-known/tdmrep.json").get_json()
    assert rules[0] == {"location": f"/artists/open-band/album/{release.slug}", "tdm-reservation": 0}
    assert rules[-1]["tdm-reservation"] == 1
    # Changing one's mind is as easy.
    web.submit(base, {"opt_in": "no", "terms": ""}, action=f"{base}/ai-training")
    assert web.get(f"/artists/open-band/album/{release.slug}").headers["tdm-reservation"] == "1"


def test_the_certificate_states_the_ai_training_choice(web, app, db, platform, tmp_path):
    from tests.factories.attestations import attestation_url, signable_release, signature_form

    owner = make_user(db, platform)
    artist = make_artist(db, owner, slug="cert-band")
    release, _ = signable_release(db, artist, tmp_path, tracks=1)
    web.login(owner.email, PASSWORD)
    web.submit(attestation_url(artist, release), signature_form())
    fresh(db).get(type(release), release.id).status = ReleaseStatus.APPROVED
    db.get(type(release), release.id).approved_at = utcnow()
    commit(db)
    certificate = web.get(f"/releases/{release.id}/certificate.json").get_json()
    assert certificate["ai_training"] == {"opt_in": False, "terms": "", "tdm_reservation": 1}
    assert "Reserved: no text and data mining" in text_of(web.get(f"/releases/{release.id}/certificate"))
    base = f"/artists/cert-band/releases/{release.id}"
    terms = "Academic research only, with credit to the band in every publication."
    web.submit(base, {"opt_in": "yes", "terms": terms}, action=f"{base}/ai-training")
    certificate = web.get(f"/releases/{release.id}/certificate.json").get_json()
    assert certificate["ai_training"] == {"opt_in": True, "terms": terms, "tdm_reservation": 0}
    assert certificate["files_current"] is True  # the choice is not part of what was signed
