"""What an attestation binds, built from the release as it is now; what makes one stale; DDEX mapping."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from ..releases.models import Release
from .ddex.export import ContainsAI, DdexContributor, DdexExportError, DdexRelease, DdexTrack
from .policy import ELEMENTS, AiUse, Declaration

# The parts of the document that describe the release itself; any difference from now makes it stale.
BINDING_KEYS = ("release", "tracks", "artwork", "contributors")
DDEX_ROLES = {
    "composer": "Composer",
    "lyricist": "Lyricist",
    "producer": "Producer",
    "mixing_engineer": "MixingEngineer",
    "mastering_engineer": "MasteringEngineer",
}
_RELEASE_TYPES = {"album": "Album", "ep": "EP", "single": "Single"}
# A performer's "instrument" that names a voice ("lead vocals", "rap", "choir") credits the vocals, else the
# instrumental performance; words are matched at their start so that "trap kit" stays an instrument.
_VOCAL = re.compile(r"\b(vocal|voice|vox|sing|rap|choir)", re.IGNORECASE)


def iso_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _profile(profile: Any) -> dict[str, Any] | None:
    if profile is None:
        return None
    return {"id": profile.id, "name": profile.name, "slug": profile.slug}


def release_binding(release: Release) -> dict[str, Any]:
    """The release metadata, its tracks with the SHA-256 of each master, the artwork's, and the credits."""
    tracks = []
    for track in release.tracks:
        master = track.master
        master_part = None
        if master is not None:
            seconds = master.info.get("duration_seconds")
            master_part = {
                "sha256": master.sha256,
                "size": master.size,
                "duration_ms": round(float(seconds) * 1000) if seconds is not None else None,
            }
        tracks.append(
            {
                "position": track.position,
                "title": track.title,
                "isrc": track.isrc,
                "explicit": track.explicit,
                "lyrics_sha256": hashlib.sha256(track.lyrics.encode()).hexdigest() if track.lyrics else None,
                "master": master_part,
            }
        )
    artwork = release.artwork
    contributors = sorted(
        (
            {
                "name": c.name,
                "role": c.role.value,
                "instrument": c.instrument,
                "track": c.track.position if c.track is not None else None,
            }
            for c in release.contributors
        ),
        key=lambda c: (c["track"] or 0, c["role"], c["name"], c["instrument"]),
    )
    return {
        "release": {
            "id": release.id,
            "title": release.title,
            "type": release.release_type.value,
            "release_date": release.release_date.isoformat() if release.release_date else None,
            "upc": release.upc,
            "license": release.license.value,
            "genre": release.genre,
            "artist": _profile(release.artist),
            "label": _profile(release.label),
        },
        "tracks": tracks,
        "artwork": {"sha256": artwork.sha256, "size": artwork.size} if artwork is not None else None,
        "contributors": contributors,
    }


def _comparable(release_part: Mapping[str, Any]) -> dict[str, Any]:
    # A profile renamed later does not change what was signed; which profile it is does.
    part = dict(release_part)
    for key in ("artist", "label"):
        if part.get(key):
            part[key] = part[key]["id"]
    return part


def stale_reasons(document: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """How the release differs from what was signed, in words an artist understands; empty when current."""
    reasons: list[str] = []
    old_release, new_release = _comparable(document["release"]), _comparable(now["release"])
    changed = sorted(
        k for k in set(old_release) | set(new_release) if old_release.get(k) != new_release.get(k)
    )
    if changed:
        reasons.append(f"the release details changed ({', '.join(changed)})")
    old_tracks = {t["position"]: t for t in document["tracks"]}
    new_tracks = {t["position"]: t for t in now["tracks"]}
    for position in sorted(set(old_tracks) | set(new_tracks)):
        old, new = old_tracks.get(position), new_tracks.get(position)
        if old is None or new is None:
            which = new or old
            assert which is not None
            verb = "added" if old is None else "removed"
            reasons.append(f"track {position} “{which['title']}” was {verb}")
            continue
        if (old.get("master") or {}).get("sha256") != (new.get("master") or {}).get("sha256"):
            verb = "replaced" if new.get("master") else "removed"
            reasons.append(f"the master of track {position} “{new['title']}” was {verb}")
        fields = sorted(k for k in ("title", "isrc", "explicit", "lyrics_sha256") if old.get(k) != new.get(k))
        if fields:
            names = ", ".join("lyrics" if f == "lyrics_sha256" else f for f in fields)
            reasons.append(f"track {position} “{new['title']}” changed ({names})")
    if (document.get("artwork") or {}).get("sha256") != (now.get("artwork") or {}).get("sha256"):
        reasons.append("the artwork was replaced" if now.get("artwork") else "the artwork was removed")
    if document["contributors"] != now["contributors"]:
        reasons.append("the credits changed")
    return reasons


def effective_declarations(document: Mapping[str, Any], position: int) -> dict[str, Declaration]:
    """The release's declarations, with the ones a track declared for itself in their place."""
    found = {k: Declaration.from_json(v) for k, v in document["declarations"].items()}
    for entry in document.get("track_declarations", []):
        if entry["position"] == position:
            found.update({k: Declaration.from_json(v) for k, v in entry["declarations"].items()})
    return found


def disclosure_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """For the certificate page: per element, who did it and what was declared, release then track scope."""
    rows = []
    scopes: list[tuple[str, Mapping[str, Any]]] = [("Whole release", document["declarations"])]
    titles = {t["position"]: t["title"] for t in document["tracks"]}
    for entry in document.get("track_declarations", []):
        scopes.append(
            (f"Track {entry['position']} “{titles.get(entry['position'], '')}”", entry["declarations"])
        )
    for scope, declarations in scopes:
        for element in ELEMENTS:
            if element.key in declarations:
                rows.append(
                    {
                        "scope": scope,
                        "element": element,
                        "declaration": Declaration.from_json(declarations[element.key]),
                    }
                )
    return rows


def credits_by_element(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Who did each element, as the certificate lists them ("Ana Ruiz (guitar, track 2)")."""
    found: dict[str, list[str]] = {e.key: [] for e in ELEMENTS}
    for credit in document["contributors"]:
        vocal = bool(_VOCAL.search(credit["instrument"]))
        notes = [
            n for n in (credit["instrument"], f"track {credit['track']}" if credit["track"] else "") if n
        ]
        text = credit["name"] + (f" ({', '.join(notes)})" if notes else "")
        for element in ELEMENTS:
            if credit["role"] not in element.roles:
                continue
            if credit["role"] == "performer" and (element.key == "vocals") != vocal and credit["instrument"]:
                continue  # a performer with a named instrument or voice belongs to one of the two
            found[element.key].append(text)
    return found


def _contributors_for(document: Mapping[str, Any], position: int) -> tuple[DdexContributor, ...]:
    people: dict[str, tuple[list[str], list[str]]] = {}
    for credit in document["contributors"]:
        if credit["track"] not in (None, position) or credit["role"] == "artwork":
            continue
        roles, instruments = people.setdefault(credit["name"], ([], []))
        role = DDEX_ROLES.get(credit["role"])
        if role is None:  # performers: a voice or an instrument
            vocal = bool(_VOCAL.search(credit["instrument"]))
            role = "Vocalist" if vocal else "Musician"
            if not vocal and credit["instrument"]:
                instruments.append(credit["instrument"])
        if role not in roles:
            roles.append(role)
    return tuple(DdexContributor(name, tuple(r), tuple(i)) for name, (r, i) in people.items())


def ddex_release(document: Mapping[str, Any]) -> DdexRelease:
    """The signed document as an ERN release; HM-1 admits no generative AI, so every ContainsAI is None."""
    release = document["release"]
    if not release.get("upc"):
        raise DdexExportError("the release has no UPC/EAN, which DDEX requires")
    tracks = []
    for track in document["tracks"]:
        if not track.get("isrc"):
            raise DdexExportError(
                f"track {track['position']} “{track['title']}” has no ISRC, which DDEX requires"
            )
        duration = (track.get("master") or {}).get("duration_ms") or 0
        vocals = effective_declarations(document, track["position"]).get("vocals")
        tracks.append(
            DdexTrack(
                title=track["title"],
                isrc=track["isrc"],
                duration_seconds=duration / 1000,
                contributors=_contributors_for(document, track["position"]),
                contains_ai=ContainsAI.NONE,
                has_vocals=None if vocals is None else vocals.ai != AiUse.ABSENT,
            )
        )
    date = dt.date.fromisoformat(release["release_date"]) if release.get("release_date") else None
    artist = release["artist"]["name"]
    return DdexRelease(
        title=release["title"],
        icpn=release["upc"],
        artists=(artist,),
        tracks=tuple(tracks),
        label=(release.get("label") or {}).get("name") or artist,
        genre=release.get("genre") or "Unspecified",
        release_date=date,
        p_line=(date.year, artist) if date else None,
        contains_ai=ContainsAI.NONE,
        release_type=_RELEASE_TYPES.get(release["type"]),
    )
