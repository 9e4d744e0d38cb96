"""Export of a release's AI disclosure as a DDEX ERN 4.3.2 NewReleaseMessage."""

from __future__ import annotations

import datetime as dt
import enum
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

# ERN 4.3.2 is the first ERN version with AI disclosure (ContainsAI on Release and SoundRecording,
# AiContribution on Contributor). Its namespace is .../ern/432; the .../ern/43 namespace is ERN 4.3,
# whose schema has no such element.
ERN_NAMESPACE = "http://ddex.net/xml/ern/432"
ERN_VERSION = "4.3.2"
AVS_VERSION_ID = "11"
_E = f"{{{ERN_NAMESPACE}}}"
_DEFAULT_TERRITORY = {"ApplicableTerritoryCode": "Worldwide", "IsDefault": "true"}


class ContainsAI(enum.StrEnum):
    """DDEX allowed value set ContainsAI: how much of the content was created with generative AI."""

    NONE = "None"
    PARTLY = "Partly"
    ALL = "All"


# ContributorRole allowed values used by the HM-1 disclosure form; anything else is sent as UserDefined.
KNOWN_ROLES = frozenset(
    {
        "Composer",
        "Lyricist",
        "ComposerLyricist",
        "Arranger",
        "Producer",
        "CoProducer",
        "MixingEngineer",
        "MasteringEngineer",
        "RecordingEngineer",
        "Engineer",
        "Vocalist",
        "BackgroundVocalist",
        "FeaturedArtist",
        "Musician",
        "Programmer",
        "Conductor",
        "Remixer",
        "Artist",
    }
)


class DdexExportError(ValueError):
    """The release data cannot be expressed as a valid, consistent ERN message."""


@dataclass(frozen=True)
class DdexContributor:
    name: str
    roles: tuple[str, ...]
    instruments: tuple[str, ...] = ()
    ai_contribution: ContainsAI = ContainsAI.NONE


@dataclass(frozen=True)
class DdexTrack:
    title: str
    isrc: str
    duration_seconds: float
    contributors: tuple[DdexContributor, ...] = ()
    artists: tuple[str, ...] = ()  # display artists; the release's artists when empty
    contains_ai: ContainsAI = ContainsAI.NONE
    has_vocals: bool | None = None


@dataclass(frozen=True)
class DdexRelease:
    title: str
    icpn: str  # UPC (12 digits) or EAN (13 digits)
    artists: tuple[str, ...]
    tracks: tuple[DdexTrack, ...]
    label: str
    genre: str
    release_date: dt.date | None = None
    p_line: tuple[int, str] | None = None  # (year, text)
    contains_ai: ContainsAI = ContainsAI.NONE
    release_type: str | None = None  # Single / EP / Album; guessed from the track count when None


@dataclass(frozen=True)
class DdexMessageParties:
    message_id: str
    sender_dpid: str
    sender_name: str
    recipient_dpid: str
    recipient_name: str
    created: dt.datetime
    test_message: bool = False


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration as ERN writes it: PT1H2M3S, PT3M25S, PT1M30.5S."""
    if seconds < 0:
        raise DdexExportError("duration cannot be negative")
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    frac = round(seconds - whole, 3)
    sec_text = f"{secs + frac:.3f}".rstrip("0").rstrip(".") if frac else str(secs)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{sec_text}S"


def normalise_isrc(isrc: str) -> str:
    code = isrc.replace("-", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}\d{7}", code):
        raise DdexExportError(f"not an ISRC: {isrc!r}")
    return code


def check_icpn(icpn: str) -> str:
    digits = icpn.replace(" ", "")
    if not re.fullmatch(r"\d{12,13}", digits):
        raise DdexExportError(f"ICPN must be a 12-digit UPC or 13-digit EAN: {icpn!r}")
    body, check = digits[:-1], int(digits[-1])
    weights = [3 if i % 2 == 0 else 1 for i in range(len(body))]
    total = sum(int(d) * w for d, w in zip(reversed(body), weights, strict=True))
    if (10 - total % 10) % 10 != check:
        raise DdexExportError(f"ICPN check digit is wrong: {icpn!r}")
    return digits


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = text
    return child


def _check_consistency(release: DdexRelease) -> None:
    # ERN 4.3.2: a resource declared ContainsAI=None may not list contributors with AiContribution
    # Partly or All, and a release cannot be "None" while one of its recordings says otherwise.
    if not release.tracks:
        raise DdexExportError("a release needs at least one track")
    for track in release.tracks:
        ai_people = [c.name for c in track.contributors if c.ai_contribution is not ContainsAI.NONE]
        if track.contains_ai is ContainsAI.NONE and ai_people:
            raise DdexExportError(f"{track.title!r} is ContainsAI=None but lists AI contributors {ai_people}")
        if release.contains_ai is ContainsAI.NONE and track.contains_ai is not ContainsAI.NONE:
            raise DdexExportError(f"release says ContainsAI=None but {track.title!r} is {track.contains_ai}")


class _Parties:
    def __init__(self) -> None:
        self.refs: dict[str, str] = {}

    def ref(self, name: str) -> str:
        if name not in self.refs:
            self.refs[name] = f"P{len(self.refs) + 1}"
        return self.refs[name]


def _display_artists(parent: ET.Element, names: tuple[str, ...], parties: _Parties) -> None:
    _sub(parent, "DisplayArtistName", " & ".join(names), **_DEFAULT_TERRITORY)
    for seq, name in enumerate(names, 1):
        artist = _sub(parent, "DisplayArtist", SequenceNumber=str(seq))
        _sub(artist, "ArtistPartyReference", parties.ref(name))
        _sub(artist, "DisplayArtistRole", "MainArtist")


def _title(parent: ET.Element, title: str) -> None:
    _sub(parent, "DisplayTitleText", title)
    _sub(_sub(parent, "DisplayTitle", **_DEFAULT_TERRITORY), "TitleText", title)


def _contributor(parent: ET.Element, seq: int, person: DdexContributor, parties: _Parties, ns: str) -> None:
    node = _sub(parent, "Contributor", SequenceNumber=str(seq))
    _sub(node, "ContributorPartyReference", parties.ref(person.name))
    for role in person.roles:
        role_node = _sub(node, "Role")
        if role in KNOWN_ROLES:
            _sub(role_node, "Value", role)
        else:
            _sub(role_node, "Value", "UserDefined", Namespace=ns, UserDefinedValue=role)
        if role == "Musician":
            for instrument in person.instruments:
                _sub(role_node, "InstrumentType", "UserDefined", Namespace=ns, UserDefinedValue=instrument)
    _sub(node, "AiContribution", str(person.ai_contribution))


def _sound_recording(
    parent: ET.Element, ref: str, track: DdexTrack, release: DdexRelease, parties: _Parties, ns: str
) -> None:
    node = _sub(parent, "SoundRecording")
    _sub(node, "ResourceReference", ref)
    _sub(node, "Type", "MusicalWorkSoundRecording")
    edition = _sub(node, "SoundRecordingEdition")
    _sub(_sub(edition, "ResourceId"), "ISRC", normalise_isrc(track.isrc))
    _title(node, track.title)
    _display_artists(node, track.artists or release.artists, parties)
    for seq, person in enumerate(track.contributors, 1):
        _contributor(node, seq, person, parties, ns)
    _sub(node, "Duration", iso_duration(track.duration_seconds))
    _sub(node, "ContainsAI", str(track.contains_ai))
    if track.has_vocals is not None:
        _sub(node, "HasVocalPerformance", "true" if track.has_vocals else "false")


def build_new_release_message(release: DdexRelease, message: DdexMessageParties) -> bytes:
    """UTF-8 XML of a NewReleaseMessage carrying the release, its recordings and their AI disclosure."""
    _check_consistency(release)
    parties = _Parties()
    root = ET.Element(f"{_E}NewReleaseMessage", AvsVersionId=AVS_VERSION_ID, LanguageAndScriptCode="en")
    header = _sub(root, "MessageHeader")
    _sub(header, "MessageThreadId", message.message_id)
    _sub(header, "MessageId", message.message_id)
    for tag, dpid, name in (
        ("MessageSender", message.sender_dpid, message.sender_name),
        ("MessageRecipient", message.recipient_dpid, message.recipient_name),
    ):
        if not re.fullmatch(r"PADPIDA[a-zA-Z0-9]+", dpid):
            raise DdexExportError(f"{tag} needs a DDEX party id (PADPIDA...), got {dpid!r}")
        party = _sub(header, tag)
        _sub(party, "PartyId", dpid)
        _sub(_sub(party, "PartyName"), "FullName", name)
    created = message.created.astimezone(dt.UTC).replace(microsecond=0)
    _sub(header, "MessageCreatedDateTime", created.isoformat().replace("+00:00", "Z"))
    _sub(header, "MessageControlType", "TestMessage" if message.test_message else "LiveMessage")

    party_list = _sub(root, "PartyList")
    resources = _sub(root, "ResourceList")
    refs = [f"A{i}" for i in range(1, len(release.tracks) + 1)]
    for ref, track in zip(refs, release.tracks, strict=True):
        _sound_recording(resources, ref, track, release, parties, message.sender_dpid)

    node = _sub(_sub(root, "ReleaseList"), "Release")
    _sub(node, "ReleaseReference", "R0")
    count = len(release.tracks)
    guessed = "Single" if count <= 3 else "EP" if count <= 6 else "Album"
    _sub(node, "ReleaseType", release.release_type or guessed)
    _sub(_sub(node, "ReleaseId"), "ICPN", check_icpn(release.icpn))
    _title(node, release.title)
    _display_artists(node, release.artists, parties)
    _sub(node, "ReleaseLabelReference", parties.ref(release.label), ApplicableTerritoryCode="Worldwide")
    if release.p_line:
        p_line = _sub(node, "PLine")
        _sub(p_line, "Year", str(release.p_line[0]))
        _sub(p_line, "PLineText", release.p_line[1])
    _sub(node, "Duration", iso_duration(sum(t.duration_seconds for t in release.tracks)))
    _sub(_sub(node, "DisplayGenre", ApplicableTerritoryCode="Worldwide"), "GenreText", release.genre)
    if release.release_date:
        _sub(node, "ReleaseDate", release.release_date.isoformat())
    group = _sub(node, "ResourceGroup")
    for seq, ref in enumerate(refs, 1):
        item = _sub(group, "ResourceGroupContentItem")
        _sub(item, "SequenceNumber", str(seq))
        _sub(item, "ReleaseResourceReference", ref)
    _sub(node, "ContainsAI", str(release.contains_ai))

    for name, ref in parties.refs.items():
        party = _sub(party_list, "Party")
        _sub(party, "PartyReference", ref)
        _sub(_sub(party, "PartyName"), "FullName", name)
    ET.register_namespace("ern", ERN_NAMESPACE)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
