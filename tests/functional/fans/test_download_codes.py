"""Download codes: an artist (or its label) makes, exports and revokes batches; a fan redeems a code once."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from storefront.accounts.models import RosterLink
from storefront.db import commit, utcnow
from storefront.events import AuditEvent
from storefront.fans.codes import ALPHABET, LENGTH, normalise
from storefront.fans.models import CodeBatch, DownloadCode
from storefront.orders.models import Entitlement, EntitlementSource
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh, text_of


def _signed_in(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _on_sale(db, artist, title: str = "Harbour Lights"):
    release = make_release(db, artist, title=title)
    release.status = ReleaseStatus.APPROVED
    release.approved_at = utcnow()
    commit(db)
    return release


def _shop(app, db, platform):
    owner = make_user(db, platform, name="Ana")
    artist = make_artist(db, owner, name="The Band", slug="the-band")
    release = _on_sale(db, artist)
    return owner, artist, release


def _make_batch(web: WebClient, release_id: int, **fields) -> object:
    page = f"/releases/{release_id}/codes"
    return web.submit(page, {"name": "Tour 2027", "count": "5", **fields})


def _codes(db, batch_id: int) -> list[str]:
    rows = fresh(db).scalars(select(DownloadCode.code).where(DownloadCode.batch_id == batch_id))
    return sorted(rows)


def _batch_id(response) -> int:
    match = re.search(r"/codes/(\d+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def _redeem(web: WebClient, code: str):
    return web.submit("/redeem", {"code": code})


# -- making, exporting and revoking ----------------------------------------------------------------------
def test_an_artist_member_makes_a_batch_of_unguessable_single_use_codes(app, db, platform) -> None:
    owner, _, release = _shop(app, db, platform)
    web = _signed_in(app, owner)
    made = _make_batch(web, release.id, count="25")
    assert made.status_code == 303
    batch_id = _batch_id(made)
    codes = _codes(db, batch_id)
    assert len(codes) == 25 and len(set(codes)) == 25
    for code in codes:
        raw = normalise(code)
        assert raw is not None and len(raw) == LENGTH >= 10 and set(raw) <= set(ALPHABET)
    # Stored for lookup as a digest, never looked up by the text itself.
    stored = fresh(db).scalars(select(DownloadCode.lookup).where(DownloadCode.batch_id == batch_id)).all()
    assert all(len(digest) == 64 and digest not in codes for digest in stored)
    page = text_of(web.get(f"/codes/{batch_id}"))
    assert "Tour 2027" in page and codes[0] in page and "0 of 25" not in page
    listing = text_of(web.get(f"/releases/{release.id}/codes"))
    assert "0 of 25" in listing and "active" in listing


def test_bad_batch_requests_are_refused_with_reasons(app, db, platform) -> None:
    owner, artist, release = _shop(app, db, platform)
    web = _signed_in(app, owner)
    for fields, message in (
        ({"count": "0"}, "between 1 and 1,000"),
        ({"count": "1001"}, "between 1 and 1,000"),
        ({"count": "lots"}, "Not a valid integer"),
        ({"name": "   "}, "Give the batch a name"),
        ({"name": "x" * 81}, "80 characters"),
        ({"expires_on": "2001-01-01"}, "last day must be in the future"),
        ({"expires_on": "not-a-day"}, "Not a valid date"),
    ):
        response = _make_batch(web, release.id, **fields)
        assert response.status_code == 422, fields
        assert message in text_of(response), (fields, text_of(response)[:3000])
    draft = make_release(db, artist, title="Unfinished")
    refused = _make_batch(web, draft.id)
    assert refused.status_code == 422 and "approved and on sale" in text_of(refused)
    assert fresh(db).scalar(select(func.count(CodeBatch.id))) == 0


def test_nobody_makes_or_sees_codes_of_someone_elses_release(app, db, platform) -> None:
    owner, _, release = _shop(app, db, platform)
    batch_id = _batch_id(_make_batch(_signed_in(app, owner), release.id))
    stranger = make_user(db, platform, name="Other artist")
    make_artist(db, stranger, name="Other Band", slug="other-band")
    web = _signed_in(app, stranger)
    assert web.get(f"/releases/{release.id}/codes").status_code == 404
    assert web.get(f"/codes/{batch_id}").status_code == 404
    assert web.get(f"/codes/{batch_id}.csv").status_code == 404
    token = web.token("/redeem")
    assert (
        web.post(
            f"/releases/{release.id}/codes", {"csrf_token": token, "name": "Mine", "count": "5"}
        ).status_code
        == 404
    )
    assert web.post(f"/codes/{batch_id}/revoke", {"csrf_token": token}).status_code == 404
    assert web.get("/releases/999999/codes").status_code == 404
    assert fresh(db).scalar(select(func.count(CodeBatch.id))) == 1
    assert fresh(db).get(CodeBatch, batch_id).revoked_at is None
    # Unverified or signed-out people are sent away before anything is read.
    assert WebClient(app).get(f"/codes/{batch_id}.csv").status_code == 302


def test_label_staff_manage_codes_only_while_the_artist_is_on_their_roster(app, db, platform) -> None:
    _owner, artist, release = _shop(app, db, platform)
    staff = make_user(db, platform, name="Label person")
    label = make_label(db, staff, name="Harbour Records", slug="harbour-records")
    release.label_id = label.id
    commit(db)
    web = _signed_in(app, staff)
    assert web.get(f"/releases/{release.id}/codes").status_code == 404  # no roster link yet
    link = RosterLink(label=label, artist=artist, label_consent_at=utcnow(), artist_consent_at=utcnow())
    db.add(link)
    commit(db)
    assert _make_batch(web, release.id).status_code == 303
    link.ended_at = utcnow()
    commit(db)
    assert web.get(f"/releases/{release.id}/codes").status_code == 404
    # Staff of another label never get in.
    other = make_user(db, platform)
    make_label(db, other)
    assert _signed_in(app, other).get(f"/releases/{release.id}/codes").status_code == 404


def test_the_csv_lists_each_code_its_state_and_is_safe_to_open(app, db, platform) -> None:
    owner, _, release = _shop(app, db, platform)
    web = _signed_in(app, owner)
    batch_id = _batch_id(_make_batch(web, release.id, name="=HYPERLINK(evil)", count="3"))
    first = _codes(db, batch_id)[0]
    fan = make_user(db, platform, name="Fan")
    assert _redeem(_signed_in(app, fan), first).status_code == 303

    response = web.get(f"/codes/{batch_id}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text_of(response))))
    assert rows[0] == ["code", "release", "batch", "status", "redeemed_at"]
    body = {row[0]: row for row in rows[1:]}
    assert sorted(body) == _codes(db, batch_id)
    assert body[first][3] == "redeemed" and body[first][4].startswith(str(utcnow().year))
    assert all(row[2] == "'=HYPERLINK(evil)" for row in rows[1:])
    assert [row[3] for code, row in body.items() if code != first] == ["unused", "unused"]


def test_revoking_stops_unused_codes_and_keeps_redeemed_downloads(app, db, platform) -> None:
    owner, _, release = _shop(app, db, platform)
    web = _signed_in(app, owner)
    batch_id = _batch_id(_make_batch(web, release.id, count="2"))
    used, unused = _codes(db, batch_id)
    fan = make_user(db, platform, name="Fan")
    fan_web = _signed_in(app, fan)
    assert _redeem(fan_web, used).status_code == 303

    revoked = web.submit(f"/codes/{batch_id}", action=f"/codes/{batch_id}/revoke")
    assert revoked.status_code == 303
    again = web.submit(f"/codes/{batch_id}", action=f"/codes/{batch_id}/revoke")
    assert again.status_code == 303 and fresh(db).get(CodeBatch, batch_id).revoked_at is not None
    assert "revoked" in text_of(web.get(f"/releases/{release.id}/codes"))

    other = _signed_in(app, make_user(db, platform, name="Late fan"))
    refused = _redeem(other, unused)
    assert refused.status_code == 422 and "withdrawn by the artist" in text_of(refused)
    # The fan who redeemed before keeps the release and its downloads.
    assert f"/downloads/{release.id}" in text_of(fan_web.get("/collection"))


# -- redeeming -------------------------------------------------------------------------------------------
def test_a_fan_redeems_a_code_and_finds_the_release_in_the_collection(app, db, platform) -> None:
    owner, _, release = _shop(app, db, platform)
    batch_id = _batch_id(_make_batch(_signed_in(app, owner), release.id, count="1"))
    (code,) = _codes(db, batch_id)
    fan = make_user(db, platform, name="Fan")
    web = _signed_in(app, fan)
    # Typed by hand: lower case, spaces instead of dashes.
    redeemed = _redeem(web, " " + code.lower().replace("-", " ") + " ")
    assert redeemed.status_code == 303 and redeemed.headers["Location"].endswith("/collection")
    collection = web.get("/collection")
    assert "Harbour Lights" in text_of(collection) and f"/downloads/{release.id}" in text_of(collection)
    assert web.get(f"/downloads/{release.id}").status_code == 200
    right = fresh(db).scalar(select(Entitlement).where(Entitlement.user_id == fan.id))
    assert right is not None and right.source == EntitlementSource.CODE and right.track_id is None
    stored = fresh(db).scalar(select(DownloadCode).where(DownloadCode.batch_id == batch_id))
    assert stored.redeemed_by_id == fan.id and stored.entitlement_id == right.id
    assert fresh(db).scalar(select(AuditEvent.tag).where(AuditEvent.tag == "codes:redeemed"))
    assert "1 of 1" in text_of(_signed_in(app, owner).get(f"/releases/{release.id}/codes"))


def test_reused_expired_unknown_and_malformed_codes_get_clear_messages(app, db, platform) -> None:
    owner, _, release = _shop(app, db, platform)
    batch_id = _batch_id(_make_batch(_signed_in(app, owner), release.id, count="3"))
    first, second, third = _codes(db, batch_id)
    fan = _signed_in(app, make_user(db, platform, name="Fan"))
    other = _signed_in(app, make_user(db, platform, name="Other fan"))
    assert _redeem(fan, first).status_code == 303

    cases = [
        (other, first, "already been used"),
        (fan, first, "already redeemed this code"),
        (fan, second, "already in your collection"),  # a second code for a release the fan holds
        (other, "ABCD-EFGH-JKMN", "does not exist"),
        (other, "ABCD", "12 letters and digits"),
        (other, "O0O0-I1I1-LLLL", "12 letters and digits"),
        (other, "", "Type the code"),
        (other, "A" * 5000, "12 letters and digits"),
    ]
    for web, typed, message in cases:
        response = _redeem(web, typed)
        assert response.status_code == 422, typed
        assert message in text_of(response), (typed, text_of(response)[:2000])
    assert fresh(db).scalar(select(DownloadCode.redeemed_at).where(DownloadCode.code == second)) is None

    batch = fresh(db).get(CodeBatch, batch_id)
    batch.expires_at = utcnow() - timedelta(minutes=1)
    commit(db)
    expired = _redeem(other, third)
    assert expired.status_code == 422 and "expired on" in text_of(expired)


def test_a_taken_down_release_refuses_redemption(app, db, platform) -> None:
    owner, _, release = _shop(app, db, platform)
    batch_id = _batch_id(_make_batch(_signed_in(app, owner), release.id, count="1"))
    (code,) = _codes(db, batch_id)
    fresh(db).get(type(release), release.id).status = ReleaseStatus.TAKEN_DOWN
    commit(db)
    fan = make_user(db, platform, name="Fan")
    response = _redeem(_signed_in(app, fan), code)
    assert response.status_code == 422 and "no longer available" in text_of(response)
    assert fresh(db).scalar(select(func.count(Entitlement.id))) == 0


def test_a_guest_signs_in_first_and_finds_the_code_kept(app, db, platform) -> None:
    owner, _, release = _shop(app, db, platform)
    (code,) = _codes(db, _batch_id(_make_batch(_signed_in(app, owner), release.id, count="1")))
    guest = WebClient(app)
    asked = _redeem(guest, code)
    assert asked.status_code == 303 and "/login" in asked.headers["Location"]
    assert fresh(db).scalar(select(DownloadCode.redeemed_at)) is None  # nothing looked up for a guest
    fan = make_user(db, platform, name="Fan")
    logged_in = guest.submit(
        "/login?next=/redeem", {"email": fan.email, "password": PASSWORD, "next": "/redeem"}
    )
    assert logged_in.headers["Location"].endswith("/redeem")
    page = text_of(guest.get("/redeem"))
    assert f'value="{code}"' in page
    redeemed = _redeem(guest, code)
    assert redeemed.status_code == 303
    # The kept code is forgotten once used.
    assert any(c.startswith("velvet_code=;") for c in redeemed.headers.getlist("Set-Cookie"))
    assert code not in text_of(guest.get("/redeem"))
    # A forged cookie is ignored.
    other = WebClient(app)
    other.client.set_cookie("velvet_code", "ABCD-EFGH-JKMN", path="/redeem")
    assert "ABCD-EFGH-JKMN" not in text_of(other.get("/redeem"))


def test_redeeming_is_rate_limited_per_account_with_a_readable_429(app, db, platform) -> None:
    fan = make_user(db, platform, name="Fan")
    web = _signed_in(app, fan)
    for _ in range(10):
        assert _redeem(web, "ABCD-EFGH-JKMN").status_code == 422
    limited = _redeem(web, "ABCD-EFGH-JKMN")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "Try again in about" in text_of(limited) and "Download code" in text_of(limited)
    # Another account from another address is not held back by this one's attempts.
    other = _signed_in(app, make_user(db, platform, name="Other"))
    assert _redeem(other, "ABCD-EFGH-JKMN").status_code == 422
