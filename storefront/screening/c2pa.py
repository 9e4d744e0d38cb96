"""Reading C2PA content credentials in uploaded audio and classifying the source types they declare."""

from __future__ import annotations

import enum
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import c2pa

from .own_credentials import OwnSigner, platform_claims, recognise

IPTC_SOURCE_TYPE_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"
# HM-1 screening rule 1: any of these in a manifest's actions rejects the upload automatically.
AI_SOURCE_TYPES = frozenset(
    {
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "algorithmicMedia",
        "compositeSynthetic",
    }
)
# Formats c2pa-python reads and signs for audio; the reader is given the type we sniffed, not a filename.
_MAGIC_FORMATS: tuple[tuple[Callable[[bytes], bool], str], ...] = (
    (lambda h: h[:4] == b"fLaC", "audio/flac"),
    (lambda h: h[:4] == b"RIFF" and h[8:12] == b"WAVE", "audio/wav"),
    (lambda h: h[4:8] == b"ftyp", "audio/mp4"),
    # MPEG audio frame sync with a layer set; raw AAC (ADTS) shares the sync but has layer bits 00.
    (lambda h: h[:3] == b"ID3" or (h[0] == 0xFF and h[1] & 0xE0 == 0xE0 and h[1] & 0x06 != 0), "audio/mpeg"),
)
_ACTIONS_LABEL = re.compile(r"^c2pa\.actions(?:\.v2)?(?:__\d+)?$")
# Untrusted means "no trust list knows this signer", not "altered": the signature itself still verified.
_NOT_INTEGRITY = re.compile(r"^signingCredential\.(?:untrusted|ocsp\.)|^timeStamp\.untrusted")


class Verdict(enum.StrEnum):
    REJECT = "reject"  # declares an AI source type: automatic rejection, reason shown to the artist
    INVALID = "invalid"  # credentials present but altered or unreadable: a signal for curators
    INFO = "info"  # credentials present, nothing disqualifying: summarised for curators
    PLATFORM = "platform"  # this platform's own credentials: a file it delivered, uploaded again
    IMITATION = "imitation"  # credentials in this platform's form, but not signed with its certificate
    NONE = "none"  # no credentials in the file
    UNSUPPORTED = "unsupported"  # the C2PA reader cannot read this container (e.g. Ogg, AIFF)


@dataclass(frozen=True)
class C2paFinding:
    verdict: Verdict
    reasons: tuple[str, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)


def sniff_format(path: str | os.PathLike[str]) -> str | None:
    """MIME type of the container if it is one the C2PA reader handles, judged by its bytes."""
    with open(path, "rb") as handle:
        head = handle.read(12)
        if head[:3] == b"ID3" and len(head) >= 10:
            # C2PA writers put FLAC credentials in a leading ID3 tag: look past it for the real stream.
            size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
            handle.seek(10 + size + (10 if head[5] & 0x10 else 0))
            after = handle.read(4)
            if after == b"fLaC":
                return "audio/flac"
    if len(head) < 12:
        return None
    for test, mime in _MAGIC_FORMATS:
        if test(head):
            return mime
    return None


def _context(trust_anchors_pem: str | None) -> c2pa.Context:
    # Screening must never reach out to the network: remote manifests and OCSP are not fetched.
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_anchors_pem:
        settings["trust"] = {"trust_anchors": trust_anchors_pem}
    return c2pa.Context(settings=c2pa.Settings.from_dict(settings))


def screen_file(
    path: str | os.PathLike[str], *, trust_anchors_pem: str | None = None, own: OwnSigner | None = None
) -> C2paFinding:
    """Read and classify the C2PA manifest store embedded in an audio file.

    Without `trust_anchors_pem` (PEM CA certificates, such as the C2PA trust list) every signer is
    reported as untrusted; that is shown to curators but is not treated as tampering. `own` is the
    platform's signing certificate, to recognise the files it delivered.
    """
    mime = sniff_format(path)
    if mime is None:
        return C2paFinding(Verdict.UNSUPPORTED, ("format not supported by C2PA reader",), {})
    try:
        with _context(trust_anchors_pem) as context, open(path, "rb") as stream:
            reader = c2pa.Reader.try_create(mime, stream, None, context)
            if reader is None:
                return C2paFinding(Verdict.NONE, (), {"format": mime})
            with reader:
                store = json.loads(reader.json())
                state = reader.get_validation_state()
    except c2pa.C2paError.NotSupported:
        return C2paFinding(Verdict.UNSUPPORTED, ("format not supported by C2PA reader",), {"format": mime})
    except c2pa.C2paError.RemoteManifest as exc:
        return C2paFinding(
            Verdict.INFO, (f"credentials are stored remotely and were not fetched: {exc}",), {"format": mime}
        )
    except c2pa.C2paError as exc:
        return C2paFinding(
            Verdict.INVALID,
            (f"content credentials present but unreadable: {exc}",),
            {"format": mime, "errors": [str(exc)]},
        )
    finding = classify_manifest_store(store, state)
    finding.summary["format"] = mime
    claims = platform_claims(store)
    if claims is None or finding.verdict is Verdict.REJECT:
        return finding
    try:
        recognition = recognise(path, mime, own)
    except c2pa.C2paError:
        return finding  # read once already; the first reading stands
    summary = {**finding.summary, "platform": claims, "altered": recognition.altered}
    if recognition.ours:
        return C2paFinding(Verdict.PLATFORM, ("content credentials signed by this platform",), summary)
    return C2paFinding(
        Verdict.IMITATION,
        (f"content credentials in this platform's form, signed by {recognition.signer}, not by it",),
        summary,
    )


def _generator(manifest: Mapping[str, Any]) -> str:
    infos = manifest.get("claim_generator_info") or []
    if infos and isinstance(infos[0], Mapping):
        info = infos[0]
        return " ".join(str(p) for p in (info.get("name"), info.get("version")) if p)
    return str(manifest.get("claim_generator") or "unknown generator")


def _actions(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for assertion in manifest.get("assertions") or []:
        if isinstance(assertion, Mapping) and _ACTIONS_LABEL.match(str(assertion.get("label", ""))):
            data = assertion.get("data") or {}
            for key in ("actions", "templates"):
                yield from (a for a in data.get(key) or [] if isinstance(a, Mapping))


def _source_type(action: Mapping[str, Any]) -> str | None:
    value = action.get("digitalSourceType") or (action.get("parameters") or {}).get("digitalSourceType")
    if not value:
        return None
    return str(value).rstrip("/").rsplit("/", 1)[-1]


def _agent(action: Mapping[str, Any]) -> str | None:
    agent = action.get("softwareAgent")
    if isinstance(agent, Mapping):
        return " ".join(str(p) for p in (agent.get("name"), agent.get("version")) if p) or None
    return str(agent) if agent else None


def _codes(store: Mapping[str, Any]) -> list[dict[str, str]]:
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    entries = results.get("failure") if results else store.get("validation_status")
    return [
        {"code": str(e.get("code")), "explanation": str(e.get("explanation", ""))}
        for e in entries or []
        if isinstance(e, Mapping)
    ]


def classify_manifest_store(store: Mapping[str, Any], validation_state: str | None) -> C2paFinding:
    """Verdict for a parsed manifest store (the reader's JSON) and its validation state."""
    manifests: Mapping[str, Any] = store.get("manifests") or {}
    active_label = store.get("active_manifest")
    active = manifests.get(active_label) if isinstance(active_label, str) else None
    failures = _codes(store)
    integrity = [f for f in failures if not _NOT_INTEGRITY.match(f["code"])]
    ai_reasons: list[str] = []
    declared: list[dict[str, str | None]] = []
    # Every manifest counts, not only the active one: an AI-generated parent stays AI-generated after a
    # human edit is signed on top of it.
    for label, manifest in manifests.items():
        if not isinstance(manifest, Mapping):
            continue
        for action in _actions(manifest):
            source = _source_type(action)
            name = str(action.get("action"))
            declared.append(
                {
                    "manifest": label,
                    "action": name,
                    "digitalSourceType": source,
                    "softwareAgent": _agent(action),
                }
            )
            if source in AI_SOURCE_TYPES:
                by = _agent(action) or _generator(manifest)
                ai_reasons.append(
                    f"content credentials declare the audio as AI-generated: digital source "
                    f"type '{source}' on action '{name}', written by {by}"
                )
    signature = (active or {}).get("signature_info") or {}
    summary: dict[str, Any] = {
        "claim_generator": _generator(active) if active else None,
        "title": (active or {}).get("title"),
        "actions": declared,
        "signer": {k: signature.get(k) for k in ("issuer", "common_name", "alg", "time") if signature.get(k)},
        "validation_state": validation_state,
        "trusted": validation_state == "Trusted",
        "validation_errors": failures,
        "manifest_count": len(manifests),
    }
    if ai_reasons:
        reasons = list(dict.fromkeys(ai_reasons))
        if integrity:
            reasons.append("the manifest also failed validation: " + ", ".join(f["code"] for f in integrity))
        return C2paFinding(Verdict.REJECT, tuple(reasons), summary)
    if validation_state == "Invalid" or integrity:
        codes = ", ".join(f"{f['code']} ({f['explanation']})" for f in integrity) or "validation failed"
        return C2paFinding(Verdict.INVALID, (f"content credentials fail validation: {codes}",), summary)
    trust = "trusted signer" if summary["trusted"] else "signer not on the configured trust list"
    issuer = summary["signer"].get("issuer") or "unknown issuer"
    return C2paFinding(
        Verdict.INFO,
        (f"content credentials from {summary['claim_generator']}, signed by {issuer} ({trust})",),
        summary,
    )
