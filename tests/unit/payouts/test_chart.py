"""The sales chart: valid, accessible SVG for no, one and many points, with every text escaped."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from storefront.payouts.chart import (
    MAX_BARS,
    MAX_X_LABELS,
    Bucket,
    Point,
    bucket_label,
    bucket_start,
    next_bucket,
    nice_ticks,
    render_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _usd(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d} USD"


def _bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "chart__bar"]


def _texts(root: ET.Element, css: str) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == css]


def test_no_points_is_an_empty_chart_that_says_so() -> None:
    root = _parse(render_chart([], title="Sales", description="Nothing sold", format_value=_usd))
    assert _bars(root) == []
    assert _texts(root, "chart__empty") == ["No sales in this period"]
    assert _texts(root, "chart__tick") == ["0.00 USD"]


def test_the_chart_is_labelled_for_screen_readers() -> None:
    svg = render_chart(
        [Point("1 Mar", 700)], title="Sales in USD", description="One sale", chart_id="Sales USD"
    )
    root = _parse(svg)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert title.text == "Sales in USD" and desc.text == "One sale"
    assert (
        root.get("aria-labelledby")
        == f"{title.get('id')} {desc.get('id')}"
        == "sales-usd-title sales-usd-desc"
    )
    assert "<script" not in svg and "style=" not in svg


def test_one_point_is_one_full_height_bar_with_its_own_title() -> None:
    root = _parse(render_chart([Point("1 Mar", 800, "1 Mar 2026: 2 sales")], title="t", description="d"))
    (bar,) = _bars(root)
    ticks = [int(t) for t in _texts(root, "chart__tick")]
    assert ticks == nice_ticks(800) and ticks[-1] == 800
    # The bar reaches the top tick: the plot is 260 - 12 - 32 = 216 high.
    assert float(bar.get("height", "0")) == 216
    bar_title = bar.find(f"{SVG}title")
    assert bar_title is not None and bar_title.text == "1 Mar 2026: 2 sales"
    assert _texts(root, "chart__label") == ["1 Mar"]
    assert _texts(root, "chart__empty") == []


def test_bars_are_proportional_and_zero_still_shows() -> None:
    root = _parse(render_chart([Point("a", 0), Point("b", 200), Point("c", 400)], title="t", description="d"))
    heights = [float(b.get("height", "0")) for b in _bars(root)]
    assert heights[0] == 1  # a hairline
    assert heights[2] == 2 * heights[1]


def test_many_points_become_a_line_with_few_labels() -> None:
    points = [Point(f"d{i}", i * 10) for i in range(365)]
    root = _parse(render_chart(points, title="t", description="d"))
    assert _bars(root) == []
    (line,) = list(root.iter(f"{SVG}polyline"))
    assert len(line.get("points", "").split()) == 365
    assert 1 < len(_texts(root, "chart__label")) <= MAX_X_LABELS
    # Each day can still be read: one titled column per point.
    assert len([r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]) == 365


def test_up_to_the_limit_points_stay_bars() -> None:
    root = _parse(render_chart([Point(str(i), 1) for i in range(MAX_BARS)], title="t", description="d"))
    assert len(_bars(root)) == MAX_BARS


def test_every_text_is_escaped() -> None:
    nasty = '</title><script>alert("x")</script>&'
    svg = render_chart(
        [Point(nasty, 5, nasty)],
        title=nasty,
        description=nasty,
        format_value=lambda v: f"<{v}>",
        chart_id=nasty,
    )
    root = _parse(svg)
    assert "<script" not in svg
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == nasty
    assert _texts(root, "chart__label") == [nasty]
    assert re.fullmatch(r"[a-z0-9-]+-title", title.get("id", ""))


@given(st.integers(min_value=0, max_value=10**12))
def test_ticks_reach_the_highest_value_in_even_round_steps(highest: int) -> None:
    ticks = nice_ticks(highest)
    assert ticks[0] == 0 and ticks[-1] >= highest
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert len(steps) <= 1
    if steps:
        (step,) = steps
        assert str(step).strip("0") in ("1", "2", "5")
        assert len(ticks) <= 5


def test_buckets_of_the_time_axis() -> None:
    sunday = date(2026, 3, 8)
    assert bucket_start(sunday, Bucket.WEEK) == date(2026, 3, 2)  # the Monday before
    assert bucket_start(sunday, Bucket.MONTH) == date(2026, 3, 1)
    assert next_bucket(date(2026, 12, 1), Bucket.MONTH) == date(2027, 1, 1)
    assert next_bucket(date(2026, 12, 28), Bucket.WEEK) == date(2027, 1, 4)
    assert bucket_label(date(2026, 3, 2), Bucket.WEEK) == "Week of 2 Mar 2026"
    assert bucket_label(date(2026, 3, 2), Bucket.DAY, short=True) == "2 Mar"
    assert bucket_label(date(2026, 3, 1), Bucket.MONTH, short=True) == "Mar"
    assert bucket_label(date(2027, 1, 1), Bucket.MONTH, short=True) == "Jan 2027"
