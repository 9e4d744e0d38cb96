"""Every route, fed ids beyond any column and JSON bodies meant to break a parser, answers below 500."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from storefront.releases.models import Upload, UploadKind
from storefront.web.inputs import parse_json_text
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient

BAD_IDS = [str(2**63), str(2**64), "-1", "9" * 400]
DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE_BODIES = [
    '{"size": ',  # cut short
    "[]",
    '"x"',
    "42",
    DEEP,
    '{"size": 1e309, "kind": "master", "filename": "a.flac", "content_type": "audio/flac"}',
    '{"size": NaN, "kind": "master", "filename": "a.flac", "content_type": "audio/flac"}',
    '{"size": -Infinity}',
    '{"size": 18446744073709551616, "track_id": 18446744073709551616}',
    '{"size": "12", "track_id": [1]}',
    '{"parts": [{"number": 18446744073709551616, "etag": "x"}]}',
    '{"parts": "x"}',
    '{"parts": [1, 2]}',
    "\xff\xfe",
    # Form views read a JSON body as their fields: ids and orders beyond any column, and not numbers at all.
    '{"order": "18446744073709551616,1", "track_id": "18446744073709551616", '
    '"user_id": "18446744073709551616", "role": "member", "name": "Ann", "role_text": "x"}',
    '{"order": "a,b", "track_id": "abc", "user_id": "abc", "role": "member", "name": "Ann"}',
    '{"track_id": "abc", "role": "composer", "name": "Ann"}',
    '{"track_id": "18446744073709551616", "role": "composer", "name": "Ann"}',
]
# Ending the session would make every later request a refusal that never reaches a view.
_SESSION_ENDING = re.compile(r"logout|session|delete_account|change_password")
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


@pytest.fixture
def world(app: Flask, db, platform):
    member = make_user(db, platform)
    artist = make_artist(db, member, slug="band")
    make_label(db, member, slug="tide")
    release = make_release(db, artist, tracks=1)
    upload = Upload(
        artist_id=artist.id, release_id=release.id, track_id=release.tracks[0].id, kind=UploadKind.MASTER,
        original_filename="a.flac", content_type="audio/flac", declared_size=10, staging_key="staging/x/1/a",
    )
    db.add(upload)
    db.commit()
    admin = make_user(db, platform, admin=True)
    ids = {"release_id": release.id, "track_id": release.tracks[0].id, "upload_id": upload.id}
    names = {"slug": "band", "artist_slug": "band", "release_slug": release.slug, "kind": "artist"}
    return {"member": member.email, "admin": admin.email, "ids": ids, "names": names}


def _path(rule: str, names: dict[str, str], ids: dict[str, int], bad: str | None = None) -> str:
    def fill(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        if converter == "int":
            return bad if bad is not None else str(ids.get(name, 1))
        return names.get(name, "x")

    # The label routes take a label's slug.
    path = _PARAM.sub(fill, rule)
    return path.replace("/labels/band", "/labels/tide")


def _browser(app: Flask, email: str) -> tuple[WebClient, str]:
    web = WebClient(app)
    web.login(email, PASSWORD)
    return web, web.token("/account/delete")


def _rules(app: Flask):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


@pytest.mark.parametrize("who", ["member", "admin"])
def test_ids_beyond_any_column_are_not_found(app, world, who):
    web, csrf = _browser(app, world[who])
    checked = 0
    for rule in _rules(app):
        if ":" not in rule.rule or "int:" not in rule.rule:
            continue
        for bad in BAD_IDS:
            path = _path(rule.rule, world["names"], world["ids"], bad)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = web.client.open(path, method=method, headers={"X-CSRFToken": csrf})
                assert response.status_code < 500, (method, path[:120], response.status_code)
                checked += 1
    assert checked > 100
    assert web.get("/account").status_code == 200


@pytest.mark.parametrize("who", ["member", "admin"])
def test_hostile_json_bodies_are_refused_with_a_message(app, world, who):
    web, csrf = _browser(app, world[who])
    for rule in _rules(app):
        if "POST" not in rule.methods or _SESSION_ENDING.search(rule.endpoint):
            continue
        path = _path(rule.rule, world["names"], world["ids"])
        for body in HOSTILE_BODIES:
            response = web.client.post(
                path, data=body.encode("latin-1"), content_type="application/json",
                headers={"X-CSRFToken": csrf},
            )
            assert response.status_code < 500, (path, body[:40], response.status_code)
    # Still logged in: every request above was a member's or an admin's, not an anonymous refusal.
    assert web.get("/account").status_code == 200


def test_the_upload_endpoints_say_what_was_wrong(app, world):
    web, csrf = _browser(app, world["member"])
    base = f"/artists/band/releases/{world['ids']['release_id']}/uploads"
    expectations = {
        "[]": "must be a JSON object",
        DEEP: "nests deeper",
        '{"size": 1e309}': "too large",
        '{"size": NaN}': "NaN",
        '{"size": 18446744073709551616}': "The file size must be between",
        '{"size": 12.5}': "whole number",
    }
    for body, message in expectations.items():
        response = web.client.post(base, data=body, content_type="application/json",
                                   headers={"X-CSRFToken": csrf})
        assert response.status_code == 400 and message in response.get_json()["error"], body[:30]
    complete = f"{base}/{world['ids']['upload_id']}/complete"
    response = web.client.post(complete, json={"parts": [{"number": 10001, "etag": "x"}]},
                               headers={"X-CSRFToken": csrf})
    assert response.status_code == 400 and "A part number" in response.get_json()["error"]


def test_a_certificate_nested_too_deep_is_refused_on_the_verify_page(web):
    response = web.submit("/verify", {"certificate": DEEP})
    assert response.status_code == 422 and "This can" in response.get_data(as_text=True)
    assert web.get(f"/verify?release={2**64}").status_code == 200


@pytest.mark.parametrize("page", ["/review?label={}", "/admin/users?page={}", "/admin/events?page={}"])
def test_ids_beyond_any_column_in_the_query_string(app, world, page):
    web, _ = _browser(app, world["admin"])
    for bad in BAD_IDS:
        assert web.get(page.format(bad)).status_code < 500, (page, bad[:30])


def test_the_parser_keeps_ordinary_json():
    assert parse_json_text('{"size": 12, "name": "a [ b", "nested": [[{"x": 1.5}]]}') == {
        "size": 12, "name": "a [ b", "nested": [[{"x": 1.5}]],
    }
