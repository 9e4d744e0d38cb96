"""Who has a stake in a release: the people who may not vouch for it or judge it.

Read by the label's countersignature here and by every curation decision: the artist's members, whoever
signed or countersigned its attestation, uploaded its files or edited it (label staff managing it included).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ...events import AuditEvent
from ...releases.models import Release, Upload
from ...releases.services import EDIT_EVENTS
from ..models import Attestation


def people_involved(release: Release) -> dict[int, str]:
    """Accounts with a stake in the release, each with how: members, signers, countersigners, uploaders,
    editors."""
    session = object_session(release)
    assert isinstance(session, Session)
    involved: dict[int, str] = {}
    for upload_by in session.scalars(select(Upload.uploaded_by_id).where(Upload.release_id == release.id)):
        if upload_by is not None:
            involved.setdefault(upload_by, "uploaded its files")
    signatures = session.execute(
        select(Attestation.signer_user_id, Attestation.label_countersigner_id).where(
            Attestation.release_id == release.id
        )
    )
    for signer, countersigner in signatures:
        if countersigner is not None:
            involved.setdefault(countersigner, "countersigned its attestation")
        if signer is not None:
            involved[signer] = "signed its attestation"
    # Label staff who manage the artist's releases: judging a release one edited is judging one's own work.
    editors = select(AuditEvent.actor_id).where(
        AuditEvent.subject_type == "release",
        AuditEvent.subject_id == release.id,
        AuditEvent.tag.in_(EDIT_EVENTS),
        AuditEvent.actor_id.is_not(None),
    )
    for editor in session.scalars(editors.distinct()):
        if editor is not None:
            involved.setdefault(editor, "edited it")
    for member in release.artist.members:
        involved[member.user_id] = f"are a member of {release.artist.name}"
    return involved
