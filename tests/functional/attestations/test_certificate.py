"""The public record: certificate page and JSON, the platform key, verify page and command, DDEX export."""

from __future__ import annotations

import copy
import io
import json
import xml.etree.ElementTree as ET

import pytest
from flask import render_template_string
from werkzeug.datastructures import FileStorage

from storefront.attestations.ddex.export import ERN_NAMESPACE
from storefront.attestations.ddex.structure import structural_problems
from storefront.attestations.pages import badge_info
from storefront.attestations.signing.platform import PlatformKey
from storefront.attestations.verification import verify_certificate
from storefront.releases.models import Release, ReleaseStatus
from tests.factories.accounts import PASSWORD
from tests.factories.attestations import approve, attestation_url, signable_release, signature_form
from tests.helpers import fresh, text_of


@pytest.fixture
def certified(signed_in, db, artist, tmp_path):
    """An approved release with a signed attestation, its files, and the visitor's client logged out."""
    release, files = signable_release(db, artist, tmp_path)
    form = signature_form(embodied=True, **{"el_mastering-tools": "Pro-L 2"})
    assert signed_in.submit(attestation_url(artist, release), form).status_code == 302
    approve(db, release.id)
    signed_in.logout()
    return release, files


def _certificate(web, release) -> dict:
    response = web.get(f"/releases/{release.id}/certificate.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_certificate_page_shows_what_the_policy_promises(web, db, certified):
    release, _ = certified
    release = fresh(db).get(Release, release.id)
    page = text_of(web.get(f"/releases/{release.id}/certificate"))
    cert = _certificate(web, release)
    for expected in (
        "HM-1",
        "Embodied",
        "Harbour Lights",  # the signer's artist name
        cert["document"]["signed_at"],
        "Mia Chen",  # contributors
        "Pro-L 2",  # disclosed tools
        release.tracks[0].master.sha256,
        release.artwork.sha256,
        cert["approval"]["document"]["approved_at"],
        cert["signature"]["value"],
    ):
        assert expected in page, expected
    assert "Ana María Ruiz" not in page and "Ana María Ruiz" not in json.dumps(cert)
    assert cert["status"] == "approved" and cert["files_current"] is True
    assert cert["links"]["public_keys"] == "http://localhost/.well-known/velvet/platform-key.json"


def test_only_approved_releases_have_a_certificate_and_a_withdrawn_one_says_so(
    signed_in, db, artist, tmp_path
):
    release, _ = signable_release(db, artist, tmp_path)
    signed_in.submit(attestation_url(artist, release), signature_form())
    for path in ("certificate", "certificate.json", "ddex.xml"):
        assert signed_in.get(f"/releases/{release.id}/{path}").status_code == 404
    assert signed_in.get("/releases/999999/certificate").status_code == 404
    approve(db, release.id, ReleaseStatus.TAKEN_DOWN)
    withdrawn = signed_in.get(f"/releases/{release.id}/certificate")
    assert withdrawn.status_code == 410 and "was withdrawn" in text_of(withdrawn)
    assert signed_in.get(f"/releases/{release.id}/certificate.json").get_json()["status"] == "withdrawn"
    assert signed_in.get(f"/releases/{release.id}/ddex.xml").status_code == 404


def test_the_badge_links_approved_releases_to_their_certificate(app, db, certified):
    release, _ = certified
    with app.test_request_context("/"):
        badge = render_template_string(
            '{% include "provenance/_badge.html" %}', badge=badge_info(fresh(db).get(Release, release.id))
        )
        assert f'href="/releases/{release.id}/certificate"' in badge
        assert "Human-made · HM-1 certificate" in badge and "Embodied" in badge
        release = fresh(db).get(Release, release.id)
        release.status = ReleaseStatus.DRAFT
        assert "Human-made" not in render_template_string(
            '{% include "provenance/_badge.html" %}', badge=badge_info(release)
        )


def test_the_public_key_set_verifies_the_certificate(web, certified):
    release, _ = certified
    keys = web.get("/.well-known/velvet/platform-key.json")
    assert keys.status_code == 200 and "public" in keys.headers["Cache-Control"]
    jwks = keys.get_json()["keys"]
    cert = _certificate(web, release)
    assert cert["signature"]["kid"] in {k["kid"] for k in jwks} and all("d" not in k for k in jwks)
    verdict = verify_certificate(cert, jwks)
    assert verdict.ok, verdict.reasons


def test_retired_keys_stay_published_and_still_verify(make_app, tmp_path):
    old = PlatformKey.generate()
    retired = tmp_path / "retired-keys.json"
    retired.write_text(json.dumps({"keys": [old.public_jwk()]}))
    app = make_app(platform_retired_keys=str(retired))
    jwks = app.test_client().get("/.well-known/velvet/platform-key.json").get_json()["keys"]
    assert [k["kid"] for k in jwks][1:] == [old.kid]
    document = {"type": "velvet.human-made-attestation/1", "policy": {}, "tracks": []}
    verdict = verify_certificate({"document": document, "signature": old.sign(document).to_dict()}, jwks)
    assert "Attestation: platform signature valid" in verdict.checks[0].message


def _verify(web, cert, files=(), hashes=""):
    data = {
        "certificate": json.dumps(cert),
        "hashes": hashes,
        "files": [FileStorage(io.BytesIO(content), name) for name, content in files],
    }
    return web.submit("/verify", data, content_type="multipart/form-data")


def test_the_verify_page_checks_signature_and_files(web, certified):
    release, files = certified
    cert = _certificate(web, release)
    assert web.get("/verify").status_code == 200
    prefilled = text_of(web.get(f"/verify?release={release.id}"))
    assert cert["signature"]["value"] in prefilled

    valid = _verify(web, cert, files=[("01.flac", files["01.flac"]), ("cover.jpg", files["cover.jpg"])])
    page = text_of(valid)
    assert valid.status_code == 200 and "<h2>Valid</h2>" in page
    assert "“01.flac” matches the master of track 1 “Song 1”" in page and "matches the artwork" in page

    tampered = copy.deepcopy(cert)
    tampered["document"]["release"]["title"] = "Something Else"
    page = text_of(_verify(web, tampered))
    assert "Not valid" in page and "signature does not match" in page

    changed = _verify(web, cert, files=[("01.flac", files["01.flac"] + b"\x00")])
    assert "“01.flac”: its SHA-256 hash differs from every file this certificate binds" in text_of(changed)
    by_hash = _verify(web, cert, hashes=f"{'0' * 64}  big-master.wav\n")
    assert "“big-master.wav”: its SHA-256 hash differs" in text_of(by_hash)

    garbage = web.submit("/verify", {"certificate": "{not json"})
    assert garbage.status_code == 422 and "not JSON" in text_of(garbage)


def test_the_verify_command(app, web, certified, tmp_path):
    release, files = certified
    cert = _certificate(web, release)
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(cert))
    master = tmp_path / "01.flac"
    master.write_bytes(files["01.flac"])
    runner = app.test_cli_runner()

    ok = runner.invoke(args=["verify", str(path), str(master)])
    assert ok.exit_code == 0, ok.output
    assert "VALID" in ok.output and "“01.flac” matches the master of track 1" in ok.output

    cert["document"]["tracks"][0]["title"] = "Renamed"
    path.write_text(json.dumps(cert))
    tampered = runner.invoke(args=["verify", str(path)])
    assert tampered.exit_code == 1 and "signature does not match" in tampered.output

    path.write_text(json.dumps(_certificate(web, release)))
    master.write_bytes(files["01.flac"][:-1] + b"\x01")
    changed = runner.invoke(args=["verify", str(path), str(master)])
    assert changed.exit_code == 1 and "“01.flac”: its SHA-256 hash differs" in changed.output

    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [PlatformKey.generate().public_jwk()]}))
    foreign = runner.invoke(args=["verify", "--keys", str(keys), str(path)])
    assert foreign.exit_code == 1 and "unknown key id" in foreign.output


def test_ddex_export_discloses_no_ai(web, certified):
    release, _ = certified
    response = web.get(f"/releases/{release.id}/ddex.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert structural_problems(response.data) == []
    root = ET.fromstring(response.data)
    assert root.tag == f"{{{ERN_NAMESPACE}}}NewReleaseMessage"
    assert [e.text for e in root.iter("ContainsAI")] == [
        "None",
        "None",
        "None",
    ]  # two recordings, one release
    assert {e.text for e in root.iter("AiContribution")} == {"None"}
    assert "Ana Ruiz" in response.get_data(as_text=True)
    # No party id is set outside production: the placeholder goes out marked as a test message.
    assert root.findtext("MessageHeader/MessageControlType") == "TestMessage"


def test_ddex_export_explains_what_is_missing(signed_in, db, artist, tmp_path):
    release, _ = signable_release(db, artist, tmp_path, codes=False)
    signed_in.submit(attestation_url(artist, release), signature_form())
    approve(db, release.id)
    response = signed_in.get(f"/releases/{release.id}/ddex.xml")
    assert response.status_code == 409 and "no UPC/EAN, which DDEX requires" in text_of(response)


def test_a_signature_after_approval_is_not_published_until_a_curator_approves_it(
    web, db, artist, owner, certified
):
    release, _ = certified
    approved = _certificate(web, release)["document_sha256"]
    web.login(owner.email, PASSWORD)
    assert web.submit(attestation_url(artist, release), signature_form()).status_code == 302
    assert _certificate(web, release)["document_sha256"] == approved
    approve(db, release.id)
    assert _certificate(web, release)["document_sha256"] != approved
