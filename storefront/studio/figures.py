"""This month's figures for the artists a person belongs to: sales, plays and where their payouts stand.

Each figure is one aggregate query over all the artists at once, whatever their number of releases.
"The month" is the calendar month in UTC, from its first day at midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.payees.models import PayeeAccount
from ..db import utcnow
from ..orders.models import Order, OrderLine, OrderStatus
from ..payouts.models import PayoutTransfer, TransferStatus
from ..releases.identifiers import format_price
from ..releases.models import Release, Track
from .models import TrackPlayDay

_WAITING = (TransferStatus.REQUESTED, TransferStatus.HELD)


@dataclass(frozen=True)
class Money:
    currency: str
    amount_minor: int

    @property
    def shown(self) -> str:
        return format_price(self.amount_minor, self.currency)


@dataclass
class ArtistFigures:
    sales: int = 0  # lines sold this month: whole releases and single tracks
    gross: list[Money] = field(default_factory=list)  # what buyers paid this month, per currency
    plays: int = 0
    payouts: str = "Set up payouts: connect a Stripe account to get paid."
    payouts_ready: bool = False
    details_needed: list[str] = field(default_factory=list)
    waiting: list[Money] = field(default_factory=list)  # transfers asked for or held, not yet sent


def month_start(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def figures(session: Session, artist_ids: list[int]) -> dict[int, ArtistFigures]:
    found = {artist_id: ArtistFigures() for artist_id in artist_ids}
    if not artist_ids:
        return found
    since = month_start()
    _sales(session, artist_ids, since, found)
    _plays(session, artist_ids, since, found)
    _payouts(session, artist_ids, found)
    return found


def _sales(session: Session, ids: list[int], since: datetime, found: dict[int, ArtistFigures]) -> None:
    rows = session.execute(
        select(
            OrderLine.artist_id,
            OrderLine.currency,
            func.count(OrderLine.id),
            func.sum(OrderLine.amount_minor),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.artist_id.in_(ids), Order.status == OrderStatus.PAID, Order.paid_at >= since)
        .group_by(OrderLine.artist_id, OrderLine.currency)
        .order_by(OrderLine.artist_id, OrderLine.currency)
    )
    for artist_id, currency, count, gross in rows:
        figure = found[artist_id]
        figure.sales += int(count)
        figure.gross.append(Money(currency, int(gross or 0)))


def _plays(session: Session, ids: list[int], since: datetime, found: dict[int, ArtistFigures]) -> None:
    rows = session.execute(
        select(Release.artist_id, func.sum(TrackPlayDay.plays))
        .join(Track, Track.id == TrackPlayDay.track_id)
        .join(Release, Release.id == Track.release_id)
        .where(Release.artist_id.in_(ids), TrackPlayDay.day >= since.date())
        .group_by(Release.artist_id)
    )
    for artist_id, plays in rows:
        found[artist_id].plays = int(plays or 0)


def _payouts(session: Session, ids: list[int], found: dict[int, ArtistFigures]) -> None:
    for account in session.scalars(select(PayeeAccount).where(PayeeAccount.artist_id.in_(ids))):
        assert account.artist_id is not None  # selected by it
        figure = found[account.artist_id]
        if account.transfers_enabled:
            figure.payouts, figure.payouts_ready = "Payouts active.", True
        else:
            figure.payouts = "Finish Stripe onboarding: Stripe cannot send transfers to this account yet."
            figure.details_needed = [str(item) for item in account.details_needed][:5]
    keys = {f"artist:{artist_id}": artist_id for artist_id in ids}
    rows = session.execute(
        select(PayoutTransfer.payee_key, PayoutTransfer.currency, func.sum(PayoutTransfer.amount_minor))
        .where(PayoutTransfer.payee_key.in_(list(keys)), PayoutTransfer.status.in_(_WAITING))
        .group_by(PayoutTransfer.payee_key, PayoutTransfer.currency)
        .order_by(PayoutTransfer.payee_key, PayoutTransfer.currency)
    )
    for payee_key, currency, amount in rows:
        found[keys[payee_key]].waiting.append(Money(currency, int(amount or 0)))
