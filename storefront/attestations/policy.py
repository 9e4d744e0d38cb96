"""The human-made policy as data: versioned statements, creative elements, what makes a release ineligible."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CURRENT_VERSION = "HM-1"


class Level(enum.StrEnum):
    STANDARD = "standard"
    EMBODIED = "embodied"


class AiUse(enum.StrEnum):
    NONE = "none"
    ASSISTIVE = "assistive"
    GENERATIVE = "generative"
    ABSENT = "absent"  # the element is not part of the work (no lyrics on an instrumental)


AI_USE_LABELS = {
    AiUse.NONE: "Made by people, no AI",
    AiUse.ASSISTIVE: "Made by people, with assistive AI tools (named below)",
    AiUse.GENERATIVE: "Generative AI produced some of it",
    AiUse.ABSENT: "Not part of this work",
}
PITCH_CORRECTION = "pitch_correction"
GRID_QUANTISATION = "grid_quantisation"
TECHNIQUE_LABELS = {
    PITCH_CORRECTION: "Pitch correction was used",
    GRID_QUANTISATION: "Timing was quantised to a grid",
}
TECHNIQUE_NAMES = {PITCH_CORRECTION: "pitch correction", GRID_QUANTISATION: "grid quantisation"}


@dataclass(frozen=True)
class Statement:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Policy:
    version: str
    statements: tuple[Statement, ...]
    embodied: Statement

    def statements_for(self, level: Level) -> tuple[Statement, ...]:
        return self.statements + ((self.embodied,) if level == Level.EMBODIED else ())


# The texts are part of every signed document: a change of wording is a new policy version, never an edit.
POLICIES: dict[str, Policy] = {
    "HM-1": Policy(
        version="HM-1",
        statements=(
            Statement(
                "human_authorship",
                "Made by people",
                "Every composition, lyric, vocal and instrumental performance on this release was created by "
                "the people credited on it.",
            ),
            Statement(
                "no_generative_ai",
                "No generative AI",
                "No generative AI system (such as Suno, Udio, voice models or text-to-image tools) produced "
                "any musical, lyrical, vocal or visual material on this release, including the artwork.",
            ),
            Statement(
                "tools_named",
                "Tools declared",
                "Every assistive tool used (for example pitch or timing correction, noise reduction, stem "
                "separation of our own recordings, AI-assisted mixing or mastering) is named in this "
                "disclosure.",
            ),
            Statement(
                "files_bound",
                "These exact files",
                "The masters and the artwork uploaded here are the files this statement is about; replacing "
                "any of them needs a new attestation.",
            ),
            Statement(
                "authority",
                "Authority to sign",
                "I am entitled to sign for the artist, and the people credited agree to be named.",
            ),
            Statement(
                "consequences",
                "Consequences",
                "I understand that a false statement leads to the release being withdrawn, its buyers "
                "refunded, and the decision published.",
            ),
        ),
        embodied=Statement(
            "embodied",
            "Embodied",
            "No pitch correction, no grid quantisation and no assistive AI of any kind was used on this "
            "release: what you hear is how it was played and sung.",
        ),
    ),
}

GENERATIVE_AI_REASON = (
    "HM-1 accepts no generative AI anywhere: a system that produced musical, lyrical, vocal or visual "
    "material from prompts, references or training data (Suno, Udio, voice models, text-to-image…) makes "
    "a release ineligible for sale here."
)
ASSISTIVE_TOOL_HINTS = (
    "EQ",
    "Compression",
    "Pitch correction (Melodyne, Auto-Tune)",
    "Timing correction / quantisation",
    "Noise reduction (iZotope RX)",
    "Stem separation of our own recordings",
    "AI-assisted mastering (Ozone Master Assistant, LANDR)",
)
# Names of systems that generate material; naming one as a tool or a credit is a generative-AI declaration.
GENERATIVE_SYSTEMS = (
    "Suno",
    "Udio",
    "Riffusion",
    "ElevenLabs",
    "MusicGen",
    "Stable Audio",
    "AIVA",
    "Boomy",
    "Soundraw",
    "Mubert",
    "Voicify",
    "OpenAI Jukebox",
    "MusicLM",
    "Midjourney",
    "DALL-E",
    "DALL·E",
    "Stable Diffusion",
    "Adobe Firefly",
    "ChatGPT",
    "GenerativeAI",
    "Generative AI",
)
_GENERATIVE_PATTERN = re.compile(
    r"(?<![a-z0-9])(" + "|".join(re.escape(n.lower()) for n in GENERATIVE_SYSTEMS) + r")(?![a-z0-9])"
)


@dataclass(frozen=True)
class Element:
    key: str
    label: str
    question: str
    roles: tuple[str, ...]  # ContributorRole values that credit this element
    rule: str
    may_be_absent: bool = False
    assistive_allowed: bool = True
    techniques: tuple[str, ...] = ()
    release_only: bool = False


ELEMENTS: tuple[Element, ...] = (
    Element(
        "composition",
        "Composition",
        "Who wrote the music?",
        ("composer",),
        "no generative AI",
        assistive_allowed=False,
    ),
    Element(
        "lyrics",
        "Lyrics",
        "Who wrote the words?",
        ("lyricist",),
        "no generative AI",
        may_be_absent=True,
        assistive_allowed=False,
    ),
    Element(
        "vocals",
        "Lead and backing vocals",
        "Who sang?",
        ("performer",),
        "no generative AI, no voice cloning or synthetic voices",
        may_be_absent=True,
        techniques=(PITCH_CORRECTION,),
    ),
    Element(
        "instrumental",
        "Instrumental performance",
        "Who played or programmed the parts?",
        ("performer",),
        "no generative AI; human-played or human-programmed parts only",
        may_be_absent=True,
        techniques=(PITCH_CORRECTION, GRID_QUANTISATION),
    ),
    Element(
        "production",
        "Production and arrangement",
        "Who produced and arranged it?",
        ("producer",),
        "no generative AI",
        techniques=(PITCH_CORRECTION, GRID_QUANTISATION),
    ),
    Element(
        "mixing",
        "Mixing",
        "Who mixed it?",
        ("mixing_engineer",),
        "assistive tools allowed, each named",
        techniques=(PITCH_CORRECTION,),
    ),
    Element(
        "mastering",
        "Mastering",
        "Who mastered it?",
        ("mastering_engineer",),
        "assistive tools allowed, each named",
    ),
    Element("artwork", "Artwork", "Who made the cover?", ("artwork",), "no generative AI", release_only=True),
)
ELEMENTS_BY_KEY = {e.key: e for e in ELEMENTS}
TRACK_ELEMENTS = tuple(e for e in ELEMENTS if not e.release_only)
MAX_TOOLS = 20


@dataclass(frozen=True)
class Declaration:
    """What the signer says about one element: whether AI was involved, the tools named, the techniques."""

    ai: AiUse = AiUse.NONE
    tools: tuple[str, ...] = ()
    techniques: frozenset[str] = field(default_factory=frozenset)

    def to_json(self) -> dict[str, Any]:
        return {"ai": self.ai.value, "tools": list(self.tools), "techniques": sorted(self.techniques)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Declaration:
        return cls(AiUse(data["ai"]), tuple(data.get("tools", ())), frozenset(data.get("techniques", ())))


def parse_tools(text: str) -> tuple[str, ...]:
    """Tool names typed as a list separated by commas, semicolons or lines; duplicates dropped."""
    names: list[str] = []
    for part in re.split(r"[,;\n]", text):
        name = " ".join(part.split())[:80]
        if name and name.lower() not in (n.lower() for n in names):
            names.append(name)
    return tuple(names)


def generative_names(text: str) -> list[str]:
    """The generative systems a free-text name mentions ("Suno v4" -> ["suno"])."""
    return sorted({m.group(1) for m in _GENERATIVE_PATTERN.finditer(text.lower())})


@dataclass(frozen=True)
class Finding:
    """Something the policy refuses; `ineligible` ones mean the release cannot be sold here at all."""

    message: str
    element: str | None = None
    ineligible: bool = False


def declaration_findings(element: Element, declaration: Declaration, where: str) -> list[Finding]:
    found: list[Finding] = []
    name = f"{element.label} ({where})"
    if declaration.ai == AiUse.GENERATIVE:
        found.append(
            Finding(
                f"{name} is declared as made with generative AI. {GENERATIVE_AI_REASON}",
                element.key,
                ineligible=True,
            )
        )
    for tool in declaration.tools:
        if generative_names(tool):
            found.append(
                Finding(
                    f"{name}: “{tool}” is a generative AI system, not an assistive tool. "
                    f"{GENERATIVE_AI_REASON}",
                    element.key,
                    ineligible=True,
                )
            )
    if declaration.ai == AiUse.ABSENT and not element.may_be_absent:
        found.append(Finding(f"{name} is part of every release; say who did it.", element.key))
    if declaration.ai == AiUse.ASSISTIVE and not element.assistive_allowed:
        found.append(
            Finding(
                f"{name}: HM-1 allows assistive tools for processing recordings, not for "
                f"writing; declare it as made by people.",
                element.key,
            )
        )
    if (declaration.ai == AiUse.ASSISTIVE or declaration.techniques) and not declaration.tools:
        found.append(
            Finding(
                f"{name}: name the tools used; every assistive tool must be declared by name.", element.key
            )
        )
    if len(declaration.tools) > MAX_TOOLS:
        found.append(Finding(f"{name}: name at most {MAX_TOOLS} tools.", element.key))
    unknown = declaration.techniques - set(element.techniques)
    if unknown:
        found.append(Finding(f"{name}: {', '.join(sorted(unknown))} does not apply here.", element.key))
    return found


def embodied_findings(element: Element, declaration: Declaration, where: str) -> list[Finding]:
    """Why a declaration does not meet the stricter Embodied level (never ineligible: Standard remains)."""
    name = f"{element.label} ({where})"
    found = [
        Finding(f"Embodied allows no {TECHNIQUE_NAMES[t]}: {name} declares it.", element.key)
        for t in sorted(declaration.techniques)
        if t in TECHNIQUE_NAMES
    ]
    if declaration.ai == AiUse.ASSISTIVE:
        found.append(Finding(f"Embodied allows no assistive AI: {name} declares it.", element.key))
    return found


def credit_findings(names: Iterable[str]) -> list[Finding]:
    """A credit naming a generative system (or the DDEX GenerativeAI special contributor) is ineligible."""
    return [
        Finding(f"The credit “{name}” names a generative AI system. {GENERATIVE_AI_REASON}", ineligible=True)
        for name in names
        if generative_names(name)
    ]
