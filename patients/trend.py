"""The chart's small TWSTRS trend: coordinates for a server-side SVG. Pure, no ORM.

x is proportional to the visit date (so gaps between visits show), y to the total on the fixed
0-85 scale. Complete totals are joined by a line; partial totals are drawn as hollow markers
and left off the line, because a partial total understates the real one.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape

from django.utils.safestring import mark_safe

from patients.scoring import format_score


@dataclass(frozen=True)
class TrendPoint:
    day: date
    total: Decimal
    complete: bool


@dataclass(frozen=True)
class PlottedPoint:
    x: float
    y: float
    day: date
    total: Decimal
    complete: bool
    label: str  # "12 Mar 2026: 42.5 (partial)": the tooltip, the text alternative and the description


def _label(point):
    state = "" if point.complete else " (partial)"
    return f"{point.day:%d %b %Y}: {format_score(point.total)}{state}"


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    maximum: int
    points: tuple
    line: str  # SVG polyline points for the complete totals
    ticks: tuple  # (y, label) for the vertical axis
    left: int
    right: int
    top: int
    bottom: int

    @property
    def empty(self):
        return not self.points

    # A point per visit: built here as markup rather than by two template loops (a chart may have dozens),
    # with f-strings; the coordinates are numbers and every label goes through escape() (html.escape).
    @property
    def points_svg(self):
        """A circle per total (filled: complete; hollow: partial) with its label as tooltip."""
        return mark_safe(  # noqa: S308 — coordinates are numbers, every label is escaped
            "\n".join(
                f'<circle cx="{point.x}" cy="{point.y}" r="4" '
                f'class="{"trend-point" if point.complete else "trend-point-partial"}">'
                f"<title>{escape(point.label)}</title></circle>"
                for point in self.points
            )
        )

    @property
    def values_html(self):
        """The same totals as a list, the chart's text alternative."""
        return mark_safe("".join(f"<li>{escape(point.label)}</li>" for point in self.points))  # noqa: S308 — every label is escaped

    @property
    def description(self):
        if not self.points:
            return "No TWSTRS total has been recorded yet."
        values = "; ".join(point.label for point in self.points)
        return f"TWSTRS total (0-{self.maximum}) at each visit, oldest first: {values}."


def trend_chart(points, *, width=360, height=140, maximum=85):
    """Lay out ``points`` (TrendPoint, any order) in a width x height box with room for the axis."""
    left, right, top, bottom = 30, width - 10, 10, height - 22
    ordered = sorted(points, key=lambda point: point.day)
    plotted = []
    if ordered:
        first, last = ordered[0].day, ordered[-1].day
        span = (last - first).days
        for point in ordered:
            x = left + (right - left) * (point.day - first).days / span if span else (left + right) / 2
            value = min(max(float(point.total), 0.0), float(maximum))
            y = bottom - (bottom - top) * value / maximum
            plotted.append(
                PlottedPoint(round(x, 1), round(y, 1), point.day, point.total, point.complete, _label(point))
            )
    line = " ".join(f"{point.x},{point.y}" for point in plotted if point.complete)
    ticks = tuple((round(bottom - (bottom - top) * value / maximum, 1), str(value)) for value in (0, 40, maximum))
    return TrendChart(
        width=width,
        height=height,
        maximum=maximum,
        points=tuple(plotted),
        line=line,
        ticks=ticks,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
    )
