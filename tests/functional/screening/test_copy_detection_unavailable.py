"""Without Chromaprint: the embedded site runs and says copy detection is off; production refuses to start."""

from __future__ import annotations

import pytest

from storefront import create_app
from storefront.attestations.signing.platform import PlatformKey
from storefront.config import ConfigError, Settings
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.provenance import ThrowawayCA
from tests.factories.releases import make_release
from tests.helpers import WebClient, text_of
from tests.unit.test_config import SAFE_PRODUCTION

# A library path that cannot load, so these tests prove the degraded behaviour where Chromaprint is installed.
MISSING = "/nonexistent/libchromaprint.so.1"


@pytest.fixture
def unscreened(make_app):
    return make_app(chromaprint_library=MISSING)


def _admin(app, db, platform) -> WebClient:
    admin = make_user(db, platform, admin=True)
    web = WebClient(app)
    web.login(admin.email, PASSWORD)
    return web


def test_health_is_degraded_but_the_site_stays_up(unscreened, db):
    platform = unscreened.extensions["storefront"]
    response = unscreened.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["components"]["screening"] == {"ok": False, "status": "degraded"}
    assert body["components"]["database"] == {"ok": True, "status": "ok"}

    details = _admin(unscreened, db, platform).get("/healthz").get_json()["components"]["screening"]
    assert details["checks"]["fingerprint"]["ok"] is False
    assert "libchromaprint missing" in details["detail"] and "libchromaprint1" in details["detail"]


def test_the_curator_is_told_copy_detection_did_not_run(unscreened, db):
    platform = unscreened.extensions["storefront"]
    artist = make_artist(db, make_user(db, platform))
    release = make_release(db, artist, tracks=1)
    page = text_of(_admin(unscreened, db, platform).get(f"/review/releases/{release.id}"))
    assert "Copy detection is unavailable on this server" in page
    assert "not compared with the catalog" in page


def test_the_curator_sees_no_such_notice_when_fingerprints_work(make_app, db, chromaprint):
    app = make_app()
    platform = app.extensions["storefront"]
    release = make_release(db, make_artist(db, make_user(db, platform)), tracks=1)
    page = text_of(_admin(app, db, platform).get(f"/review/releases/{release.id}"))
    assert "Copy detection is unavailable" not in page


def test_flask_check_says_copy_detection_is_unavailable(unscreened):
    result = unscreened.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output  # the embedded site can run without it
    assert "[WARN] screening" in result.output and "libchromaprint missing" in result.output
    assert "Copy detection is UNAVAILABLE" in result.output and "libchromaprint1" in result.output
    assert "[ok  ] database" in result.output and "[ok  ] storage" in result.output


def test_production_refuses_to_start_without_chromaprint(tmp_path):
    key = tmp_path / "platform.pem"  # every other production requirement met, so only Chromaprint is missing
    key.write_bytes(PlatformKey.generate().private_pem())
    key.chmod(0o600)
    chain, c2pa_key = ThrowawayCA.create().install(tmp_path / "c2pa")
    settings = Settings.from_env(
        {
            **SAFE_PRODUCTION,
            "STOREFRONT_PLATFORM_KEY_PATH": str(key),
            "STOREFRONT_C2PA_CERTIFICATE_PATH": str(chain),
            "STOREFRONT_C2PA_KEY_PATH": str(c2pa_key),
            "STOREFRONT_CHROMAPRINT_LIBRARY": MISSING,
            "STOREFRONT_INSTANCE_DIR": str(tmp_path / "instance"),
        }
    )
    with pytest.raises(ConfigError) as refused:
        create_app(settings)
    message = str(refused.value)
    assert "STOREFRONT_ENV=production" in message and "Chromaprint" in message
    assert "libchromaprint1" in message and "STOREFRONT_CHROMAPRINT_LIBRARY" in message
    assert not (tmp_path / "instance").exists()  # refused before anything was set up
