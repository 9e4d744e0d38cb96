"""The platform's Ed25519 key: signing, verifying with clear reasons, and creating the key file safely."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from storefront.attestations.signing.platform import (
    PlatformKey,
    PublicKeyInput,
    Signature,
    VerifyResult,
    load_or_create_key,
    public_key_from_jwk,
    verify_document,
)

DOC = {"policy": "HM-1", "release": {"title": "Slow Tide", "masters": ["ab" * 32]}, "signer": "artist:42"}


@pytest.fixture(scope="module")
def key() -> PlatformKey:
    return PlatformKey.generate()


def test_signature_verifies_with_the_public_key(key: PlatformKey) -> None:
    signature = key.sign(DOC)
    assert signature.alg == "Ed25519"
    assert signature.kid == key.kid
    assert "=" not in signature.value_b64url
    assert verify_document(DOC, signature, key.public_pem()) == VerifyResult(True, "signature valid")


def test_member_order_does_not_matter(key: PlatformKey) -> None:
    reordered = {"signer": "artist:42", "release": {"masters": ["ab" * 32], "title": "Slow Tide"},
                 "policy": "HM-1"}
    assert verify_document(reordered, key.sign(DOC), key.public_key).ok


def test_any_change_to_the_document_breaks_the_signature(key: PlatformKey) -> None:
    signature = key.sign(DOC)
    changed = {**DOC, "release": {"title": "Slow Tide", "masters": ["cd" * 32]}}
    assert verify_document(changed, signature, key.public_pem()) == VerifyResult(
        False, "signature does not match the document")


def test_a_different_key_is_an_unknown_key_id(key: PlatformKey) -> None:
    other = PlatformKey.generate()
    result = verify_document(DOC, key.sign(DOC), other.public_pem())
    assert not result.ok
    assert result.reason == f"unknown key id {key.kid!r}"


def test_forged_kid_with_another_keys_signature_does_not_verify(key: PlatformKey) -> None:
    other = PlatformKey.generate()
    forged = Signature("Ed25519", key.kid, other.sign(DOC).value_b64url)
    assert verify_document(DOC, forged, key.public_key).reason == "signature does not match the document"


def test_every_published_key_is_accepted_after_rotation(key: PlatformKey) -> None:
    newer = PlatformKey.generate()
    published: list[PublicKeyInput] = [key.public_jwk(), newer.public_pem()]
    assert verify_document(DOC, key.sign(DOC), published).ok
    assert verify_document(DOC, newer.sign(DOC), published).ok


def test_malformed_signatures_have_clear_reasons(key: PlatformKey) -> None:
    good = key.sign(DOC)
    assert verify_document(DOC, Signature("RS256", good.kid, good.value_b64url), key.public_key).reason == (
        "unsupported signature algorithm 'RS256'")
    assert verify_document(DOC, Signature("Ed25519", good.kid, "***"), key.public_key).reason == (
        "signature value is not base64url")
    short = base64.urlsafe_b64encode(b"x" * 10).rstrip(b"=").decode()
    assert verify_document(DOC, Signature("Ed25519", good.kid, short), key.public_key).reason == (
        "signature value has 10 bytes, not 64")
    floaty = verify_document({"gain": 0.5}, good, key.public_key)
    assert not floaty.ok and floaty.reason.startswith("document has no canonical form")


def test_jwk_describes_the_key(key: PlatformKey) -> None:
    jwk = key.public_jwk()
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["use"] == "sig"
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    assert len(raw) == 32
    assert jwk["kid"] == hashlib.sha256(raw).hexdigest()[:16] == key.kid
    assert verify_document(DOC, key.sign(DOC), jwk).ok


def test_jwk_whose_kid_does_not_match_is_refused(key: PlatformKey) -> None:
    jwk = {**key.public_jwk(), "kid": "0000000000000000"}
    with pytest.raises(ValueError, match="kid"):
        public_key_from_jwk(jwk)
    assert verify_document(DOC, key.sign(DOC), jwk).reason.startswith("public key is not usable")


def test_pem_round_trip_keeps_the_key(key: PlatformKey) -> None:
    again = PlatformKey.from_pem(key.private_pem())
    assert again.kid == key.kid
    assert verify_document(DOC, again.sign(DOC), key.public_pem()).ok
    assert key.public_pem().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_only_ed25519_private_keys_are_accepted() -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(ValueError, match="Ed25519"):
        PlatformKey.from_pem(ec_pem)
    with pytest.raises(ValueError, match="PEM"):
        PlatformKey.from_pem(b"not a key")


def test_signature_dict_round_trip(key: PlatformKey) -> None:
    signature = key.sign(DOC)
    assert Signature.from_dict(signature.to_dict()) == signature


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "platform-key.pem"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path).kid == first.kid
    assert [p.name for p in path.parent.iterdir()] == ["platform-key.pem"]  # no temporary files left


def test_loose_permissions_are_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "platform-key.pem"
    path.write_bytes(PlatformKey.generate().private_pem())
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        load_or_create_key(path)
    assert "0600" in caplog.text


def test_threads_racing_to_create_the_key_all_get_the_same_one(tmp_path: Path) -> None:
    path = tmp_path / "platform-key.pem"
    barrier = threading.Barrier(8)
    kids: list[str] = []

    def create() -> None:
        barrier.wait()
        kids.append(load_or_create_key(path).kid)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kids) == 8 and len(set(kids)) == 1
    assert PlatformKey.from_pem(path.read_bytes()).kid == kids[0]


def test_processes_racing_to_create_the_key_all_get_the_same_one(tmp_path: Path) -> None:
    path = tmp_path / "platform-key.pem"
    code = ("import sys; from storefront.attestations.signing.platform import load_or_create_key as f; "
            "print(f(sys.argv[1]).kid)")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ}) for _ in range(4)]
    kids = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    assert kids == {PlatformKey.from_pem(path.read_bytes()).kid}
