"""Periods, the earnings pages' filters, and the CSV cells that a spreadsheet must not run."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storefront.payouts.chart import Bucket
from storefront.payouts.reports import Period, Scope, mask_reference
from storefront.payouts.views import FilterError, money, parse_filters
from storefront.web.spreadsheets import csv_cell

TODAY = date(2026, 3, 15)


def test_presets_are_whole_days_and_whole_months() -> None:
    days = Period.last_days(TODAY, 30)
    assert (days.start, days.end, days.days, days.bucket) == (date(2026, 2, 14), TODAY, 30, Bucket.DAY)
    months = Period.last_months(TODAY, 12)
    assert (months.start, months.bucket) == (date(2025, 4, 1), Bucket.MONTH)
    assert len(months.bucket_starts()) == 12
    assert Period.last_months(date(2026, 1, 31), 1).start == date(2026, 1, 1)
    assert days.bounds == (datetime(2026, 2, 14, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC))


def test_the_bucket_follows_the_length_of_the_period() -> None:
    assert Period(date(2026, 1, 1), date(2026, 3, 3)).bucket is Bucket.DAY  # 62 days
    assert Period(date(2026, 1, 1), date(2026, 3, 4)).bucket is Bucket.WEEK
    weeks = Period(date(2026, 3, 4), date(2026, 5, 31))
    assert weeks.bucket_starts()[0] == date(2026, 3, 2) and weeks.bucket_starts()[-1] == date(2026, 5, 25)
    assert Period(date(2026, 1, 1), date(2026, 7, 2)).bucket is Bucket.MONTH


def test_filters_default_to_the_last_30_days() -> None:
    filters = parse_filters({}, TODAY)
    assert (filters.preset, filters.period, filters.release_id, filters.page) == (
        "30d",
        Period.last_days(TODAY, 30),
        None,
        1,
    )
    assert filters.args() == {"period": "30d"}


def test_a_custom_period_and_release_round_trip() -> None:
    filters = parse_filters({"from": "2026-03-01", "to": "2026-03-31", "release": "7", "page": "3"}, TODAY)
    assert filters.preset == "custom"
    assert filters.period == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert filters.release_id == 7 and filters.page == 3
    assert filters.args(page=4) == {
        "period": "custom",
        "from": "2026-03-01",
        "to": "2026-03-31",
        "release": 7,
        "page": 4,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"period": "forever"}, "Choose the last 30 days"),
        ({"period": "custom", "from": "2026-03-01"}, "both the first and the last day"),
        ({"from": "yesterday", "to": "2026-03-01"}, "YYYY-MM-DD"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "YYYY-MM-DD"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "ends before it starts"),
        ({"from": "1999-12-31", "to": "2026-03-01"}, "between the years 2000 and 2100"),
        ({"from": "9999-12-31", "to": "9999-12-31"}, "between the years 2000 and 2100"),
        ({"from": "2000-01-01", "to": "2026-03-01"}, "at most ten years"),
        ({"release": "abc"}, "from the list"),
        ({"release": "-1"}, "from the list"),
        ({"release": "9" * 40}, "from the list"),
    ],
)
def test_bad_filters_say_what_to_change(args: dict[str, str], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filters(args, TODAY)


def test_a_bad_page_number_is_the_first_page_and_a_huge_one_is_bounded() -> None:
    assert parse_filters({"page": "x"}, TODAY).page == 1
    assert parse_filters({"page": "0"}, TODAY).page == 1
    assert parse_filters({"page": "9999999"}, TODAY).page == 1_000_000
    assert parse_filters({"page": "9" * 30}, TODAY).page == 1


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Harbour", "Harbour"),
        ("7.00", "7.00"),
        ("", ""),
    ],
)
def test_csv_cells_never_start_like_a_formula(value: str, cell: str) -> None:
    assert csv_cell(value) == cell


def test_money_is_per_currency_with_a_sign() -> None:
    assert money(1234, "USD") == "12.34 USD"
    assert money(-5, "USD") == "-0.05 USD"
    assert money(700, "JPY") == "700 JPY"


def test_order_references_are_masked() -> None:
    assert mask_reference("ord_AbCdEfGhIjKlMnOp") == "ord_…MnOp"
    assert "AbCd" not in mask_reference("ord_AbCdEfGhIjKlMnOp")


def test_payee_keys() -> None:
    assert Scope.payee("artist:3") == Scope(artist_ids=frozenset({3}))
    assert Scope.payee("label:4") == Scope(label_ids=frozenset({4}))
    for bad in ("artist:", "user:1", "label:x", ""):
        with pytest.raises(ValueError, match="not a payee key"):
            Scope.payee(bad)
