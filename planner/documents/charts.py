"""Server-side SVG charts of a patient's response and doses over time. Pure layout, no ORM.

The functions turn plain data into coordinates; the templates in templates/planner/clinic/
draw them with presentation attributes only (fill=, stroke=), so they obey the CSP (no style=),
print, and render in WeasyPrint PDFs without a stylesheet.

Both charts share one time axis (x proportional to the date, so gaps between visits show), so the
TWSTRS panels and the dose lanes line up when shown one above the other:

- ``outcome_chart``: TWSTRS total and its three subscales as four small panels, each on its own
  fixed scale (0-85, 0-35, 0-30, 0-20); complete values joined by a line, partial values hollow
  and off the line (a partial value understates the real one); a thin vertical line at each signed
  session; side effects as markers on a lane below, at the visit that reported them.
- ``dose_chart``: one lane per muscle and side; a mark per session where that muscle was injected,
  its size relative to the largest dose OF THE SAME PRODUCT, its shape and colour naming the
  product. Doses of different products are never put on one scale.
"""

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from patients import trend
from patients.trend import MONTHS, day_text, month_text
from planner.reference.formatting import amount

WIDTH = 720
LEFT = 150  # room for panel titles and lane labels
RIGHT_PAD = 16
PANEL_HEIGHT = 58
PANEL_GAP = 16
LANE_HEIGHT = 24
AXIS_HEIGHT = 22
# (key, title, maximum): the TWSTRS total and its subscales (patients.scoring), each on its own scale.
PANELS = (
    ("total", "TWSTRS total", 85),
    ("severity", "Severity", 35),
    ("disability", "Disability", 30),
    ("pain", "Pain", 20),
)
# Per product, in order of first use: a shape and a dark colour (AA contrast on white). The shape
# alone tells products apart, so colour is never the only signal.
PRODUCT_STYLES = (
    ("circle", "#0b3d6b"),
    ("square", "#8a4100"),
    ("diamond", "#1b5e20"),
    ("triangle", "#6a1b9a"),
    ("cross", "#37474f"),
)
TICK_LABEL_HALF_WIDTH = 36  # half of a 10 px "Sep 2026" or "01 Sep 2026", generously


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    anchor: str  # "middle", or "end" where a centred label would be cut at the chart's right edge


def axis_ticks(ticks):
    """Tick per (x, label): centred on its tick, unless that would cut it at the right edge (the newest date)."""
    return tuple(Tick(x, label, "end" if float(x) > WIDTH - TICK_LABEL_HALF_WIDTH else "middle") for x, label in ticks)


@dataclass(frozen=True)
class TimeAxis(trend.TimeAxis):
    """patients.trend's time axis (x proportional to the date), with labelled month ticks."""

    def ticks(self):
        """(x, label) at month starts, 1 to 36 months apart so that there are at most about six."""
        if self.first == self.last:
            return ((self.x(self.first), month_text(self.first)),)
        months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month
        step = next(step for step in (1, 2, 3, 6, 12, 24, 36, 60) if months / step <= 6)
        index = self.first.year * 12 + self.first.month - 1 + (self.first.day != 1)
        index += -index % step  # align to the step counted from January (years start in January)
        ticks = []
        while (day := date(index // 12, index % 12 + 1, 1)) <= self.last:
            ticks.append((self.x(day), str(day.year) if step >= 12 else month_text(day)))
            index += step
        if not ticks:  # a span inside one month: label its ends
            ticks = [(self.x(self.first), day_text(self.first)), (self.x(self.last), day_text(self.last))]
        return tuple(ticks)


def time_axis(days, *, left=LEFT, right=WIDTH - RIGHT_PAD):
    days = sorted(set(days))
    if not days:
        return None
    return TimeAxis(days[0], days[-1], left, right)


# --- TWSTRS panels -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """One visit's TWSTRS: {panel key: (value, complete)} for the total and each subscale."""

    day: date
    values: dict


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    maximum: int
    top: float
    bottom: float
    points: tuple  # patients.trend.PlottedPoint
    line: str  # polyline points joining the complete values

    @property
    def middle(self):
        return round((self.top + self.bottom) / 2, 1)

    @property
    def gridlines(self):
        """(y, label) for 0 and the maximum."""
        return ((self.bottom, "0"), (self.top, str(self.maximum)))


@dataclass(frozen=True)
class SessionLine:
    x: float
    label: str


@dataclass(frozen=True)
class EventMark:
    x: float
    y: float
    path: str
    red_flag: bool
    label: str


@dataclass(frozen=True)
class OutcomeChart:
    width: int
    height: int
    left: float
    right: float
    panels: tuple
    sessions: tuple
    events: tuple
    event_lane: tuple  # (top, bottom) of the side-effect lane
    ticks: tuple
    axis_y: float
    description: str

    @property
    def empty(self):
        return not any(panel.points for panel in self.panels) and not self.sessions and not self.events

    @property
    def session_top(self):
        return self.panels[0].top

    @property
    def session_bottom(self):
        return self.event_lane[1]


def _triangle(x, y, size=6):
    """A warning triangle pointing up, centred on (x, y)."""
    low = round(y + size * 0.8, 1)
    return f"M{x},{round(y - size, 1)} L{round(x + size, 1)},{low} L{round(x - size, 1)},{low} Z"


def outcome_chart(scores, *, sessions=(), events=(), axis=None, width=WIDTH):
    """``scores``: Score per visit; ``sessions``: (day, label); ``events``: (day, label, red_flag)."""
    if axis is None:
        axis = time_axis([s.day for s in scores] + [day for day, _ in sessions] + [e[0] for e in events])
    panels = []
    top = 8.0
    ordered = sorted(scores, key=lambda score: score.day)
    for key, title, maximum in PANELS:
        bottom = top + PANEL_HEIGHT
        values = [trend.TrendPoint(score.day, *score.values[key]) for score in ordered if key in score.values]
        points, line = trend.plot(values, axis=axis, top=top, bottom=bottom, maximum=maximum, name=title)
        panels.append(Panel(key, title, maximum, round(top, 1), round(bottom, 1), points, line))
        top = bottom + PANEL_GAP
    lane = (round(top, 1), round(top + LANE_HEIGHT, 1))
    by_day = {}
    for day, label, red_flag in events:
        labels, flagged = by_day.get(day, ([], False))
        by_day[day] = ([*labels, label], flagged or red_flag)
    marks = []
    for day, (labels, red_flag) in sorted(by_day.items()):
        x, y = axis.x(day), round(lane[0] + LANE_HEIGHT / 2, 1)
        marks.append(EventMark(x, y, _triangle(x, y), red_flag, f"{day_text(day)}: {'; '.join(labels)}"))
    session_lines = tuple(SessionLine(axis.x(day), f"{day_text(day)}: {label}") for day, label in sessions)
    axis_y = lane[1] + 4
    height = int(axis_y + AXIS_HEIGHT)
    return OutcomeChart(
        width=width,
        height=height,
        left=axis.left,
        right=axis.right,
        panels=tuple(panels),
        sessions=session_lines,
        events=tuple(marks),
        event_lane=lane,
        ticks=axis_ticks(axis.ticks()),
        axis_y=axis_y,
        description=_outcome_description(ordered, sessions, events),
    )


def _outcome_description(scores, sessions, events):
    parts = []
    totals = [(score.day, score.values["total"]) for score in scores if "total" in score.values]
    if totals:
        first_day, (first, _) = totals[0]
        last_day, (last, last_complete) = totals[-1]
        parts.append(
            f"{len(totals)} TWSTRS total{'s' if len(totals) != 1 else ''} from {day_text(first_day)} "
            f"({amount(first)} of 85) to {day_text(last_day)} ({amount(last)} of 85"
            f"{'' if last_complete else ', partial'})."
        )
    else:
        parts.append("No TWSTRS total recorded.")
    parts.append(f"{len(sessions)} signed session{'s' if len(sessions) != 1 else ''} marked.")
    parts.append(f"{len(events)} side effect{'s' if len(events) != 1 else ''} reported.")
    return " ".join(parts)


# --- Doses per muscle and side -------------------------------------------------------------------


@dataclass(frozen=True)
class ProductStyle:
    name: str
    units_label: str
    shape: str
    colour: str
    largest: Decimal  # the largest single dose of this product in the chart: its marks' full size
    legend_path: str

    @property
    def legend_text(self):
        return f"{self.name}: size relative to {amount(self.largest)} {self.units_label}"


@dataclass(frozen=True)
class DoseMark:
    x: float
    y: float
    path: str
    colour: str
    label: str  # the full text, for the tooltip and the description
    short: str  # the dose number drawn beside the mark when there is room
    show_short: bool


@dataclass(frozen=True)
class Lane:
    label: str
    top: float
    bottom: float

    @property
    def middle(self):
        return round((self.top + self.bottom) / 2, 1)


@dataclass(frozen=True)
class DoseChart:
    width: int
    height: int
    left: float
    right: float
    lanes: tuple
    marks: tuple
    products: tuple
    ticks: tuple
    axis_y: float
    description: str

    @property
    def empty(self):
        return not self.marks


def shape_path(shape, x, y, r):
    """An SVG path for a mark of radius ``r`` centred on (x, y)."""
    r = round(r, 1)
    if shape == "circle":
        return f"M{round(x - r, 1)},{y} a{r},{r} 0 1,0 {2 * r},0 a{r},{r} 0 1,0 {-2 * r},0 Z"
    if shape == "square":
        side = round(r * 1.7, 1)
        return f"M{round(x - side / 2, 1)},{round(y - side / 2, 1)} h{side} v{side} h{-side} Z"
    if shape == "diamond":
        d = round(r * 1.3, 1)
        return f"M{x},{round(y - d, 1)} L{round(x + d, 1)},{y} L{x},{round(y + d, 1)} L{round(x - d, 1)},{y} Z"
    if shape == "triangle":
        return _triangle(x, y, r * 1.2)
    arm = round(r * 0.45, 1)  # a plus sign
    return (
        f"M{round(x - arm, 1)},{round(y - r, 1)} h{2 * arm} v{round(r - arm, 1)} h{round(r - arm, 1)} v{2 * arm} "
        f"h{round(arm - r, 1)} v{round(r - arm, 1)} h{-2 * arm} v{round(arm - r, 1)} h{round(arm - r, 1)} "
        f"v{-2 * arm} h{round(r - arm, 1)} Z"
    )


@dataclass(frozen=True)
class SessionDoses:
    """One signed session for the dose chart: its date, product and rows (muscle name, side, dose)."""

    day: date
    product_code: str
    product_name: str
    units_label: str
    rows: tuple  # (muscle name, side, Decimal dose)


SIDE_ORDER = {"left": 0, "right": 1}
MAX_RADIUS = 9
MIN_LABEL_SPACING = 30  # px between sessions below which the dose numbers are left to the tooltips


def dose_chart(sessions, *, axis=None, width=WIDTH):
    """Lanes per muscle and side with a mark per dose (``sessions``: SessionDoses, any order)."""
    ordered = sorted(sessions, key=lambda session: session.day)
    if axis is None:
        axis = time_axis([session.day for session in ordered])
    styles = {}
    largest = {}
    for session in ordered:
        if session.product_code not in styles:
            styles[session.product_code] = PRODUCT_STYLES[len(styles) % len(PRODUCT_STYLES)]
        for _, _, dose in session.rows:
            if dose is not None:
                largest[session.product_code] = max(largest.get(session.product_code, Decimal(0)), dose)
    keys = sorted(
        {(muscle, side) for session in ordered for muscle, side, _ in session.rows},
        key=lambda key: (key[0].casefold(), SIDE_ORDER.get(key[1], 9)),
    )
    lanes = {}
    top = 8.0
    for muscle, side in keys:
        lanes[(muscle, side)] = Lane(f"{side.capitalize()} {muscle[:1].lower()}{muscle[1:]}", top, top + LANE_HEIGHT)
        top += LANE_HEIGHT
    xs = sorted({axis.x(session.day) for session in ordered}) if ordered else []
    spacing = min((b - a for a, b in zip(xs, xs[1:], strict=False)), default=width)
    # Marks of neighbouring sessions must not overlap: the largest dose fills the gap between them.
    largest_radius = max(3.5, min(MAX_RADIUS, spacing / 2 - 0.5))
    marks = []
    show_short = spacing >= MIN_LABEL_SPACING
    for session in ordered:
        shape, colour = styles[session.product_code]
        x = axis.x(session.day)
        session_day = day_text(session.day)
        full_size = float(largest.get(session.product_code, 0))  # this product's largest dose: full size
        for muscle, side, dose in session.rows:
            if dose is None:
                continue
            middle = lanes[(muscle, side)].middle
            radius = 2 + (largest_radius - 2) * math.sqrt(float(dose) / full_size)
            number = amount(dose)
            marks.append(
                DoseMark(
                    x=x,
                    y=middle,
                    path=shape_path(shape, x, middle, radius),
                    colour=colour,
                    label=f"{session_day}: {side} {muscle[:1].lower()}{muscle[1:]} {number} {session.units_label}",
                    short=number,
                    show_short=show_short,
                )
            )
    products = []
    seen = set()
    for session in ordered:
        if session.product_code in seen:
            continue
        seen.add(session.product_code)
        shape, colour = styles[session.product_code]
        products.append(
            ProductStyle(
                name=session.product_name,
                units_label=session.units_label,
                shape=shape,
                colour=colour,
                largest=largest.get(session.product_code, Decimal(0)),
                legend_path=shape_path(shape, 8, 8, 6),
            )
        )
    axis_y = top + 4
    description = (
        f"Doses of {len(ordered)} signed session{'s' if len(ordered) != 1 else ''} in {len(lanes)} "
        f"muscle{'s' if len(lanes) != 1 else ''} and sides; each dose is in its own product's units: "
        + "; ".join(mark.label for mark in marks[-12:])
        + ("" if len(marks) <= 12 else " (the last 12 doses; the table lists every one)")
    )
    return DoseChart(
        width=width,
        height=int(axis_y + AXIS_HEIGHT),
        left=axis.left if axis else LEFT,
        right=axis.right if axis else width - RIGHT_PAD,
        lanes=tuple(lanes.values()),
        marks=tuple(marks),
        products=tuple(products),
        ticks=axis_ticks(axis.ticks()) if axis else (),
        axis_y=axis_y,
        description=description,
    )


def shared_axis(*day_lists):
    """One time axis over every date given (None when there is none)."""
    days = [day for days in day_lists for day in days]
    return time_axis(days)


# --- Sessions per month ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str  # "Mar 2026: 12 sessions"
    tick: str  # the month under the bar, or "" where there is no room


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: float
    right: float
    baseline: float
    top: float
    maximum: int
    bars: tuple
    description: str

    @property
    def empty(self):
        return not any(bar.count for bar in self.bars)


def month_bars(months, *, width=WIDTH, height=180):
    """Bars of sessions per month (``months``: figures.MonthCount, oldest first)."""
    left, right, top, baseline = 36, width - RIGHT_PAD, 10, height - 26
    maximum = max((month.count for month in months), default=0)
    scale_top = max(maximum, 1)
    slot = (right - left) / max(len(months), 1)
    every = next(step for step in (1, 2, 3, 6, 12, 24) if len(months) / step <= 13)
    bars = []
    for index, month in enumerate(months):
        bar_height = round((baseline - top) * month.count / scale_top, 1)
        name, year = MONTHS[month.month.month - 1], month.month.year  # patients.trend's one month table
        label = f"{name} {year}: {month.count} session{'s' if month.count != 1 else ''}"
        tick = ""
        if index % every == 0:
            tick = f"{name} {str(year)[2:]}" if every < 12 else str(year)
        bars.append(
            Bar(
                x=round(left + slot * index + slot * 0.15, 1),
                y=round(baseline - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=bar_height,
                count=month.count,
                label=label,
                tick=tick,
            )
        )
    description = "Signed sessions per month: " + "; ".join(bar.label for bar in bars) + "."
    return BarChart(width, height, left, right, baseline, top, maximum, tuple(bars), description)
