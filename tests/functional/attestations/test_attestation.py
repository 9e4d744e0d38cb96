"""Signing the attestation through HTTP: what it binds, what it refuses, staleness, label countersigning."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from storefront.attestations.models import Attestation, AttestationImmutable
from storefront.attestations.policy import GENERATIVE_AI_REASON
from storefront.attestations.signing.platform import Signature, verify_document
from storefront.db import commit
from storefront.events import AuditEvent
from storefront.releases.models import Release, UploadKind, UploadStatus
from tests.factories.accounts import PASSWORD, make_label, make_user
from tests.factories.attestations import (
    attestation_url,
    replace_artwork,
    replace_master,
    signable_release,
    signature_form,
)
from tests.factories.releases import master_bytes
from tests.helpers import fresh, text_of


def _attestations(db) -> list[Attestation]:
    return list(fresh(db).scalars(select(Attestation).order_by(Attestation.id)))


def _selected(page: str, name: str) -> str | None:
    select_html = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select_html, name
    chosen = re.search(
        r'<option selected value="([^"]+)"|<option value="([^"]+)" selected', select_html.group(1)
    )
    return next((g for g in chosen.groups() if g), None) if chosen else None


def test_signing_binds_the_exact_files_and_the_platform_signature_verifies(
    signed_in, db, artist, tmp_path, app, service
):
    release, _ = signable_release(db, artist, tmp_path)
    url = attestation_url(artist, release)
    page = text_of(signed_in.get(url))
    assert "Every composition, lyric, vocal and instrumental performance on this release" in page
    for label in ("Composition", "Lyrics", "Lead and backing vocals", "Mixing", "Mastering", "Artwork"):
        assert label in page
    assert "Ana Ruiz" in page and "Mia Chen" in page  # who did it, from the credits

    response = signed_in.submit(
        url, signature_form(**{"el_mixing-ai": "assistive", "el_mixing-tools": "Ozone 11, Pro-Q 3"})
    )
    assert response.status_code == 302, text_of(response)[:3000]
    back = f"/artists/harbour/releases/{release.id}?step=attestation#attestation"
    assert response.headers["Location"].endswith(back)

    [attestation] = _attestations(db)
    release = db.get(Release, release.id)
    document = attestation.document
    masters = {t.position: t.master.sha256 for t in release.tracks}
    assert {t["position"]: t["master"]["sha256"] for t in document["tracks"]} == masters
    assert document["artwork"]["sha256"] == release.artwork.sha256
    assert document["release"]["title"] == release.title and document["release"]["upc"] == "036000291452"
    assert document["policy"]["version"] == "HM-1" and len(document["policy"]["statements"]) == 6
    assert document["declarations"]["mixing"] == {
        "ai": "assistive",
        "tools": ["Ozone 11", "Pro-Q 3"],
        "techniques": [],
    }
    assert {"name": "Ben Okafor", "role": "performer", "instrument": "guitar", "track": None} in document[
        "contributors"
    ]
    assert (
        document["signer"]["account_id"] == attestation.signer_user_id
        and document["signer"]["artist"] == artist.name
    )

    key = app.extensions["storefront.platform_key"].current
    signature = Signature.from_dict(attestation.signature)
    assert verify_document(document, signature, key.public_jwk()).ok
    assert attestation.document_sha256 == hashlib.sha256(attestation.document_json.encode()).hexdigest()
    assert db.scalar(select(AuditEvent).where(AuditEvent.tag == "attestation:signed")) is not None
    assert service().ready_for_review(release) == []


def test_the_client_ip_and_the_legal_name_are_kept_only_as_salted_hashes(
    signed_in, db, artist, tmp_path, platform
):
    release, _ = signable_release(db, artist, tmp_path)
    signed_in.submit(attestation_url(artist, release), signature_form("Ana María Ruiz"))
    [attestation] = _attestations(db)
    salt = bytes.fromhex(attestation.private_salt)
    expected = hashlib.blake2b(
        b"127.0.0.1", key=platform.settings.secret_key.encode()[:64], salt=salt, digest_size=32
    )
    assert attestation.ip_hash == expected.hexdigest() == attestation.document["client"]["ip_hash"]
    row_text = " ".join(str(getattr(attestation, c.key)) for c in Attestation.__table__.columns)
    assert "127.0.0.1" not in row_text
    assert "Ana María Ruiz" not in attestation.document_json
    commitment = hashlib.sha256(salt + b"\x00" + "Ana María Ruiz".encode()).hexdigest()
    assert attestation.document["signer"]["legal_name_sha256"] == commitment


def test_a_missing_statement_is_named_and_nothing_is_saved(signed_in, db, artist, tmp_path):
    release, _ = signable_release(db, artist, tmp_path)
    response = signed_in.submit(
        attestation_url(artist, release), signature_form(statement_no_generative_ai=None)
    )
    assert response.status_code == 422
    assert "Tick “No generative AI” to sign" in text_of(response)
    no_name = signed_in.submit(attestation_url(artist, release), signature_form(legal_name="  "))
    assert no_name.status_code == 422 and "Type your legal name to sign." in text_of(no_name)
    assert _attestations(db) == []


def test_generative_ai_is_refused_with_the_policy_reason_and_the_form_kept(signed_in, db, artist, tmp_path):
    release, _ = signable_release(db, artist, tmp_path)
    url = attestation_url(artist, release)
    form = signature_form("Ana María Ruiz", **{"el_lyrics-ai": "generative", "el_mixing-tools": "Pro-Q 3"})
    response = signed_in.submit(url, form)
    page = text_of(response)
    assert response.status_code == 422
    assert "This release can't be sold on Velvet as it stands." in page
    assert "Lyrics (whole release) is declared as made with generative AI." in page
    assert GENERATIVE_AI_REASON in page
    assert 'value="Ana María Ruiz"' in page and 'value="Pro-Q 3"' in page
    assert _selected(page, "el_lyrics-ai") == "generative"

    suno = signed_in.submit(
        url, signature_form(**{"el_mastering-ai": "assistive", "el_mastering-tools": "Suno v4"})
    )
    assert suno.status_code == 422 and "“Suno v4” is a generative AI system" in text_of(suno)
    assert _attestations(db) == []


def test_tools_must_be_named_and_embodied_refuses_pitch_correction(signed_in, db, artist, tmp_path):
    release, _ = signable_release(db, artist, tmp_path)
    url = attestation_url(artist, release)
    unnamed = signed_in.submit(url, signature_form(**{"el_vocals-pitch_correction": "y"}))
    assert unnamed.status_code == 422 and "name the tools used" in text_of(unnamed)
    tuned = {"el_vocals-pitch_correction": "y", "el_vocals-tools": "Melodyne 5"}
    embodied = signed_in.submit(url, signature_form(embodied=True, **tuned))
    assert embodied.status_code == 422
    assert (
        "Embodied allows no pitch correction: Lead and backing vocals (whole release) declares it."
        in text_of(embodied)
    )
    assert signed_in.submit(url, signature_form(**tuned)).status_code == 302
    [attestation] = _attestations(db)
    assert attestation.level == "standard"
    assert attestation.document["declarations"]["vocals"]["techniques"] == ["pitch_correction"]


def test_each_part_needs_a_credit_unless_it_is_not_part_of_the_work(signed_in, db, artist, tmp_path):
    release, _ = signable_release(db, artist, tmp_path)
    for credit in [c for c in release.contributors if c.role.value == "lyricist"]:
        db.delete(credit)
    commit(db)
    url = attestation_url(artist, release)
    response = signed_in.submit(url, signature_form())
    assert response.status_code == 422 and "Lyrics (whole release): credit who did it" in text_of(response)
    track = release.tracks[1]
    per_track = {
        f"track_{track.id}-differs": "y",
        f"track_{track.id}-lyrics-ai": "absent",
        f"track_{track.id}-vocals-ai": "absent",
    }
    assert signed_in.submit(url, signature_form(**{"el_lyrics-ai": "absent", **per_track})).status_code == 302
    [attestation] = _attestations(db)
    [entry] = attestation.document["track_declarations"]
    assert entry["position"] == 2 and entry["declarations"]["vocals"]["ai"] == "absent"
    again = text_of(signed_in.get(url))  # a new signature starts from what the last one declared
    assert (
        _selected(again, "el_lyrics-ai") == "absent"
        and _selected(again, f"track_{track.id}-vocals-ai") == "absent"
    )
    assert re.search(rf'<input checked id="track_{track.id}-differs"', again)


def test_signatures_are_append_only(signed_in, db, artist, tmp_path, service):
    release, _ = signable_release(db, artist, tmp_path)
    url = attestation_url(artist, release)
    signed_in.submit(url, signature_form())
    [first] = _attestations(db)
    before = (first.document_json, first.signature_value, first.signed_at)
    page = text_of(signed_in.get(url))
    assert "Current signature" in page
    assert signed_in.submit(url, signature_form(embodied=True)).status_code == 302
    first_again, second = _attestations(db)
    assert (first_again.document_json, first_again.signature_value, first_again.signed_at) == before
    assert second.level == "embodied" and service().current(db.get(Release, release.id)).id == second.id

    first_again.legal_name = "Someone Else"
    with pytest.raises(AttestationImmutable):
        db.flush()
    db.rollback()
    with pytest.raises(AttestationImmutable):
        db.delete(fresh(db).get(Attestation, first.id))
        db.flush()
    db.rollback()


def test_replacing_a_master_or_the_artwork_makes_the_attestation_stale(
    signed_in, db, artist, tmp_path, service
):
    release, _ = signable_release(db, artist, tmp_path)
    url = attestation_url(artist, release)
    signed_in.submit(url, signature_form())
    [attestation] = _attestations(db)
    release = db.get(Release, release.id)
    old = release.tracks[0].master
    replace_master(db, release, release.tracks[0], master_bytes(tmp_path, seed=9, seconds=1.0))
    release = fresh(db).get(Release, release.id)
    assert db.get(type(old), old.id).status == UploadStatus.REPLACED
    assert service().is_stale(release, attestation)
    [reason] = service().ready_for_review(release)
    assert "out of date" in reason and "the master of track 1 “Song 1” was replaced" in reason
    workspace = text_of(signed_in.get(f"/artists/harbour/releases/{release.id}?step=attestation"))
    assert "Out of date" in workspace and "Sign the human-made attestation" in workspace

    assert signed_in.submit(url, signature_form()).status_code == 302
    assert service().ready_for_review(fresh(db).get(Release, release.id)) == []
    replace_artwork(db, release, b"another cover")
    release = fresh(db).get(Release, release.id)
    assert service().stale_reasons(release, service().current(release)) == ["the artwork was replaced"]
    assert [u.kind for u in release.uploads if u.status == UploadStatus.REPLACED].count(
        UploadKind.ARTWORK
    ) == 1


def test_signing_needs_every_master_and_the_artwork_and_is_for_members_only(
    signed_in, db, artist, tmp_path, platform, web
):
    release, _ = signable_release(db, artist, tmp_path)
    release.tracks[0].master.status = UploadStatus.REJECTED
    commit(db)
    response = signed_in.submit(attestation_url(artist, release), signature_form())
    assert response.status_code == 422 and "Track 1 “Song 1” has no checked master yet" in text_of(response)
    stranger = make_user(db, platform)
    web.logout()
    web.login(stranger.email, PASSWORD)
    assert web.get(attestation_url(artist, release)).status_code == 403


def test_a_label_release_needs_a_countersignature_from_that_labels_staff(
    signed_in, db, artist, tmp_path, platform, service, app
):
    label_owner = make_user(db, platform)
    label = make_label(db, label_owner, slug="tidal", name="Tidal Records")
    other_owner = make_user(db, platform)
    make_label(db, other_owner, slug="other")
    release, _ = signable_release(db, artist, tmp_path, label=label)
    signed_in.submit(attestation_url(artist, release), signature_form())
    [attestation] = _attestations(db)
    assert attestation.label_id == label.id and attestation.needs_countersignature
    assert service().ready_for_review(fresh(db).get(Release, release.id)) == [
        "Tidal Records has to countersign the human-made attestation."
    ]
    countersign = f"/labels/tidal/attestations/{attestation.id}/countersign"
    assert signed_in.get(countersign).status_code == 403  # the artist is not label staff

    signed_in.logout()
    signed_in.login(other_owner.email, PASSWORD)
    assert signed_in.get(countersign).status_code == 403
    assert signed_in.get(f"/labels/other/attestations/{attestation.id}/countersign").status_code == 404

    signed_in.logout()
    signed_in.login(label_owner.email, PASSWORD)
    queue = text_of(signed_in.get("/labels/tidal/attestations"))
    assert release.title in queue and "Read and countersign" in queue
    unticked = signed_in.submit(countersign, {})
    assert unticked.status_code == 422 and "Tick the box to countersign." in text_of(unticked)
    assert signed_in.submit(countersign, {"confirm": "y"}).status_code == 302
    attestation = fresh(db).get(Attestation, attestation.id)
    assert attestation.label_countersigner_id == label_owner.id and attestation.label_countersigned_at
    counter = attestation.label_countersignature
    assert counter["document"]["attestation_sha256"] == attestation.document_sha256
    key = app.extensions["storefront.platform_key"].current
    assert verify_document(
        counter["document"], Signature.from_dict(counter["signature"]), key.public_jwk()
    ).ok
    assert service().ready_for_review(db.get(Release, release.id)) == []
    again = signed_in.submit(countersign, {"confirm": "y"})
    assert again.status_code == 422 and "already countersigned" in text_of(again)


def test_a_label_can_require_the_embodied_level(signed_in, db, artist, tmp_path, platform):
    label_owner = make_user(db, platform)
    label = make_label(db, label_owner, slug="tidal", name="Tidal Records")
    release, _ = signable_release(db, artist, tmp_path, label=label)
    signed_in.logout()
    signed_in.login(label_owner.email, PASSWORD)
    signed_in.submit(
        "/labels/tidal/attestations",
        {"require_embodied": "y"},
        action="/labels/tidal/attestations/requirement",
    )
    signed_in.logout()
    signed_in.login(artist.members[0].user.email, PASSWORD)
    url = attestation_url(artist, release)
    standard = signed_in.submit(url, signature_form())
    assert standard.status_code == 422 and "Tidal Records requires the Embodied level" in text_of(standard)
    assert signed_in.submit(url, signature_form(embodied=True)).status_code == 302
    assert _attestations(db)[0].level == "embodied"
