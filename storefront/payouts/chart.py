"""A chart of sales over time, drawn on the server as SVG: no script, readable by screen readers; and the
buckets of its time axis (days, Monday-based weeks, months).

`render_chart` is a pure function of its points. Values are integer minor units; the caller says how to
write one (`format_value`), so the axis reads in the currency. Up to `MAX_BARS` points are bars; more become
a line, since bars a pixel wide say nothing. Every text is escaped: titles may come from artists.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

MAX_BARS = 90
MAX_X_LABELS = 12
TICKS = 4
_ID = re.compile(r"[^a-z0-9-]+")
# Not strftime's: the axis reads the same whatever the server's locale.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Bucket(enum.StrEnum):
    """How long one step of the time axis is."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def bucket_start(day: date, bucket: Bucket) -> date:
    if bucket is Bucket.DAY:
        return day
    if bucket is Bucket.WEEK:
        return day - timedelta(days=day.weekday())  # weeks start on Monday, as ISO weeks do
    return day.replace(day=1)


def next_bucket(start: date, bucket: Bucket) -> date:
    if bucket is Bucket.DAY:
        return start + timedelta(days=1)
    if bucket is Bucket.WEEK:
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def bucket_label(start: date, bucket: Bucket, *, short: bool = False) -> str:
    month = MONTHS[start.month - 1]
    if bucket is Bucket.MONTH:
        return month if short and start.month != 1 else f"{month} {start.year}"
    text = f"{start.day} {month}"
    if short:
        return text
    return (f"Week of {text}" if bucket is Bucket.WEEK else text) + f" {start.year}"


@dataclass(frozen=True)
class Point:
    label: str  # under the axis, short: "14 Mar"
    value: int  # minor units, never negative for sales
    detail: str = ""  # the point's own title, read on hover and by screen readers


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom

    @property
    def base(self) -> int:
        return self.height - self.bottom


def nice_ticks(highest: int, count: int = TICKS) -> list[int]:
    """Axis values from 0 to at least `highest`, in steps of 1, 2 or 5 times a power of ten, in integers."""
    if highest <= 0:
        return [0]
    raw = -(-highest // count)  # the smallest step that reaches `highest` in `count` steps
    magnitude = 10 ** (len(str(raw)) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    top = -(-highest // step) * step
    return list(range(0, top + 1, step))


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x: float, y: float, content: str, anchor: str, css: str) -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="12" fill="currentColor" '
        f'class="{css}">{escape(content)}</text>'
    )


def _y_axis(frame: _Frame, ticks: list[int], fmt: Callable[[int], str]) -> list[str]:
    parts: list[str] = []
    top = ticks[-1] or 1
    for tick in ticks:
        y = frame.base - frame.plot_height * tick / top
        parts.append(
            f'<line x1="{frame.left}" y1="{_n(y)}" x2="{frame.width - frame.right}" y2="{_n(y)}" '
            f'stroke="currentColor" stroke-opacity="{0.5 if tick == 0 else 0.15}" />'
        )
        parts.append(_text(frame.left - 6, y + 4, fmt(tick), "end", "chart__tick"))
    return parts


def _x_labels(frame: _Frame, points: Sequence[Point]) -> list[str]:
    slot = frame.plot_width / len(points)
    every = -(-len(points) // MAX_X_LABELS)
    return [
        _text(frame.left + slot * (i + 0.5), frame.base + 18, point.label, "middle", "chart__label")
        for i, point in enumerate(points)
        if i % every == 0
    ]


def _point_title(point: Point, fmt: Callable[[int], str]) -> str:
    return f"<title>{escape(point.detail or f'{point.label}: {fmt(point.value)}')}</title>"


def _bars(frame: _Frame, points: Sequence[Point], top: int, fmt: Callable[[int], str]) -> list[str]:
    slot = frame.plot_width / len(points)
    width = max(slot * 0.7, 1.0)
    parts = []
    for i, point in enumerate(points):
        height = frame.plot_height * point.value / top if top else 0.0
        x = frame.left + slot * i + (slot - width) / 2
        # A zero still gets a hairline, so each period can be pointed at and read.
        shown = max(height, 1.0)
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(frame.base - shown)}" width="{_n(width)}" height="{_n(shown)}" '
            f'fill="currentColor" fill-opacity="{0.75 if point.value else 0.2}" class="chart__bar">'
            f"{_point_title(point, fmt)}</rect>"
        )
    return parts


def _line(frame: _Frame, points: Sequence[Point], top: int, fmt: Callable[[int], str]) -> list[str]:
    slot = frame.plot_width / len(points)
    coords = [
        (frame.left + slot * (i + 0.5), frame.base - (frame.plot_height * p.value / top if top else 0.0))
        for i, p in enumerate(points)
    ]
    path = " ".join(f"{_n(x)},{_n(y)}" for x, y in coords)
    parts = [
        f'<polyline points="{path}" fill="none" stroke="currentColor" stroke-width="2" '
        f'stroke-linejoin="round" class="chart__line" />'
    ]
    # Invisible columns over each point carry its title, so each day can still be read.
    parts.extend(
        f'<rect x="{_n(frame.left + slot * i)}" y="{frame.top}" width="{_n(slot)}" '
        f'height="{frame.plot_height}" fill="transparent">{_point_title(point, fmt)}</rect>'
        for i, point in enumerate(points)
    )
    return parts


def render_chart(
    points: Sequence[Point],
    *,
    title: str,
    description: str,
    format_value: Callable[[int], str] = str,
    chart_id: str = "chart",
    width: int = 720,
    height: int = 260,
    empty_text: str = "No sales in this period",
) -> str:
    """The SVG of `points` as bars (or a line when there are many), with a labelled value axis."""
    ident = _ID.sub("-", chart_id.lower()).strip("-") or "chart"
    ticks = nice_ticks(max((p.value for p in points), default=0))
    longest = max(len(format_value(t)) for t in ticks)
    frame = _Frame(width, height, left=min(12 + 7 * longest, width // 3), right=12, top=12, bottom=32)
    body = _y_axis(frame, ticks, format_value)
    if points:
        body.extend(_x_labels(frame, points))
        draw = _bars if len(points) <= MAX_BARS else _line
        body.extend(draw(frame, points, ticks[-1], format_value))
    if not any(p.value for p in points):
        middle = frame.left + frame.plot_width / 2
        body.append(_text(middle, frame.top + frame.plot_height / 2, empty_text, "middle", "chart__empty"))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" class="chart">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )
