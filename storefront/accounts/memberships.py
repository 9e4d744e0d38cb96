"""Who belongs to a profile and in what role, and which artists are on a label's roster, by consent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..events import record_event
from .models import Artist, ArtistMember, Label, LabelStaff, MemberRole, RosterLink, RosterStatus
from .services import AccountError, Actor


class MembershipService:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- members ----------------------------------------------------------------------------------------
    def set_member_role(
        self, target: Artist | Label, user_id: int, role: MemberRole | None, actor: Actor
    ) -> None:
        """Change a member's role, or remove them with role None. A profile always keeps one owner."""
        members: list[ArtistMember] | list[LabelStaff] = (
            target.members if isinstance(target, Artist) else target.staff
        )
        member = next((m for m in members if m.user_id == user_id), None)
        if member is None:
            raise AccountError("This person is not a member.")
        owners = [m for m in members if m.role == MemberRole.OWNER]
        if member.role == MemberRole.OWNER and role != MemberRole.OWNER and len(owners) == 1:
            raise AccountError("A profile needs at least one owner. Make someone else an owner first.")
        kind = "artist" if isinstance(target, Artist) else "label"
        if role is None:
            self.session.delete(member)
            tag = f"{kind}:member_removed"
        else:
            member.role = role
            tag = f"{kind}:member_role_changed"
        self.session.flush()
        record_event(
            self.session,
            tag,
            subject_type=kind,
            subject_id=target.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"user_id": user_id, "role": role.value if role else None},
        )

    # -- rosters --------------------------------------------------------------------------------------
    def _link(self, label: Label, artist: Artist) -> RosterLink | None:
        return self.session.scalar(
            select(RosterLink).where(RosterLink.label_id == label.id, RosterLink.artist_id == artist.id)
        )

    def propose_roster(self, label: Label, artist: Artist, actor: Actor, *, by_label: bool) -> RosterLink:
        """One side asks; the link becomes active when the other side agrees (or had already asked)."""
        link = self._link(label, artist)
        if link is None:
            link = RosterLink(label=label, artist=artist)
            self.session.add(link)
        elif link.status == RosterStatus.ENDED:
            link.ended_at = link.label_consent_at = link.artist_consent_at = None
        now = utcnow()
        if by_label:
            link.label_consent_at = link.label_consent_at or now
        else:
            link.artist_consent_at = link.artist_consent_at or now
        self.session.flush()
        record_event(
            self.session,
            "label:roster_consent",
            subject_type="label",
            subject_id=label.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={
                "artist_id": artist.id,
                "side": "label" if by_label else "artist",
                "status": link.status.value,
            },
        )
        return link

    def end_roster(self, link: RosterLink, actor: Actor, *, by_label: bool) -> None:
        if link.status == RosterStatus.ENDED:
            return
        link.ended_at = utcnow()
        # An agreement to collect ends with the link: joining again asks for it again.
        link.label_collects = False
        link.collect_proposed_at = None
        record_event(
            self.session,
            "label:roster_ended",
            subject_type="label",
            subject_id=link.label_id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"artist_id": link.artist_id, "side": "label" if by_label else "artist"},
        )

    def roster(self, label: Label, *, active_only: bool = True) -> list[RosterLink]:
        links = [link for link in label.roster_links if link.status != RosterStatus.ENDED]
        return [link for link in links if link.status == RosterStatus.ACTIVE] if active_only else links
