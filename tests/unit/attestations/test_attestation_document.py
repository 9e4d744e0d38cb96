"""The attestation document without a database: policy, staleness, certificate checks, DDEX, keys."""

from __future__ import annotations

import copy
import datetime as dt
import os
import stat

import pytest

from storefront.attestations.canonical import canonical_sha256
from storefront.attestations.ddex.export import DdexMessageParties, build_new_release_message
from storefront.attestations.ddex.structure import structural_problems
from storefront.attestations.documents import (
    credits_by_element,
    ddex_release,
    effective_declarations,
    stale_reasons,
)
from storefront.attestations.policy import (
    ELEMENTS_BY_KEY,
    POLICIES,
    AiUse,
    Declaration,
    Level,
    credit_findings,
    declaration_findings,
    embodied_findings,
    parse_tools,
)
from storefront.attestations.signing.platform import PlatformKey
from storefront.attestations.verification import (
    ATTESTATION_TYPE,
    COUNTERSIGNATURE_TYPE,
    CertificateFormatError,
    FileDigest,
    Keyring,
    parse_certificate,
    parse_hash_lines,
    verify_certificate,
)

MASTER_1, MASTER_2, COVER = "a" * 64, "b" * 64, "c" * 64
KEY = PlatformKey.generate()


def document(**changes: object) -> dict:
    doc = {
        "type": ATTESTATION_TYPE,
        "issuer": "https://velvet.example",
        "policy": {
            "version": "HM-1",
            "level": "standard",
            "statements": [{"id": s.id, "text": s.text} for s in POLICIES["HM-1"].statements],
        },
        "release": {
            "id": 7,
            "title": "Tides",
            "type": "ep",
            "release_date": "2026-05-01",
            "upc": "036000291452",
            "license": "all-rights-reserved",
            "genre": "folk",
            "artist": {"id": 3, "name": "Harbour Lights", "slug": "harbour"},
            "label": None,
        },
        "tracks": [
            {
                "position": 1,
                "title": "Slow Tide",
                "isrc": "GBVLV2600001",
                "explicit": False,
                "lyrics_sha256": None,
                "master": {"sha256": MASTER_1, "size": 10, "duration_ms": 205500},
            },
            {
                "position": 2,
                "title": "Low Sun",
                "isrc": "GBVLV2600002",
                "explicit": False,
                "lyrics_sha256": None,
                "master": {"sha256": MASTER_2, "size": 10, "duration_ms": 60000},
            },
        ],
        "artwork": {"sha256": COVER, "size": 5},
        "contributors": [
            {"name": "Ana Ruiz", "role": "composer", "instrument": "", "track": None},
            {"name": "Ana Ruiz", "role": "performer", "instrument": "lead vocals", "track": None},
            {"name": "Ben Okafor", "role": "performer", "instrument": "guitar", "track": 2},
            {"name": "Mia Chen", "role": "mastering_engineer", "instrument": "", "track": None},
        ],
        "declarations": {k: Declaration().to_json() for k in ELEMENTS_BY_KEY},
        "track_declarations": [
            {
                "position": 2,
                "declarations": {
                    k: Declaration(AiUse.ABSENT if k in ("vocals", "lyrics") else AiUse.NONE).to_json()
                    for k in ELEMENTS_BY_KEY
                    if k != "artwork"
                },
            },
        ],
        "signer": {"account_id": 1, "artist": "Harbour Lights", "legal_name_sha256": "d" * 64},
        "signed_at": "2026-04-01T10:00:00Z",
        "client": {"ip_hash": "e" * 64},
    }
    doc.update(changes)
    return doc


def certificate(doc: dict | None = None, key: PlatformKey = KEY) -> dict:
    doc = doc or document()
    return {"document": doc, "signature": key.sign(doc).to_dict()}


# -- policy ------------------------------------------------------------------------------------------------
def test_generative_ai_anywhere_is_ineligible_with_the_reason():
    [finding] = declaration_findings(
        ELEMENTS_BY_KEY["composition"], Declaration(AiUse.GENERATIVE), "whole release"
    )
    assert finding.ineligible and "HM-1 accepts no generative AI" in finding.message
    [tool] = declaration_findings(
        ELEMENTS_BY_KEY["mixing"], Declaration(AiUse.ASSISTIVE, ("Udio stems",)), "track 2"
    )
    assert tool.ineligible and "“Udio stems” is a generative AI system" in tool.message
    assert (
        declaration_findings(ELEMENTS_BY_KEY["mastering"], Declaration(AiUse.ASSISTIVE, ("Ozone 11",)), "x")
        == []
    )
    assert [f.ineligible for f in credit_findings(["Suno AI", "Anna Sunol", "GenerativeAI"])] == [True, True]


def test_assistive_tools_must_be_named_and_only_where_the_policy_allows_them():
    mixing, lyrics, composition = (ELEMENTS_BY_KEY[k] for k in ("mixing", "lyrics", "composition"))
    assert "name the tools" in declaration_findings(mixing, Declaration(AiUse.ASSISTIVE), "x")[0].message
    assert (
        "not for writing"
        in declaration_findings(lyrics, Declaration(AiUse.ASSISTIVE, ("Rhymer",)), "x")[0].message
    )
    assert (
        "part of every release"
        in declaration_findings(composition, Declaration(AiUse.ABSENT), "x")[0].message
    )
    assert declaration_findings(lyrics, Declaration(AiUse.ABSENT), "x") == []
    assert parse_tools("Pro-Q 3, pro-q 3; Melodyne 5\n\n") == ("Pro-Q 3", "Melodyne 5")


def test_embodied_refuses_correction_quantisation_and_assistive_ai():
    tuned = Declaration(AiUse.ASSISTIVE, ("Melodyne",), frozenset({"pitch_correction", "grid_quantisation"}))
    messages = [f.message for f in embodied_findings(ELEMENTS_BY_KEY["instrumental"], tuned, "track 1")]
    assert messages == [
        "Embodied allows no grid quantisation: Instrumental performance (track 1) declares it.",
        "Embodied allows no pitch correction: Instrumental performance (track 1) declares it.",
        "Embodied allows no assistive AI: Instrumental performance (track 1) declares it.",
    ]
    assert embodied_findings(ELEMENTS_BY_KEY["mixing"], Declaration(tools=("an analogue desk",)), "x") == []
    assert POLICIES["HM-1"].statements_for(Level.EMBODIED)[-1].id == "embodied"


# -- staleness ---------------------------------------------------------------------------------------------
def test_a_document_is_current_until_what_it_binds_changes():
    signed = document()
    assert stale_reasons(signed, copy.deepcopy(signed)) == []
    renamed = copy.deepcopy(signed)
    renamed["release"]["artist"]["name"] = "Harbour"  # a renamed profile is still the same artist
    assert stale_reasons(signed, renamed) == []

    now = copy.deepcopy(signed)
    now["tracks"][0]["master"]["sha256"] = "f" * 64
    now["artwork"]["sha256"] = "0" * 64
    now["release"]["title"] = "Tides (Deluxe)"
    now["contributors"].pop()
    now["tracks"].append({**now["tracks"][1], "position": 3, "title": "Coda"})
    assert stale_reasons(signed, now) == [
        "the release details changed (title)",
        "the master of track 1 “Slow Tide” was replaced",
        "track 3 “Coda” was added",
        "the artwork was replaced",
        "the credits changed",
    ]


def test_track_declarations_override_the_release_and_credits_group_by_element():
    doc = document()
    assert effective_declarations(doc, 1)["vocals"].ai == AiUse.NONE
    assert effective_declarations(doc, 2)["vocals"].ai == AiUse.ABSENT
    credits = credits_by_element(doc)
    assert credits["vocals"] == ["Ana Ruiz (lead vocals)"]
    assert credits["instrumental"] == ["Ben Okafor (guitar, track 2)"]


# -- verification ------------------------------------------------------------------------------------------
def test_a_certificate_verifies_and_binds_its_files():
    verdict = verify_certificate(
        certificate(),
        [KEY.public_jwk()],
        [FileDigest("01.flac", MASTER_1), FileDigest("cover.jpg", COVER.upper())],
    )
    assert verdict.ok, verdict.reasons
    assert "“01.flac” matches the master of track 1 “Slow Tide”." in [c.message for c in verdict.checks]


def test_tampering_a_changed_file_or_a_foreign_key_fail_with_a_reason():
    cert = certificate()
    cert["document"]["tracks"][0]["title"] = "Fast Tide"
    [reason] = verify_certificate(cert, [KEY.public_jwk()]).reasons
    assert reason.startswith("Attestation: signature does not match the document")

    [reason] = verify_certificate(
        certificate(), [KEY.public_jwk()], [FileDigest("01.flac", "9" * 64)]
    ).reasons
    assert reason.startswith("“01.flac”: its SHA-256 hash differs from every file this certificate binds")

    [reason] = verify_certificate(certificate(), [PlatformKey.generate().public_jwk()]).reasons
    assert "unknown key id" in reason

    reworded = document(policy={**document()["policy"], "statements": [{"id": "x", "text": "Mostly human."}]})
    [reason] = verify_certificate(certificate(reworded), [KEY.public_jwk()]).reasons
    assert reason == "Policy: the statements differ from the published HM-1 text."
    assert not verify_certificate({"document": {"type": "other"}, "signature": {}}, [KEY.public_jwk()]).ok


def test_label_countersignature_must_exist_and_belong_to_this_attestation():
    doc = document(release={**document()["release"], "label": {"id": 1, "name": "Tidal", "slug": "tidal"}})
    missing = verify_certificate(certificate(doc), [KEY.public_jwk()])
    assert missing.reasons == ["Label countersignature: missing, though the release is on Tidal."]
    counter = {
        "type": COUNTERSIGNATURE_TYPE,
        "attestation_sha256": canonical_sha256(document()),
        "label": {"id": 1},
        "countersigner": {"account_id": 2},
        "countersigned_at": "2026-04-02T00:00:00Z",
    }
    wrong = certificate(doc) | {"label_countersignature": certificate(counter)}
    assert verify_certificate(wrong, [KEY.public_jwk()]).reasons == [
        "Label countersignature: it belongs to a different attestation."
    ]
    counter["attestation_sha256"] = canonical_sha256(doc)
    assert verify_certificate(
        certificate(doc) | {"label_countersignature": certificate(counter)}, [KEY.public_jwk()]
    ).ok


def test_certificate_and_hash_inputs_are_parsed_strictly():
    with pytest.raises(CertificateFormatError, match="not JSON"):
        parse_certificate("{")
    with pytest.raises(CertificateFormatError, match="needs a “document”"):
        parse_certificate('{"document": 1}')
    lines = f"{MASTER_1}  01 - Slow Tide.flac\n{MASTER_2} *02.wav\nSHA256 (cover.jpg) = {COVER}\n"
    assert parse_hash_lines(lines) == [
        FileDigest("01 - Slow Tide.flac", MASTER_1),
        FileDigest("02.wav", MASTER_2),
        FileDigest("cover.jpg", COVER),
    ]
    with pytest.raises(CertificateFormatError, match="line 1"):
        parse_hash_lines("not a hash")


# -- export and keys ---------------------------------------------------------------------------------------
def test_the_document_exports_as_a_consistent_ern_without_ai():
    release = ddex_release(document())
    assert release.contains_ai.value == "None" and release.release_type == "EP"
    one, two = release.tracks
    assert one.has_vocals is True and two.has_vocals is False
    assert {c.name: c.roles for c in two.contributors}["Ben Okafor"] == ("Musician",)
    assert {c.name: c.roles for c in one.contributors}["Ana Ruiz"] == ("Composer", "Vocalist")
    parties = DdexMessageParties(
        "VELVET-7-1",
        "PADPIDAVELVET",
        "Velvet",
        "PADPIDAVELVET",
        "Public",
        dt.datetime(2026, 4, 2, tzinfo=dt.UTC),
    )
    assert structural_problems(build_new_release_message(release, parties)) == []


def test_the_keyring_reads_its_key_on_first_use_and_publishes_retired_keys(tmp_path):
    retired = PlatformKey.generate().public_jwk()
    keyring = Keyring(str(tmp_path / "keys" / "platform.pem"), [retired])
    assert not (tmp_path / "keys").exists()  # nothing is read or written until a signature is needed
    kid = keyring.current.kid
    assert stat.S_IMODE(os.stat(tmp_path / "keys" / "platform.pem").st_mode) == 0o600
    assert [k["kid"] for k in keyring.jwks()] == [kid, retired["kid"]]
    assert Keyring(str(tmp_path / "keys" / "platform.pem")).current.kid == kid
    with pytest.raises(ValueError):
        Keyring(str(tmp_path / "other.pem"), [{"kty": "OKP", "crv": "Ed25519", "x": "!!"}])
