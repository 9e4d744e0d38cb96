"""Tag screening: generator names, prompt fields and AI self-labels in any container, without false flags."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storefront.screening.metadata import FieldKind, TagField, scan_fields, scan_file
from tests.factories.provenance import encode, master, write_tags

CONTAINERS = (".mp3", ".flac", ".m4a", ".wav", ".opus", ".aiff")

GENERATOR_TAGS = {
    "software": "Suno v3.5",
    "custom:SUNO_PROMPT": "dreamy lofi beat with rain, female vocals",
    "comment": "AI-generated track",
}
HUMAN_TAGS = {
    "title": "Studio",
    "artist": "Sunol",
    "comment": "Recorded in our audio studio, boomy bass, no AI-generated content at all",
    "software": "REAPER 7.1 / LAME 3.100",
    "custom:PRODUCER": "Udiomar Castillo",
}


@pytest.fixture(scope="module")
def untagged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("tags")
    wav = master(d / "src.wav", seed=31, seconds=2)
    return {
        ".wav": wav, ".flac": master(d / "src.flac", seed=31, seconds=2),
        ".aiff": master(d / "src.aiff", seed=31, seconds=2), ".mp3": encode(wav, d / "src.mp3"),
        ".m4a": encode(wav, d / "src.m4a"), ".opus": encode(wav, d / "src.opus"),
    }


def _tagged(untagged: dict[str, Path], tmp_path: Path, ext: str, fields: dict[str, str]) -> Path:
    path = tmp_path / f"tagged{ext}"
    shutil.copyfile(untagged[ext], path)
    return write_tags(path, fields)


@pytest.mark.parametrize("ext", CONTAINERS)
def test_generator_tags_are_found_in_every_container(
    untagged: dict[str, Path], tmp_path: Path, ext: str
) -> None:
    scan = scan_file(_tagged(untagged, tmp_path, ext, GENERATOR_TAGS))
    rules = {(f.rule, f.generator) for f in scan.findings}
    assert ("generator-name", "Suno") in rules
    assert ("prompt-field", None) in rules
    assert ("ai-declaration", None) in rules
    assert all(f.severity == "high" for f in scan.findings)
    prompt = next(f for f in scan.findings if f.rule == "prompt-field")
    assert "SUNO_PROMPT" in prompt.field.upper()
    assert "dreamy lofi beat" in prompt.excerpt
    assert scan.flagged


@pytest.mark.parametrize("ext", CONTAINERS)
def test_ordinary_human_tags_are_not_flagged(untagged: dict[str, Path], tmp_path: Path, ext: str) -> None:
    scan = scan_file(_tagged(untagged, tmp_path, ext, HUMAN_TAGS))
    assert scan.fields_scanned >= 3
    assert scan.findings == []
    assert not scan.flagged


def test_riff_info_software_field_in_wav(untagged: dict[str, Path], tmp_path: Path) -> None:
    scan = scan_file(_tagged(untagged, tmp_path, ".wav", {"software": "Udio", "title": "Night Drive"}))
    [finding] = scan.findings
    assert (finding.field, finding.container, finding.generator) == ("ISFT", "RIFF INFO", "Udio")
    assert finding.excerpt == "Udio"


def test_untagged_files_and_non_audio_are_quiet(untagged: dict[str, Path], tmp_path: Path) -> None:
    for path in untagged.values():
        assert scan_file(path).findings == []
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00" * 512)
    assert scan_file(junk).findings == []


def _scan(value: str, kind: FieldKind, name: str = "field") -> list[tuple[str, str | None]]:
    return [(f.rule, f.generator) for f in scan_fields([TagField("test", name, value, kind)]).findings]


@pytest.mark.parametrize(("value", "kind", "generator"), [
    ("Udio", FieldKind.COMMENT, "Udio"),
    ("created on udio.com", FieldKind.COMMENT, "Udio"),
    ("SunoAI", FieldKind.COMMENT, "Suno"),
    ("Generated with Suno", FieldKind.DESCRIPTIVE, "Suno"),
    ("suno.com/song/abc", FieldKind.DESCRIPTIVE, "Suno"),
    ("Riffusion v1", FieldKind.COMMENT, "Riffusion"),
    ("Voice by Eleven Labs", FieldKind.COMMENT, "ElevenLabs"),
    ("musicgen-large", FieldKind.SOFTWARE, "MusicGen"),
    ("Made with MusicGen", FieldKind.DESCRIPTIVE, "MusicGen"),
    ("Stable Audio Open 1.0", FieldKind.COMMENT, "Stable Audio"),
    ("AIVA", FieldKind.SOFTWARE, "AIVA"),
    ("aiva.ai export", FieldKind.COMMENT, "AIVA"),
    ("Boomy", FieldKind.SOFTWARE, "Boomy"),
    ("boomy.com", FieldKind.COMMENT, "Boomy"),
    ("Soundraw", FieldKind.COMMENT, "Soundraw"),
    ("Mubert render", FieldKind.COMMENT, "Mubert"),
])
def test_generator_names_are_found(value: str, kind: FieldKind, generator: str) -> None:
    assert ("generator-name", generator) in _scan(value, kind)


@pytest.mark.parametrize(("value", "kind"), [
    ("Studio", FieldKind.DESCRIPTIVE),
    ("audio engineer: J. Ruiz, studio B", FieldKind.COMMENT),
    ("Sunol", FieldKind.DESCRIPTIVE),
    ("Sunol Valley sessions", FieldKind.COMMENT),
    ("Suno Na", FieldKind.DESCRIPTIVE),  # a Hindi song title: "listen"
    ("Aiva", FieldKind.DESCRIPTIVE),  # a singer's name
    ("Jukebox Hero", FieldKind.DESCRIPTIVE),
    ("the low end is a bit boomy", FieldKind.COMMENT),
    ("played loudly, recorded live", FieldKind.COMMENT),
    ("soundful and warm", FieldKind.COMMENT),
    ("Claudio Abbado", FieldKind.DESCRIPTIVE),
    ("Pro Tools 2024.6", FieldKind.SOFTWARE),
    ("music generation theory lecture", FieldKind.COMMENT),
])
def test_ordinary_words_are_not_generators(value: str, kind: FieldKind) -> None:
    assert _scan(value, kind) == []


@pytest.mark.parametrize("name", ["TXXX:PROMPT", "AI_PROMPT", "prompt", "----:com.apple.iTunes:STYLE_PROMPT",
                                  "GENERATOR", "generated_by", "MADE_WITH", "made with"])
def test_prompt_style_field_names_are_flagged(name: str) -> None:
    findings = scan_fields([TagField("test", name, "", FieldKind.COMMENT)]).findings
    assert [f.rule for f in findings] == ["prompt-field"]
    assert findings[0].excerpt == "(empty)"


@pytest.mark.parametrize("name", ["PRODUCER", "TXXX:REPLAYGAIN_TRACK_GAIN", "ENCODER", "promoter"])
def test_ordinary_field_names_are_not_prompt_fields(name: str) -> None:
    assert scan_fields([TagField("test", name, "x", FieldKind.COMMENT)]).findings == []


def test_generator_in_a_field_name_is_evidence() -> None:
    findings = scan_fields([TagField("test", "TXXX:SUNO_ID", "8f1c", FieldKind.COMMENT)]).findings
    assert [(f.rule, f.generator, f.excerpt) for f in findings] == [
        ("generator-name", "Suno", "field name 'TXXX:SUNO_ID'")]


@pytest.mark.parametrize(("value", "flagged"), [
    ("AI-generated", True),
    ("made with AI", True),
    ("Composed using artificial intelligence", True),
    ("text-to-music demo", True),
    ("No AI-generated parts", False),
    ("not made with AI", False),
    ("without AI generated stems", False),
])
def test_ai_self_declarations(value: str, flagged: bool) -> None:
    assert (("ai-declaration", None) in _scan(value, FieldKind.COMMENT)) is flagged


def test_excerpt_is_short_and_centred_on_the_match() -> None:
    value = "x" * 300 + " made with Udio " + "y" * 300
    [finding] = scan_fields([TagField("test", "COMM", value, FieldKind.COMMENT)]).findings
    assert "Udio" in finding.excerpt
    assert len(finding.excerpt) <= 160
