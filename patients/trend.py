"""TWSTRS over time: the one layout of a score series on a time axis, for a server-side SVG. Pure, no ORM.

x is proportional to the visit date (so gaps between visits show), y to the score on its fixed
scale. Complete values are joined by a line; partial values are drawn as hollow markers and left
off the line, because a partial score understates the real one.

The chart's small TWSTRS trend (``trend_chart``) and the planner's response chart (planner.documents.charts,
a panel per subscale on a time axis shared with the doses) both lay out their points with
``plot``; both draw them with templates/patients/includes/twstrs_points.svg.html.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from patients.scoring import format_score

# The app's pages are in English: the month names of Django's date filter "M", in one table.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(day):
    """'05 Mar 2026': what the date filter "d M Y" shows, for labels built in Python."""
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"


def month_text(day):
    """'Mar 2026' (the date filter "M Y")."""
    return f"{MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class TimeAxis:
    """x proportional to the date between ``first`` and ``last`` (the middle when they are the same day)."""

    first: date
    last: date
    left: float
    right: float

    def x(self, day):
        span = (self.last - self.first).days
        if span <= 0:
            return round((self.left + self.right) / 2, 1)
        return round(self.left + (self.right - self.left) * (day - self.first).days / span, 1)


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


def plot(points, *, axis, top, bottom, maximum, name=""):
    """(PlottedPoint per point, oldest first; the polyline joining the complete ones).

    ``points``: TrendPoint, any order; values are clipped to 0..``maximum``. ``name`` ("Severity")
    makes the labels read "12 Mar 2026: Severity 20 of 35"; without it, "12 Mar 2026: 20".
    """
    plotted = []
    for point in sorted(points, key=lambda point: point.day):
        value = min(max(float(point.total), 0.0), float(maximum))
        y = round(bottom - (bottom - top) * value / maximum, 1)
        state = "" if point.complete else " (partial)"
        value_text = f"{name} {format_score(point.total)} of {maximum}" if name else format_score(point.total)
        label = f"{day_text(point.day)}: {value_text}{state}"
        plotted.append(PlottedPoint(axis.x(point.day), y, point.day, point.total, point.complete, label))
    line = " ".join(f"{point.x},{point.y}" for point in plotted if point.complete)
    return tuple(plotted), line


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

    @property
    def tick_label_x(self):
        return self.left - 4

    @property
    def date_label_y(self):
        return self.height - 4

    @property
    def first_month(self):
        return month_text(self.points[0].day) if self.points else ""

    @property
    def last_month(self):
        return month_text(self.points[-1].day) if len(self.points) > 1 else ""

    @property
    def description(self):
        if not self.points:
            return "No TWSTRS total has been recorded yet."
        values = "; ".join(point.label for point in self.points)
        return f"TWSTRS total (0-{self.maximum}) at each visit, oldest first: {values}."


def trend_chart(points, *, width=360, height=140, maximum=85):
    """Lay out ``points`` (TrendPoint, any order) in a width x height box with room for the axis."""
    left, right, top, bottom = 30, width - 10, 10, height - 22
    days = [point.day for point in points]
    axis = TimeAxis(min(days), max(days), left, right) if days else None
    plotted, line = plot(points, axis=axis, top=top, bottom=bottom, maximum=maximum) if axis else ((), "")
    ticks = tuple((round(bottom - (bottom - top) * value / maximum, 1), str(value)) for value in (0, 40, maximum))
    return TrendChart(
        width=width,
        height=height,
        maximum=maximum,
        points=plotted,
        line=line,
        ticks=ticks,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
    )
