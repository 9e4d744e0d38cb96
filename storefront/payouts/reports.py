"""Where the money went: earnings read from the ledger and the order lines, for one payee, a label's roster
and the whole platform. Every figure is a sum of LedgerEntry rows, never a total kept on an order, kept per
currency (amounts in different currencies are never added). A row of one order line is attributed through
that line (payee, release, artist); a row of a whole order by its `payee_key`. A transfer is one row per order
and payee: the part a release or an artist accounts for is its lines' shares in that order. Periods are whole
UTC days, bucketed in Python, so SQLite and PostgreSQL need no date functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from ..accounts.models import RosterLink
from ..orders.models import LedgerEntry, LedgerKind, LineStatus, Order, OrderLine
from ..releases.models import Release
from .chart import Bucket, bucket_start, next_bucket


def mask_reference(reference: str) -> str:
    """Enough of an order's reference to tell orders apart: the whole one opens the fan's receipt."""
    prefix = reference.split("_", 1)[0] + "_" if "_" in reference else ""
    return f"{prefix}…{reference[-4:]}"


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both whole UTC days included."""

    start: date
    end: date

    @classmethod
    def last_days(cls, today: date, days: int) -> Period:
        return cls(today - timedelta(days=days - 1), today)

    @classmethod
    def last_months(cls, today: date, months: int) -> Period:
        index = today.year * 12 + today.month - 1 - (months - 1)
        return cls(date(index // 12, index % 12 + 1, 1), today)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.start, time(), UTC),
            datetime.combine(self.end + timedelta(days=1), time(), UTC),
        )

    @property
    def bucket(self) -> Bucket:
        if self.days <= 62:
            return Bucket.DAY
        return Bucket.WEEK if self.days <= 182 else Bucket.MONTH

    def bucket_starts(self) -> list[date]:
        starts, current = [], bucket_start(self.start, self.bucket)
        while current <= self.end:
            starts.append(current)
            current = next_bucket(current, self.bucket)
        return starts


@dataclass(frozen=True)
class Scope:
    """Whose money a report reads: payees by id, a label's roster artists for the label's releases only,
    or everything (the platform's own rows, such as tax, included)."""

    artist_ids: frozenset[int] = frozenset()
    label_ids: frozenset[int] = frozenset()
    roster_label_id: int | None = None
    roster_artist_ids: frozenset[int] = frozenset()
    platform: bool = False

    @classmethod
    def payee(cls, key: str) -> Scope:
        kind, _, ident = key.partition(":")
        if kind not in ("artist", "label") or not ident.isdigit():
            raise ValueError(f"not a payee key: {key!r}")
        ids = frozenset({int(ident)})
        return cls(artist_ids=ids) if kind == "artist" else cls(label_ids=ids)

    @classmethod
    def roster(cls, session: Session, label_id: int) -> Scope:
        """The label's own money, and its active roster artists' money from releases on the label: what
        the artist earns elsewhere is not the label's to see."""
        artists = session.scalars(
            select(RosterLink.artist_id).where(RosterLink.label_id == label_id, RosterLink.active_clause())
        )
        return cls(
            label_ids=frozenset({label_id}), roster_label_id=label_id, roster_artist_ids=frozenset(artists)
        )

    @classmethod
    def everything(cls) -> Scope:
        return cls(platform=True)

    def line_condition(self) -> ColumnElement[bool]:
        if self.platform:
            return true()
        parts: list[ColumnElement[bool]] = []
        if self.artist_ids:
            parts.append(OrderLine.payee_artist_id.in_(self.artist_ids))
        if self.label_ids:
            parts.append(OrderLine.payee_label_id.in_(self.label_ids))
        if self.roster_label_id is not None and self.roster_artist_ids:
            on_label = select(Release.id).where(Release.label_id == self.roster_label_id)
            parts.append(
                and_(
                    OrderLine.payee_artist_id.in_(self.roster_artist_ids), OrderLine.release_id.in_(on_label)
                )
            )
        return or_(*parts) if parts else false()

    def entry_condition(self) -> ColumnElement[bool]:
        """For ledger rows outer-joined to their order line."""
        if self.platform:
            return true()
        keys = [f"artist:{i}" for i in self.artist_ids] + [f"label:{i}" for i in self.label_ids]
        return or_(
            and_(LedgerEntry.order_line_id.is_not(None), self.line_condition()),
            and_(LedgerEntry.order_line_id.is_(None), LedgerEntry.payee_key.in_(keys)),
        )


_S = TypeVar("_S", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class Filter:
    scope: Scope
    period: Period
    release_id: int | None = None

    def entries(self, stmt: _S) -> _S:
        """`stmt` over the ledger rows this filter covers, each outer-joined to its order line."""
        low, high = self.period.bounds
        stmt = stmt.outerjoin(OrderLine, OrderLine.id == LedgerEntry.order_line_id).where(
            self.scope.entry_condition(), LedgerEntry.at >= low, LedgerEntry.at < high
        )
        if self.release_id is not None:
            stmt = stmt.where(
                or_(
                    OrderLine.release_id == self.release_id,
                    and_(LedgerEntry.order_line_id.is_(None), LedgerEntry.release_id == self.release_id),
                )
            )
        return stmt


# Which figure each kind of row adds to, and with what sign: deductions are kept as positive amounts.
_FIGURES = {
    LedgerKind.SALE: ("gross", 1),
    LedgerKind.PROCESSING_FEE: ("processing_fees", -1),
    LedgerKind.PLATFORM_FEE: ("platform_fees", -1),
    LedgerKind.REFUND: ("refunds", -1),
    LedgerKind.REVERSAL: ("reversals", 1),
    LedgerKind.DISPUTE: ("disputes", -1),
    LedgerKind.DISPUTE_RELEASED: ("disputes", -1),
    LedgerKind.TAX: ("tax", 1),
}


@dataclass
class Totals:
    """One currency's figures; `net` is what the payees keep of their sales."""

    currency: str
    gross: int = 0
    processing_fees: int = 0
    platform_fees: int = 0
    refunds: int = 0
    reversals: int = 0
    disputes: int = 0  # still held by fans' banks
    tax: int = 0
    transfers: int = 0
    sales: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.processing_fees - self.platform_fees - self.reversals

    def add(self, kind: LedgerKind, amount: int, count: int) -> None:
        if kind is LedgerKind.SALE:
            self.sales += count
        if (figure := _FIGURES.get(kind)) is not None:
            setattr(self, figure[0], getattr(self, figure[0]) + figure[1] * amount)


@dataclass(frozen=True)
class SeriesPoint:
    start: date
    sales: int = 0
    amount: int = 0


@dataclass(frozen=True)
class Series:
    bucket: Bucket
    starts: list[date]
    by_currency: dict[str, list[SeriesPoint]] = field(default_factory=dict)


@dataclass(frozen=True)
class SaleRow:
    at: datetime
    title: str
    release_title: str
    is_track: bool
    currency: str
    amount: int
    processing_fee: int
    platform_fee: int
    refunded: int
    reversed: int
    order: str  # masked reference
    status: str
    line_id: int = 0

    @property
    def fees(self) -> int:
        return self.processing_fee + self.platform_fee

    @property
    def net(self) -> int:
        return self.amount - self.fees


@dataclass(frozen=True)
class SalesPage:
    rows: list[SaleRow]
    has_more: bool


def _line_payee_key() -> ColumnElement[str]:
    artist = literal("artist:") + cast(OrderLine.payee_artist_id, String)
    label = literal("label:") + cast(OrderLine.payee_label_id, String)
    return case((OrderLine.payee_artist_id.is_not(None), artist), else_=label)


class EarningsReport:
    """The queries behind the earnings pages; reads only."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def totals(self, where: Filter) -> list[Totals]:
        return list(self._totals(where, by_artist=False).get(None, {}).values())

    def roster_totals(self, where: Filter) -> dict[int | None, list[Totals]]:
        """Per artist of the lines, whoever was paid; None holds rows of whole orders."""
        return {a: list(t.values()) for a, t in self._totals(where, by_artist=True).items()}

    def _totals(self, where: Filter, *, by_artist: bool) -> dict[int | None, dict[str, Totals]]:
        group = [OrderLine.artist_id] if by_artist else []
        stmt = where.entries(
            select(
                *group,
                LedgerEntry.currency,
                LedgerEntry.kind,
                func.sum(LedgerEntry.amount_minor),
                func.count(LedgerEntry.id),
            )
            .select_from(LedgerEntry)
            .where(LedgerEntry.kind != LedgerKind.TRANSFER)  # counted from their lines, below
        ).group_by(*group, LedgerEntry.currency, LedgerEntry.kind)
        found: dict[int | None, dict[str, Totals]] = defaultdict(dict)
        for *artist, currency, kind, amount, count in self.session.execute(stmt):
            totals = found[artist[0] if artist else None].setdefault(currency, Totals(currency))
            totals.add(LedgerKind(kind), int(amount or 0), count)
        for artist_id, currency, amount in self._transfers(where, by_artist=by_artist):
            found[artist_id].setdefault(currency, Totals(currency)).transfers += amount
        return {a: dict(sorted(t.items())) for a, t in found.items()}

    def _transfers(self, where: Filter, *, by_artist: bool) -> Iterable[tuple[int | None, str, int]]:
        low, high = where.period.bounds
        group = [OrderLine.artist_id] if by_artist else []
        stmt = (
            select(*group, OrderLine.currency, func.sum(OrderLine.payee_amount_minor))
            .select_from(OrderLine)
            .join(
                LedgerEntry,
                and_(
                    LedgerEntry.order_id == OrderLine.order_id,
                    LedgerEntry.kind == LedgerKind.TRANSFER,
                    LedgerEntry.payee_key == _line_payee_key(),
                ),
            )
            .where(where.scope.line_condition(), LedgerEntry.at >= low, LedgerEntry.at < high)
            .group_by(*group, OrderLine.currency)
        )
        if where.release_id is not None:
            stmt = stmt.where(OrderLine.release_id == where.release_id)
        for *artist, currency, amount in self.session.execute(stmt):
            yield artist[0] if artist else None, currency, int(amount or 0)

    def series(self, where: Filter) -> Series:
        """Sales per bucket and currency, every bucket of the period present (zero when nothing sold)."""
        bucket = where.period.bucket
        starts = where.period.bucket_starts()
        stmt = where.entries(
            select(LedgerEntry.at, LedgerEntry.currency, LedgerEntry.amount_minor)
            .select_from(LedgerEntry)
            .where(LedgerEntry.kind == LedgerKind.SALE)
        )
        sums: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for at, currency, amount in self.session.execute(stmt):
            cell = sums[currency][bucket_start(at.astimezone(UTC).date(), bucket)]
            cell[0] += 1
            cell[1] += amount
        by_currency = {
            currency: [SeriesPoint(s, *cells.get(s, [0, 0])) for s in starts]
            for currency, cells in sorted(sums.items())
        }
        return Series(bucket, starts, by_currency)

    def sales(self, where: Filter, *, page: int = 1, per_page: int = 50) -> SalesPage:
        """One page of the sales, newest first, each with what its line's fees and refunds came to."""
        stmt = where.entries(
            select(LedgerEntry, OrderLine, Order.reference, Release.title)
            .select_from(LedgerEntry)
            .where(LedgerEntry.kind == LedgerKind.SALE)
        )
        stmt = stmt.join(Order, Order.id == LedgerEntry.order_id).join(
            Release, Release.id == OrderLine.release_id
        )
        stmt = stmt.order_by(LedgerEntry.at.desc(), LedgerEntry.id.desc())
        found = list(self.session.execute(stmt.offset((page - 1) * per_page).limit(per_page + 1)))
        found, has_more = found[:per_page], len(found) > per_page
        lines = self._line_sums([line.id for _, line, _, _ in found])
        rows = [
            self._row(entry, line, ref, title, lines.get(line.id, {})) for entry, line, ref, title in found
        ]
        return SalesPage(rows, has_more)

    def _line_sums(self, line_ids: list[int]) -> dict[int | None, dict[LedgerKind, int]]:
        """What each line's fees, refunds and reversals came to, whenever they were recorded."""
        if not line_ids:
            return {}
        stmt = (
            select(LedgerEntry.order_line_id, LedgerEntry.kind, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.order_line_id.in_(line_ids))
            .group_by(LedgerEntry.order_line_id, LedgerEntry.kind)
        )
        sums: dict[int | None, dict[LedgerKind, int]] = defaultdict(dict)
        for line_id, kind, amount in self.session.execute(stmt):
            sums[line_id][LedgerKind(kind)] = int(amount or 0)
        return sums

    @staticmethod
    def _row(
        entry: LedgerEntry, line: OrderLine, reference: str, release_title: str, sums: dict[LedgerKind, int]
    ) -> SaleRow:
        refunded = -sums.get(LedgerKind.REFUND, 0)
        status = line.status.value.replace("_", " ")
        if line.status is LineStatus.OPEN:
            status = "partly refunded" if refunded else "paid"
        return SaleRow(
            at=entry.at,
            title=line.title,
            release_title=release_title,
            is_track=line.track_id is not None,
            currency=entry.currency,
            amount=entry.amount_minor,
            processing_fee=-sums.get(LedgerKind.PROCESSING_FEE, 0),
            platform_fee=-sums.get(LedgerKind.PLATFORM_FEE, 0),
            refunded=refunded,
            reversed=sums.get(LedgerKind.REVERSAL, 0),
            order=mask_reference(reference),
            status=status,
            line_id=line.id,
        )
