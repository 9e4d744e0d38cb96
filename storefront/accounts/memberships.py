"""Who belongs to a profile and in what role, and which artists are on a label's roster, by consent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..events import record_event
from .models import Artist, ArtistMember, Label, LabelStaff, MemberRole, RosterLink, RosterStatus, User
from .services import AccountError, Actor


def manages_releases_of(user: User, artist: Artist) -> bool:
    """Whether the user is on the staff of a label the artist lets manage its releases (active roster)."""
    labels = {staff.label_id for staff in user.label_memberships}
    return any(link.manages and link.label_id in labels for link in artist.roster_links)


@dataclass(frozen=True)
class LinkAgreement:
    """Something a label asks of an artist on its roster and holds only while the artist agrees: its two
    fields on RosterLink, the name its audit events carry, and what the label asks for, in words."""

    granted: str  # the RosterLink flag set by the artist's yes
    proposed: str  # the RosterLink time of the label's pending request
    event: str  # "collect" -> label:collect_proposed, artist:collect_agreed, label:/artist:collect_ended
    holds: str  # "{label} already … {artist}"
    asked_for: str  # "{label} has not asked to …"

    def propose(self, session: Session, link: RosterLink, actor: Actor) -> None:
        """The label asks; nothing changes until the artist agrees."""
        if link.status != RosterStatus.ACTIVE:
            raise AccountError("Only an artist on the active roster can be asked.")
        if getattr(link, self.granted):
            raise AccountError(self.holds.format(label=link.label.name, artist=link.artist.name))
        if getattr(link, self.proposed) is None:
            setattr(link, self.proposed, utcnow())
            _record(session, link, f"label:{self.event}_proposed", actor)

    def accept(self, session: Session, link: RosterLink, actor: Actor) -> None:
        """The artist agrees to what the label asked; only a pending request can be accepted."""
        if link.status != RosterStatus.ACTIVE:
            raise AccountError("The roster link is not active.")
        if getattr(link, self.granted):
            return
        if getattr(link, self.proposed) is None:
            raise AccountError(f"{link.label.name} has not asked to {self.asked_for}.")
        setattr(link, self.granted, True)
        setattr(link, self.proposed, None)
        _record(session, link, f"artist:{self.event}_agreed", actor)

    def end(self, session: Session, link: RosterLink, actor: Actor, *, by_label: bool) -> None:
        """Withdraw or decline a request, or end the agreement: it stops holding at once."""
        if not getattr(link, self.granted) and getattr(link, self.proposed) is None:
            return
        setattr(link, self.granted, False)
        setattr(link, self.proposed, None)
        _record(session, link, f"{'label' if by_label else 'artist'}:{self.event}_ended", actor)


# The label sells the artist's releases on the label and is paid for them (accounts/payees/agreements.py).
COLLECTING = LinkAgreement(
    "label_collects",
    "collect_proposed_at",
    "collect",
    "{label} already sells and is paid for {artist}.",
    "be paid for your releases",
)
# The label's staff manage the artist's releases in its workspace; signing stays the artist's.
MANAGING = LinkAgreement(
    "label_manages",
    "manage_proposed_at",
    "manage",
    "{label} already manages {artist}'s releases.",
    "manage your releases",
)


def _record(session: Session, link: RosterLink, tag: str, actor: Actor) -> None:
    session.flush()
    subject = tag.split(":", 1)[0]
    record_event(
        session,
        tag,
        subject_type=subject,
        subject_id=link.label_id if subject == "label" else link.artist_id,
        actor_id=actor.user_id,
        ip_hash=actor.ip_hash,
        data={"label_id": link.label_id, "artist_id": link.artist_id},
    )


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
        # The agreements end with the link: joining again asks for them again.
        for agreement in (COLLECTING, MANAGING):
            setattr(link, agreement.granted, False)
            setattr(link, agreement.proposed, None)
        record_event(
            self.session,
            "label:roster_ended",
            subject_type="label",
            subject_id=link.label_id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"artist_id": link.artist_id, "side": "label" if by_label else "artist"},
        )

    # -- a label's staff managing a roster artist's releases ----------------------------------------------
    def propose_managing(self, link: RosterLink, actor: Actor) -> None:
        MANAGING.propose(self.session, link, actor)

    def accept_managing(self, link: RosterLink, actor: Actor) -> None:
        MANAGING.accept(self.session, link, actor)

    def end_managing(self, link: RosterLink, actor: Actor, *, by_label: bool) -> None:
        MANAGING.end(self.session, link, actor, by_label=by_label)

    def roster(self, label: Label, *, active_only: bool = True) -> list[RosterLink]:
        links = [link for link in label.roster_links if link.status != RosterStatus.ENDED]
        return [link for link in links if link.status == RosterStatus.ACTIVE] if active_only else links
