"""A label's agreement to sell an artist's releases on the label and be paid for them.

It takes both sides: the label's owner proposes, the artist's owner accepts. Either side may end it at any
time (as either may end the roster link, which ends the agreement too); from then on the artist is paid
again. Orders already made keep the payee they were made with.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ...db import utcnow
from ...events import record_event
from ..models import RosterLink, RosterStatus
from ..services import Actor
from .services import PayeeError


class CollectingService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def propose(self, link: RosterLink, actor: Actor) -> None:
        """The label asks to collect; nothing changes until the artist accepts."""
        if link.status != RosterStatus.ACTIVE:
            raise PayeeError("Only an artist on the active roster can be asked.")
        if link.label_collects:
            raise PayeeError(f"{link.label.name} already sells and is paid for {link.artist.name}.")
        if link.collect_proposed_at is None:
            link.collect_proposed_at = utcnow()
            self._record(link, "label:collect_proposed", actor)

    def accept(self, link: RosterLink, actor: Actor) -> None:
        """The artist agrees to what the label proposed; only a pending proposal can be accepted."""
        if link.status != RosterStatus.ACTIVE:
            raise PayeeError("The roster link is not active.")
        if link.label_collects:
            return
        if link.collect_proposed_at is None:
            raise PayeeError(f"{link.label.name} has not asked to be paid for your releases.")
        link.label_collects = True
        link.collect_proposed_at = None
        self._record(link, "artist:collect_agreed", actor)

    def end(self, link: RosterLink, actor: Actor, *, by_label: bool) -> None:
        """Withdraw or decline a proposal, or end the agreement: the artist is paid from now on."""
        if not link.label_collects and link.collect_proposed_at is None:
            return
        link.label_collects = False
        link.collect_proposed_at = None
        self._record(link, "label:collect_ended" if by_label else "artist:collect_ended", actor)

    def _record(self, link: RosterLink, tag: str, actor: Actor) -> None:
        self.session.flush()
        subject = tag.split(":", 1)[0]
        record_event(
            self.session,
            tag,
            subject_type=subject,
            subject_id=link.label_id if subject == "label" else link.artist_id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
            data={"label_id": link.label_id, "artist_id": link.artist_id},
        )
