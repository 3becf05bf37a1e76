"""Neck diagram of an injection session: front and back views as a server-side SVG (pure, no ORM, no request).

``neck_diagram_svg(marks)`` takes the session's injections as plain ``DiagramMark`` rows and returns
one SVG (a ``SafeString``, ready for a page, the plan editor or a WeasyPrint PDF) with two panels:

FRONT (anterior view)
    The patient faces the viewer, so the patient's RIGHT is on the viewer's LEFT.
BACK (posterior view)
    The viewer looks at the back of the head, so the patient's right is on the viewer's right.

Each panel is labelled "R" and "L" on the patient's right and left. Every marked muscle is
highlighted at its approximate anatomical region on its side, in the view(s) where it is seen,
with a numbered marker; deep muscles are dashed outlines (and dashed markers). The legend below
the drawing has exactly one entry per mark, in the order given (so the numbers can match the
rows of the record's table): "1  Left sternocleidomastoid  50 U Botox, 2 sites". Colour is never
the only signal: numbers, positions, dashes and words carry everything, so it prints in black
and white. A muscle code the diagram has no region for, or a side that is not left or right, is
listed with "not drawn" instead of failing.

The input contract
------------------
``DiagramMark(muscle_code, side, units, unit_label, sites, muscle_name, note)``
    ``side`` is "left" or "right" (``planner.rules.suggest.Side`` works, it is a ``str``). ``units`` is
    the dose in the product's own units (a Decimal; None means not recorded) and ``unit_label``
    names them with the product ("U Botox"): amounts are shown exactly as given, never converted.
    ``muscle_name`` defaults to the diagram's own English name for the code (or the code itself
    when unknown); ``note`` (for example the guidance) is appended to the legend entry.

All text is escaped by the template; characters XML cannot carry (control characters) are dropped
and whitespace is collapsed. The SVG uses presentation attributes only (no ``style`` attribute,
no ``<style>`` element, no fonts or images), as the Content Security Policy requires.

Coordinates
-----------
Each panel is drawn in its own 300 x 300 box with the midline at x = 150 (``PANEL_SIZE``,
``PANEL_MIDLINE``); region and marker coordinates in the SVG are in that box. Regions are
defined once, on the viewer's right half of each view, and mirrored for the other side.
"""

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from patients.chart import fragment_key
from planner.reference.formatting import amount

TEMPLATE_NAME = "planner/includes/neck_diagram.svg.html#svg"
DIAGRAM_SECONDS = 24 * 60 * 60
DEFAULT_TITLE = "Neck diagram of the injected muscles"
EMPTY_MESSAGE = "No injections recorded"
DEEP_KEY = "Dashed outline and marker: deep muscle"


class View(StrEnum):
    FRONT = "front"
    BACK = "back"


@dataclass(frozen=True, kw_only=True)
class DiagramMark:
    """One injection row as the diagram needs it: a muscle on one side, its dose and sites."""

    muscle_code: str
    side: str
    units: Decimal | None
    unit_label: str
    sites: int | None = None
    muscle_name: str = ""
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class DiagramTarget:
    """A muscle on one side that the plan editor offers to add by a click or tap on the diagram.

    ``action`` is what the editor's form submits ("add:SCM:left"); ``suggested`` marks a muscle the
    posture's rules suggest. A code the diagram has no region for is skipped.
    """

    muscle_code: str
    side: str
    muscle_name: str
    action: str
    suggested: bool = False


SUGGESTED_KEY = "Blue outline, dotted: suggested, click to add"
ADD_KEY = "Click or tap a muscle to add it"


# --- The drawing ---------------------------------------------------------------------------------

PANEL_SIZE = 300
PANEL_MIDLINE = PANEL_SIZE / 2
CANVAS_WIDTH = 640  # fits an A4 page's text width in WeasyPrint (about 644 px) at 1:1, so text keeps its size
_PANEL_ORIGINS = {View.FRONT: (10, 34), View.BACK: (330, 34)}
_PANEL_HEADINGS = {View.FRONT: ("FRONT", "anterior view"), View.BACK: ("BACK", "posterior view")}
_FONT_FAMILY = "Liberation Sans, Arial, Helvetica, sans-serif"

_MARKER_RADIUS = 10
_MARKER_GAP = 3  # the smallest space between two markers' edges in one panel
_MAX_RINGS = 40  # rings past the panel's edge clamp onto it; about 150 markers fit in one panel before any overlap

# Legend metrics: font size 13 in a 640-wide SVG stays above 11 px even at 85% scale.
_LEGEND_FONT = 13
_LEGEND_LINE = 17
_LEGEND_ENTRY_GAP = 7
_LEGEND_TEXT_INDENT = 28
_LEGEND_COLUMN_GAP = 20
_LEGEND_MARGIN = 10
_LEGEND_ONE_COLUMN_MAX = 8  # more entries than this wrap into two columns
_SPAN_GAP = 5  # extra space (dx) between a legend line's spans, besides the space character

# Advance widths of printable ASCII (32-126) in Helvetica, Arial and Liberation Sans (they share
# metrics), in 1/1000 em, so the legend wraps where the text really ends. Other characters count as
# 0.6 em, wide East Asian ones as 1 em, bold as 10% wider, and every line keeps a 4% margin.
_ASCII_WIDTHS = (
    *(278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278),  # space to /
    *(556,) * 10,  # 0-9
    *(278, 278, 584, 584, 584, 556, 1015),  # : to @
    *(667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833),  # A-M
    *(722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611),  # N-Z
    *(278, 278, 278, 469, 556, 333),  # [ to `
    *(556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833),  # a-m
    *(556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500),  # n-z
    *(334, 260, 334, 584),  # { to ~
)

Point = tuple[float, float]


@dataclass(frozen=True)
class _Shape:
    outline: tuple[Point, ...]  # on the viewer's right half; drawn as a smooth closed curve
    anchor: Point  # where the marker goes when nothing else is there


@dataclass(frozen=True)
class _Muscle:
    name: str
    deep: bool
    shapes: Mapping[View, _Shape]


def _muscle(name, *, deep=False, front=None, back=None):
    """A muscle's regions, each written as SVG-style points: ("x,y x,y ...", "anchor x,y")."""
    shapes = {}
    for view, spec in ((View.FRONT, front), (View.BACK, back)):
        if spec:
            outline, anchor = spec
            shapes[view] = _Shape(tuple(map(_point, outline.split())), _point(anchor))
    return _Muscle(name=name, deep=deep, shapes=MappingProxyType(shapes))


def _point(text):
    x, y = text.split(",")
    return (float(x), float(y))


# Approximate regions. FRONT shapes are the patient's LEFT side (the viewer's right); BACK shapes
# are the patient's RIGHT side (also the viewer's right). Depths follow the clinical reference.
_MUSCLES = {
    "SCM": _muscle(
        "Sternocleidomastoid",
        # Mastoid (behind the jaw angle) down and forward to the sternum and the medial clavicle.
        front=("178,110 188,116 182,150 172,196 168,208 154,208 158,192 170,146", "176,158"),
        # From behind only its upper part shows, at the side of the neck under the ear.
        back=("180,101 191,103 187,146 179,144", "185,124"),
    ),
    "PLATYSMA": _muscle(
        "Platysma",
        # A thin sheet from the mandible over the anterolateral neck to below the clavicle.
        front=("156,128 182,114 192,150 230,194 236,216 196,222 158,214", "216,210"),
    ),
    "SUBMENTAL_COMPLEX": _muscle(
        "Submental / suprahyoid complex",
        front=("151,134 166,128 172,138 162,146 151,146", "160,139"),
    ),
    "SCALENUS_ANTERIOR": _muscle(
        "Scalenus anterior",
        front=("178,146 184,146 190,202 182,204", "184,176"),
    ),
    "SCALENUS_MEDIUS": _muscle(
        "Scalenus medius",
        front=("184,140 191,140 203,198 193,200", "194,170"),
    ),
    "SCALENUS_POSTERIOR": _muscle(
        "Scalenus posterior",
        front=("192,150 198,150 216,194 207,197", "206,180"),
    ),
    "TRAPEZIUS_UPPER": _muscle(
        "Trapezius, upper (descending) part",
        # From the front only the upper border shows, along the slope from neck to shoulder.
        front=("183,161 204,172 238,182 262,190 276,199 282,208 262,200 236,192 204,183 186,173", "236,188"),
        # Occiput and nuchal ligament out to the lateral clavicle and acromion.
        back=(
            "150,102 164,104 178,128 183,161 204,173 238,183 262,191 276,200 281,210 262,210 210,206 150,200",
            "228,196",
        ),
    ),
    "LEVATOR_SCAPULAE": _muscle(
        "Levator scapulae",
        # Transverse processes of C1-C4 down to the superior angle of the scapula.
        back=("182,114 190,114 206,214 198,218", "196,180"),
    ),
    "SPLENIUS_CAPITIS": _muscle(
        "Splenius capitis",
        # Spinous processes C7-T3 up and out to the mastoid and the superior nuchal line.
        back=("150,222 150,150 176,108 194,106 192,118 162,200", "172,140"),
    ),
    "SPLENIUS_CERVICIS": _muscle(
        "Splenius cervicis",
        deep=True,
        # Spinous processes T3-T6 up to the transverse processes of C1-C3.
        back=("152,268 154,232 178,136 186,122 190,130 164,262", "166,214"),
    ),
    "SEMISPINALIS_CAPITIS": _muscle(
        "Semispinalis capitis",
        back=("151,101 168,102 171,132 167,188 159,214 151,214", "159,156"),
    ),
    "SEMISPINALIS_CERVICIS": _muscle(
        "Semispinalis cervicis",
        deep=True,
        back=("151,124 158,124 160,250 151,250", "155,234"),
    ),
    "LONGISSIMUS_CAPITIS": _muscle(
        "Longissimus capitis",
        deep=True,
        # Upper thoracic transverse processes to the back of the mastoid, lateral to semispinalis.
        back=("186,108 192,110 184,240 176,240", "183,190"),
    ),
    "LONGISSIMUS_CERVICIS": _muscle(
        "Longissimus cervicis",
        deep=True,
        back=("180,130 186,130 188,270 180,270", "184,252"),
    ),
    "OBLIQUUS_CAPITIS_INFERIOR": _muscle(
        "Obliquus capitis inferior",
        deep=True,
        # Spinous process of C2 out to the transverse process of C1.
        back=("152,120 184,113 186,120 154,128", "170,120"),
    ),
    "OBLIQUUS_CAPITIS_SUPERIOR": _muscle(
        "Obliquus capitis superior",
        deep=True,
        # Transverse process of C1 up to the occipital bone.
        back=("181,118 188,114 176,100 170,103", "179,108"),
    ),
    "RECTUS_CAPITIS_POSTERIOR_MAJOR": _muscle(
        "Rectus capitis posterior major",
        deep=True,
        # Spinous process of C2 up and out to the inferior nuchal line.
        back=("151,120 156,124 172,108 160,104", "159,112"),
    ),
    "LONGUS_COLLI": _muscle(
        "Longus colli",
        deep=True,
        # Prevertebral, beside the midline from C1 to T3 (behind the trachea and thyroid).
        front=("152,134 160,134 161,212 152,212", "156,190"),
    ),
    "LONGUS_CAPITIS": _muscle(
        "Longus capitis",
        deep=True,
        # Prevertebral, from the base of the skull (behind the pharynx) to C3-C6.
        front=("157,112 166,112 167,166 159,166", "163,124"),
    ),
    "ERECTOR_SPINAE_UPPER_THORACIC": _muscle(
        "Erector spinae (upper thoracic)",
        back=("153,228 172,228 176,298 153,298", "164,272"),
    ),
}

MUSCLE_VIEWS = MappingProxyType({code: tuple(muscle.shapes) for code, muscle in _MUSCLES.items()})


def drawn_views(muscle_code: str) -> tuple[View, ...]:
    """The views (front, back or both, in that order) in which the diagram draws this muscle; () if unknown."""
    return MUSCLE_VIEWS.get(muscle_code, ())


# The faint context drawing: head, neck and shoulders. Half outlines are written for the viewer's
# right and mirrored, so the figure is symmetric by construction.
def _front_outline():
    head = _symmetric_closed(
        (150, 8),
        [
            ("C", (177, 8), (197, 28), (197, 56)),
            ("C", (197, 78), (193, 96), (184, 108)),
            ("C", (174, 122), (162, 132), (150, 133)),
        ],
    )
    body = _mirrored_pair(
        (176, 112),
        [
            ("C", (178, 130), (180, 148), (182, 158)),
            ("C", (202, 172), (238, 180), (262, 188)),
            ("C", (280, 194), (290, 208), (291, 230)),
            ("L", (294, 300)),
        ],
    )
    ears = _mirrored_pair((197, 58), [("C", (208, 52), (209, 80), (194, 88))])
    eyes = _mirrored_pair((160, 58), [("Q", (169, 53), (178, 58)), ("Q", (169, 62), (160, 58))])
    nose = [_d((150, 60), [("L", (145, 84)), ("Q", (150, 88), (156, 85))])]
    mouth = [_d((138, 106), [("Q", (150, 112), (162, 106))])]
    clavicles = _mirrored_pair((157, 206), [("C", (176, 198), (212, 204), (262, 196))])
    sternal_notch = [_d((143, 207), [("Q", (150, 213), (157, 207))])]
    return [head, *body, *ears], [*eyes, *nose, *mouth, *clavicles, *sternal_notch]


def _back_outline():
    head = _symmetric_closed(
        (150, 8),
        [
            ("C", (177, 8), (197, 28), (197, 56)),
            ("C", (197, 76), (192, 92), (180, 102)),
            ("Q", (166, 110), (150, 110)),
        ],
    )
    body = _mirrored_pair(
        (190, 96),
        [
            ("C", (186, 110), (181, 126), (181, 140)),
            ("C", (181, 150), (181, 154), (182, 158)),
            ("C", (202, 172), (238, 180), (262, 188)),
            ("C", (280, 194), (290, 208), (291, 230)),
            ("L", (294, 300)),
        ],
    )
    ears = _mirrored_pair((197, 58), [("C", (208, 52), (209, 80), (194, 88))])
    spine = [_d((150, 112), [("L", (150, 300))])]
    vertebra_prominens = [_d((146, 190), [("L", (154, 190))])]
    scapulae = _mirrored_pair((196, 216), [("L", (202, 296)), ("L", (252, 236)), ("Q", (240, 222), (196, 216))])
    scapular_spines = _mirrored_pair((198, 234), [("Q", (236, 222), (272, 206))])
    return [head, *body, *ears], [*spine, *vertebra_prominens, *scapulae, *scapular_spines]


def _fmt(value):
    """A coordinate as SVG wants it: no locale, no trailing zeros, no '-0'."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _pt(point):
    return f"{_fmt(point[0])},{_fmt(point[1])}"


def _mirror(point):
    return (PANEL_SIZE - point[0], point[1])


def _d(start, segments):
    parts = [f"M{_pt(start)}"]
    for kind, *points in segments:
        parts.append(kind + " ".join(_pt(p) for p in points))
    return " ".join(parts)


def _mirror_segments(start, segments):
    return _mirror(start), [(kind, *map(_mirror, points)) for kind, *points in segments]


def _mirrored_pair(start, segments):
    mirrored_start, mirrored = _mirror_segments(start, segments)
    return [_d(start, segments), _d(mirrored_start, mirrored)]


def _symmetric_closed(start, segments):
    """A closed path from a half outline that starts and ends on the midline: the half, then its mirror image back."""
    ends = [start] + [points[-1] for _kind, *points in segments]
    back = []
    for index in range(len(segments) - 1, -1, -1):
        kind, *points = segments[index]
        controls = [_mirror(p) for p in reversed(points[:-1])]
        back.append((kind, *controls, _mirror(ends[index])))
    return _d(start, segments + back) + " Z"


def _smooth_closed(points, tension=0.12):
    """A closed Catmull-Rom curve through the points, as cubic Béziers: organic shapes from a few points.

    The points are on the viewer's right half. Control points are kept on that half too, and a Bézier
    curve stays inside its control points, so a muscle that reaches the midline never crosses it.
    A tension below the usual 1/6 keeps strap muscles strap-like instead of bulging into ovals.
    """
    count = len(points)
    segments = []
    for i in range(count):
        p0, p1, p2, p3 = (points[(i + k) % count] for k in (-1, 0, 1, 2))
        c1 = (max(PANEL_MIDLINE, p1[0] + (p2[0] - p0[0]) * tension), p1[1] + (p2[1] - p0[1]) * tension)
        c2 = (max(PANEL_MIDLINE, p2[0] - (p3[0] - p1[0]) * tension), p2[1] - (p3[1] - p1[1]) * tension)
        segments.append(("C", c1, c2, p2))
    return points[0], segments


def _area(points):
    return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(points, points[1:] + points[:1], strict=True))) / 2


_OUTLINES = {View.FRONT: _front_outline(), View.BACK: _back_outline()}


# --- Layout (plain data for the template) --------------------------------------------------------


@dataclass(frozen=True)
class Region:
    d: str
    deep: bool
    muscle_code: str
    side: str


@dataclass(frozen=True)
class Marker:
    number: str
    cx: str
    cy: str
    r: str
    text_y: str
    deep: bool
    muscle_code: str
    side: str
    leader: tuple[str, str, str, str] | None  # x1, y1, x2, y2 from the region's anchor to the marker


@dataclass(frozen=True)
class Target:
    d: str
    muscle_code: str
    side: str
    label: str  # "Add left sternocleidomastoid (suggested)"
    action: str
    suggested: bool
    focusable: bool  # one tab stop per target: its first view; the other view is the same control for the mouse


@dataclass(frozen=True)
class SideLabel:
    letter: str
    word: str
    x: str


@dataclass(frozen=True)
class Panel:
    view: View
    heading: str
    subheading: str
    transform: str
    body_paths: tuple[str, ...]
    detail_paths: tuple[str, ...]
    side_labels: tuple[SideLabel, ...]
    regions: tuple[Region, ...]
    markers: tuple[Marker, ...]
    targets: tuple[Target, ...] = ()


@dataclass(frozen=True)
class LegendSpan:
    text: str
    bold: bool = False
    italic: bool = False
    dx: str = ""


@dataclass(frozen=True)
class LegendLine:
    y: str
    spans: tuple[LegendSpan, ...]


@dataclass(frozen=True)
class LegendEntry:
    number: str
    drawn: bool
    deep: bool
    badge_cx: str
    badge_cy: str
    badge_r: str
    badge_text_y: str
    text_x: str
    lines: tuple[LegendLine, ...]


@dataclass(frozen=True)
class Diagram:
    title: str
    desc: str
    width: str
    height: str
    font_family: str
    panels: tuple[Panel, ...]
    separator_x: str
    legend_heading: str
    legend_heading_y: str
    legend_x: str
    legend_key: str  # explains the dashes, when a deep muscle is drawn
    legend_key_x: str
    legend: tuple[LegendEntry, ...]
    interactive: bool = False  # the editor's diagram: targets are controls, so the drawing is a group
    targets_key: str = ""


@dataclass(frozen=True)
class _Row:
    """A mark after cleaning: what the legend says and where (if anywhere) it is drawn."""

    number: int
    code: str
    side: str  # "left", "right" or "" when the side is not usable
    muscle: _Muscle | None
    words: str  # "Left sternocleidomastoid (deep)"
    amount: str  # "50 U Botox, 2 sites"
    note: str
    not_drawn: str  # "" or why it is not drawn

    @property
    def views(self):
        return tuple(self.muscle.shapes) if self.muscle and self.side else ()


def build_diagram(
    marks: Iterable[DiagramMark], *, title: str = DEFAULT_TITLE, targets: Iterable[DiagramTarget] | None = None
) -> Diagram:
    """The diagram's layout as plain data (coordinates already formatted), for the template.

    ``targets`` (the plan editor's): muscles to offer on the drawing, each a control named "Add left
    sternocleidomastoid"; None for the record and the PDF, where the drawing is a picture.
    """
    rows = [_row(number, mark) for number, mark in enumerate(marks, start=1)]
    placed = _targets(targets or (), rows)
    panels = tuple(_panel(view, rows, placed) for view in View)
    legend_top = _PANEL_ORIGINS[View.FRONT][1] + PANEL_SIZE + 28
    legend, legend_bottom = _legend(rows, top=legend_top + 14)
    if not rows:
        legend_bottom = legend_top + 14 + _LEGEND_LINE
    return Diagram(
        title=_clean(title) or DEFAULT_TITLE,
        desc=_describe(rows),
        width=str(CANVAS_WIDTH),
        height=str(math.ceil(legend_bottom + 12)),
        font_family=_FONT_FAMILY,
        panels=panels,
        separator_x=_fmt(CANVAS_WIDTH / 2),
        legend_heading="Injections" if rows else EMPTY_MESSAGE,
        legend_heading_y=_fmt(legend_top),
        legend_x=_fmt(_LEGEND_MARGIN),
        legend_key=DEEP_KEY if any(row.muscle and row.muscle.deep and row.views for row in rows) else "",
        legend_key_x=_fmt(CANVAS_WIDTH - _LEGEND_MARGIN),
        legend=legend,
        interactive=targets is not None,
        targets_key=(SUGGESTED_KEY if any(t.suggested for t in placed) else ADD_KEY) if placed else "",
    )


def neck_diagram_svg(
    marks: Iterable[DiagramMark], *, title: str = DEFAULT_TITLE, targets: Iterable[DiagramTarget] | None = None
) -> SafeString:
    """The diagram as an inline SVG element (safe to insert in HTML or a WeasyPrint document)."""
    diagram = build_diagram(marks, title=title, targets=targets)
    # Kept rendered under a digest of the drawing (every coordinate, label and control in it).
    key = fragment_key("planner:neck-diagram", diagram)
    svg = cache.get(key)
    if svg is None:
        svg = render_to_string(TEMPLATE_NAME, {"diagram": diagram})  # autoescaped: a SafeString, cached as one
        cache.set(key, svg, timeout=DIAGRAM_SECONDS)
    return svg


def _row(number, mark):
    code = _clean(mark.muscle_code)
    muscle = _MUSCLES.get(code)
    raw_side = _clean(mark.side)
    side = raw_side.lower() if raw_side.lower() in ("left", "right") else ""
    name = _clean(mark.muscle_name) or (muscle.name if muscle else code) or "Muscle not named"
    deep = " (deep)" if muscle and muscle.deep else ""
    words = f"{side.capitalize()} {_lower_first(name)}{deep}" if side else f"{_upper_first(name)}{deep}"
    if not side:
        not_drawn = f"not drawn: side “{raw_side}” is not left or right" if raw_side else "not drawn: no side recorded"
    elif muscle is None:
        not_drawn = "not drawn: no position on the diagram for this muscle"
    else:
        not_drawn = ""
    return _Row(
        number=number,
        code=code,
        side=side,
        muscle=muscle,
        words=words,
        amount=_amount(mark),
        note=_clean(mark.note),
        not_drawn=not_drawn,
    )


def _amount(mark):
    units = _format_units(mark.units)
    label = _clean(mark.unit_label)
    dose = f"{units} {label}".strip() if units is not None else "dose not recorded"
    if mark.sites is None or (isinstance(mark.sites, str) and not mark.sites.strip()):
        return dose
    try:
        sites = int(mark.sites)
    except (TypeError, ValueError):
        return f"{dose}, sites: {_clean(mark.sites)}"
    return f"{dose}, {sites} site{'' if sites == 1 else 's'}"


def units_text(value):
    """A dose as the record writes it: 50.00 -> "50", 12.50 -> "12.5"; "" when not recorded."""
    return _format_units(value) or ""


def _format_units(value):
    """Units as given, without trailing zeros or exponent: 50.00 -> '50', 12.50 -> '12.5'. None: not recorded."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return _clean(value)
    if not number.is_finite():
        return str(number)
    return amount(number)


# Characters XML 1.0 cannot carry at all (escaping does not help): most C0 controls, surrogates, U+FFFE/F.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_WHITESPACE = re.compile(r"\s+")


def _clean(value):
    """Text safe to put in XML once escaped: illegal characters dropped, whitespace collapsed."""
    if value is None:
        return ""
    return _WHITESPACE.sub(" ", _XML_ILLEGAL.sub("", str(value))).strip()


def _lower_first(name):
    # Only a capitalised word is lowered: "Sternocleidomastoid" -> "sternocleidomastoid", "SCM" stays.
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _upper_first(name):
    return name[:1].upper() + name[1:]


def _describe(rows):
    if not rows:
        return f"Front and back views of the head, neck and shoulders. {EMPTY_MESSAGE}."
    parts = []
    for row in rows:
        text = f"{row.number}: {_lower_first(row.words)}, {row.amount}"
        if row.note:
            text += f", {row.note}"
        if row.not_drawn:
            text += f" ({row.not_drawn})"
        else:
            text += " (front and back views)" if len(row.views) > 1 else f" ({row.views[0]} view)"
        parts.append(text)
    count = f"{len(rows)} injection{'' if len(rows) == 1 else 's'}"
    return (
        "Front view (the patient's right on the viewer's left) and back view (the patient's right on the "
        f"viewer's right) of the head, neck and shoulders, with {count} numbered: " + "; ".join(parts) + "."
    )


def _on_viewer_right(view, side):
    # Shapes are defined on the viewer's right: the patient's left in front, the patient's right behind.
    return side == ("left" if view is View.FRONT else "right")


def _placed(view, side, point):
    return point if _on_viewer_right(view, side) else _mirror(point)


@dataclass(frozen=True)
class _PlacedTarget:
    code: str
    side: str
    label: str
    action: str
    suggested: bool


def _targets(targets, rows):
    """The targets the diagram can draw and the plan does not hold yet, each once, with its label."""
    planned = {(row.code, row.side) for row in rows}
    placed = {}
    for target in targets:
        code, side = _clean(target.muscle_code), _clean(target.side).lower()
        muscle = _MUSCLES.get(code)
        if muscle is None or side not in ("left", "right") or (code, side) in planned or (code, side) in placed:
            continue
        name = _lower_first(_clean(target.muscle_name) or muscle.name)
        label = f"Add {side} {name}" + (" (suggested)" if target.suggested else "")
        placed[(code, side)] = _PlacedTarget(code, side, label, _clean(target.action), bool(target.suggested))
    return list(placed.values())


# The outlines are fixed, so a muscle's path on a view and side is the same for every diagram: worked out
# once per process (a few hundred at most), not per request (it was about a tenth of the plan editor's time).
@functools.lru_cache(maxsize=1024)
def _region_path(shape, view, side):
    start, segments = _smooth_closed(shape.outline)
    if not _on_viewer_right(view, side):
        start, segments = _mirror_segments(start, segments)
    return _d(start, segments) + " Z"


def _panel(view, rows, targets=()):
    drawn_targets = []
    for target in targets:
        muscle = _MUSCLES[target.code]
        if view not in muscle.shapes:
            continue
        first_view = next(iter(muscle.shapes))
        drawn_targets.append(
            (
                _area(muscle.shapes[view].outline),
                Target(
                    d=_region_path(muscle.shapes[view], view, target.side),
                    muscle_code=target.code,
                    side=target.side,
                    label=target.label,
                    action=target.action,
                    suggested=target.suggested,
                    focusable=view == first_view,
                ),
            )
        )
    regions = {}
    markers = []
    taken = []  # marker centres already placed in this panel
    for row in rows:
        if view not in row.views:
            continue
        shape = row.muscle.shapes[view]
        key = (row.code, row.side)
        if key not in regions:
            d = _region_path(shape, view, row.side)
            regions[key] = (_area(shape.outline), Region(d, row.muscle.deep, row.code, row.side))
        anchor = _placed(view, row.side, shape.anchor)
        radius = _MARKER_RADIUS + 2 * max(0, len(str(row.number)) - 2)
        centre = _free_spot(anchor, radius, taken)
        taken.append((centre, radius))
        leader = None
        if math.dist(centre, anchor) > radius:
            leader = (_fmt(anchor[0]), _fmt(anchor[1]), _fmt(centre[0]), _fmt(centre[1]))
        markers.append(
            Marker(
                number=str(row.number),
                cx=_fmt(centre[0]),
                cy=_fmt(centre[1]),
                r=_fmt(radius),
                text_y=_fmt(centre[1] + 4.3),
                deep=row.muscle.deep,
                muscle_code=row.code,
                side=row.side,
                leader=leader,
            )
        )
    # Big regions first, so a small one on top of a big one stays visible.
    ordered = [region for _, region in sorted(regions.values(), key=lambda item: -item[0])]
    body, details = _OUTLINES[view]
    # The patient's right: the viewer's left in front, the viewer's right behind.
    right_x, left_x = (26, PANEL_SIZE - 26) if view is View.FRONT else (PANEL_SIZE - 26, 26)
    heading, subheading = _PANEL_HEADINGS[view]
    origin = _PANEL_ORIGINS[view]
    return Panel(
        view=view,
        heading=heading,
        subheading=subheading,
        transform=f"translate({_fmt(origin[0])} {_fmt(origin[1])})",
        body_paths=tuple(body),
        detail_paths=tuple(details),
        side_labels=(SideLabel("R", "right", _fmt(right_x)), SideLabel("L", "left", _fmt(left_x))),
        regions=tuple(ordered),
        markers=tuple(markers),
        # Big first, so a small target on top of a big one can still be clicked.
        targets=tuple(target for _, target in sorted(drawn_targets, key=lambda item: -item[0])),
    )


def _free_spot(anchor, radius, taken):
    """The anchor if free, else the nearest free spot on rings around it, preferring the lateral side.

    Deterministic: the same marks always give the same positions. Markers do not overlap: the search
    goes ring by ring until a spot clears every placed marker by ``_MARKER_GAP`` (only a panel
    holding more markers than fit in it, about 150, would take the last spot tried).
    """
    outward = 0.0 if anchor[0] >= PANEL_MIDLINE else math.pi
    candidate = _clamp(anchor, radius)
    for ring in range(_MAX_RINGS + 1):
        if ring == 0:
            candidates = [anchor]
        else:
            distance = ring * (2 * radius + _MARKER_GAP)
            steps = 8 * ring
            candidates = []
            # Lateral first, then alternately above and below it, so leaders fan outwards.
            for step in range(steps):
                offset = (step + 1) // 2 * (1 if step % 2 else -1) * 2 * math.pi / steps
                angle = outward + offset
                candidates.append((anchor[0] + distance * math.cos(angle), anchor[1] + distance * math.sin(angle)))
        for point in candidates:
            candidate = _clamp(point, radius)
            if all(math.dist(candidate, other) >= radius + other_radius + _MARKER_GAP for other, other_radius in taken):
                return candidate
    return candidate


def _clamp(point, radius):
    low, high = radius + 1, PANEL_SIZE - radius - 1
    return (min(max(point[0], low), high), min(max(point[1], low), high))


def _legend(rows, *, top):
    """Legend entries laid out top to bottom, in one column or (many entries) two balanced columns."""
    if not rows:
        return (), top
    columns = 1 if len(rows) <= _LEGEND_ONE_COLUMN_MAX else 2
    column_width = (CANVAS_WIDTH - 2 * _LEGEND_MARGIN - (columns - 1) * _LEGEND_COLUMN_GAP) / columns
    text_width = column_width - _LEGEND_TEXT_INDENT
    blocks = [(row, _legend_lines(row, text_width)) for row in rows]
    heights = [len(lines) * _LEGEND_LINE + _LEGEND_ENTRY_GAP for _, lines in blocks]
    target = sum(heights) / columns

    entries = []
    column, y, bottom = 0, top, top
    for (row, lines), height in zip(blocks, heights, strict=True):
        # Move on to the next column once this one holds its share (column-major reading order).
        if column < columns - 1 and y > top and y - top + height / 2 > target:
            column, y = column + 1, top
        x = _LEGEND_MARGIN + column * (column_width + _LEGEND_COLUMN_GAP)
        first_baseline = y + _LEGEND_LINE - 4
        radius = _MARKER_RADIUS + 2 * max(0, len(str(row.number)) - 2)
        entries.append(
            LegendEntry(
                number=str(row.number),
                drawn=not row.not_drawn,
                deep=bool(row.muscle and row.muscle.deep),
                badge_cx=_fmt(x + radius),
                badge_cy=_fmt(first_baseline - 4.3),
                badge_r=_fmt(radius),
                badge_text_y=_fmt(first_baseline),
                text_x=_fmt(x + _LEGEND_TEXT_INDENT),
                lines=tuple(
                    LegendLine(y=_fmt(first_baseline + index * _LEGEND_LINE), spans=spans)
                    for index, spans in enumerate(lines)
                ),
            )
        )
        y += height
        bottom = max(bottom, y)
    return tuple(entries), bottom


def _legend_lines(row, width):
    """The entry's lines as styled spans: the muscle, then the amount in bold, then the note and status.

    One line when it all fits; otherwise each part starts a line of its own and wraps within it.
    """
    parts = [(row.words, False, False), (row.amount, True, False)]
    parts += [(text, False, text == row.not_drawn) for text in (row.note, row.not_drawn) if text]
    one_line = sum(_text_width(text, bold=bold) for text, bold, _italic in parts)
    one_line += (len(parts) - 1) * (_text_width(" ") + _SPAN_GAP)
    if one_line <= width:
        # A real space before each later span (widened by dx) keeps the words apart when the text is copied.
        return [
            tuple(
                LegendSpan(" " + text if index else text, bold=bold, italic=italic, dx=_fmt(_SPAN_GAP) if index else "")
                for index, (text, bold, italic) in enumerate(parts)
            )
        ]
    return [
        (LegendSpan(line, bold=bold, italic=italic),)
        for text, bold, italic in parts
        for line in _wrap(text, width, bold=bold)
    ]


def _text_width(text, *, bold=False):
    """The estimated width of legend text in SVG units (see ``_ASCII_WIDTHS``)."""
    total = 0
    for char in text:
        code = ord(char)
        if 32 <= code <= 126:
            total += _ASCII_WIDTHS[code - 32]
        else:
            total += 1000 if unicodedata.east_asian_width(char) in ("W", "F") else 600
    return total / 1000 * _LEGEND_FONT * (1.1 if bold else 1) * 1.04


def _wrap(text, width, *, bold=False):
    """Greedy word wrap by estimated width; a word longer than a line is cut where it must be."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if _text_width(candidate, bold=bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:  # one character at a time only for a word wider than the line
            if line and _text_width(line + char, bold=bold) > width:
                lines.append(line)
                line = ""
            line += char
    lines.append(line)
    return lines
