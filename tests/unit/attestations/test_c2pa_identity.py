"""The Content Credentials signing identity: issued locally and marked, or provided and checked; production
takes only a provided one."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from storefront.attestations.signing.credentials import (
    IdentityError,
    describe_identity,
    load_identity,
    read_identity,
    require_provided_identity,
)
from storefront.config import ConfigError, Settings
from tests.factories.provenance import ThrowawayCA

NOW = dt.datetime.now(dt.UTC)
PEM = serialization.Encoding.PEM


def _provided(tmp_path: Path, ca: ThrowawayCA | None = None, **changes: object) -> Settings:
    chain, key = (ca or ThrowawayCA.create()).install(tmp_path / "provided")
    return Settings(
        instance_dir=str(tmp_path / "instance"), c2pa_certificate_path=str(chain), c2pa_key_path=str(key)
    ).with_overrides(**changes)


def _leaf(
    tmp_path: Path,
    *,
    usages: list[x509.ObjectIdentifier] | None = None,
    signer: bool = True,
    self_signed: bool = False,
    days: tuple[int, int] = (-1, 30),
) -> tuple[Path, Path]:
    """A chain and key with one thing changed from what C2PA accepts."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test signer")])
    issuer, signing_key = (subject, key) if self_signed else (ca_name, ca_key)
    flags = dict.fromkeys(
        (
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + dt.timedelta(days=days[0]))
        .not_valid_after(NOW + dt.timedelta(days=days[1]))
        .add_extension(x509.KeyUsage(digital_signature=signer, **flags), critical=True)
    )
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    leaf = builder.sign(signing_key, hashes.SHA256())
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "chain.pem").write_bytes(leaf.public_bytes(PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "chain.pem", folder / "key.pem"


def test_the_embedded_default_issues_a_local_ca_once_and_marks_it_self_issued(tmp_path: Path) -> None:
    settings = Settings(instance_dir=str(tmp_path), platform_key_path=str(tmp_path / "keys" / "platform.pem"))
    assert "none yet" in dict(describe_identity(settings))["certificate"]

    first, again = load_identity(settings), load_identity(settings)
    assert first.self_issued and first.algorithm == "ed25519"
    assert first.chain_pem == again.chain_pem and first.key_pem == again.key_pem  # issued once, then read
    chain, key = Path(settings.resolved_c2pa_certificate_path), Path(settings.resolved_c2pa_key_path)
    assert chain.parent == tmp_path / "keys" and key.parent == tmp_path / "keys"  # beside the platform key
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    leaf, ca = first.certificates
    assert leaf.issuer == ca.subject and ca.subject == ca.issuer
    assert (
        ExtendedKeyUsageOID.EMAIL_PROTECTION
        in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    assert first.issuers_pem == ca.public_bytes(PEM).decode()

    rows = dict(describe_identity(settings))
    assert rows["self-issued"].startswith("yes") and "production refuses it" in rows["self-issued"]
    assert f"{leaf.serial_number:x}" in rows["certificate"]


def test_a_provided_chain_is_read_as_given_and_never_replaced(tmp_path: Path) -> None:
    settings = _provided(tmp_path)
    identity = load_identity(settings)
    assert not identity.self_issued and identity.algorithm == "es256"
    assert dict(describe_identity(settings))["self-issued"] == "no"
    require_provided_identity(settings.with_overrides(env="production"))

    missing = settings.with_overrides(c2pa_certificate_path=str(tmp_path / "absent.pem"))
    with pytest.raises(IdentityError, match=r"absent\.pem does not exist"):
        load_identity(missing)
    assert not (tmp_path / "absent.pem").exists()


def test_production_refuses_a_missing_or_self_issued_identity_naming_the_setting(tmp_path: Path) -> None:
    production = Settings(instance_dir=str(tmp_path), env="production")
    with pytest.raises(ConfigError, match="STOREFRONT_C2PA_CERTIFICATE_PATH"):
        require_provided_identity(production)
    assert not Path(production.resolved_c2pa_key_path).exists()  # production never issues its own

    development = Settings(instance_dir=str(tmp_path))
    load_identity(development)  # what a development run leaves behind
    reused = development.with_overrides(
        env="production",
        c2pa_certificate_path=development.resolved_c2pa_certificate_path,
        c2pa_key_path=development.resolved_c2pa_key_path,
    )
    with pytest.raises(ConfigError, match="issued by the application itself"):
        require_provided_identity(reused)
    assert (
        "NONE"
        in dict(describe_identity(production.with_overrides(instance_dir=str(tmp_path / "x"))))["certificate"]
    )


def test_a_key_that_is_not_the_certificates_is_refused(tmp_path: Path) -> None:
    settings = _provided(tmp_path)
    other_chain, _ = ThrowawayCA.create().install(tmp_path / "other")
    with pytest.raises(IdentityError, match="not the key of the first certificate"):
        load_identity(settings.with_overrides(c2pa_certificate_path=str(other_chain)))


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"usages": None}, "extended key usage"),
        ({"usages": [ExtendedKeyUsageOID.SERVER_AUTH]}, "extended key usage"),
        ({"usages": [ExtendedKeyUsageOID.EMAIL_PROTECTION], "signer": False}, "digitalSignature"),
        ({"usages": [ExtendedKeyUsageOID.EMAIL_PROTECTION], "self_signed": True}, "self-signed"),
        ({"usages": [ExtendedKeyUsageOID.EMAIL_PROTECTION], "days": (-30, -1)}, "not now"),
    ],
)
def test_a_certificate_c2pa_validators_would_refuse_is_refused_first(tmp_path, changes, said) -> None:
    chain, key = _leaf(tmp_path, **changes)
    with pytest.raises(IdentityError, match=said):
        read_identity(str(chain), str(key))


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "chain.pem").write_text("not a certificate")
    (tmp_path / "key.pem").write_text("not a key")
    with pytest.raises(IdentityError, match="STOREFRONT_C2PA_CERTIFICATE_PATH"):
        read_identity(str(tmp_path / "chain.pem"), str(tmp_path / "key.pem"))
    settings = _provided(tmp_path)
    with pytest.raises(IdentityError, match="STOREFRONT_C2PA_KEY_PATH"):
        read_identity(settings.c2pa_certificate_path, str(tmp_path / "key.pem"))
