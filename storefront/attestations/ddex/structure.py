"""Checking an ERN 4.3.2 message's structure: element order, mandatory parts, references, AI disclosure."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .export import _E, ERN_NAMESPACE, ContainsAI

# Element order of the ERN 4.3.2 composites this module writes, as the schema's sequences define them
# (the schema itself is licensed by DDEX and not shipped here). Mandatory children are marked with "!".
_SEQUENCES: dict[str, tuple[str, ...]] = {
    "NewReleaseMessage": (
        "!MessageHeader",
        "ReleaseAdmin",
        "!PartyList",
        "CueSheetList",
        "!ResourceList",
        "ChapterList",
        "!ReleaseList",
        "DealList",
        "SupplementalDocumentList",
    ),
    "MessageHeader": (
        "MessageThreadId",
        "!MessageId",
        "MessageFileName",
        "!MessageSender",
        "SentOnBehalfOf",
        "!MessageRecipient",
        "!MessageCreatedDateTime",
        "MessageAuditTrail",
        "MessageControlType",
    ),
    "Party": ("!PartyReference", "PartyName", "PartyId"),
    "SoundRecording": (
        "!ResourceReference",
        "!Type",
        "!SoundRecordingEdition",
        "RecordingFormat",
        "WorkId",
        "!DisplayTitleText",
        "!DisplayTitle",
        "FormalTitle",
        "GroupingTitle",
        "VersionType",
        "!DisplayArtistName",
        "!DisplayArtist",
        "Contributor",
        "Character",
        "ResourceRightsController",
        "WorkRightsController",
        "CourtesyLine",
        "!Duration",
        "CreationDate",
        "MasteredDate",
        "RemasteredDate",
        "FirstPublicationDate",
        "LocationAndDateOfSession",
        "ParentalWarningType",
        "RelatedRelease",
        "RelatedResource",
        "CompositeMusicalWorkType",
        "ContainsAI",
        "IsCover",
        "HasVocalPerformance",
        "HasForegroundVocalPerformance",
        "IsInstrumental",
        "ContainsHiddenContent",
        "IsRemastered",
        "IsHiResMusic",
        "DisableCrossfade",
        "DisableSearch",
        "DisplayCredits",
        "LanguageOfPerformance",
        "Raga",
        "Tala",
        "Deity",
        "AudioChapterReference",
    ),
    "SoundRecordingEdition": (
        "Type",
        "!ResourceId",
        "EditionContributor",
        "PLine",
        "RecordingMode",
        "TechnicalDetails",
    ),
    "Release": (
        "!ReleaseReference",
        "!ReleaseType",
        "!ReleaseId",
        "!DisplayTitleText",
        "!DisplayTitle",
        "FormalTitle",
        "GroupingTitle",
        "VersionType",
        "!DisplayArtistName",
        "!DisplayArtist",
        "!ReleaseLabelReference",
        "AdministratingRecordCompany",
        "PLine",
        "CLine",
        "CourtesyLine",
        "Duration",
        "!DisplayGenre",
        "ReleaseDate",
        "OriginalReleaseDate",
        "ReleaseVisibilityReference",
        "ParentalWarningType",
        "AvRating",
        "RelatedRelease",
        "RelatedResource",
        "IsSingleArtistCompilation",
        "IsMultiArtistCompilation",
        "!ResourceGroup",
        "ExternalResourceLink",
        "TargetURL",
        "Keywords",
        "Synopsis",
        "Raga",
        "Tala",
        "Deity",
        "HiResMusicDescription",
        "ContainsAI",
        "IsSoundtrack",
        "IsHiResMusic",
        "MarketingComment",
    ),
    "Contributor": (
        "ContributorPartyReference",
        "SpecialContributor",
        "Role",
        "InstrumentType",
        "AiContribution",
        "HasMadeFeaturedContribution",
        "HasMadeContractedContribution",
        "IsCredited",
        "DisplayCredits",
    ),
    "Role": ("!Value", "InstrumentType"),
    "DisplayArtist": ("!ArtistPartyReference", "!DisplayArtistRole", "ArtistRole"),
    "ResourceGroupContentItem": ("SequenceNumber", "!ReleaseResourceReference"),
}


def structural_problems(xml: bytes) -> list[str]:
    """Problems with element order, mandatory elements, references and AI-disclosure consistency."""
    try:
        root = ET.fromstring(xml)  # noqa: S314 -- messages this module wrote, not uploads
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    problems: list[str] = []
    if root.tag != f"{_E}NewReleaseMessage":
        problems.append(f"root element is {root.tag}, expected ern:NewReleaseMessage in {ERN_NAMESPACE}")
    for attr in ("AvsVersionId", "LanguageAndScriptCode"):
        if attr not in root.attrib:
            problems.append(f"NewReleaseMessage lacks the {attr} attribute")
    for element in root.iter():
        name = "NewReleaseMessage" if element is root else element.tag
        if element is not root and name.startswith("{"):
            problems.append(f"{name} must be unqualified (the schema's elementFormDefault is unqualified)")
        if name in _SEQUENCES:
            problems.extend(_order_problems(name, [child.tag for child in element]))
    parties = {e.text for e in root.iter("PartyReference")}
    resources = {e.text for e in root.iter("ResourceReference")}
    for tag in ("ContributorPartyReference", "ArtistPartyReference", "ReleaseLabelReference"):
        problems += [f"{tag} {e.text} names no Party" for e in root.iter(tag) if e.text not in parties]
    problems += [
        f"ReleaseResourceReference {e.text} names no resource"
        for e in root.iter("ReleaseResourceReference")
        if e.text not in resources
    ]
    allowed = {v.value for v in ContainsAI}
    for tag in ("ContainsAI", "AiContribution"):
        problems += [
            f"{tag} value {e.text!r} is not one of {sorted(allowed)}"
            for e in root.iter(tag)
            if e.text not in allowed
        ]
    for recording in root.iter("SoundRecording"):
        if recording.findtext("ContainsAI") == ContainsAI.NONE:
            ai = [c for c in recording.iter("Contributor") if _is_ai_contributor(c)]
            if ai:
                problems.append(
                    f"{recording.findtext('ResourceReference')} says ContainsAI=None but has "
                    f"{len(ai)} AI contributor(s)"
                )
    return problems


def _is_ai_contributor(contributor: ET.Element) -> bool:
    return (
        contributor.findtext("AiContribution") in (ContainsAI.PARTLY, ContainsAI.ALL)
        or contributor.find("SpecialContributor") is not None
    )


def _order_problems(name: str, children: list[str]) -> list[str]:
    sequence = [s.lstrip("!") for s in _SEQUENCES[name]]
    problems = [
        f"{name}: missing mandatory {s[1:]}"
        for s in _SEQUENCES[name]
        if s.startswith("!") and s[1:] not in children
    ]
    last = -1
    for tag in children:
        if tag not in sequence:
            problems.append(f"{name}: unexpected element {tag}")
            continue
        position = sequence.index(tag)
        if position < last:
            problems.append(f"{name}: {tag} is out of order")
        last = max(last, position)
    return problems
