"""Rating-scale arithmetic: TWSTRS (original, Consky & Lang 1994) and the Tsui scale.

Pure functions over plain mappings of item key -> int or None (None = not scored yet). No ORM,
no request: the models, the views, the demo seeder and the tests all call the same code, and
nobody ever types a total. A partial entry is scored too: the total adds the items that are
there and says how many are missing ("partial: 8 of 10 severity items").

Sources (see ../shared/reference/clinical-reference.md §5):
- TWSTRS items and ranges: the TWSTRS form (SC1, SC2), disability section (SC3), Myobloc HCP
  (SC4). Version used: the original scale, severity 0-35 + disability 0-30 + pain 0-20 = 0-85.
  Some sources use a 0-32 disability subscale (total 0-87); this app does not.
- TWSTRS pain severity = (worst + best + 2 x usual) / 4, each rated 0-10 for the past week, so
  0-10 in steps of 0.25. The formula is the one printed on the original TWSTRS form (Consky &
  Lang 1994; form copies SC1, SC2). The clinical reference verifies the pain subscale's items and
  its 0-20 range (flag V) but does not quote this formula, so the pages cite the form.
- Tsui: (rotation 0-3 + tilt 0-3 + antero/retrocollis 0-3) x duration (1 intermittent,
  2 constant) + shoulder elevation 0-3 + tremor severity (1-2) x tremor duration (1-2) = 0-25.
  The reference flags these items as UNVERIFIED (U, SC10): the pages show that badge.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from patients.colcap import BY_CODE, Plane

TWSTRS_VERSION = "TWSTRS (original, Consky & Lang 1994): severity 0-35, disability 0-30, pain 0-20, total 0-85"
PAIN_SEVERITY_FORMULA = "pain severity = (worst + best + 2 × usual) / 4"
PAIN_SEVERITY_SOURCE = "original TWSTRS form (Consky & Lang 1994; clinical reference SC1, SC2)"
TSUI_VERSION = "Tsui scale (Tsui et al. 1986): total 0-25"
TSUI_FORMULA = (
    "(rotation + tilt + antero/retrocollis) × duration + shoulder elevation + tremor severity × tremor duration"
)


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    low: int
    high: int
    weight: int = 1
    from_posture: bool = False  # TWSTRS: derived from the Col-Cap posture assessment, never typed
    anchors: tuple = ()  # short wording of each score, low to high

    @property
    def weighted_high(self):
        return self.high * self.weight

    def choices(self):
        return [(value, str(value)) for value in range(self.low, self.high + 1)]


TWSTRS_SEVERITY = (
    Item(
        "rotation",
        "Rotation (turn)",
        0,
        4,
        from_posture=True,
        anchors=("none", "slight, < 1/4 range", "mild, 1/4-1/2", "moderate, 1/2-3/4", "severe, > 3/4"),
    ),
    Item(
        "laterocollis",
        "Laterocollis (tilt)",
        0,
        3,
        from_posture=True,
        anchors=("none", "mild, 1-15°", "moderate, 16-35°", "severe, > 35°"),
    ),
    Item(
        "antero_retrocollis",
        "Anterocollis / retrocollis",
        0,
        3,
        from_posture=True,
        anchors=("none", "mild", "moderate, about half the range", "severe"),
    ),
    Item("lateral_shift", "Lateral shift", 0, 1, from_posture=True, anchors=("absent", "present")),
    Item("sagittal_shift", "Sagittal shift", 0, 1, from_posture=True, anchors=("absent", "present")),
    Item(
        "duration",
        "Duration factor (weighted × 2)",
        0,
        5,
        weight=2,
        anchors=(
            "none",
            "occasional, submaximal",
            "occasional maximal or intermittent submaximal",
            "intermittent maximal or frequent submaximal",
            "frequent maximal or constant submaximal",
            "constant, mostly maximal",
        ),
    ),
    Item(
        "sensory_trick",
        "Effect of sensory tricks",
        0,
        2,
        anchors=("complete relief", "partial relief", "little or no benefit"),
    ),
    Item(
        "shoulder_elevation",
        "Shoulder elevation / anterior displacement",
        0,
        3,
        from_posture=True,
        anchors=("absent", "mild", "moderate", "severe and constant"),
    ),
    Item(
        "range_of_motion",
        "Range of motion (without sensory tricks)",
        0,
        4,
        anchors=(
            "to the extreme opposite",
            "well past midline",
            "barely past midline",
            "toward but not past midline",
            "barely beyond the abnormal posture",
        ),
    ),
    Item(
        "time",
        "Time within 10° of neutral (up to 60 s)",
        0,
        4,
        anchors=("> 60 s", "46-60 s", "31-45 s", "16-30 s", "< 15 s"),
    ),
)
_DISABILITY_ANCHORS = ("no difficulty", "slight", "mild", "moderate", "marked", "unable")
TWSTRS_DISABILITY = (
    Item("work", "Work (occupation or housework)", 0, 5, anchors=_DISABILITY_ANCHORS),
    Item("activities_of_daily_living", "Activities of daily living", 0, 5, anchors=_DISABILITY_ANCHORS),
    Item("driving", "Driving", 0, 5, anchors=_DISABILITY_ANCHORS),
    Item("reading", "Reading", 0, 5, anchors=_DISABILITY_ANCHORS),
    Item("television", "Television", 0, 5, anchors=_DISABILITY_ANCHORS),
    Item("activities_outside_home", "Activities outside the home", 0, 5, anchors=_DISABILITY_ANCHORS),
)
# The three 0-10 ratings that make the pain severity item; they are inputs, not items of the subscale.
TWSTRS_PAIN_RATINGS = (
    Item("pain_worst", "Worst pain in the past week", 0, 10),
    Item("pain_best", "Best pain in the past week", 0, 10),
    Item("pain_usual", "Usual pain in the past week", 0, 10),
)
TWSTRS_PAIN = (
    Item(
        "pain_duration",
        "Duration of pain",
        0,
        5,
        anchors=("none", "< 10% of the time", "10-25%", "26-50%", "51-75%", "> 75%"),
    ),
    Item(
        "pain_disability",
        "Disability due to pain",
        0,
        5,
        anchors=(
            "none",
            "discomfort, no limitation",
            "limits some activities",
            "limits most activities",
            "limits all activities",
            "incapacitating",
        ),
    ),
)
TWSTRS_ITEMS = {item.key: item for item in (*TWSTRS_SEVERITY, *TWSTRS_DISABILITY, *TWSTRS_PAIN_RATINGS, *TWSTRS_PAIN)}
TWSTRS_TYPED_KEYS = tuple(key for key, item in TWSTRS_ITEMS.items() if not item.from_posture)
TWSTRS_POSTURE_KEYS = tuple(item.key for item in TWSTRS_SEVERITY if item.from_posture)

TSUI_ITEMS_TUPLE = (
    Item("rotation", "Rotation amplitude", 0, 3, anchors=("absent", "< 15°", "15-30°", "> 30°")),
    Item("tilt", "Tilt amplitude", 0, 3, anchors=("absent", "< 15°", "15-30°", "> 30°")),
    Item("antero_retrocollis", "Antero/retrocollis amplitude", 0, 3, anchors=("absent", "mild", "moderate", "severe")),
    Item("duration", "Duration of the sustained movements", 1, 2, anchors=("intermittent", "constant")),
    Item(
        "shoulder_elevation",
        "Shoulder elevation",
        0,
        3,
        anchors=("absent", "mild and intermittent", "mild constant or severe intermittent", "severe and constant"),
    ),
    Item("tremor_severity", "Head tremor severity", 0, 2, from_posture=True, anchors=("none", "mild", "severe")),
    Item("tremor_duration", "Head tremor duration", 1, 2, anchors=("occasional", "continuous")),
)
TSUI_ITEMS = {item.key: item for item in TSUI_ITEMS_TUPLE}
TSUI_TYPED_KEYS = tuple(key for key, item in TSUI_ITEMS.items() if not item.from_posture)
TSUI_MAX = 25


@dataclass(frozen=True)
class Subscale:
    name: str
    score: Decimal
    maximum: int
    present: int
    expected: int

    @property
    def complete(self):
        return self.present == self.expected

    @property
    def completeness(self):
        return f"{self.present} of {self.expected} {self.name} items"


@dataclass(frozen=True)
class ScaleResult:
    name: str
    total: Decimal
    maximum: int
    subscales: tuple

    @property
    def present(self):
        return sum(subscale.present for subscale in self.subscales)

    @property
    def expected(self):
        return sum(subscale.expected for subscale in self.subscales)

    @property
    def complete(self):
        return self.present == self.expected

    @property
    def empty(self):
        return self.present == 0

    @property
    def status(self):
        """'complete', 'not scored', or 'partial: 8 of 10 severity items, 0 of 3 pain items'."""
        if self.complete:
            return "complete"
        if self.empty:
            return "not scored"
        missing = [subscale.completeness for subscale in self.subscales if not subscale.complete]
        return "partial: " + ", ".join(missing)

    def subscale(self, name):
        return next(subscale for subscale in self.subscales if subscale.name == name)

    @property
    def display(self):
        """'42.25 / 85' or 'partial 23 / 85'."""
        text = f"{format_score(self.total)} / {self.maximum}"
        return text if self.complete else f"partial {text}"


def format_score(value):
    """Decimal('42.50') -> '42.5', Decimal('42.00') -> '42'."""
    if value is None:
        return ""
    value = Decimal(value)
    text = f"{value.normalize():f}"
    return text


def _checked(items: Mapping[str, int | None], catalogue: Mapping[str, Item]):
    unknown = set(items) - set(catalogue)
    if unknown:
        raise ValueError(f"unknown items: {sorted(unknown)}")
    values = {}
    for key, item in catalogue.items():
        value = items.get(key)
        if value is None:
            values[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{item.label}: a whole number is required, not {value!r}")
        if not item.low <= value <= item.high:
            raise ValueError(f"{item.label}: {value} is outside {item.low}-{item.high}")
        values[key] = value
    return values


def _subscale(name, items: Iterable[Item], values):
    items = tuple(items)
    present = [item for item in items if values[item.key] is not None]
    return Subscale(
        name=name,
        score=Decimal(sum(values[item.key] * item.weight for item in present)),
        maximum=sum(item.weighted_high for item in items),
        present=len(present),
        expected=len(items),
    )


def pain_severity(worst, best, usual):
    """(worst + best + 2 x usual) / 4, 0-10 in quarter steps; None until all three are rated."""
    if worst is None or best is None or usual is None:
        return None
    return Decimal(worst + best + 2 * usual) / 4


def twstrs_from_posture(findings):
    """The TWSTRS severity items the posture assessment measures, from its findings.

    ``findings`` are posture.Finding (or anything with .code and .severity); None means there is
    no posture assessment for the visit, so those items are missing (not zero). With an
    assessment, a pattern that is absent scores 0:
    rotation = max(torticaput, torticollis); laterocollis = max(laterocaput, laterocollis);
    antero/retrocollis = max of the four flexion/extension components; lateral shift = 1 if
    present; sagittal shift = 1 if either shift is present; shoulder elevation = its severity.
    """
    if findings is None:
        return {}
    by_code = {}
    for finding in findings:
        by_code[finding.code] = max(finding.severity, by_code.get(finding.code, 0))

    def worst(*codes):
        return max((by_code.get(code, 0) for code in codes), default=0)

    return {
        "rotation": worst("TORTICAPUT", "TORTICOLLIS"),
        "laterocollis": worst("LATEROCAPUT", "LATEROCOLLIS"),
        "antero_retrocollis": worst("ANTEROCAPUT", "ANTEROCOLLIS", "RETROCAPUT", "RETROCOLLIS"),
        "lateral_shift": 1 if "LATERAL_SHIFT" in by_code else 0,
        "sagittal_shift": 1 if {"SAGITTAL_SHIFT_FORWARD", "SAGITTAL_SHIFT_BACKWARD"} & set(by_code) else 0,
        "shoulder_elevation": by_code.get("SHOULDER_ELEVATION", 0),
    }


def twstrs_score(items: Mapping[str, int | None]):
    """Severity, disability and pain subscales and the 0-85 total, partial entries included.

    ``items`` maps TWSTRS_ITEMS keys to an int or None; out-of-range values raise ValueError.
    """
    values = _checked(items, TWSTRS_ITEMS)
    severity = _subscale("severity", TWSTRS_SEVERITY, values)
    disability = _subscale("disability", TWSTRS_DISABILITY, values)
    pain_items = (Item("pain_severity", "Pain severity", 0, 10), *TWSTRS_PAIN)
    severity_value = pain_severity(values["pain_worst"], values["pain_best"], values["pain_usual"])
    pain_present = [severity_value] if severity_value is not None else []
    pain_present += [values[item.key] for item in TWSTRS_PAIN if values[item.key] is not None]
    pain = Subscale(
        name="pain",
        score=Decimal(sum(pain_present, Decimal(0))),
        maximum=sum(item.high for item in pain_items),
        present=len(pain_present),
        expected=len(pain_items),
    )
    return ScaleResult(
        name="TWSTRS",
        total=severity.score + disability.score + pain.score,
        maximum=severity.maximum + disability.maximum + pain.maximum,
        subscales=(severity, disability, pain),
    )


def tsui_from_posture(findings):
    """Tsui's tremor severity from the posture's head tremor components (0 none, 1-2); {} without one."""
    if findings is None:
        return {}
    severities = [f.severity for f in findings if BY_CODE[f.code].plane is Plane.TREMOR]
    return {"tremor_severity": max(severities, default=0)}


def tsui_score(items: Mapping[str, int | None]):
    """The Tsui total (0-25), partial entries included.

    The duration multiplier is not needed when all three amplitudes are 0, nor the tremor
    duration when there is no tremor. A partial total adds only the parts that can be computed.
    """
    values = _checked(items, TSUI_ITEMS)
    amplitudes = [values[key] for key in ("rotation", "tilt", "antero_retrocollis")]
    no_sustained_movement = all(value == 0 for value in amplitudes)
    no_tremor = values["tremor_severity"] == 0

    present = sum(value is not None for value in amplitudes)
    present += values["duration"] is not None or no_sustained_movement
    present += values["shoulder_elevation"] is not None
    present += values["tremor_severity"] is not None
    present += values["tremor_duration"] is not None or no_tremor

    total = 0
    if values["duration"] is not None:
        total += sum(value for value in amplitudes if value is not None) * values["duration"]
    total += values["shoulder_elevation"] or 0
    if values["tremor_severity"] and values["tremor_duration"] is not None:
        total += values["tremor_severity"] * values["tremor_duration"]
    subscale = Subscale(name="Tsui", score=Decimal(total), maximum=TSUI_MAX, present=present, expected=len(TSUI_ITEMS))
    return ScaleResult(name="Tsui", total=Decimal(total), maximum=TSUI_MAX, subscales=(subscale,))
