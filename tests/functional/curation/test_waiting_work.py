"""Work that waits for people is found: queues with counts in the navigation, mail when something arrives,
and artists landing on a dashboard of their releases."""

from __future__ import annotations

import re

from sqlalchemy import event, select

from storefront.accounts.models import LabelStaff, MemberRole
from storefront.attestations.models import Attestation
from storefront.db import commit
from storefront.releases.models import Release, ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_label, make_user
from tests.factories.attestations import attestation_url, signable_release, signature_form
from tests.factories.releases import make_release
from tests.helpers import WebClient, fresh, mail_to, text_of


def _logged_in(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _nav(page: str) -> str:
    found = re.search(r'(?s)<nav class="site-nav".*?</nav>', page)
    assert found is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def _kinds(app, address: str) -> list[str]:
    return [message.kind for message in mail_to(app, address)]


def _in_review(db, artist, label=None, count: int = 1) -> None:
    for _ in range(count):
        release = make_release(db, artist)
        release.label_id = label.id if label else None
        release.status = ReleaseStatus.IN_REVIEW
    commit(db)


def test_the_queues_are_in_the_navigation_with_counts_for_staff_only(app, db, platform, tmp_path):
    lena = make_user(db, platform, email="lena@example.com")
    label = make_label(db, lena, name="Tidal", slug="tidal")
    ana = make_user(db, platform, email="ana@example.com")
    artist = make_artist(db, ana, name="Ana Ruiz", slug="ana-ruiz")
    release, _ = signable_release(db, artist, tmp_path, label=label)  # also puts Ana on Tidal's roster
    assert _logged_in(app, ana).submit(attestation_url(artist, release), signature_form()).status_code == 302
    _in_review(db, artist, label)
    elsewhere = make_artist(db, make_user(db, platform), slug="elsewhere")
    _in_review(db, elsewhere, count=2)

    staff_nav = _nav(text_of(_logged_in(app, lena).get("/")))
    assert "Review 1" in staff_nav and "Countersign 1" in staff_nav
    admin = _logged_in(app, make_user(db, platform, admin=True))
    assert "Review 3" in _nav(text_of(admin.get("/")))
    assert "Countersign" not in _nav(text_of(admin.get("/")))
    page = text_of(_logged_in(app, lena).get("/"))
    assert 'href="/review"' in page and 'href="/labels/tidal/attestations"' in page

    fan_nav = _nav(text_of(_logged_in(app, make_user(db, platform)).get("/")))
    anonymous_nav = _nav(text_of(WebClient(app).get("/")))
    for nav in (fan_nav, anonymous_nav):
        assert "Review" not in nav and "Countersign" not in nav


def test_the_counts_cost_one_query_each_whatever_is_waiting(app, db, platform):
    lena = make_user(db, platform, email="lena@example.com")
    label = make_label(db, lena, slug="tidal")
    artist = make_artist(db, make_user(db, platform), slug="kelp")
    from storefront.accounts.models import RosterLink
    from storefront.db import utcnow

    db.add(RosterLink(label=label, artist=artist, label_consent_at=utcnow(), artist_consent_at=utcnow()))
    commit(db)
    staff = _logged_in(app, lena)
    anonymous = WebClient(app)

    def statements(web: WebClient) -> int:
        ran: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            ran.append(statement)

        event.listen(platform.database.engine, "before_cursor_execute", count)
        try:
            assert web.get("/").status_code == 200
        finally:
            event.remove(platform.database.engine, "before_cursor_execute", count)
        return len(ran)

    _in_review(db, artist, label)
    staff_one, anonymous_one = statements(staff), statements(anonymous)
    _in_review(db, artist, label, count=4)
    assert "Review 5" in _nav(text_of(staff.get("/")))
    assert statements(staff) == staff_one
    assert statements(anonymous) == anonymous_one
    assert anonymous_one < staff_one  # nothing is counted for a visitor


def test_staff_are_mailed_when_an_attestation_or_a_release_waits_for_them(app, db, platform, tmp_path):
    lena = make_user(db, platform, email="lena@example.com")
    label = make_label(db, lena, name="Tidal", slug="tidal")
    omar = make_user(db, platform, email="omar@example.com")
    label.staff.append(LabelStaff(user=omar, role=MemberRole.MEMBER))
    make_user(db, platform, email="curator@example.com", admin=True)
    bystander = make_user(db, platform, email="fan@example.com")
    ana = make_user(db, platform, email="ana@example.com")
    artist = make_artist(db, ana, name="Ana Ruiz", slug="ana-ruiz")
    # Ana is on Tidal's staff as well: the label's word on her own release can't be hers.
    label.staff.append(LabelStaff(user=ana, role=MemberRole.MEMBER))
    commit(db)
    release, _ = signable_release(db, artist, tmp_path, label=label)
    artist_web = _logged_in(app, ana)

    assert artist_web.submit(attestation_url(artist, release), signature_form()).status_code == 302
    for address in ("lena@example.com", "omar@example.com"):
        assert _kinds(app, address) == ["countersign_waiting"]
    attestation = fresh(db).scalar(select(Attestation).where(Attestation.release_id == release.id))
    message = mail_to(app, "lena@example.com")[0]
    assert f"/labels/tidal/attestations/{attestation.id}/countersign" in message.text_body
    assert "Ana Ruiz" in message.text_body and release.title in message.subject
    assert "countersign_waiting" not in _kinds(app, "ana@example.com")
    assert _kinds(app, "curator@example.com") == []

    lena_web = _logged_in(app, lena)
    page = f"/labels/tidal/attestations/{attestation.id}/countersign"
    assert lena_web.submit(page, {"confirm": "y"}).status_code == 302
    base = f"/artists/ana-ruiz/releases/{release.id}"
    artist_web.submit(base, action=f"{base}/submit")
    assert fresh(db).get(Release, release.id).status == ReleaseStatus.IN_REVIEW

    for address in ("omar@example.com", "curator@example.com"):
        assert _kinds(app, address).count("review_waiting") == 1, address
    review = next(m for m in mail_to(app, "curator@example.com") if m.kind == "review_waiting")
    assert f"/review/releases/{release.id}" in review.text_body
    # Neither a member of the artist nor the countersigner may decide on it, so neither is asked to.
    assert "review_waiting" not in _kinds(app, "ana@example.com")
    assert "review_waiting" not in _kinds(app, "lena@example.com")
    assert _kinds(app, bystander.email) == []
    assert all(m.delivered_at is not None for m in mail_to(app, "curator@example.com"))


def test_artists_land_on_their_dashboard_and_fans_where_they_did(app, db, platform, tmp_path):
    ana = make_user(db, platform, email="ana@example.com")
    artist = make_artist(db, ana, name="Ana Ruiz", slug="ana-ruiz")
    draft = make_release(db, artist, title="Low Tide")
    on_sale = make_release(db, artist, title="High Water")
    on_sale.status = ReleaseStatus.APPROVED
    commit(db)

    landed = WebClient(app).login(ana.email, PASSWORD)
    assert landed.headers["Location"].endswith("/dashboard")
    web = WebClient(app)
    web.login(ana.email, PASSWORD)
    page = text_of(web.get("/dashboard"))
    assert "Ana Ruiz" in page and "Low Tide" in page and "High Water" in page
    assert f'href="/artists/ana-ruiz/releases/{draft.id}"' in page
    assert f'href="/artists/ana-ruiz/releases/{on_sale.id}"' in page
    assert "On sale" in page and "Add at least one track." in page and "Add the cover artwork." in page
    assert "My releases" in _nav(page)

    # A page asked for before logging in still comes first.
    asked = WebClient(app)
    response = asked.submit("/login", {"email": ana.email, "password": PASSWORD, "next": "/account"})
    assert response.headers["Location"].endswith("/account")

    fan = make_user(db, platform, email="fan@example.com")
    fan_landing = WebClient(app).login(fan.email, PASSWORD)
    assert fan_landing.headers["Location"] in ("/", "http://localhost/")
    fan_web = _logged_in(app, fan)
    assert "My releases" not in _nav(text_of(fan_web.get("/")))
    assert "not a member of an artist" in text_of(fan_web.get("/dashboard"))
    assert WebClient(app).get("/dashboard").status_code in (302, 401)
