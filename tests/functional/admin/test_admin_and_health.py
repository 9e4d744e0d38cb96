"""The admin outbox, users and audit pages, and the health endpoint."""

from __future__ import annotations

from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import WebClient, text_of


def test_admin_reads_the_outbox_in_the_browser(web, app, db, platform):
    admin = make_user(db, platform, admin=True)
    stranger = WebClient(app)
    stranger.submit("/password/forgot", {"email": admin.email})
    web.login(admin.email, PASSWORD)
    outbox = text_of(web.get("/admin/outbox"))
    assert "Reset your password" in outbox and admin.email in outbox
    message_path = outbox.split('href="/admin/outbox/', 1)[1].split('"', 1)[0]
    message = text_of(web.get(f"/admin/outbox/{message_path}"))
    assert "/password/reset/" in message and "kept" in message
    assert admin.email in text_of(web.get("/admin/users"))
    assert "user:password_reset_requested" in text_of(web.get("/admin/events"))
    filtered = text_of(web.get("/admin/outbox?to=nobody@example.com"))
    assert "No messages." in filtered


def test_fans_cannot_open_admin_pages(web, db, platform):
    fan = make_user(db, platform)
    web.login(fan.email, PASSWORD)
    for path in ("/admin/", "/admin/outbox", "/admin/users", "/admin/events", "/admin/outbox/1"):
        assert web.get(path).status_code == 403


def test_health_reports_each_component(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "storage", "jobs", "payments", "mail", "screening"}
    assert body["components"]["screening"]["checks"]["fingerprint"]["ok"] is True
    assert body["components"]["payments"]["backend"] == "sandbox"
    assert body["components"]["storage"]["backend"] == "local"


def test_health_is_503_when_a_component_fails(make_app, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the storage directory should be")
    app = make_app(storage_dir=str(blocker / "storage"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["components"]["storage"]["ok"] is False
    assert body["components"]["database"]["ok"] is True


def test_sandbox_is_marked_on_pages(client):
    assert "sandbox" in text_of(client.get("/"))


def test_health_says_when_screening_cannot_run(app, platform, client):
    from storefront.provenance.screening_catalog import ChromaprintFingerprinter

    platform.fingerprinter = ChromaprintFingerprinter(candidates=["/nonexistent/libchromaprint.so.1"])
    response = client.get("/healthz")
    assert response.status_code == 503
    screening = response.get_json()["components"]["screening"]
    assert screening["ok"] is False and "chromaprint" in screening["detail"].lower()
