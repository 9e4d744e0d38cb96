"""`flask check` says whether the Content Credentials certificate is self-issued; production refuses to start
without a provided one."""

from __future__ import annotations

import pytest

from storefront import create_app
from storefront.attestations.signing.credentials import load_identity
from storefront.attestations.signing.platform import PlatformKey
from storefront.config import ConfigError, Settings
from tests.factories.provenance import ThrowawayCA
from tests.unit.test_config import SAFE_PRODUCTION


def _check(app) -> str:
    result = app.test_cli_runner().invoke(args=["check"])
    assert "Content Credentials (C2PA) signing certificate" in result.output, result.output
    return str(result.output)


def test_check_reports_a_self_issued_certificate_and_a_provided_one(make_app, tmp_path):
    app = make_app()
    settings = app.extensions["storefront"].settings
    assert "a local CA issues one at the first signing" in _check(app)

    issued = load_identity(settings)
    output = _check(app)
    assert f"serial {issued.leaf.serial_number:x}" in output
    assert "self-issued" in output and "yes: a local CA made by the application" in output

    chain, key = ThrowawayCA.create().install(tmp_path / "provided")
    provided = _check(make_app(c2pa_certificate_path=str(chain), c2pa_key_path=str(key)))
    assert "Velvet Test Signer" in provided and "yes: a local CA" not in provided


def _production(tmp_path, **c2pa: str) -> Settings:
    key = tmp_path / "platform.pem"
    key.write_bytes(PlatformKey.generate().private_pem())
    key.chmod(0o600)
    environ = {**SAFE_PRODUCTION, "STOREFRONT_PLATFORM_KEY_PATH": str(key)}
    environ.update({f"STOREFRONT_C2PA_{name.upper()}": value for name, value in c2pa.items()})
    return Settings.from_env({k: v for k, v in environ.items() if v})


def test_production_refuses_to_start_without_a_provided_certificate(tmp_path):
    with pytest.raises(ConfigError, match="STOREFRONT_C2PA_CERTIFICATE_PATH"):
        _production(tmp_path, certificate_path="", key_path="")

    absent = _production(
        tmp_path, certificate_path=str(tmp_path / "chain.pem"), key_path=str(tmp_path / "k.pem")
    )
    with pytest.raises(ConfigError, match="signing identity can't be used") as refused:
        create_app(absent)
    assert "does not exist" in str(refused.value) and not (tmp_path / "chain.pem").exists()

    development = Settings(instance_dir=str(tmp_path / "dev"))
    load_identity(development)
    self_issued = _production(
        tmp_path,
        certificate_path=development.resolved_c2pa_certificate_path,
        key_path=development.resolved_c2pa_key_path,
    )
    with pytest.raises(ConfigError, match="issued by the application itself"):
        create_app(self_issued)
