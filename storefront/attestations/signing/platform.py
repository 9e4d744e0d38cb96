"""The platform's Ed25519 key: countersigning canonical attestation documents and verifying them."""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import re
import socket
import stat
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from storefront.attestations.canonical import CanonicalJsonError, canonical_bytes, sha256_hex

ALGORITHM = "Ed25519"
_SIGNATURE_BYTES = 64
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw
# First bytes of a key file the application wrote for itself because none was provided.
SELF_GENERATED = b"Velvet generated this platform key itself"
log = logging.getLogger(__name__)

PublicKeyInput = Ed25519PublicKey | bytes | Mapping[str, str]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    # The standard decoder silently drops characters outside the alphabet; a signature must not.
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of the SHA-256 of the raw 32-byte public key."""
    return sha256_hex(public_key.public_bytes(*_RAW))[:16]


@dataclass(frozen=True)
class Signature:
    alg: str
    kid: str
    value_b64url: str

    def to_dict(self) -> dict[str, str]:
        return {"alg": self.alg, "kid": self.kid, "value": self.value_b64url}

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> Signature:
        return cls(alg=str(data["alg"]), kid=str(data["kid"]), value_b64url=str(data["value"]))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    reason: str


class PlatformKey:
    """An Ed25519 private key with the operations the certificate pages and attestations need."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self.public_key = private_key.public_key()
        self.kid = key_id(self.public_key)

    @classmethod
    def generate(cls) -> PlatformKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes, password: bytes | None = None) -> PlatformKey:
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise ValueError(f"not a PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"the platform key must be Ed25519, not {type(key).__name__}")
        return cls(key)

    def private_pem(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_jwk(self) -> dict[str, str]:
        """RFC 8037 OKP key, published so a certificate can be checked without trusting the web page."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(self.public_key.public_bytes(*_RAW)),
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }

    def sign(self, document: Mapping[str, object]) -> Signature:
        return Signature(ALGORITHM, self.kid, _b64url(self._private.sign(canonical_bytes(document))))


def public_key_from_jwk(jwk: Mapping[str, str]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("JWK is not an OKP Ed25519 key")
    try:
        raw = _b64url_decode(str(jwk["x"]))
        key = Ed25519PublicKey.from_public_bytes(raw)
    except (KeyError, ValueError, binascii.Error) as exc:
        raise ValueError(f"JWK has no valid 'x': {exc}") from exc
    if "kid" in jwk and jwk["kid"] != key_id(key):
        raise ValueError("JWK 'kid' does not match its key")
    return key


def _public_key(value: PublicKeyInput) -> Ed25519PublicKey:
    if isinstance(value, Ed25519PublicKey):
        return value
    if isinstance(value, bytes):
        key = serialization.load_pem_public_key(value)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"not an Ed25519 public key: {type(key).__name__}")
        return key
    return public_key_from_jwk(value)


def verify_document(
    document: Mapping[str, object],
    signature: Signature,
    public_key: PublicKeyInput | Sequence[PublicKeyInput],
) -> VerifyResult:
    """Check a platform signature over the canonical form of `document`.

    `public_key` may be one key or every published key (PEM bytes, JWK or key object); the signature's
    kid picks which one, so old certificates still verify after a key rotation.
    """
    if signature.alg != ALGORITHM:
        return VerifyResult(False, f"unsupported signature algorithm {signature.alg!r}")
    candidates = (
        list(public_key)
        if isinstance(public_key, Sequence) and not isinstance(public_key, bytes)
        else [public_key]
    )
    keys: dict[str, Ed25519PublicKey] = {}
    for candidate in candidates:
        try:
            resolved = _public_key(candidate)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            return VerifyResult(False, f"public key is not usable: {exc}")
        keys[key_id(resolved)] = resolved
    key = keys.get(signature.kid)
    if key is None:
        return VerifyResult(False, f"unknown key id {signature.kid!r}")
    try:
        raw = _b64url_decode(signature.value_b64url)
    except (ValueError, binascii.Error):
        return VerifyResult(False, "signature value is not base64url")
    if len(raw) != _SIGNATURE_BYTES:
        return VerifyResult(False, f"signature value has {len(raw)} bytes, not {_SIGNATURE_BYTES}")
    try:
        message = canonical_bytes(document)
    except CanonicalJsonError as exc:
        return VerifyResult(False, f"document has no canonical form: {exc}")
    try:
        key.verify(raw, message)
    except InvalidSignature:
        return VerifyResult(False, "signature does not match the document")
    return VerifyResult(True, "signature valid")


def self_generated_note() -> bytes:
    """The line put before the PEM of a key the application made for itself (PEM readers skip it)."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return SELF_GENERATED + f" on {socket.gethostname()} at {when}\n".encode()


def is_self_generated(path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(SELF_GENERATED)) == SELF_GENERATED


def read_key(path: str | os.PathLike[str]) -> PlatformKey:
    """Read an existing key file; FileNotFoundError when there is none."""
    return _read_key(os.fspath(path))


def replace_key(path: str | os.PathLike[str], key: PlatformKey, *, self_made: bool = False) -> None:
    """Put `key` in place of the key file in one step (mode 0600): a reader sees the old key or the new.
    `self_made` marks a key the application generated, as production refuses those."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".platform-key-", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write((self_generated_note() if self_made else b"") + key.private_pem())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        _fsync_directory(directory)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def load_or_create_key(path: str | os.PathLike[str]) -> PlatformKey:
    """Read the key file, creating it (mode 0600) first if absent; a created key is marked as
    self-generated, which production refuses.

    The new key is written to a private temporary file and hard-linked into place: linking never replaces
    an existing file, so when two processes start together exactly one key wins and both return it.
    """
    target = os.fspath(path)
    with contextlib.suppress(FileNotFoundError):
        return _read_key(target)
    directory = os.path.dirname(os.path.abspath(target))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    key = PlatformKey.generate()
    fd, tmp = tempfile.mkstemp(prefix=".platform-key-", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self_generated_note() + key.private_pem())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, target)
            _fsync_directory(directory)
        except FileExistsError:
            return _read_key(target)
        except OSError:
            # Filesystems without hard links: exclusive create still lets only one process win; a reader
            # that arrives mid-write retries in _read_key.
            return _create_exclusive(target, key)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return key


def _fsync_directory(directory: str) -> None:
    # The new name must survive a crash too, not only the key bytes behind it.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_exclusive(target: str, key: PlatformKey) -> PlatformKey:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(target)
    with os.fdopen(fd, "wb") as handle:
        handle.write(self_generated_note() + key.private_pem())
    return key


def _read_key(target: str, attempts: int = 20) -> PlatformKey:
    for attempt in range(attempts):
        with open(target, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            data = handle.read()
        try:
            key = PlatformKey.from_pem(data)
        except ValueError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("platform key %s is open to other users (mode %o); use 0600", target, mode & 0o777)
        return key
    raise AssertionError("unreachable")
