"""Earnings reports read from the ledger: per payee, per label roster and for the platform, per currency.

`build_books` writes orders, lines and ledger rows directly, as fulfilment, transfers, refunds and disputes
would: two artists paid directly, a label that collects for one roster artist, a roster artist paid
directly who also self-releases, refunds with their reversals, a dispute, tax, and two currencies.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from storefront.accounts.models import Artist, ArtistMember, Label, MemberRole, RosterLink, User
from storefront.db import commit, utcnow
from storefront.orders.models import (
    LedgerEntry,
    LedgerKind,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from storefront.payouts.chart import Bucket
from storefront.payouts.reports import EarningsReport, Filter, Period, Scope, Totals
from storefront.releases.models import Release, Track
from tests.factories.accounts import make_artist, make_label, make_user
from tests.factories.releases import make_release

_keys = itertools.count(1)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@dataclass
class Sale:
    release: Release
    amount: int
    fee: int
    platform: int = 0
    label: Label | None = None  # the payee, when the label collects for the artist
    track: Track | None = None
    transferred: bool = True


def _entry(db, kind: LedgerKind, key: str, order: Order, amount: int, when: datetime, **extra) -> None:
    db.add(
        LedgerEntry(
            key=key,
            kind=kind,
            order_id=order.id,
            amount_minor=amount,
            currency=order.currency,
            at=when,
            **extra,
        )
    )


def _line_entry(db, kind: LedgerKind, key: str, line: OrderLine, amount: int, when: datetime) -> None:
    _entry(
        db,
        kind,
        key,
        line.order,
        amount,
        when,
        order_line_id=line.id,
        payee_key=line.payee_key,
        release_id=line.release_id,
    )


def paid_order(db, when: datetime, currency: str, *sales: Sale, tax: int = 0) -> list[OrderLine]:
    """A paid order with its lines, the sale and fee rows, tax, and a transfer per payee an hour later."""
    reference = "ord_" + secrets.token_urlsafe(12)
    subtotal = sum(s.amount for s in sales)
    order = Order(
        reference=reference,
        currency=currency,
        subtotal_minor=subtotal,
        status=OrderStatus.PAID,
        status_changed_at=when,
        gateway="sandbox",
        transfer_group="order_" + reference,
        amount_total_minor=subtotal + tax,
        tax_minor=tax,
        processing_fee_minor=sum(s.fee for s in sales),
        created_at=when,
        paid_at=when,
    )
    db.add(order)
    lines = []
    for sale in sales:
        artist_id = sale.release.artist_id
        line = OrderLine(
            order=order,
            release_id=sale.release.id,
            track_id=sale.track.id if sale.track else None,
            artist_id=artist_id,
            payee_artist_id=None if sale.label else artist_id,
            payee_label_id=sale.label.id if sale.label else None,
            title=sale.track.title if sale.track else sale.release.title,
            amount_minor=sale.amount,
            currency=currency,
            processing_fee_minor=sale.fee,
            platform_fee_minor=sale.platform,
            payee_amount_minor=sale.amount - sale.fee - sale.platform,
        )
        db.add(line)
        lines.append(line)
    db.flush()
    shares: dict[str, int] = {}
    for sale, line in zip(sales, lines, strict=True):
        _line_entry(db, LedgerKind.SALE, f"sale:{line.id}", line, sale.amount, when)
        _line_entry(db, LedgerKind.PROCESSING_FEE, f"fee:{line.id}", line, -sale.fee, when)
        _line_entry(db, LedgerKind.PLATFORM_FEE, f"platform:{line.id}", line, -sale.platform, when)
        if sale.transferred:
            shares[line.payee_key] = shares.get(line.payee_key, 0) + (line.payee_amount_minor or 0)
    for key, share in shares.items():
        transfer_key = f"transfer:{order.id}:{key}"
        _entry(db, LedgerKind.TRANSFER, transfer_key, order, -share, when + timedelta(hours=1), payee_key=key)
    if tax:
        _entry(db, LedgerKind.TAX, f"tax:{order.id}", order, tax, when)
    commit(db)
    return lines


def refund(db, line: OrderLine, amount: int, when: datetime, *, reversal: int) -> None:
    n = next(_keys)
    _line_entry(db, LedgerKind.REFUND, f"refund:{n}", line, -amount, when)
    if reversal:
        _line_entry(
            db, LedgerKind.REVERSAL, f"reversal:refund-{n}", line, reversal, when + timedelta(minutes=5)
        )
    line.refunded_minor += amount
    if line.refunded_minor == line.amount_minor:
        line.status = LineStatus.REFUNDED
    commit(db)


def dispute(db, line: OrderLine, amount: int, when: datetime) -> None:
    _line_entry(db, LedgerKind.DISPUTE, f"dispute:dp_{next(_keys)}:{line.id}", line, -amount, when)
    line.status = LineStatus.DISPUTED
    commit(db)


@dataclass
class Books:
    admin: User
    ana: User  # owns artist A
    ana_member: User  # a member (not an owner) of artist A
    bo: User  # owns artist B
    lea: User  # owns the label
    fan: User
    a: Artist
    b: Artist
    c: Artist  # on the label's roster; the label collects
    d: Artist  # on the label's roster; paid directly
    label: Label
    harbour: Release  # A, USD, two tracks
    nachtlied: Release  # A, EUR
    lanterns: Release  # B, on the label, but B's roster link has ended
    signal: Release  # C, on the label
    drift: Release  # D, on the label
    solo: Release  # D, self-released
    lines: dict[str, OrderLine] = field(default_factory=dict)


def _roster(db, label: Label, artist: Artist, *, collects: bool = False, ended: bool = False) -> None:
    now = utcnow()
    db.add(
        RosterLink(
            label=label,
            artist=artist,
            label_consent_at=now,
            artist_consent_at=now,
            ended_at=now if ended else None,
            label_collects=collects,
        )
    )


def build_books(db, platform) -> Books:
    admin = make_user(db, platform, name="Admin", admin=True)
    ana, bo, lea = (make_user(db, platform, name=n) for n in ("Ana", "Bo", "Lea"))
    ana_member, fan = make_user(db, platform, name="Mo"), make_user(db, platform, name="Fan")
    a = make_artist(db, ana, name="Ana Lys", slug="ana-lys")
    a.members.append(ArtistMember(user=ana_member, role=MemberRole.MEMBER))
    b = make_artist(db, bo, name="Bo", slug="bo")
    c = make_artist(db, make_user(db, platform), name="Cato", slug="cato")
    d = make_artist(db, make_user(db, platform), name="Dara", slug="dara")
    label = make_label(db, lea, name="Northern Lights", slug="northern-lights")
    _roster(db, label, c, collects=True)
    _roster(db, label, d)
    _roster(db, label, b, ended=True)
    harbour = make_release(db, a, title="Harbour", tracks=2)
    nachtlied = make_release(db, a, title="Nachtlied")
    nachtlied.currency = "EUR"
    lanterns, signal = make_release(db, b, title="Lanterns"), make_release(db, c, title="Signal")
    drift, solo = make_release(db, d, title="Drift"), make_release(db, d, title="Solo")
    for release in (lanterns, signal, drift):
        release.label_id = label.id
    commit(db)
    books = Books(
        admin,
        ana,
        ana_member,
        bo,
        lea,
        fan,
        a,
        b,
        c,
        d,
        label,
        harbour,
        nachtlied,
        lanterns,
        signal,
        drift,
        solo,
    )
    L = books.lines
    L["a1"], L["b1"] = paid_order(
        db, at("2026-03-02", 10), "USD", Sale(harbour, 1000, 59), Sale(lanterns, 500, 30), tax=150
    )
    (L["a2"],) = paid_order(db, at("2026-03-05", 9), "USD", Sale(harbour, 300, 20, track=harbour.tracks[0]))
    refund(db, L["a2"], 300, at("2026-03-06"), reversal=280)
    (L["a3"],) = paid_order(
        db, at("2026-03-10"), "EUR", Sale(nachtlied, 800, 40, platform=40, transferred=False)
    )
    (L["a4"],) = paid_order(db, at("2026-02-20"), "USD", Sale(harbour, 1200, 65))
    (L["a5"],) = paid_order(db, at("2026-03-20"), "USD", Sale(harbour, 2000, 88))
    refund(db, L["a5"], 500, at("2026-03-21"), reversal=478)
    L["c1"], L["d1"] = paid_order(
        db, at("2026-03-12"), "USD", Sale(signal, 900, 50, label=label), Sale(drift, 400, 25)
    )
    (L["d2"],) = paid_order(db, at("2026-03-13"), "USD", Sale(solo, 700, 35))
    dispute(db, L["a1"], 1000, at("2026-03-15"))
    return books


@pytest.fixture
def books(db, platform) -> Books:
    return build_books(db, platform)


def _by_currency(totals: list[Totals]) -> dict[str, Totals]:
    return {t.currency: t for t in totals}


def test_an_artists_totals_per_currency(db, books: Books) -> None:
    found = _by_currency(EarningsReport(db).totals(Filter(Scope.payee(f"artist:{books.a.id}"), MARCH)))
    assert found["USD"] == Totals(
        "USD",
        gross=3300,
        processing_fees=167,
        platform_fees=0,
        refunds=800,
        reversals=758,
        disputes=1000,
        tax=0,
        transfers=3133,
        sales=3,
    )
    assert found["USD"].net == 3300 - 167 - 758
    assert found["EUR"] == Totals("EUR", gross=800, processing_fees=40, platform_fees=40, sales=1)
    assert found["EUR"].net == 720
    assert list(found) == ["EUR", "USD"]


def test_the_period_bounds_are_whole_days(db, books: Books) -> None:
    report, scope = EarningsReport(db), Scope.payee(f"artist:{books.a.id}")
    both = _by_currency(report.totals(Filter(scope, Period(date(2026, 2, 1), date(2026, 3, 31)))))["USD"]
    assert (both.gross, both.sales, both.processing_fees, both.transfers) == (4500, 4, 232, 4268)
    # The sale at noon on 20 February is in a period that ends that day, and not in one starting the next.
    assert (
        _by_currency(report.totals(Filter(scope, Period(date(2026, 2, 20), date(2026, 2, 20)))))["USD"].gross
        == 1200
    )
    assert report.totals(Filter(scope, Period(date(2026, 2, 21), date(2026, 3, 1)))) == []


def test_a_release_filter_and_the_transfers_it_accounts_for(db, books: Books) -> None:
    report = EarningsReport(db)
    nacht = report.totals(Filter(Scope.payee(f"artist:{books.a.id}"), MARCH, books.nachtlied.id))
    assert [t.currency for t in nacht] == ["EUR"]
    # On the whole platform the first order's transfer paid two artists; Harbour accounts for A's share only.
    harbour = _by_currency(report.totals(Filter(Scope.everything(), MARCH, books.harbour.id)))["USD"]
    assert (harbour.gross, harbour.transfers, harbour.tax) == (3300, 3133, 0)
    lanterns = _by_currency(report.totals(Filter(Scope.everything(), MARCH, books.lanterns.id)))["USD"]
    assert (lanterns.gross, lanterns.transfers) == (500, 470)


def test_another_artists_money_never_counts(db, books: Books) -> None:
    found = _by_currency(EarningsReport(db).totals(Filter(Scope.payee(f"artist:{books.b.id}"), MARCH)))
    assert found == {"USD": Totals("USD", gross=500, processing_fees=30, transfers=470, sales=1)}
    # A's release filter on B's report finds nothing: the filter narrows, it never widens.
    assert (
        EarningsReport(db).totals(Filter(Scope.payee(f"artist:{books.b.id}"), MARCH, books.harbour.id)) == []
    )


def test_a_labels_roster_per_artist(db, books: Books) -> None:
    where = Filter(Scope.roster(db, books.label.id), MARCH)
    report = EarningsReport(db)
    total = _by_currency(report.totals(where))["USD"]
    # Cato's sale (paid to the label) and Dara's on the label; not Dara's self-release, not Bo's (link ended).
    assert (total.gross, total.sales, total.processing_fees, total.net, total.transfers) == (
        1300,
        2,
        75,
        1225,
        1225,
    )
    per_artist = {a: _by_currency(t)["USD"] for a, t in report.roster_totals(where).items()}
    assert set(per_artist) == {books.c.id, books.d.id}
    assert (per_artist[books.c.id].gross, per_artist[books.c.id].transfers) == (900, 850)
    assert (per_artist[books.d.id].gross, per_artist[books.d.id].net) == (400, 375)


def test_the_platforms_totals_include_everyone_and_tax(db, books: Books) -> None:
    found = _by_currency(EarningsReport(db).totals(Filter(Scope.everything(), MARCH)))
    usd = found["USD"]
    assert (usd.gross, usd.sales, usd.processing_fees, usd.refunds, usd.reversals) == (5800, 7, 307, 800, 758)
    assert (usd.disputes, usd.tax, usd.transfers, usd.net) == (1000, 150, 5493, 4735)
    assert (found["EUR"].gross, found["EUR"].platform_fees) == (800, 40)


def test_series_per_day_week_and_month(db, books: Books) -> None:
    report, scope = EarningsReport(db), Scope.payee(f"artist:{books.a.id}")
    daily = report.series(Filter(scope, MARCH))
    assert daily.bucket is Bucket.DAY and len(daily.starts) == 31
    usd = {p.start.day: (p.sales, p.amount) for p in daily.by_currency["USD"] if p.sales}
    assert usd == {2: (1, 1000), 5: (1, 300), 20: (1, 2000)}
    assert len(daily.by_currency["USD"]) == 31
    weekly = report.series(Filter(scope, Period(date(2026, 1, 1), date(2026, 6, 30))))
    assert weekly.bucket is Bucket.WEEK
    weeks = {p.start: (p.sales, p.amount) for p in weekly.by_currency["USD"] if p.sales}
    assert weeks == {date(2026, 2, 16): (1, 1200), date(2026, 3, 2): (2, 1300), date(2026, 3, 16): (1, 2000)}
    monthly = report.series(Filter(scope, Period(date(2026, 1, 1), date(2026, 12, 31))))
    months = {p.start.month: (p.sales, p.amount) for p in monthly.by_currency["USD"]}
    assert monthly.bucket is Bucket.MONTH and len(months) == 12
    assert months[2] == (1, 1200) and months[3] == (3, 3300) and months[4] == (0, 0)
    assert report.series(Filter(scope, Period(date(2025, 1, 1), date(2025, 1, 31)))).by_currency == {}


def test_the_sales_list_newest_first_with_fees_refunds_and_masked_orders(db, books: Books) -> None:
    report, scope = EarningsReport(db), Scope.payee(f"artist:{books.a.id}")
    first = report.sales(Filter(scope, MARCH), page=1, per_page=2)
    second = report.sales(Filter(scope, MARCH), page=2, per_page=2)
    assert first.has_more and not second.has_more
    rows = first.rows + second.rows
    assert [(r.title, r.currency, r.amount, r.fees, r.net, r.refunded, r.status) for r in rows] == [
        ("Harbour", "USD", 2000, 88, 1912, 500, "partly refunded"),
        ("Nachtlied", "EUR", 800, 80, 720, 0, "paid"),
        ("Song 1", "USD", 300, 20, 280, 300, "refunded"),
        ("Harbour", "USD", 1000, 59, 941, 0, "disputed"),
    ]
    assert rows[2].is_track and rows[2].release_title == "Harbour"
    assert rows[0].reversed == 478
    reference = books.lines["a5"].order.reference
    assert rows[0].order == "ord_…" + reference[-4:] and reference not in rows[0].order
