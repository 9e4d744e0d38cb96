"""The earnings pages through HTTP: who may see them, their figures and filters, the chart and the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from storefront.db import commit, utcnow
from tests.factories.accounts import PASSWORD, make_artist
from tests.factories.releases import make_release
from tests.functional.payouts.test_reports import Books, Sale, build_books, paid_order
from tests.helpers import WebClient, text_of

MARCH = "period=custom&from=2026-03-01&to=2026-03-31"


@pytest.fixture
def books(db, platform) -> Books:
    return build_books(db, platform)


def _as(app, user) -> WebClient:
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return web


def _figure(name: str, value: str) -> str:
    return f"<dt>{name}</dt><dd>{value}</dd>"


def test_an_artist_member_sees_the_earnings_of_the_period(app, books: Books) -> None:
    page = _as(app, books.ana_member).get(f"/artists/ana-lys/earnings?{MARCH}")
    assert page.status_code == 200
    html = text_of(page)
    for name, value in [
        ("Sales", "3"),
        ("Gross sales", "33.00 USD"),
        ("Processing fees", "1.67 USD"),
        ("Refunded to fans", "8.00 USD"),
        ("Taken back (reversals)", "7.58 USD"),
        ("Held in open disputes", "10.00 USD"),
        ("Transfers sent", "31.33 USD"),
        ("Gross sales", "8.00 EUR"),
        ("Platform fees", "0.40 EUR"),
    ]:
        assert _figure(name, value) in html, (name, value)
    assert "<dt>Net earnings</dt><dd><strong>23.75 USD</strong></dd>" in html
    assert "<dt>Net earnings</dt><dd><strong>7.20 EUR</strong></dd>" in html
    # Never a sum across currencies, never another artist's sale, never the tax.
    assert "41.00" not in html and "Lanterns" not in html and "Tax collected" not in html
    # The chart is inline SVG, one per currency, titled; no script.
    assert html.count("<svg") == 2 and "Sales over time in USD" in html and "Sales over time in EUR" in html
    # The page's own scripts are the site's modules (search); the chart needs none.
    assert re.findall(r"<script[^>]*>", html) == ['<script type="module" src="/static/js/search.js">']
    # The sales, with each order's reference masked.
    reference = books.lines["a5"].order.reference
    assert "partly refunded" in html and "Song 1" in html and "(track of Harbour)" in html
    assert reference not in html and f"ord_…{reference[-4:]}" in html


def test_filter_by_release_and_period(app, books: Books) -> None:
    web = _as(app, books.ana)
    nacht = text_of(web.get(f"/artists/ana-lys/earnings?{MARCH}&release={books.nachtlied.id}"))
    assert _figure("Gross sales", "8.00 EUR") in nacht and "USD" not in nacht.split('id="totals-heading"')[1]
    assert f'<option value="{books.nachtlied.id}" selected>' in nacht
    february = text_of(web.get("/artists/ana-lys/earnings?from=2026-02-01&to=2026-02-28"))
    assert (
        _figure("Gross sales", "12.00 USD") in february
        and "EUR" not in february.split('id="totals-heading"')[1]
    )
    empty = text_of(web.get("/artists/ana-lys/earnings?from=2025-01-01&to=2025-01-31"))
    assert "No money moved in this period." in empty and "No sales in this period" in empty


def test_the_default_period_is_the_last_30_days(app, db, books: Books) -> None:
    eve = make_artist(db, books.ana, name="Eve", slug="eve")
    fresh = make_release(db, eve, title="Fresh")
    now = utcnow()
    paid_order(db, now - timedelta(days=1), "USD", Sale(fresh, 1500, 70))
    paid_order(db, now - timedelta(days=40), "USD", Sale(fresh, 9900, 300))
    paid_order(db, now - timedelta(days=800), "USD", Sale(fresh, 5000, 200))
    html = text_of(_as(app, books.ana).get("/artists/eve/earnings"))
    assert _figure("Gross sales", "15.00 USD") in html and _figure("Sales", "1") in html
    year = text_of(_as(app, books.ana).get("/artists/eve/earnings?period=12m"))
    assert _figure("Gross sales", "114.00 USD") in year and _figure("Sales", "2") in year


def test_bad_filters_are_a_400_that_says_why(app, books: Books) -> None:
    web = _as(app, books.ana)
    for query, message in [
        ("from=2026-03-31&to=2026-03-01", "The period ends before it starts"),
        ("from=31/03/2026&to=2026-04-01", "YYYY-MM-DD"),
        ("period=always", "Choose the last 30 days"),
        ("release=harbour", "Choose a release from the list"),
    ]:
        page = web.get(f"/artists/ana-lys/earnings?{query}")
        assert page.status_code == 400 and message in text_of(page), query
        assert web.get(f"/artists/ana-lys/earnings.csv?{query}").status_code == 400


def test_strangers_cannot_see_an_artists_earnings(app, client, books: Books) -> None:
    bo = _as(app, books.bo)
    for path in ("/artists/ana-lys/earnings", "/artists/ana-lys/earnings.csv"):
        assert bo.get(path).status_code == 403
        assert _as(app, books.fan).get(path).status_code == 403
        assert _as(app, books.lea).get(path).status_code == 403
        assert client.get(path).status_code == 302  # to log in
    assert bo.get("/artists/nobody/earnings").status_code == 404


def test_a_guessed_release_of_someone_else_is_a_404(app, books: Books) -> None:
    ana = _as(app, books.ana)
    for release in (books.lanterns, books.signal):
        assert ana.get(f"/artists/ana-lys/earnings?release={release.id}").status_code == 404
        assert ana.get(f"/artists/ana-lys/earnings.csv?release={release.id}").status_code == 404
    assert ana.get("/artists/ana-lys/earnings?release=999999999").status_code == 404
    # The owner of the other release sees it on their own page, of course.
    assert (
        _as(app, books.bo).get(f"/artists/bo/earnings?{MARCH}&release={books.lanterns.id}").status_code == 200
    )


def test_the_csv_has_the_same_rows_escaped_and_safe(app, db, books: Books) -> None:
    books.harbour.tracks[1].title = '=HYPERLINK("http://evil.example","click")'
    commit(db)
    paid_order(
        db,
        books.lines["a1"].order.paid_at + timedelta(days=1),
        "USD",
        Sale(books.harbour, 100, 5, track=books.harbour.tracks[1]),
    )
    response = _as(app, books.ana).get(f"/artists/ana-lys/earnings.csv?{MARCH}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="earnings-ana-lys-2026-03-01-2026-03-31.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:5] == ["Date (UTC)", "Release", "Item", "Currency", "Amount"]
    body = {(r[2], r[3]): r for r in rows[1:]}
    assert len(rows) == 6
    formula = body[('\'=HYPERLINK("http://evil.example","click")', "USD")]
    assert formula[1] == "Harbour" and formula[4] == "1.00"
    song = body[("Song 1", "USD")]
    assert song[4:11] == ["3.00", "0.20", "0.00", "2.80", "3.00", "2.80", song[10]]
    assert song[11] == "refunded" and song[10].startswith("ord_…")
    assert body[("Nachtlied", "EUR")][4:8] == ["8.00", "0.40", "0.40", "7.20"]
    assert all(r[0].startswith("2026-03-") for r in rows[1:])
    only = _as(app, books.ana).get(f"/artists/ana-lys/earnings.csv?{MARCH}&release={books.nachtlied.id}")
    assert len(list(csv.reader(io.StringIO(only.get_data(as_text=True))))) == 2


def test_a_labels_page_shows_its_roster_per_artist(app, books: Books) -> None:
    page = _as(app, books.lea).get(f"/labels/northern-lights/earnings?{MARCH}")
    assert page.status_code == 200
    html = text_of(page)
    assert _figure("Gross sales", "13.00 USD") in html
    roster = html.split('id="roster-heading"')[1].split("</table>")[0]
    assert "Cato" in roster and "9.00 USD" in roster and "8.50 USD" in roster
    assert "Dara" in roster and "4.00 USD" in roster and "3.75 USD" in roster
    # Dara's self-release and Bo (whose roster link ended) are not the label's to see.
    assert (
        "Solo" not in html
        and "7.00 USD" not in html
        and "Bo" not in roster
        and "Lanterns" not in html.split("<form")[1].split("</form>")[1]
    )
    csv_rows = list(
        csv.reader(
            io.StringIO(
                _as(app, books.lea)
                .get(f"/labels/northern-lights/earnings.csv?{MARCH}")
                .get_data(as_text=True)
            )
        )
    )
    assert sorted(r[1] for r in csv_rows[1:]) == ["Drift", "Signal"]


def test_only_label_staff_see_the_labels_page(app, books: Books) -> None:
    for user in (books.ana, books.fan):
        assert _as(app, user).get("/labels/northern-lights/earnings").status_code == 403
    lea = _as(app, books.lea)
    assert lea.get("/labels/nowhere/earnings").status_code == 404
    assert lea.get(f"/labels/northern-lights/earnings?release={books.solo.id}").status_code == 404
    assert lea.get(f"/labels/northern-lights/earnings?release={books.harbour.id}").status_code == 404


def test_admins_see_the_platforms_totals(app, books: Books) -> None:
    admin = _as(app, books.admin)
    html = text_of(admin.get(f"/admin/earnings?{MARCH}"))
    for name, value in [
        ("Gross sales", "58.00 USD"),
        ("Tax collected", "1.50 USD"),
        ("Transfers sent", "54.93 USD"),
    ]:
        assert _figure(name, value) in html
    assert "<dt>Net to sellers</dt><dd><strong>47.35 USD</strong></dd>" in html
    one = text_of(admin.get(f"/admin/earnings?{MARCH}&release={books.lanterns.id}"))
    assert _figure("Gross sales", "5.00 USD") in one
    assert admin.get("/admin/earnings?release=999999999").status_code == 404
    # Weekly buckets: the first week starts on Monday 29 December but is named by the period's first day.
    half = text_of(admin.get("/admin/earnings?from=2026-01-01&to=2026-06-30"))
    assert 'class="chart__label">1 Jan</text>' in half and "29 Dec" not in half
    assert "Week of 16 Feb 2026: 1 sale, 12.00 USD" in half
    rows = list(csv.reader(io.StringIO(admin.get(f"/admin/earnings.csv?{MARCH}").get_data(as_text=True))))
    assert len(rows) == 1 + 8
    for user in (books.ana, books.lea, books.fan):
        assert _as(app, user).get("/admin/earnings").status_code == 403
        assert _as(app, user).get("/admin/earnings.csv").status_code == 403


def test_the_sales_table_pages(app, db, books: Books) -> None:
    start = books.lines["a1"].order.paid_at
    for i in range(50):
        paid_order(db, start + timedelta(minutes=i + 1), "USD", Sale(books.harbour, 100 + i, 5))
    web = _as(app, books.ana)
    first = text_of(web.get(f"/artists/ana-lys/earnings?{MARCH}"))
    assert "Older →" in first and "← Newer" not in first
    older = first.split('<nav class="pager"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")
    second = text_of(web.get(older))
    assert "page=2" in older and "from=2026-03-01" in older
    assert "← Newer" in second and "Older →" not in second
    table = second.split('id="sales-heading"')[1].split("</table>")[0]
    assert table.count("<tr>") - 1 == 4  # the four oldest of 54 sales
    assert "disputed" in table and "Song 1" not in table  # the first sale of March is the oldest


def test_dashboards_link_to_the_earnings(app, books: Books) -> None:
    assert 'href="/artists/ana-lys/earnings"' in text_of(_as(app, books.ana).get("/dashboard"))
    assert 'href="/labels/northern-lights/earnings"' in text_of(
        _as(app, books.lea).get("/labels/northern-lights/members")
    )
    assert 'href="/admin/earnings"' in text_of(_as(app, books.admin).get("/admin/"))
