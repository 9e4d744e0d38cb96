"""Forms: declarations per element and per track, statements and signature; countersigning; verifying."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, Form, FormField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from .policy import (
    AI_USE_LABELS,
    CURRENT_VERSION,
    ELEMENTS,
    POLICIES,
    TECHNIQUE_LABELS,
    TRACK_ELEMENTS,
    AiUse,
    Declaration,
    Element,
    Level,
    parse_tools,
)

LEVEL_LABELS = {
    Level.STANDARD: f"Standard ({CURRENT_VERSION})",
    Level.EMBODIED: "Embodied: also no pitch correction, no grid quantisation, no assistive AI",
}
TOOLS_HELP = (
    "Name every tool that processed this part, separated by commas (plug-ins, correction, AI-assisted tools)."
)


def _choices(element: Element) -> list[SelectChoice]:
    allowed = [AiUse.NONE]
    if element.assistive_allowed:
        allowed.append(AiUse.ASSISTIVE)
    allowed.append(AiUse.GENERATIVE)
    if element.may_be_absent:
        allowed.append(AiUse.ABSENT)
    return [SelectChoice(use.value, AI_USE_LABELS[use]) for use in allowed]


def _element_form(element: Element) -> type[Form]:
    attrs: dict[str, Any] = {
        "ai": SelectField("AI involvement", choices=_choices(element), default=AiUse.NONE.value),
        "tools": StringField("Tools used", [Optional(), Length(max=1000)], description=TOOLS_HELP),
    }
    for technique in element.techniques:
        attrs[technique] = BooleanField(TECHNIQUE_LABELS[technique])
    return type(f"{element.key.title()}Declaration", (Form,), attrs)


_ELEMENT_FORMS = {e.key: _element_form(e) for e in ELEMENTS}
_TRACK_FORM: type[Form] = type(
    "TrackDeclarations",
    (Form,),
    {
        "differs": BooleanField("This track differs from the release's declaration"),
        **{e.key: FormField(_ELEMENT_FORMS[e.key], label=e.label) for e in TRACK_ELEMENTS},
    },
)


class AttestationForm(FlaskForm):
    legal_name = StringField(
        "Your legal name",
        [Optional(), Length(max=200)],
        description="Kept private. The public certificate carries only a salted hash of it.",
    )
    level = SelectField("Level", choices=[SelectChoice(k.value, v) for k, v in LEVEL_LABELS.items()])


def attestation_form(track_ids: Iterable[int], **kwargs: Any) -> AttestationForm:
    """The signing form for a release with these tracks; field names: el_<element>-ai, track_<id>-differs…"""
    attrs: dict[str, Any] = {}
    policy = POLICIES[CURRENT_VERSION]
    for statement in (*policy.statements, policy.embodied):
        attrs[f"statement_{statement.id}"] = BooleanField(statement.text)
    for element in ELEMENTS:
        attrs[f"el_{element.key}"] = FormField(_ELEMENT_FORMS[element.key], label=element.label)
    for track_id in track_ids:
        attrs[f"track_{track_id}"] = FormField(_TRACK_FORM)
    form_class = type("SigningForm", (AttestationForm,), attrs)
    form: AttestationForm = form_class(**kwargs)
    return form


def _declaration(sub: Any, element: Element) -> Declaration:
    return Declaration(
        AiUse(sub.ai.data or AiUse.NONE.value),
        parse_tools(sub.tools.data or ""),
        frozenset(t for t in element.techniques if sub[t].data),
    )


def declarations_of(
    form: AttestationForm, track_ids: Iterable[int]
) -> tuple[dict[str, Declaration], dict[int, dict[str, Declaration]]]:
    """The release's declarations, and those of the tracks marked as differing."""
    release = {e.key: _declaration(form[f"el_{e.key}"].form, e) for e in ELEMENTS}
    tracks: dict[int, dict[str, Declaration]] = {}
    for track_id in track_ids:
        sub = form[f"track_{track_id}"].form
        if sub.differs.data:
            tracks[track_id] = {e.key: _declaration(sub[e.key].form, e) for e in TRACK_ELEMENTS}
    return release, tracks


def ticked_statements(form: AttestationForm) -> frozenset[str]:
    policy = POLICIES[CURRENT_VERSION]
    return frozenset(s.id for s in (*policy.statements, policy.embodied) if form[f"statement_{s.id}"].data)


def _declaration_data(data: Mapping[str, Any], element: Element) -> dict[str, Any]:
    declaration = Declaration.from_json(data)
    fields: dict[str, Any] = {"ai": declaration.ai.value, "tools": ", ".join(declaration.tools)}
    fields.update({t: t in declaration.techniques for t in element.techniques})
    return fields


def data_from_document(
    document: Mapping[str, Any], track_ids_by_position: Mapping[int, int]
) -> dict[str, Any]:
    """What an earlier signature declared, to start a new one from; statements and name are asked anew."""
    data: dict[str, Any] = {"level": document["policy"]["level"]}
    for element in ELEMENTS:
        if element.key in document["declarations"]:
            data[f"el_{element.key}"] = _declaration_data(document["declarations"][element.key], element)
    for entry in document.get("track_declarations", []):
        track_id = track_ids_by_position.get(entry["position"])
        if track_id is not None:
            data[f"track_{track_id}"] = {"differs": True} | {
                e.key: _declaration_data(entry["declarations"][e.key], e)
                for e in TRACK_ELEMENTS
                if e.key in entry["declarations"]
            }
    return data


class CountersignForm(FlaskForm):
    confirm = BooleanField("We have read this attestation and stand behind it for our label.")


class RequirementForm(FlaskForm):
    require_embodied = BooleanField("Require the Embodied level for every release on our label")


class VerifyForm(FlaskForm):
    certificate = TextAreaField(
        "Certificate JSON",
        [Optional(), Length(max=2_000_000)],
        description="Paste the JSON of a certificate, or choose its file below.",
    )
    certificate_file = FileField("Certificate file")
    files = MultipleFileField(
        "Audio or artwork files to compare (optional)",
        description="Files up to 16 MB here; for larger ones paste their hashes below.",
    )
    hashes = TextAreaField(
        "SHA-256 of files (optional)",
        [Optional(), Length(max=100_000)],
        description="One per line, as `sha256sum FILE` prints it: the hash, two spaces, the file name.",
    )
