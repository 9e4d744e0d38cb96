"""A label's agreement to sell an artist's releases on the label and be paid for them.

It takes both sides: the label's owner proposes, the artist's owner accepts. Either side may end it at any
time (as either may end the roster link, which ends the agreement too); from then on the artist is paid
again. Orders already made keep the payee they were made with.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ..memberships import COLLECTING
from ..models import RosterLink
from ..services import AccountError, Actor
from .services import PayeeError


@contextmanager
def _as_payee_error() -> Iterator[None]:
    try:
        yield
    except AccountError as error:
        raise PayeeError(error.message) from None


class CollectingService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def propose(self, link: RosterLink, actor: Actor) -> None:
        """The label asks to collect; nothing changes until the artist accepts."""
        with _as_payee_error():
            COLLECTING.propose(self.session, link, actor)

    def accept(self, link: RosterLink, actor: Actor) -> None:
        """The artist agrees to what the label proposed; only a pending proposal can be accepted."""
        with _as_payee_error():
            COLLECTING.accept(self.session, link, actor)

    def end(self, link: RosterLink, actor: Actor, *, by_label: bool) -> None:
        """Withdraw or decline a proposal, or end the agreement: the artist is paid from now on."""
        COLLECTING.end(self.session, link, actor, by_label=by_label)
