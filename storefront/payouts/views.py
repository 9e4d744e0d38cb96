"""Earnings pages: an artist's, a label's roster and the platform's, each with its chart and a CSV export.

The views turn the query string into a `Filter` (a bad date or a release outside the page's own is a 400 or
a 404), and hand the templates plain figures. Money is written per currency, never summed across them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from ..accounts.access import ADMIN, ARTIST_MEMBER, LABEL_STAFF
from ..accounts.models import Artist, Label
from ..db import get_session, utcnow
from ..releases.identifiers import format_price
from ..releases.models import Release
from ..storage.naming import content_disposition
from ..web.access import access
from ..web.services import find_service
from ..web.spreadsheets import csv_cell
from .chart import Point, bucket_label, render_chart
from .reports import EarningsReport, Filter, Period, SaleRow, Scope, Series, Totals

bp = Blueprint("payouts", __name__)
ViewResult = str | tuple[str, int] | Response
PER_PAGE = 50
# A bigger export is a period too long to read in a spreadsheet; the page asks for a shorter one.
MAX_CSV_ROWS = 50_000
MAX_PAGE = 1_000_000
WHOLE_ORDERS = "Not tied to one artist"
PERIODS = {"30d": "Last 30 days", "12m": "Last 12 months", "custom": "From … to …"}
CSV_HEADER = (
    "Date (UTC)", "Release", "Item", "Currency", "Amount", "Processing fee", "Platform fee", "Net",
    "Refunded", "Reversed", "Order", "Status",
)  # fmt: skip


def money(minor: int, currency: str) -> str:
    """format_price, with a sign for amounts below zero."""
    return ("-" if minor < 0 else "") + format_price(abs(minor), currency)


class FilterError(ValueError):
    """A filter the page cannot use; the message says what to change."""


@dataclass(frozen=True)
class Filters:
    preset: str
    period: Period
    release_id: int | None
    page: int

    def args(self, **extra: Any) -> dict[str, Any]:
        """The query string that shows the same report (for the CSV link and the pager)."""
        found: dict[str, Any] = {"period": self.preset}
        if self.preset == "custom":
            found.update({"from": self.period.start.isoformat(), "to": self.period.end.isoformat()})
        if self.release_id is not None:
            found["release"] = self.release_id
        return found | extra


def _day(text: str, what: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"The {what} date must be written as YYYY-MM-DD.") from None
    if not 2000 <= day.year <= 2100:
        raise FilterError("Choose dates between the years 2000 and 2100.")
    return day


def parse_filters(args: Mapping[str, str], today: date) -> Filters:
    """The report asked for: a period (the last 30 days by default), a release, a page of the sales."""
    start, end = (args.get(name, "").strip() for name in ("from", "to"))
    preset = args.get("period", "").strip() or ("custom" if start or end else "30d")
    if preset not in PERIODS:
        raise FilterError("Choose the last 30 days, the last 12 months or a period from one date to another.")
    if preset == "30d":
        period = Period.last_days(today, 30)
    elif preset == "12m":
        period = Period.last_months(today, 12)
    else:
        if not start or not end:
            raise FilterError("Give both the first and the last day of the period.")
        period = Period(_day(start, "first"), _day(end, "last"))
        if period.start > period.end:
            raise FilterError("The period ends before it starts: swap the dates.")
        if period.days > 3660:
            raise FilterError("A period covers at most ten years.")
    release = args.get("release", "").strip()
    if release and not (release.isascii() and release.isdigit() and len(release) <= 18):
        raise FilterError("Choose a release from the list.")
    page = args.get("page", "1").strip()
    page_number = int(page) if page.isascii() and page.isdigit() and len(page) <= 7 else 1
    return Filters(preset, period, int(release) if release else None, min(max(page_number, 1), MAX_PAGE))


@dataclass(frozen=True)
class Subject:
    """Whose earnings a page shows, and the releases its filter offers (None: any release, by number)."""

    kind: str  # "artist", "label" or "platform"
    name: str
    slug: str
    scope: Scope
    releases: list[Release] | None


@dataclass(frozen=True)
class ChartView:
    currency: str | None
    svg: Markup
    rows: list[tuple[str, int, str]]  # each bucket: label, sales, amount


def _formatter(currency: str | None) -> Callable[[int], str]:
    return (lambda minor: money(minor, currency)) if currency else str


def _sales(count: int) -> str:
    return f"{count} sale" if count == 1 else f"{count} sales"


def _charts(series: Series, period: Period) -> list[ChartView]:
    def label(start: date, *, short: bool = False) -> str:
        # The first week may begin before the period does; it is named by the period's first day.
        return bucket_label(max(start, period.start), series.bucket, short=short)

    charts = []
    for currency, points in series.by_currency.items() or [(None, [])]:
        fmt = _formatter(currency)
        total, count = sum(p.amount for p in points), sum(p.sales for p in points)
        best = max(points, key=lambda p: p.amount, default=None)
        description = (
            f"Sales per {series.bucket.value} from {period.start.isoformat()} to {period.end.isoformat()}: "
            f"{_sales(count)}, {fmt(total)} in total"
            + (f"; highest {label(best.start)}, {fmt(best.amount)}." if best else ".")
        )
        drawn = [
            Point(
                label(p.start, short=True), p.amount, f"{label(p.start)}: {_sales(p.sales)}, {fmt(p.amount)}"
            )
            for p in points
        ] or [Point(label(s, short=True), 0) for s in series.starts]
        svg = render_chart(
            drawn,
            title=f"Sales over time{f' in {currency}' if currency else ''}",
            description=description,
            format_value=fmt,
            chart_id=f"sales-{currency or 'none'}",
        )
        rows = [(label(p.start), p.sales, fmt(p.amount)) for p in points if p.sales]
        charts.append(ChartView(currency, Markup(svg), rows))  # noqa: S704 - every text in it is escaped
    return charts


def _filters(subject: Subject) -> Filters | str:
    """The filters asked for, or what is wrong with them; a release that is not the page's own is a 404."""
    try:
        filters = parse_filters(request.args, utcnow().date())
    except FilterError as error:
        return str(error)
    if filters.release_id is not None:
        if subject.releases is not None:
            known = any(r.id == filters.release_id for r in subject.releases)
        else:
            known = get_session().get(Release, filters.release_id) is not None
        if not known:
            abort(404, description="That release has no earnings here.")
    return filters


def _roster(report: EarningsReport, where: Filter) -> list[tuple[str, list[Totals]]]:
    """A label's totals per artist, by name; rows of whole orders last."""
    by_artist = report.roster_totals(where)
    ids = [a for a in by_artist if a is not None]
    names = {
        aid: name
        for aid, name in get_session().execute(select(Artist.id, Artist.name).where(Artist.id.in_(ids)))
    }
    rows = [(names.get(a, WHOLE_ORDERS) if a else WHOLE_ORDERS, t) for a, t in by_artist.items()]
    return sorted(rows, key=lambda row: (row[0] == WHOLE_ORDERS, row[0].lower()))


def _page(subject: Subject, route: dict[str, Any]) -> ViewResult:
    found = _filters(subject)
    endpoint = request.endpoint or ""
    context: dict[str, Any] = {"subject": subject, "periods": PERIODS, "form": request.args, "money": money}
    if isinstance(found, str):
        return render_template("payouts/earnings.html", error=found, filters=None, **context), 400
    where = Filter(subject.scope, found.period, found.release_id)
    report = find_service(EarningsReport)
    sales = report.sales(where, page=found.page, per_page=PER_PAGE)
    pages = {
        "newer": url_for(endpoint, **route, **found.args(page=found.page - 1)) if found.page > 1 else None,
        "older": url_for(endpoint, **route, **found.args(page=found.page + 1)) if sales.has_more else None,
    }
    return render_template(
        "payouts/earnings.html",
        error=None,
        filters=found,
        totals=report.totals(where),
        charts=_charts(report.series(where), found.period),
        sales=sales,
        pages=pages,
        roster=_roster(report, where) if subject.kind == "label" else None,
        csv_url=url_for(endpoint + "_csv", **route, **found.args()),
        **context,
    )


def _amount(minor: int, currency: str) -> str:
    """The number alone: the currency has its own column, so a spreadsheet can sum one currency's cells."""
    return money(minor, currency).rsplit(" ", 1)[0]


def _csv_row(row: SaleRow) -> list[str]:
    values = [
        row.at.strftime("%Y-%m-%d %H:%M:%S"),
        row.release_title,
        row.title,
        row.currency,
        *(_amount(v, row.currency) for v in (row.amount, row.processing_fee, row.platform_fee)),
        *(_amount(v, row.currency) for v in (row.net, row.refunded, row.reversed)),
        row.order,
        row.status,
    ]
    return [csv_cell(v) for v in values]


def _csv(subject: Subject) -> ViewResult:
    found = _filters(subject)
    if isinstance(found, str):
        abort(400, description=found)
    where = Filter(subject.scope, found.period, found.release_id)
    sales = find_service(EarningsReport).sales(where, per_page=MAX_CSV_ROWS)
    if sales.has_more:
        abort(422, description=f"More than {MAX_CSV_ROWS:,} sales in this period: choose a shorter one.")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerows(_csv_row(row) for row in sales.rows)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    name = f"earnings-{subject.slug}-{found.period.start.isoformat()}-{found.period.end.isoformat()}.csv"
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _artist(artist: Artist) -> Subject:
    releases = get_session().scalars(
        select(Release).where(Release.artist_id == artist.id).order_by(Release.title, Release.id)
    )
    return Subject("artist", artist.name, artist.slug, Scope.payee(f"artist:{artist.id}"), list(releases))


def _label(label: Label) -> Subject:
    releases = get_session().scalars(
        select(Release).where(Release.label_id == label.id).order_by(Release.title, Release.id)
    )
    scope = Scope.roster(get_session(), label.id)
    return Subject("label", label.name, label.slug, scope, list(releases))


def _platform() -> Subject:
    return Subject("platform", "Velvet", "platform", Scope.everything(), None)


@bp.get("/artists/<slug>/earnings")
@access(ARTIST_MEMBER)
def artist_earnings(artist: Artist) -> ViewResult:
    return _page(_artist(artist), {"slug": artist.slug})


@bp.get("/artists/<slug>/earnings.csv")
@access(ARTIST_MEMBER)
def artist_earnings_csv(artist: Artist) -> ViewResult:
    return _csv(_artist(artist))


@bp.get("/labels/<slug>/earnings")
@access(LABEL_STAFF)
def label_earnings(label: Label) -> ViewResult:
    return _page(_label(label), {"slug": label.slug})


@bp.get("/labels/<slug>/earnings.csv")
@access(LABEL_STAFF)
def label_earnings_csv(label: Label) -> ViewResult:
    return _csv(_label(label))


@bp.get("/admin/earnings")
@access(ADMIN)
def platform_earnings() -> ViewResult:
    return _page(_platform(), {})


@bp.get("/admin/earnings.csv")
@access(ADMIN)
def platform_earnings_csv() -> ViewResult:
    return _csv(_platform())
