"""Rate limits, CSRF, security headers, access rules on every endpoint, and no writes on GET."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from storefront.web.access import rule_for
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.helpers import text_of


@pytest.mark.parametrize(("page", "field"), [("/signup", "email"), ("/password/forgot", "email")])
def test_signup_and_reset_are_limited(web, platform, page, field):
    limit, _ = platform.settings.rate_limit
    data = {"display_name": "X", "password": "quiet-river-stones-7"}
    for n in range(limit):
        web.submit(page, {**data, field: f"someone{n}@example.com"})
    assert web.submit(page, {**data, field: "last@example.com"}).status_code == 429


def test_post_without_or_with_wrong_csrf_token_is_refused(web, db, platform):
    user = make_user(db, platform)
    response = web.post("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 400 and "This form has expired" in text_of(response)
    web.login(user.email, PASSWORD)
    response = web.post("/artists/new", {"name": "Sneaky", "csrf_token": "forged"})
    assert response.status_code == 400
    response = web.post("/logout")
    assert response.status_code == 400
    assert "Log out" in text_of(web.get("/"))


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Only public catalog pages opt in to shared caching (tests/functional/catalog/test_caching.py).
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # only in production behind HTTPS


def test_hsts_is_sent_in_production_over_https_only(app):
    from flask import Response

    from storefront.web.headers import apply_security_headers

    with app.test_request_context("/", base_url="https://shop.example.com"):
        secure = apply_security_headers(Response("x"), csp="default-src 'self'", hsts=True)
    with app.test_request_context("/", base_url="http://shop.example.com"):
        plain = apply_security_headers(Response("x"), csp="default-src 'self'", hsts=True)
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in plain.headers


def test_pages_have_no_inline_script(client):
    for path in ("/", "/login", "/signup", "/password/forgot"):
        page = text_of(client.get(path))
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert " onclick=" not in page and " onload=" not in page


def test_every_endpoint_declares_an_access_rule(app: Flask):
    missing = [rule.endpoint for rule in app.url_map.iter_rules() if rule_for(app, rule.endpoint) is None]
    assert missing == []


def test_an_endpoint_without_a_rule_is_refused(make_app):
    app = make_app()
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    response = app.test_client().get("/forgotten")
    assert response.status_code == 500 and b"secret" not in response.data


def test_member_pages_refuse_strangers_and_send_anonymous_to_login(web, app, db, platform):
    owner = make_user(db, platform)
    stranger = make_user(db, platform)
    artist = make_artist(db, owner, slug="guarded")
    label = make_label(db, owner, slug="guarded-label")
    paths = [
        f"/artists/{artist.slug}/edit",
        f"/artists/{artist.slug}/members",
        f"/labels/{label.slug}/edit",
        f"/labels/{label.slug}/members",
        "/admin/",
        "/admin/outbox",
    ]
    for path in paths:
        response = web.get(path)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"], path
    web.login(stranger.email, PASSWORD)
    for path in paths:
        assert web.get(path).status_code == 403, path
    response = web.submit(
        "/account", {"email": "x@example.com"}, action=f"/artists/{artist.slug}/members/invite"
    )
    assert response.status_code == 403
    assert web.get("/artists/nobody-here/edit").status_code == 404


def test_a_write_on_get_is_refused(make_app):
    app = make_app()
    from storefront.accounts.models import Label
    from storefront.db import get_session
    from storefront.web.access import PUBLIC, access

    @access(PUBLIC)
    def sneaky() -> str:
        get_session().add(Label(name="Sneaky", slug="sneaky", links=[]))
        get_session().flush()
        return "ok"

    app.add_url_rule("/sneaky", "sneaky", sneaky)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/sneaky")
    assert response.status_code == 500
    with app.extensions["storefront"].database.session() as session:
        assert session.query(Label).filter_by(slug="sneaky").count() == 0


def test_rules_hand_the_view_what_they_checked_in_place_of_its_address(web, app, db, platform):
    from storefront.releases.access import ARTIST_RELEASE
    from storefront.web.access import access
    from tests.factories.releases import make_release

    owner = make_user(db, platform)
    mine = make_release(db, make_artist(db, owner, slug="handed"), title="Mine")
    theirs = make_release(db, make_artist(db, make_user(db, platform), slug="elsewhere"), title="Theirs")

    @access(ARTIST_RELEASE)
    def probe(**view_args: object) -> str:
        release = view_args["release"]
        return f"{sorted(view_args)} {getattr(release, 'title', None)}"

    app.add_url_rule("/artists/<slug>/releases/<int:release_id>/probe", "probe", probe)
    web.login(owner.email, PASSWORD)
    response = web.get(f"/artists/handed/releases/{mine.id}/probe")
    assert response.get_data(as_text=True) == "['release'] Mine"
    # Another artist's release, asked for under one's own artist, is not there at all.
    assert web.get(f"/artists/handed/releases/{theirs.id}/probe").status_code == 404
    assert web.get(f"/artists/elsewhere/releases/{theirs.id}/probe").status_code == 403
