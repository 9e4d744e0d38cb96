"""The DDEX export sends as the party id the settings name, as a live message; without one, a test message."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from storefront.attestations.ddex.structure import structural_problems
from tests.factories.attestations import approve, attestation_url, signable_release, signature_form

DPID = "PADPIDA2025010101X"


@pytest.fixture
def settings(settings):
    return settings.with_overrides(ddex_sender_dpid=DPID, ddex_sender_name="Harbour Distribution")


def test_the_export_names_the_configured_sender(signed_in, db, artist, tmp_path):
    release, _ = signable_release(db, artist, tmp_path)
    assert signed_in.submit(attestation_url(artist, release), signature_form()).status_code == 302
    approve(db, release.id)
    response = signed_in.get(f"/releases/{release.id}/ddex.xml")
    assert response.status_code == 200 and structural_problems(response.data) == []
    header = ET.fromstring(response.data).find("MessageHeader")
    assert header is not None
    assert header.findtext("MessageSender/PartyId") == DPID
    assert header.findtext("MessageSender/PartyName/FullName") == "Harbour Distribution"
    assert header.findtext("MessageControlType") == "LiveMessage"
