"""The platform's Content Credentials (C2PA) signing identity: a certificate chain and its private key.

Production names the files it was issued (STOREFRONT_C2PA_CERTIFICATE_PATH and STOREFRONT_C2PA_KEY_PATH).
Elsewhere, on first use, the application makes a local CA, issues a signing certificate from it and keeps both
beside the platform key; the CA's private key is thrown away once it has signed, so nothing more can be
issued from it. C2PA readers then report the signer as unknown unless told to trust that local CA.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from ...audio.credentials import SigningCredential
from ...config import ConfigError, Settings

CERTIFICATE_SETTING = "STOREFRONT_C2PA_CERTIFICATE_PATH"
KEY_SETTING = "STOREFRONT_C2PA_KEY_PATH"
# First bytes of a chain file the application issued for itself (PEM readers skip text before a block).
SELF_ISSUED = b"Velvet issued this Content Credentials certificate itself"
LOCAL_ORGANIZATION = "Velvet (self-issued, development)"
# Extended key usages C2PA validators accept on a claim signer.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
C2PA_CLAIM_SIGNING = ObjectIdentifier("1.3.6.1.4.1.62558.2.1")
ACCEPTED_EKUS = {ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING, C2PA_CLAIM_SIGNING}
_CURVES = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
_PEM = serialization.Encoding.PEM
_LOCAL_CA_YEARS = 10
_LOCAL_SIGNER_YEARS = 5


class IdentityError(ValueError):
    """The certificate or key cannot sign Content Credentials; the message says what to change."""


@dataclass(frozen=True)
class C2paIdentity:
    certificates: tuple[x509.Certificate, ...]  # the signing certificate first
    key_pem: bytes
    algorithm: str
    self_issued: bool
    chain_path: str

    @property
    def leaf(self) -> x509.Certificate:
        return self.certificates[0]

    @property
    def chain_pem(self) -> bytes:
        return b"".join(cert.public_bytes(_PEM) for cert in self.certificates)

    @property
    def issuers_pem(self) -> str:
        """The chain's CA certificates: anchors under which a manifest can be checked to be ours."""
        return b"".join(cert.public_bytes(_PEM) for cert in self.certificates[1:]).decode("ascii")

    @property
    def credential(self) -> SigningCredential:
        return SigningCredential(self.chain_pem, self.key_pem, self.algorithm)

    def describe(self) -> str:
        leaf = self.leaf
        until = leaf.not_valid_after_utc.strftime("%Y-%m-%d")
        return f"{leaf.subject.rfc4514_string()}, serial {leaf.serial_number:x}, valid until {until}"


def _algorithm(key: PrivateKeyTypes) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _CURVES:
        return _CURVES[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return "ps256"
    raise IdentityError(
        f"{KEY_SETTING}: C2PA signs with Ed25519, ECDSA P-256/P-384/P-521 or RSA of 2048 bits or more, "
        f"not {type(key).__name__}"
    )


def _extension(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> object | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _check_leaf(leaf: x509.Certificate, key: PrivateKeyTypes, now: dt.datetime) -> None:
    """What C2PA validators refuse in a signing certificate, said before the first file is signed."""
    if leaf.public_key() != key.public_key():
        raise IdentityError(f"the key in {KEY_SETTING} is not the key of the first certificate in the chain")
    if leaf.issuer == leaf.subject:
        raise IdentityError("the signing certificate is self-signed; C2PA requires one issued by a CA")
    constraints = _extension(leaf, x509.BasicConstraints)
    if isinstance(constraints, x509.BasicConstraints) and constraints.ca:
        raise IdentityError("the first certificate in the chain is a CA; put the signing certificate first")
    usage = _extension(leaf, x509.KeyUsage)
    if not isinstance(usage, x509.KeyUsage) or not usage.digital_signature:
        raise IdentityError("the signing certificate lacks the digitalSignature key usage C2PA requires")
    purposes = _extension(leaf, x509.ExtendedKeyUsage)
    if not isinstance(purposes, x509.ExtendedKeyUsage) or not ACCEPTED_EKUS.intersection(purposes):
        raise IdentityError(
            "the signing certificate needs an extended key usage C2PA accepts: emailProtection, "
            "documentSigning or C2PA claim signing (1.3.6.1.4.1.62558.2.1)"
        )
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        raise IdentityError(
            f"the signing certificate is valid from {leaf.not_valid_before_utc:%Y-%m-%d} to "
            f"{leaf.not_valid_after_utc:%Y-%m-%d}, not now"
        )


def read_identity(chain_path: str, key_path: str, now: dt.datetime | None = None) -> C2paIdentity:
    """Read and check the chain and key; FileNotFoundError when either file is missing."""
    chain_bytes = Path(chain_path).read_bytes()
    key_bytes = Path(key_path).read_bytes()
    try:
        certificates = tuple(x509.load_pem_x509_certificates(chain_bytes))
    except ValueError as exc:
        raise IdentityError(
            f"{CERTIFICATE_SETTING}: {chain_path} holds no PEM certificates ({exc})"
        ) from None
    try:
        key = serialization.load_pem_private_key(key_bytes, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise IdentityError(
            f"{KEY_SETTING}: {key_path} is not an unencrypted PEM private key ({exc})"
        ) from None
    _check_leaf(certificates[0], key, now or dt.datetime.now(dt.UTC))
    return C2paIdentity(
        certificates=certificates,
        key_pem=key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        algorithm=_algorithm(key),
        self_issued=chain_bytes.startswith(SELF_ISSUED),
        chain_path=chain_path,
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, LOCAL_ORGANIZATION),
        ]
    )


def _usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ed25519.Ed25519PublicKey,
    signer: ed25519.Ed25519PrivateKey,
    valid: tuple[dt.datetime, dt.datetime],
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signer, None)


def issue_local(
    key: ed25519.Ed25519PrivateKey, now: dt.datetime
) -> tuple[x509.Certificate, x509.Certificate]:
    """A signing certificate for `key` and the one-off local CA that issued it (whose key is not kept)."""
    ca_key = ed25519.Ed25519PrivateKey.generate()
    host = socket.gethostname()[:40] or "localhost"
    ca_name, subject = _name(f"Velvet local C2PA CA ({host})"), _name(f"Velvet content credentials ({host})")
    start = now - dt.timedelta(minutes=5)
    ca = _certificate(
        ca_name,
        ca_name,
        ca_key.public_key(),
        ca_key,
        (start, now + dt.timedelta(days=365 * _LOCAL_CA_YEARS)),
        [(x509.BasicConstraints(ca=True, path_length=0), True), (_usage(signer=False), True)],
    )
    leaf = _certificate(
        subject,
        ca_name,
        key.public_key(),
        ca_key,
        (start, now + dt.timedelta(days=365 * _LOCAL_SIGNER_YEARS)),
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_usage(signer=True), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ],
    )
    return leaf, ca


def _write_once(target: str, data: bytes, mode: int) -> bool:
    """Put `data` at `target` unless a file is already there; False when another process got there first.
    Written to a private temporary file and linked into place, so nobody reads a half-written file."""
    directory = os.path.dirname(os.path.abspath(target))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".c2pa-", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _issue_at(chain_path: str, key_path: str) -> None:
    """Create what is missing of the local identity. Two processes starting together both end up reading
    the same files: each file is created by exactly one of them."""
    note = (
        SELF_ISSUED + f" on {socket.gethostname()} at {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}\n".encode()
    )
    if not os.path.exists(key_path):
        key = ed25519.Ed25519PrivateKey.generate()
        pem = key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        _write_once(key_path, note + pem, 0o600)
    if os.path.exists(chain_path):
        return
    loaded = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    if not isinstance(loaded, ed25519.Ed25519PrivateKey):
        raise IdentityError(f"{KEY_SETTING}: {key_path} is not the Ed25519 key this application issues")
    leaf, ca = issue_local(loaded, dt.datetime.now(dt.UTC))
    _write_once(chain_path, note + leaf.public_bytes(_PEM) + ca.public_bytes(_PEM), 0o644)


def load_identity(settings: Settings) -> C2paIdentity:
    """The identity in force. Outside production, a missing one at the default place is issued first;
    files named by the settings are only ever read."""
    chain_path, key_path = settings.resolved_c2pa_certificate_path, settings.resolved_c2pa_key_path
    configured = settings.c2pa_certificate_path or settings.c2pa_key_path
    if not settings.is_production and not configured:
        _issue_at(chain_path, key_path)
    try:
        return read_identity(chain_path, key_path)
    except FileNotFoundError as exc:
        raise IdentityError(f"{CERTIFICATE_SETTING} / {KEY_SETTING}: {exc.filename} does not exist") from None


def require_provided_identity(settings: Settings) -> None:
    """Production signs Content Credentials only with a certificate it was issued, never its own."""
    if not settings.is_production:
        return
    refusal = "Refusing to start with STOREFRONT_ENV=production: "
    try:
        identity = load_identity(settings)
    except (IdentityError, OSError) as exc:
        raise ConfigError(
            f"{refusal}the Content Credentials signing identity can't be used: {exc}."
        ) from None
    if identity.self_issued:
        raise ConfigError(
            f"{refusal}{CERTIFICATE_SETTING}: {identity.chain_path} was issued by the application itself. "
            "Use a certificate from a CA that C2PA validators trust, with its chain."
        )


def describe_identity(settings: Settings) -> list[tuple[str, str]]:
    """What `flask check` says of the Content Credentials certificate. Reads only; creates nothing."""
    chain_path, key_path = settings.resolved_c2pa_certificate_path, settings.resolved_c2pa_key_path
    try:
        identity = read_identity(chain_path, key_path)
    except FileNotFoundError:
        if settings.is_production:
            return [("certificate", f"NONE at {chain_path}: production refuses to start without one")]
        return [("certificate", f"none yet at {chain_path}; a local CA issues one at the first signing")]
    except (OSError, IdentityError) as exc:
        return [("certificate", f"UNUSABLE: {exc}")]
    issued = (
        "yes: a local CA made by the application (C2PA viewers show the signer as unknown; production "
        "refuses it)"
        if identity.self_issued
        else "no"
    )
    return [
        ("certificate", f"{identity.describe()} ({chain_path})"),
        ("algorithm", identity.algorithm),
        ("self-issued", issued),
    ]
