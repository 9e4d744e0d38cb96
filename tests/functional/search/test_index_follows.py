"""The index follows the catalog: approvals, takedowns, reinstatements and renames, by jobs that run once the
change commits, and `flask search-reindex` rebuilds it whole."""

from __future__ import annotations

from sqlalchemy import delete, select

from storefront.curation.models import Appeal, Decision, ReviewDecision
from storefront.jobs.inline import InlineDispatcher
from storefront.jobs.models import Job
from storefront.releases.models import ReleaseStatus
from storefront.search.indexer import REINDEX_RELEASE
from storefront.search.models import SearchDocument
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.attestations import attestation_url, signable_release, signature_form
from tests.helpers import WebClient, fresh


def _curator(catalog) -> WebClient:
    admin = make_user(catalog.session, catalog.platform, email="curator@example.com", admin=True)
    web = WebClient(catalog.app)
    web.login(admin.email, PASSWORD)
    return web


def _take_down(curator: WebClient, release_id: int) -> None:
    page = f"/review/releases/{release_id}"
    response = curator.submit(
        page,
        {"reason": "generative_ai", "message": "The stems show a voice model."},
        action=page + "/takedown",
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_takedown_removes_the_release_its_tracks_and_an_artist_left_with_nothing(catalog):
    curator = _curator(catalog)
    assert "artist:Styrsö Ferry Band" in catalog.names("styrso")
    _take_down(curator, catalog.releases["styrso"].id)

    assert catalog.suggest("styrso") == []
    assert catalog.suggest("branno crossing") == []
    assert "Styrsö" not in catalog.page("styrso")
    # Its tag and genre went with it, as no other public release carries them; the label has no other
    # public release either.
    assert catalog.suggest("archipelago") == [] and catalog.suggest("tidal") == []
    left = fresh(catalog.session).scalars(
        select(SearchDocument.name).where(SearchDocument.name.like("%Styrs%"))
    )
    assert list(left) == []


def test_a_taken_down_release_is_hidden_even_before_its_job_runs(catalog, make_app):
    waiting = make_app(inline_jobs="manual")
    make_user(catalog.session, catalog.platform, email="curator@example.com", admin=True)
    curator = WebClient(waiting)
    curator.login("curator@example.com", PASSWORD)
    _take_down(curator, catalog.releases["harbour"].id)

    client = waiting.test_client()
    found = client.get("/search/suggest.json", query_string={"q": "harbour"}).get_json()["results"]
    names = [f"{r['kind']}:{r['name']}" for r in found]
    assert "release:Harbour" not in names and "track:Harbour Lights" not in names
    assert "artist:Harbour" in names
    jobs = fresh(catalog.session).scalars(select(Job).where(Job.name == REINDEX_RELEASE.name)).all()
    assert [job.payload for job in jobs] == [{"release_id": catalog.releases["harbour"].id}]


def test_a_reinstated_release_is_found_again(catalog):
    curator = _curator(catalog)
    release = catalog.releases["lanterns"]
    _take_down(curator, release.id)
    assert "release:Lanterns" not in catalog.names("lanterns")
    gone = fresh(catalog.session).scalar(
        select(SearchDocument.id).where(SearchDocument.release_id == release.id)
    )
    assert gone is None

    owner = WebClient(catalog.app)
    owner.login("owner@example.com", PASSWORD)
    appeal = owner.submit(
        f"/artists/pale-orchard/releases/{release.id}/appeal",
        {"text": "These are my own stems, recorded at home; here is the session file."},
    )
    assert appeal.status_code == 302, appeal.get_data(as_text=True)
    appeal_id = fresh(catalog.session).scalar(select(Appeal.id).where(Appeal.release_id == release.id))
    decided = curator.submit(
        f"/review/releases/{release.id}",
        {"outcome": "overturn", "answer": "You are right; the release is back."},
        action=f"/review/appeals/{appeal_id}/decide",
    )
    assert decided.status_code == 302, decided.get_data(as_text=True)
    assert "release:Lanterns" in catalog.names("lanterns")
    assert "tag:ambient" in catalog.names("ambient")


def test_an_approval_adds_the_release(app, db, platform, tmp_path):
    owner = make_user(db, platform, email="artist@example.com")
    artist = make_artist(db, owner, name="Ana Ruiz", slug="ana-ruiz")
    release, _files = signable_release(db, artist, tmp_path)
    web = WebClient(app)
    web.login(owner.email, PASSWORD)
    base = f"/artists/{artist.slug}/releases/{release.id}"
    web.submit(attestation_url(artist, release), signature_form())
    assert web.submit(base, action=f"{base}/submit").status_code == 302
    client = app.test_client()
    assert client.get("/search/suggest.json", query_string={"q": "ana ruiz"}).get_json()["results"] == []

    admin = make_user(db, platform, email="curator@example.com", admin=True)
    curator = WebClient(app)
    curator.login(admin.email, PASSWORD)
    page = f"/review/releases/{release.id}"
    decided = curator.submit(page, {"decision": "approve", "message": ""}, action=page + "/decide")
    assert decided.status_code == 302
    assert fresh(db).get(type(release), release.id).status == ReleaseStatus.APPROVED

    found = client.get("/search/suggest.json", query_string={"q": "ana ruiz"}).get_json()["results"]
    assert {"kind": "artist", "name": "Ana Ruiz"}.items() <= found[0].items()
    assert any(r["kind"] == "release" and r["name"] == release.title for r in found)
    assert db.scalar(select(ReviewDecision.decision).where(ReviewDecision.release_id == release.id)) == (
        Decision.APPROVE
    )


def test_a_renamed_artist_is_found_by_the_new_name_on_every_document(catalog):
    owner = WebClient(catalog.app)
    owner.login("owner@example.com", PASSWORD)
    edited = owner.submit(
        "/artists/harbour/edit",
        {
            "name": "Lighthouse Keepers",
            "slug": "lighthouse-keepers",
            "bio": "",
            "location": "Göteborg",
            "links": "",
        },
    )
    assert edited.status_code == 302, edited.get_data(as_text=True)

    found = catalog.suggest("lighthouse")
    assert found[0]["name"] == "Lighthouse Keepers" and found[0]["url"] == "/artists/lighthouse-keepers"
    release = next(r for r in found if r["kind"] == "release")
    assert release["name"] == "Lights over the Harbour" and release["url"].startswith(
        "/artists/lighthouse-keepers/"
    )
    assert "artist:Harbour" not in catalog.names("harbour")
    assert "artist:Lighthouse Keepers" in catalog.names("goteborg")


def test_the_reindex_command_rebuilds_the_index_from_the_catalog(catalog):
    with catalog.platform.database.transaction() as session:
        session.execute(delete(SearchDocument))
    assert catalog.suggest("styrso") == []

    result = catalog.app.test_cli_runner().invoke(args=["search-reindex"])
    assert result.exit_code == 0, result.output
    assert "4 release" in result.output and "3 artist" in result.output
    assert catalog.platform.search.engine in result.output
    assert "release:Styrsö Nights" in catalog.names("styrso")
    shown = catalog.app.test_cli_runner().invoke(args=["search", "styrso", "--repeat", "3"])
    assert shown.exit_code == 0 and "Styrsö Nights" in shown.output and "p95" in shown.output


def test_jobs_run_late_or_twice_leave_the_same_index(catalog, make_app):
    platform = catalog.platform
    before = sorted(fresh(catalog.session).scalars(select(SearchDocument.key)))
    with platform.database.transaction() as session:
        for release in catalog.releases.values():
            session.add(Job(name=REINDEX_RELEASE.name, payload={"release_id": release.id}))
            session.add(Job(name=REINDEX_RELEASE.name, payload={"release_id": release.id}))
    InlineDispatcher(platform.executor, mode="manual").drain()
    assert sorted(fresh(catalog.session).scalars(select(SearchDocument.key))) == before
