"""DDEX ERN 4.3.2 export of the AI disclosure: structure, values, and refusal of inconsistent data."""

from __future__ import annotations

import datetime as dt
import os
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema

from storefront.attestations.ddex.export import (
    ERN_NAMESPACE,
    ContainsAI,
    DdexContributor,
    DdexExportError,
    DdexMessageParties,
    DdexRelease,
    DdexTrack,
    build_new_release_message,
    check_icpn,
    iso_duration,
)
from storefront.attestations.ddex.structure import structural_problems

E = f"{{{ERN_NAMESPACE}}}"
PARTIES = DdexMessageParties("VELVET-R42-1", "PADPIDA2025010101X", "Velvet Records", "PADPIDA2014120301U",
                             "Example DSP", dt.datetime(2025, 5, 1, 12, 30, tzinfo=dt.UTC))
TRACK_ONE = DdexTrack(
    "Slow Tide", "GB-VLV-25-00001", 205.5,
    contributors=(
        DdexContributor("Ana Ruiz", ("Composer", "Lyricist")),
        DdexContributor("Ben Okafor", ("Musician",), instruments=("Guitar",)),
        DdexContributor("Mia Chen", ("MasteringEngineer", "Tape Operator")),
    ),
    has_vocals=True,
)
TRACK_TWO = DdexTrack("Low Sun", "GBVLV2500002", 3723, artists=("Ana Ruiz", "Ben Okafor"))
RELEASE = DdexRelease(
    title="Tides & Suns", icpn="036000291452", artists=("Ana Ruiz",), tracks=(TRACK_ONE, TRACK_TWO),
    label="Velvet Self-Release", genre="Folk", release_date=dt.date(2025, 5, 2), p_line=(2025, "Ana Ruiz"),
)


@pytest.fixture(scope="module")
def xml() -> bytes:
    return build_new_release_message(RELEASE, PARTIES)


@pytest.fixture(scope="module")
def root(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)


def test_message_is_structurally_valid(xml: bytes) -> None:
    assert structural_problems(xml) == []


def test_root_is_an_ern_432_new_release_message(xml: bytes, root: ET.Element) -> None:
    assert xml.startswith(b"<?xml")
    assert root.tag == f"{E}NewReleaseMessage"
    assert root.attrib == {"AvsVersionId": "11", "LanguageAndScriptCode": "en"}
    assert [child.tag for child in root] == ["MessageHeader", "PartyList", "ResourceList", "ReleaseList"]
    assert b'xmlns:ern="http://ddex.net/xml/ern/432"' in xml


def test_header_names_sender_recipient_and_time(root: ET.Element) -> None:
    header = root.find("MessageHeader")
    assert header is not None
    assert header.findtext("MessageId") == "VELVET-R42-1"
    assert header.findtext("MessageSender/PartyId") == "PADPIDA2025010101X"
    assert header.findtext("MessageRecipient/PartyName/FullName") == "Example DSP"
    assert header.findtext("MessageCreatedDateTime") == "2025-05-01T12:30:00Z"
    assert header.findtext("MessageControlType") == "LiveMessage"


def test_contains_ai_is_none_on_the_release_and_every_recording(root: ET.Element) -> None:
    assert root.findtext("ReleaseList/Release/ContainsAI") == "None"
    recordings = root.findall("ResourceList/SoundRecording")
    assert [r.findtext("ContainsAI") for r in recordings] == ["None", "None"]
    assert {c.findtext("AiContribution") for c in root.iter("Contributor")} == {"None"}


def test_sound_recordings_carry_identifiers_titles_and_durations(root: ET.Element) -> None:
    first, second = root.findall("ResourceList/SoundRecording")
    assert [first.findtext("ResourceReference"), second.findtext("ResourceReference")] == ["A1", "A2"]
    assert first.findtext("Type") == "MusicalWorkSoundRecording"
    assert first.findtext("SoundRecordingEdition/ResourceId/ISRC") == "GBVLV2500001"
    assert first.findtext("DisplayTitleText") == first.findtext("DisplayTitle/TitleText") == "Slow Tide"
    assert first.findtext("Duration") == "PT3M25.5S"
    assert second.findtext("Duration") == "PT1H2M3S"
    assert first.findtext("HasVocalPerformance") == "true"
    assert second.findtext("DisplayArtistName") == "Ana Ruiz & Ben Okafor"
    assert len(second.findall("DisplayArtist")) == 2


def test_contributors_are_named_with_their_roles(root: ET.Element) -> None:
    parties = {p.findtext("PartyReference"): p.findtext("PartyName/FullName") for p in root.iter("Party")}
    first = root.find("ResourceList/SoundRecording")
    assert first is not None
    people = {parties[c.findtext("ContributorPartyReference")]: c for c in first.findall("Contributor")}
    assert [r.findtext("Value") for r in people["Ana Ruiz"].findall("Role")] == ["Composer", "Lyricist"]
    guitar = people["Ben Okafor"].find("Role/InstrumentType")
    assert guitar is not None and guitar.get("UserDefinedValue") == "Guitar"
    custom = people["Mia Chen"].findall("Role/Value")[1]
    assert (custom.text, custom.get("UserDefinedValue")) == ("UserDefined", "Tape Operator")
    assert custom.get("Namespace") == PARTIES.sender_dpid


def test_release_has_icpn_label_genre_and_resource_group(root: ET.Element) -> None:
    release = root.find("ReleaseList/Release")
    assert release is not None
    assert release.findtext("ReleaseId/ICPN") == "036000291452"
    assert release.findtext("ReleaseType") == "Single"
    assert release.findtext("DisplayTitleText") == "Tides & Suns"
    assert release.findtext("DisplayGenre/GenreText") == "Folk"
    assert release.findtext("ReleaseDate") == "2025-05-02"
    assert release.findtext("Duration") == "PT1H5M28.5S"
    items = release.findall("ResourceGroup/ResourceGroupContentItem")
    assert [(i.findtext("SequenceNumber"), i.findtext("ReleaseResourceReference")) for i in items] == [
        ("1", "A1"), ("2", "A2")]
    label_ref = release.findtext("ReleaseLabelReference")
    assert any(p.findtext("PartyReference") == label_ref and p.findtext("PartyName/FullName") ==
               "Velvet Self-Release" for p in root.iter("Party"))


def test_test_messages_are_marked() -> None:
    xml = build_new_release_message(RELEASE, replace(PARTIES, test_message=True))
    assert ET.fromstring(xml).findtext("MessageHeader/MessageControlType") == "TestMessage"


def test_a_partly_ai_release_is_valid_ddex_even_if_not_hm1() -> None:
    track = replace(TRACK_TWO, contains_ai=ContainsAI.PARTLY,
                    contributors=(DdexContributor("Tool", ("Producer",), ai_contribution=ContainsAI.PARTLY),))
    xml = build_new_release_message(replace(RELEASE, tracks=(track,), contains_ai=ContainsAI.PARTLY), PARTIES)
    assert structural_problems(xml) == []


@pytest.mark.parametrize(("release", "message"), [
    (replace(RELEASE, tracks=(replace(TRACK_ONE, contributors=(
        DdexContributor("X", ("Producer",), ai_contribution=ContainsAI.PARTLY),)),)), "AI contributors"),
    (replace(RELEASE, tracks=(replace(TRACK_ONE, contains_ai=ContainsAI.ALL),)),
     "release says ContainsAI=None"),
    (replace(RELEASE, tracks=(replace(TRACK_ONE, isrc="GB-VLV-25"),)), "not an ISRC"),
    (replace(RELEASE, icpn="036000291453"), "check digit"),
    (replace(RELEASE, icpn="12345"), "12-digit UPC"),
    (replace(RELEASE, tracks=()), "at least one track"),
])
def test_inconsistent_or_malformed_data_is_refused(release: DdexRelease, message: str) -> None:
    with pytest.raises(DdexExportError, match=message):
        build_new_release_message(release, PARTIES)


def test_sender_must_have_a_dpid() -> None:
    with pytest.raises(DdexExportError, match="PADPIDA"):
        build_new_release_message(RELEASE, replace(PARTIES, sender_dpid="velvet"))


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "PT0S"), (59, "PT59S"), (60, "PT1M0S"), (205.5, "PT3M25.5S"), (3600, "PT1H0S"),
    (3723.25, "PT1H2M3.25S"),
])
def test_iso_durations(seconds: float, text: str) -> None:
    assert iso_duration(seconds) == text


@pytest.mark.parametrize("code", ["036000291452", "4006381333931"])
def test_valid_upc_and_ean(code: str) -> None:
    assert check_icpn(code) == code


def _mutated(xml: bytes, change: str) -> bytes:
    root = ET.fromstring(xml)
    recording = root.find("ResourceList/SoundRecording")
    release = root.find("ReleaseList/Release")
    assert recording is not None and release is not None
    if change == "swap":
        duration = recording.find("Duration")
        assert duration is not None
        recording.remove(duration)
        recording.insert(1, duration)
    elif change == "drop-genre":
        genre = release.find("DisplayGenre")
        assert genre is not None
        release.remove(genre)
    elif change == "dangling":
        ref = recording.find("Contributor/ContributorPartyReference")
        assert ref is not None
        ref.text = "P999"
    elif change == "bad-value":
        value = release.find("ContainsAI")
        assert value is not None
        value.text = "Maybe"
    elif change == "ai-contributor":
        contribution = recording.find("Contributor/AiContribution")
        assert contribution is not None
        contribution.text = "All"
    elif change == "qualified-child":
        header = root.find("MessageHeader")
        assert header is not None
        header.tag = f"{E}MessageHeader"
    return ET.tostring(root)


@pytest.mark.parametrize(("change", "problem"), [
    ("swap", "SoundRecording: Type is out of order"),
    ("drop-genre", "Release: missing mandatory DisplayGenre"),
    ("dangling", "ContributorPartyReference P999 names no Party"),
    ("bad-value", "ContainsAI value 'Maybe'"),
    ("ai-contributor", "A1 says ContainsAI=None but has 1 AI contributor(s)"),
    ("qualified-child", "must be unqualified"),
])
def test_structural_check_catches_mistakes(xml: bytes, change: str, problem: str) -> None:
    problems = structural_problems(_mutated(xml, change))
    assert any(problem in p for p in problems), problems


def test_structural_check_rejects_other_roots_and_garbage() -> None:
    assert structural_problems(b"<not-closed")[0].startswith("not well-formed")
    other = b'<ern:NewReleaseMessage xmlns:ern="http://ddex.net/xml/ern/43"/>'
    assert any("expected ern:NewReleaseMessage" in p for p in structural_problems(other))


ROOT = Path(__file__).resolve().parents[3]
ERN_SCHEMA = ROOT / "tests" / "data" / "ddex" / "ern-4.3.2" / "release-notification.xsd"


@pytest.fixture(scope="module")
def ern_schema() -> xmlschema.XMLSchema:
    """The official ERN 4.3.2 schema, or a skip saying why; STOREFRONT_REQUIRE_DDEX_XSD=1 fails instead."""
    if not ERN_SCHEMA.is_file():
        reason = (
            f"the official ERN 4.3.2 schema is not in {ERN_SCHEMA.parent.relative_to(ROOT)} "
            "(see the README there)"
        )
        if os.environ.get("STOREFRONT_REQUIRE_DDEX_XSD") == "1":
            pytest.fail(reason + "; STOREFRONT_REQUIRE_DDEX_XSD=1 requires it")
        pytest.skip(reason)
    return xmlschema.XMLSchema(str(ERN_SCHEMA))


@pytest.mark.parametrize("message", ["human-made", "partly AI", "test message"])
def test_export_is_valid_against_the_official_ern_432_schema(
    ern_schema: xmlschema.XMLSchema, message: str
) -> None:
    release, parties = RELEASE, PARTIES
    if message == "partly AI":
        track = replace(TRACK_TWO, contains_ai=ContainsAI.PARTLY, contributors=(
            DdexContributor("Tool", ("Producer",), ai_contribution=ContainsAI.PARTLY),))
        release = replace(RELEASE, tracks=(track,), contains_ai=ContainsAI.PARTLY)
    elif message == "test message":
        parties = replace(PARTIES, test_message=True)
    xml = build_new_release_message(release, parties)
    errors = [f"{error.path}: {error.reason}" for error in ern_schema.iter_errors(xml.decode("utf-8"))]
    assert errors == []
