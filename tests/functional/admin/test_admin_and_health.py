"""The admin outbox, users and audit pages, and the health endpoint."""

from __future__ import annotations

import pytest

from storefront.health.cache import HealthCache
from storefront.mail.interfaces import MailHealth
from storefront.mail.outbox import OutboxTransport
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


@pytest.mark.usefixtures("chromaprint")
def test_health_reports_each_component(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "storage", "jobs", "payments", "mail", "screening"}
    assert all(part == {"ok": True, "status": "ok"} for part in body["components"].values())


def test_health_is_503_when_a_component_fails(make_app, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the storage directory should be")
    app = make_app(storage_dir=str(blocker / "storage"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["components"]["storage"] == {"ok": False, "status": "unavailable"}
    assert body["components"]["database"]["ok"] is True


def test_sandbox_is_marked_on_pages(client):
    assert "sandbox" in text_of(client.get("/"))


def test_health_details_are_for_admins_only(app, db, platform, client):
    anonymous = client.get("/healthz").get_json()
    assert all(set(part) == {"ok", "status"} for part in anonymous["components"].values())
    assert "sandbox" not in str(anonymous) and "local" not in str(anonymous)

    fan = make_user(db, platform)
    web = WebClient(app)
    web.login(fan.email, PASSWORD)
    assert set(web.get("/healthz").get_json()["components"]["storage"]) == {"ok", "status"}

    admin = make_user(db, platform, admin=True)
    web = WebClient(app)
    web.login(admin.email, PASSWORD)
    detailed = web.get("/healthz").get_json()["components"]
    assert detailed["payments"]["backend"] == "sandbox"
    assert detailed["storage"]["backend"] == "local"
    assert "outbox" in detailed["mail"]["detail"]
    assert "fingerprint" in detailed["screening"]["checks"]


class CountingMail(OutboxTransport):
    """The outbox, counting how often its health is asked for (an SMTP server's would be a connection)."""

    def __init__(self) -> None:
        self.checks = 0

    def check(self) -> MailHealth:
        self.checks += 1
        return super().check()


def test_anonymous_health_requests_probe_outside_services_once_per_window(client, platform, override_service):
    mail = CountingMail()
    platform.mail_transport = mail
    now = [100.0]
    override_service(HealthCache, HealthCache(ttl=10.0, clock=lambda: now[0]))

    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert mail.checks == 1
    now[0] += 9.9
    client.get("/healthz")
    assert mail.checks == 1
    now[0] += 0.2
    client.get("/healthz")
    assert mail.checks == 2
