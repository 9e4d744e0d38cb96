"""Artist identity: a label's vouch, a token on the artist's website, and holds on look-alike names."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest
from sqlalchemy import select

from storefront.accounts.identity.website import WebsiteFetcher
from storefront.accounts.models import Artist, RosterLink
from storefront.db import commit, utcnow
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.helpers import WebClient, fresh, text_of


@pytest.fixture
def website():
    """A website of the artist's own, on loopback; `content` is what its well-known file says."""
    state = {"content": "nothing here"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = state["content"].encode() if self.path == "/.well-known/velvet-artist.txt" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_label_vouches_for_an_artist_on_its_roster(web, app, db, platform):
    staff = make_user(db, platform)
    label = make_label(db, staff, name="Tidal", slug="tidal")
    label.verified_at = utcnow()  # only a label the platform verified can vouch
    owner = make_user(db, platform)
    artist = make_artist(db, owner, name="Kelp", slug="kelp")
    stranger_artist = make_artist(db, make_user(db, platform), slug="not-ours")
    web.login(staff.email, PASSWORD)
    refused = web.submit("/labels/tidal/members", action="/labels/tidal/vouch/not-ours")
    assert refused.status_code == 302 and fresh(db).get(Artist, stranger_artist.id).verified_at is None
    db.add(RosterLink(label=label, artist=artist, label_consent_at=utcnow(), artist_consent_at=utcnow()))
    commit(db)
    assert "Vouch for this artist" in text_of(web.get("/labels/tidal/members"))
    web.submit("/labels/tidal/members", action="/labels/tidal/vouch/kelp")
    verified = fresh(db).get(Artist, artist.id)
    assert verified.verified_by == "label" and verified.verified_detail == "Tidal"
    assert "verified artist" in text_of(WebClient(app).get("/artists/kelp"))


def test_an_artist_proves_control_of_their_website(app, db, platform, website):
    # The artist's website runs on loopback here; only tests may reach it.
    platform.website_fetcher = WebsiteFetcher(allow_loopback=True)
    state, site = website
    owner = make_user(db, platform)
    artist = make_artist(db, owner, slug="own-site")
    web = WebClient(app)
    web.login(owner.email, PASSWORD)
    web.submit("/artists/own-site/identity", {"website": site + "/about"})
    token = fresh(db).get(Artist, artist.id).website_token
    assert token and token in text_of(web.get("/artists/own-site/identity"))
    missing = web.submit("/artists/own-site/identity", {"action": "check"})
    assert missing.status_code == 422 and "does not contain your token yet" in text_of(missing)
    state["content"] = f"{token}\n"
    assert web.submit("/artists/own-site/identity", {"action": "check"}).status_code == 302
    verified = fresh(db).get(Artist, artist.id)
    assert verified.verified_by == "website" and verified.verified_detail == site


def test_a_name_that_resolves_inside_our_network_is_not_fetched(web, db, platform, website):
    _, site = website
    port = site.rsplit(":", 1)[1]
    # The name answers with a loopback address, as a rebinding attacker's DNS would.
    platform.website_fetcher = WebsiteFetcher(resolver=lambda host, _port: ["127.0.0.1"])
    owner = make_user(db, platform)
    artist = make_artist(db, owner, slug="rebound")
    web.login(owner.email, PASSWORD)
    web.submit("/artists/rebound/identity", {"website": f"http://rebound.example:{port}"})
    refused = web.submit("/artists/rebound/identity", {"action": "check"})
    assert refused.status_code == 422 and "not a public website" in text_of(refused)
    assert fresh(db).get(Artist, artist.id).verified_at is None


@pytest.mark.parametrize(
    ("website", "message"),
    [
        ("https://bnad-name.invalid:8443", "We could not find bnad-name.invalid. Check the spelling"),
        ("https://[::1", "starting with https://"),
        ("https://band.example:99999", "starting with https://"),
    ],
)
def test_a_mistyped_website_gets_a_message(web, db, platform, website, message):
    platform.website_fetcher = WebsiteFetcher(resolver=_no_such_name)
    owner = make_user(db, platform)
    make_artist(db, owner, slug="typo")
    web.login(owner.email, PASSWORD)
    given = web.submit("/artists/typo/identity", {"website": website})
    if given.status_code == 302:
        given = web.submit("/artists/typo/identity", {"action": "check"})
    page = text_of(given)
    assert given.status_code == 422 and message in page
    assert "gaierror" not in page and "Error" not in page


def _no_such_name(host: str, port: int) -> list[str]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_private_addresses_are_not_fetched(web, db, platform, website):
    owner = make_user(db, platform)
    make_artist(db, owner, slug="sneaky")
    web.login(owner.email, PASSWORD)
    _, site = website
    web.submit("/artists/sneaky/identity", {"website": site})
    refused = web.submit("/artists/sneaky/identity", {"action": "check"})
    assert refused.status_code == 422 and "not a public website" in text_of(refused)


def test_a_look_alike_name_is_held_until_an_admin_clears_it(web, app, db, platform):
    real = make_artist(db, make_user(db, platform), name="Mara Lind", slug="mara-lind")
    real.verified_at, real.verified_by = utcnow(), "label"
    commit(db)
    copycat = make_user(db, platform)
    web.login(copycat.email, PASSWORD)
    web.submit("/artists/new", {"name": "Mára  Lind", "slug": "mara-lind-official"})
    web.submit("/artists/new", {"name": "Mara Lund Quartet", "slug": "quartet"})
    held = fresh(db).scalar(select(Artist).where(Artist.slug == "mara-lind-official"))
    assert "close to the verified artist “Mara Lind”" in held.hold_reason
    assert db.scalar(select(Artist).where(Artist.slug == "quartet")).hold_reason is None
    admin = make_user(db, platform, admin=True)
    admin_web = WebClient(app)
    admin_web.login(admin.email, PASSWORD)
    assert "Mára  Lind" in text_of(admin_web.get("/admin/holds"))
    admin_web.submit("/admin/holds", action=f"/admin/holds/{held.id}/clear")
    assert fresh(db).get(Artist, held.id).hold_reason is None
