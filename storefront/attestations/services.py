"""Signing human-made attestations, telling when they are stale, label countersignatures, and certificates."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import Label, RosterStatus, User
from ..accounts.services import Actor
from ..db import utcnow
from ..events import record_event
from ..releases.models import Release, ReleaseStatus
from ..screening.state import not_run_statement
from .canonical import canonical_text, sha256_hex
from .ddex.export import DdexMessageParties, build_new_release_message
from .documents import ddex_release, iso_time, release_binding, stale_reasons
from .manifests.lookup import StoredEntries
from .manifests.status import ai_training, public_status, status_document
from .models import Attestation, LabelRequirement
from .policy import CURRENT_VERSION, ELEMENTS, POLICIES, TRACK_ELEMENTS, Declaration, Level, credit_findings
from .signing.rules import AttestationRefused, Problem, SigningRequest, normal_name, signing_problems
from .signing.stakes import people_involved
from .verification import APPROVAL_TYPE, ATTESTATION_TYPE, COUNTERSIGNATURE_TYPE, Keyring

CERTIFICATE_TYPE = "velvet.human-made-certificate/1"
MANIFEST_TYPE = "velvet.rendition-manifest/1"
__all__ = ["AttestationRefused", "AttestationService", "Problem", "SigningRequest"]


def certified_attestation(session: Session, release: Release) -> Attestation | None:
    """The attestation the certificate presents: the one the curator approved (the latest signed by then; a
    later one awaits review), or before approval the latest signed."""
    stmt = select(Attestation).where(Attestation.release_id == release.id)
    if release.approved_at is not None:
        stmt = stmt.where(Attestation.signed_at <= release.approved_at)
    return session.scalar(stmt.order_by(Attestation.id.desc()).limit(1))


class AttestationService:
    def __init__(self, session: Session, *, secret: str, keyring: Keyring, issuer: str = "") -> None:
        self.session = session
        self.secret = secret
        self.keyring = keyring
        self.issuer = issuer

    # -- lookups ---------------------------------------------------------------------------------------
    def history(self, release: Release) -> list[Attestation]:
        stmt = select(Attestation).where(Attestation.release_id == release.id).order_by(Attestation.id.desc())
        return list(self.session.scalars(stmt))

    def current(self, release: Release) -> Attestation | None:
        stmt = (
            select(Attestation)
            .where(Attestation.release_id == release.id)
            .order_by(Attestation.id.desc())
            .limit(1)
        )
        return self.session.scalar(stmt)

    def certified(self, release: Release) -> Attestation | None:
        return certified_attestation(self.session, release)

    def requires_embodied(self, label_id: int | None) -> bool:
        if label_id is None:
            return False
        stmt = select(LabelRequirement.require_embodied).where(LabelRequirement.label_id == label_id)
        return bool(self.session.scalar(stmt))

    def stale_reasons(self, release: Release, attestation: Attestation) -> list[str]:
        return stale_reasons(attestation.document, release_binding(release))

    def is_stale(self, release: Release, attestation: Attestation) -> bool:
        return bool(self.stale_reasons(release, attestation))

    def ready_for_review(self, release: Release) -> list[str]:
        """Why the release cannot enter review yet, as far as the attestation goes; empty when it can."""
        reasons = [f.message for f in credit_findings(c.name for c in release.contributors)]
        attestation = self.current(release)
        if attestation is None:
            return [*reasons, "Sign the human-made attestation."]
        stale = self.stale_reasons(release, attestation)
        if stale:
            reasons.append(f"The human-made attestation is out of date ({'; '.join(stale)}): sign it again.")
        if release.label is not None:
            if attestation.label_id != release.label_id or attestation.label_countersigned_at is None:
                reasons.append(f"{release.label.name} has to countersign the human-made attestation.")
            if self.requires_embodied(release.label_id) and not attestation.is_embodied:
                reasons.append(
                    f"{release.label.name} requires the Embodied level: sign the attestation "
                    f"again at that level."
                )
        return reasons

    # -- signing ---------------------------------------------------------------------------------------
    def check(self, release: Release, request: SigningRequest) -> list[Problem]:
        """Everything wrong with a signing request, ineligibility first; nothing is written."""
        return signing_problems(release, request, requires_embodied=self.requires_embodied(release.label_id))

    def sign(
        self, release: Release, signer: User, request: SigningRequest, *, client_ip: str, actor: Actor
    ) -> Attestation:
        """A new attestation row; an earlier one stays as it was. Refused whole, with every reason, or not."""
        problems = self.check(release, request)
        if problems:
            raise AttestationRefused(problems)
        level = Level(request.level)
        legal_name = normal_name(request.legal_name)
        signed_at = utcnow()  # the document says it to the second; the row keeps the exact order
        salt = os.urandom(16)
        # Salted per attestation so that public certificates cannot be linked by address or name; with
        # the private salt the platform can still show which address and name were bound.
        ip_hash = hashlib.blake2b(
            client_ip.encode(), key=self.secret.encode()[:64], salt=salt, digest_size=32
        ).hexdigest()
        positions = {t.id: t.position for t in release.tracks}
        document: dict[str, Any] = {
            "type": ATTESTATION_TYPE,
            "issuer": self.issuer,
            "policy": {
                "version": CURRENT_VERSION,
                "level": level.value,
                "statements": [
                    {"id": s.id, "text": s.text} for s in POLICIES[CURRENT_VERSION].statements_for(level)
                ],
            },
            **release_binding(release),
            "declarations": {
                e.key: request.declarations.get(e.key, Declaration()).to_json() for e in ELEMENTS
            },
            "track_declarations": sorted(
                (
                    {
                        "position": positions[tid],
                        "declarations": {
                            e.key: d.get(e.key, Declaration()).to_json() for e in TRACK_ELEMENTS
                        },
                    }
                    for tid, d in request.track_declarations.items()
                ),
                key=lambda entry: entry["position"],
            ),
            "signer": {
                "account_id": signer.id,
                "artist": release.artist.name,
                "legal_name_sha256": sha256_hex(salt + b"\x00" + legal_name.encode()),
            },
            "signed_at": iso_time(signed_at),
            "client": {"ip_hash": ip_hash},
        }
        text = canonical_text(document)
        signature = self.keyring.current.sign(document)
        attestation = Attestation(
            release_id=release.id,
            policy_version=CURRENT_VERSION,
            level=level.value,
            document_json=text,
            document_sha256=sha256_hex(text.encode()),
            signature_alg=signature.alg,
            signature_kid=signature.kid,
            signature_value=signature.value_b64url,
            signer_user_id=signer.id,
            legal_name=legal_name,
            private_salt=salt.hex(),
            ip_hash=ip_hash,
            signed_at=signed_at,
            label_id=release.label_id,
        )
        self.session.add(attestation)
        self.session.flush()
        record_event(
            self.session,
            "attestation:signed",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"attestation_id": attestation.id, "level": level.value, "policy": CURRENT_VERSION},
        )
        return attestation

    # -- labels ----------------------------------------------------------------------------------------
    def countersign(self, attestation: Attestation, label: Label, staff: User, actor: Actor) -> Attestation:
        release = attestation.release
        problems = []
        if attestation.label_id != label.id or release.label_id != label.id:
            problems.append(Problem(f"This attestation is not for a release of {label.name}."))
        elif not any(
            link.label_id == label.id and link.status == RosterStatus.ACTIVE
            for link in release.artist.roster_links
        ):
            problems.append(Problem(f"{release.artist.name} is no longer on {label.name}'s roster."))
        elif attestation.label_countersigned_at is not None:
            problems.append(Problem("This attestation is already countersigned."))
        elif (how := people_involved(release).get(staff.id)) is not None:
            # The countersignature is the label's word beside the artist's: nobody with a stake in the
            # release (its members, its signer, whoever uploaded its files or edited it) can give it.
            problems.append(
                Problem(f"You {how}, so another member of {label.name}'s staff has to countersign it.")
            )
        else:
            current = self.current(release)
            if current is None or current.id != attestation.id:
                problems.append(Problem("A newer attestation replaced this one; countersign that instead."))
            stale = self.stale_reasons(release, attestation)
            if stale:
                problems.append(
                    Problem(
                        f"The release changed since it was signed ({'; '.join(stale)}); the "
                        f"artist has to sign again."
                    )
                )
            if self.requires_embodied(label.id) and not attestation.is_embodied:
                problems.append(Problem(f"{label.name} requires the Embodied level; this one is Standard."))
        if problems:
            raise AttestationRefused(problems)
        now = utcnow().replace(microsecond=0)
        document = {
            "type": COUNTERSIGNATURE_TYPE,
            "attestation_sha256": attestation.document_sha256,
            "label": {"id": label.id, "name": label.name, "slug": label.slug},
            "countersigner": {"account_id": staff.id},
            "countersigned_at": iso_time(now),
        }
        attestation.label_countersignature = {
            "document": document,
            "signature": self.keyring.current.sign(document).to_dict(),
        }
        attestation.label_countersigner_id = staff.id
        attestation.label_countersigned_at = now
        self.session.flush()
        record_event(
            self.session,
            "attestation:countersigned",
            subject_type="release",
            subject_id=release.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"attestation_id": attestation.id, "label_id": label.id},
        )
        return attestation

    def awaiting_countersignature(self, label: Label) -> list[Attestation]:
        releases = self.session.scalars(
            select(Release).where(Release.label_id == label.id).order_by(Release.id)
        )
        waiting = []
        for release in releases:
            current = self.current(release)
            if (
                current is not None
                and current.label_id == label.id
                and current.needs_countersignature
                and not self.is_stale(release, current)
            ):
                waiting.append(current)
        return waiting

    def set_requirement(self, label: Label, *, require_embodied: bool, actor: Actor) -> None:
        found = self.session.scalar(select(LabelRequirement).where(LabelRequirement.label_id == label.id))
        if found is None:
            found = LabelRequirement(label_id=label.id)
            self.session.add(found)
        found.require_embodied = require_embodied
        found.updated_by_id = actor.user_id
        self.session.flush()
        record_event(
            self.session,
            "label:attestation_requirement",
            subject_type="label",
            subject_id=label.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"require_embodied": require_embodied},
        )

    # -- the public record -----------------------------------------------------------------------------
    def status_statement(
        self, release: Release, attestation: Attestation | None = None
    ) -> dict[str, Any] | None:
        """The certified release's dated status, signed now; None while it has no certified attestation."""
        attestation = attestation or self.certified(release)
        if attestation is None:
            return None
        document = status_document(
            release,
            attestation_sha256=attestation.document_sha256,
            files_current=not self.is_stale(release, attestation),
            issuer=self.issuer,
            now=utcnow(),
        )
        return {"document": document, "signature": self.keyring.current.sign(document).to_dict()}

    def current_status(self, document: Mapping[str, Any]) -> dict[str, Any] | None:
        """The status this site states now of the release a certificate's document names, when this site
        issued it; None for another site's certificate or a release not published here."""
        release_id = (document.get("release") or {}).get("id")
        if document.get("issuer") != self.issuer or not isinstance(release_id, int):
            return None
        release = self.session.get(Release, release_id)
        if release is None or release.status not in (ReleaseStatus.APPROVED, ReleaseStatus.TAKEN_DOWN):
            return None
        statement = self.status_statement(release)
        return statement["document"] if statement is not None else None

    def manifest(self, release: Release) -> dict[str, Any]:
        """Every signed entry of the release's rendition manifest, oldest first; entries are never removed."""
        attestation = self.certified(release)
        return {
            "type": MANIFEST_TYPE,
            "release_id": release.id,
            "attestation_sha256": attestation.document_sha256 if attestation is not None else None,
            "entries": [entry.signed for entry in StoredEntries(self.session).of_release(release.id)],
        }

    def certificate(self, release: Release) -> dict[str, Any] | None:
        """The signed document with its signatures, the curator's approval and the signed status, as
        published. `status`, `files_current` and `ai_training` repeat, unsigned, what the status statement
        says under its signature, for readers that look for them there."""
        attestation = self.certified(release)
        if attestation is None:
            return None
        approval = None
        if release.approved_at is not None:
            # Ed25519 signatures are deterministic, so signing on each read yields the same bytes.
            approved = {
                "type": APPROVAL_TYPE,
                "attestation_sha256": attestation.document_sha256,
                "release_id": release.id,
                "approved_at": iso_time(release.approved_at),
            }
            # Only present when a curator let files through unscreened, so approvals without an override
            # keep exactly the document (and signature) they always had.
            if not_run := not_run_statement(self.session, release):
                approved["screening"] = not_run
            approval = {"document": approved, "signature": self.keyring.current.sign(approved).to_dict()}
        status = self.status_statement(release, attestation)
        assert status is not None
        return {
            "certificate": CERTIFICATE_TYPE,
            "status": public_status(release),
            "files_current": status["document"]["files_current"],
            "document": attestation.document,
            "document_sha256": attestation.document_sha256,
            "signature": attestation.signature,
            "label_countersignature": attestation.label_countersignature,
            "approval": approval,
            # The artist may change these at any time: the dated status statement signs them as they are now.
            "status_statement": status,
            "ai_training": ai_training(release),
        }

    def ddex(
        self, release: Release, *, sender_dpid: str, sender_name: str, test_message: bool = False
    ) -> bytes:
        """ERN 4.3.2 NewReleaseMessage of the certified release; DdexExportError when data is missing."""
        attestation = self.certified(release)
        if attestation is None:
            raise LookupError("no attestation")
        parties = DdexMessageParties(
            message_id=f"VELVET-{release.id}-{attestation.id}",
            sender_dpid=sender_dpid,
            sender_name=sender_name,
            recipient_dpid=sender_dpid,
            recipient_name="Public AI disclosure",
            created=release.approved_at or attestation.signed_at,
            test_message=test_message,
        )
        return build_new_release_message(ddex_release(attestation.document), parties)
