"""Candidate muscles for a head posture: a pure function over plain data (no ORM, no request).

``suggest_muscles`` takes the present Col-Cap components of a posture assessment, the rules table,
the combined patterns' expansions and the chosen product's dose ranges, all as the frozen
dataclasses below, and returns ranked ``Candidate`` rows that explain themselves. A view, an
export or a management command builds those inputs from the ORM (the adapter); this module never
queries anything, so it is fast, deterministic and testable without a database.

The input contract
------------------
``PostureComponent(code, direction, severity)``
    ``code`` is a Col-Cap code (``patients.colcap``). ``direction`` is ``"left"``, ``"right"`` or
    ``""`` (``patients.colcap.Direction``): the side the face turns to, or the head tilts or shifts
    to. ``severity`` is the TWSTRS (Tsui for tremor) item, 1 or more; a component with severity 0 or
    None is absent and ignored.
``Rule(pattern_code, muscle_code, muscle_name, side, priority, verification, needs_review, source_codes, note)``
    One row of the rules table. ``side`` is relative to the pattern's direction (``RelativeSide``):
    ipsilateral = the muscle on the side of the direction, contralateral = the opposite side,
    bilateral = both sides, unresolved = the sources conflict (the clinician decides).
``CombinedPattern(code, parts)``
    A combined pattern (lateral shift, sagittal shifts) and the patterns it is made of, each with
    a side relative to the combined pattern's direction; for example lateral shift =
    laterocollis ipsilateral + laterocaput contralateral. This map comes from the reference data.
``Product(code, name, unit)`` and ``DoseRange(product_code, muscle_code, min_units, max_units, ...)``
    The chosen product and its per-muscle dose ranges, each with its source codes and
    verification. Ranges of any other product are ignored: units of different products are
    never shown side by side or converted.

Strings may stand in for the enums (they are ``StrEnum``); unknown values never raise: an unknown
relative side is treated as unresolved, an unknown priority as secondary, an unknown verification
as unverified, an unknown direction as none.

How sides are resolved
----------------------
- Lateral components (rotation, tilt, lateral shift, shoulder) resolve ipsilateral and
  contralateral rules against their direction; bilateral rules give both sides.
- Sagittal components (antero/retro, sagittal shifts, tremor) have no direction: every rule on
  them is applied to both sides, whatever its relative side says.
- A rule whose side is unresolved, or a lateral component recorded without a direction, gives
  candidates on both sides flagged ``conflict``; such reasons never preselect a candidate.
- A present combined pattern applies its own rules AND expands into its parts, one level deep.
  Each part inherits the combined pattern's severity and gets its direction from the part's
  relative side (ipsilateral: the same direction; contralateral: the opposite; bilateral: none).
  Reasons from a part say "via <combined pattern>".

The output
----------
One ``Candidate`` per (muscle, side), with every reason that points at it. Candidates are ranked:
primary before secondary (best priority among the reasons), then the more severe component
(highest severity among the reasons), then preselected before not, then muscle code and side
(left before right). A candidate is preselected only when at least one reason is a primary rule
that is verified or partly verified, not marked for review, and whose side was resolved.
``verification`` is the worst among the reasons (verified < computed < partly verified < unverified).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from patients.colcap import BY_CODE as COLCAP_BY_CODE
from patients.colcap import Direction, Plane
from patients.sides import RelativeSide, Side


class Priority(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


class Verification(StrEnum):
    """How far a value was checked against its source (the reference data's V/P/C/U flags)."""

    VERIFIED = "verified"
    PARTLY_VERIFIED = "partly_verified"
    COMPUTED = "computed"
    UNVERIFIED = "unverified"

    @property
    def label(self):
        return self.value.replace("_", " ")


# Worst-of order: a higher rank is a weaker claim. Computed values are arithmetic on verified numbers,
# so they rank above partly verified ones (the same order as planner.reference.limits).
VERIFICATION_RANK = {
    Verification.VERIFIED: 0,
    Verification.COMPUTED: 1,
    Verification.PARTLY_VERIFIED: 2,
    Verification.UNVERIFIED: 3,
}
PRESELECTABLE = frozenset({Verification.VERIFIED, Verification.PARTLY_VERIFIED})
_PRIORITY_RANK = {Priority.PRIMARY: 0, Priority.SECONDARY: 1}
_SIDE_RANK = {Side.LEFT: 0, Side.RIGHT: 1}
_BOTH_SIDES = (Side.LEFT, Side.RIGHT)


@dataclass(frozen=True, kw_only=True)
class PostureComponent:
    """A Col-Cap component present in a posture assessment."""

    code: str
    direction: str = Direction.NONE
    severity: int = 1


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One row of the rules table: this pattern suggests this muscle on this relative side."""

    pattern_code: str
    muscle_code: str
    muscle_name: str
    side: str
    priority: str
    verification: str = Verification.UNVERIFIED
    needs_review: bool = False
    source_codes: tuple[str, ...] = ()
    note: str = ""
    id: int | None = None  # the adapter's primary key, so a view can link to the rule

    def __post_init__(self):
        # A list from the adapter would make the rule unhashable; candidates are keyed by reasons.
        object.__setattr__(self, "source_codes", tuple(self.source_codes))


@dataclass(frozen=True, kw_only=True)
class CombinedPart:
    pattern_code: str
    side: str  # relative to the combined pattern's direction


@dataclass(frozen=True, kw_only=True)
class CombinedPattern:
    code: str
    parts: tuple[CombinedPart, ...]

    def __post_init__(self):
        object.__setattr__(self, "parts", tuple(self.parts))


@dataclass(frozen=True, kw_only=True)
class Product:
    """A toxin product. ``name`` is what clinicians call it (the brand), used with every amount."""

    code: str
    name: str
    unit: str = "U"

    @property
    def unit_label(self):
        return f"{self.unit} {self.name}"

    def amount(self, value):
        """'60 U Botox': every amount shown is labeled with its own product."""
        return f"{format_number(value)} {self.unit_label}"


@dataclass(frozen=True, kw_only=True)
class DoseRange:
    """A sourced dose for one muscle with one product, in that product's units (per muscle and side)."""

    product_code: str
    muscle_code: str
    min_units: Decimal | None = None
    max_units: Decimal | None = None
    median_units: Decimal | None = None  # shown for context only; never checked against
    source_codes: tuple[str, ...] = ()
    verification: str = Verification.UNVERIFIED
    kind: str = ""  # e.g. trial_observed, label_table, expert_example
    note: str = ""
    # A figure given for one context (60 U splenius capitis for head tremor): the posture patterns of
    # which one must be present for planner.rules.safety to check a dose against it. Empty: always applies.
    context_patterns: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "source_codes", tuple(self.source_codes))
        object.__setattr__(self, "context_patterns", tuple(self.context_patterns))

    @property
    def has_bounds(self):
        return self.min_units is not None or self.max_units is not None

    def describe(self, product):
        """'25–100 U Botox', 'up to 35 U Botox', 'at least 50 U Dysport' or 'median 25 U Xeomin'."""
        if self.min_units is not None and self.max_units is not None:
            return f"{format_number(self.min_units)}–{product.amount(self.max_units)}"
        if self.max_units is not None:
            return f"up to {product.amount(self.max_units)}"
        if self.min_units is not None:
            return f"at least {product.amount(self.min_units)}"
        if self.median_units is not None:
            return f"median {product.amount(self.median_units)}"
        return "no amount"


@dataclass(frozen=True, kw_only=True)
class ResolvedPattern:
    """A pattern present in the posture, directly or as a part of a present combined pattern."""

    code: str
    direction: Direction
    severity: int
    via_code: str = ""  # the combined pattern it came from, "" when recorded directly
    via_direction: Direction = Direction.NONE


@dataclass(frozen=True, kw_only=True)
class Reason:
    """Why a candidate is suggested: one rule applied to one present pattern."""

    rule: Rule
    pattern_code: str
    direction: Direction  # the pattern's resolved direction
    via_pattern_code: str
    via_direction: Direction
    severity: int
    resolved: bool  # False for an unresolved rule or a lateral pattern without a direction
    priority: Priority  # the rule's, as an enum
    verification: Verification  # the rule's, as an enum
    preselectable: bool  # resolved, primary, verified or partly verified, not marked for review
    text: str


@dataclass(frozen=True, kw_only=True)
class Candidate:
    muscle_code: str
    muscle_name: str
    side: Side
    preselect: bool
    priority: Priority  # the best among the reasons
    severity: int  # the highest among the reasons
    verification: Verification  # the worst among the reasons
    needs_review: bool  # any reason's rule is marked for review
    conflict: bool  # any reason's side could not be resolved
    reasons: tuple[Reason, ...]
    dose_ranges: tuple[DoseRange, ...]  # the chosen product's, in the order given
    dose_note: str  # "" or "no sourced range for <product>"
    unresolved_why: str = ""  # why the side could not be resolved, when ``conflict``


def format_number(value):
    """A Decimal (or int) without trailing zeros or exponent: 100 -> '100', 12.50 -> '12.5'."""
    if not isinstance(value, Decimal):
        value = Decimal(value)
    if not value.is_finite():
        return str(value)
    if not -15 <= value.adjusted() <= 15:
        # Only absurd input gets here; never print a million digits into a message.
        return format(value, ".3E")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def format_codes(codes):
    return ", ".join(codes)


def pattern_name(code):
    component = COLCAP_BY_CODE.get(code)
    name = component.name if component else code.replace("_", " ")
    return name.lower()


def lower_first(name):
    """'Splenius capitis' -> 'splenius capitis' mid-sentence; an acronym such as 'SCM' stays as it is."""
    if name[1:2].isupper():
        return name
    return name[:1].lower() + name[1:]


def is_lateral(code, direction=Direction.NONE):
    """Whether a pattern takes a left/right direction (Col-Cap), or, for an unknown code, was given one."""
    component = COLCAP_BY_CODE.get(code)
    return component.lateral if component else direction is not Direction.NONE


def expand_components(components: Iterable[PostureComponent], combined_patterns: Iterable[CombinedPattern] = ()):
    """The patterns present in a posture: each present component plus the parts of present combined ones.

    Parts are expanded one level deep; a part inherits the combined pattern's severity, and its
    direction is resolved from the part's relative side against the combined pattern's direction.
    """
    parts_by_code = {pattern.code: pattern.parts for pattern in combined_patterns}
    present = []
    for component in components:
        severity = _severity(component.severity)
        if severity <= 0:
            continue
        direction = _direction(component.direction)
        if not is_lateral(component.code, direction):
            direction = Direction.NONE
        present.append(ResolvedPattern(code=component.code, direction=direction, severity=severity))
        for part in parts_by_code.get(component.code, ()):
            part_direction = _part_direction(_relative_side(part.side), direction)
            if not is_lateral(part.pattern_code, part_direction):
                part_direction = Direction.NONE
            present.append(
                ResolvedPattern(
                    code=part.pattern_code,
                    direction=part_direction,
                    severity=severity,
                    via_code=component.code,
                    via_direction=direction,
                )
            )
    return present


def _severity_phrase(pattern):
    """The reason's ", severity 3"; nothing for a shift, which Col-Cap records as present, without a severity."""
    origin = COLCAP_BY_CODE.get(pattern.via_code or pattern.code)
    if origin is not None and origin.plane in (Plane.LATERAL_SHIFT, Plane.SAGITTAL_SHIFT):
        return ""
    return f", severity {pattern.severity}"


def suggest_muscles(
    *,
    components: Iterable[PostureComponent],
    rules: Iterable[Rule],
    combined_patterns: Iterable[CombinedPattern] = (),
    product: Product | None = None,
    dose_ranges: Iterable[DoseRange] = (),
):
    """Ranked candidate muscles (a tuple of ``Candidate``) for a posture; see the module docstring."""
    rules_by_pattern = {}
    for rule in rules:
        rules_by_pattern.setdefault(rule.pattern_code, []).append(rule)
    prepared_by_pattern = {}  # only the present patterns' rules are prepared

    # A combined pattern's own secondary rules cap what its parts suggest for the same muscle: expanding
    # the sagittal shift forward into anterocollis never makes SCM or longus colli primary.
    own_secondary = {}
    for pattern in combined_patterns:
        ranked = {}
        for rule in rules_by_pattern.get(pattern.code, ()):
            priority = _priority(rule.priority)
            if ranked.get(rule.muscle_code) is not Priority.PRIMARY:
                ranked[rule.muscle_code] = priority
        own_secondary[pattern.code] = {code for code, priority in ranked.items() if priority is Priority.SECONDARY}

    reasons_by_target = {}  # (muscle code, side) -> {reason: None}, an ordered set
    for pattern in expand_components(components, combined_patterns):
        prepared_rules = prepared_by_pattern.get(pattern.code)
        if prepared_rules is None:
            prepared_rules = [_prepare(rule) for rule in rules_by_pattern.get(pattern.code, ())]
            prepared_by_pattern[pattern.code] = prepared_rules
        if not prepared_rules:
            continue
        where = _pattern_phrase(pattern.code, pattern.direction)
        if pattern.via_code:
            where = f"{where} via {_pattern_phrase(pattern.via_code, pattern.via_direction)}"
        lateral = is_lateral(pattern.code, pattern.direction)
        capped_by = own_secondary.get(pattern.via_code, ()) if pattern.via_code else ()
        for prepared in prepared_rules:
            rule = prepared.rule
            sides, resolved, relation = _apply(prepared.relative, pattern.direction, lateral)
            preselectable = resolved and prepared.preselectable
            priority, capped = prepared.priority, ""
            if priority is Priority.PRIMARY and rule.muscle_code in capped_by:
                priority, preselectable = Priority.SECONDARY, False
                capped = f" (kept secondary: {pattern_name(pattern.via_code)} rates it secondary)"
            for side in sides:
                text = (
                    f"{side} {prepared.muscle}: {relation}, {priority}, "
                    f"for {where}{_severity_phrase(pattern)}{capped}{prepared.suffix}"
                )
                reason = Reason(
                    rule=rule,
                    pattern_code=pattern.code,
                    direction=pattern.direction,
                    via_pattern_code=pattern.via_code,
                    via_direction=pattern.via_direction,
                    severity=pattern.severity,
                    resolved=resolved,
                    priority=priority,
                    verification=prepared.verification,
                    preselectable=preselectable,
                    text=text,
                )
                reasons_by_target.setdefault((rule.muscle_code, side), {})[reason] = None

    ranges_by_muscle = {}
    if product is not None:
        for dose_range in dose_ranges:
            if dose_range.product_code == product.code:
                ranges_by_muscle.setdefault(dose_range.muscle_code, []).append(dose_range)

    candidates = [
        _candidate(muscle_code, side, reasons, product, ranges_by_muscle.get(muscle_code, ()))
        for (muscle_code, side), reasons in reasons_by_target.items()
    ]
    candidates.sort(key=_candidate_rank)
    return tuple(candidates)


def _candidate(muscle_code, side, reasons, product, ranges):
    reasons = sorted(reasons, key=_reason_rank)
    best = reasons[0]
    if product is None or any(dose_range.has_bounds for dose_range in ranges):
        dose_note = ""
    else:
        dose_note = f"no sourced range for {product.name}"
    return Candidate(
        muscle_code=muscle_code,
        muscle_name=best.rule.muscle_name,
        side=side,
        preselect=any(reason.preselectable for reason in reasons),
        priority=best.priority,
        severity=max(reason.severity for reason in reasons),
        verification=max((reason.verification for reason in reasons), key=VERIFICATION_RANK.__getitem__),
        needs_review=any(reason.rule.needs_review for reason in reasons),
        conflict=any(not reason.resolved for reason in reasons),
        reasons=tuple(reasons),
        dose_ranges=tuple(ranges),
        dose_note=dose_note,
        unresolved_why=_unresolved_why(reasons),
    )


def _unresolved_why(reasons):
    """Why a candidate's side is unresolved, in words; "" when every reason resolved it."""
    why = []
    for reason in reasons:
        if reason.resolved:
            continue
        where = _pattern_phrase(reason.pattern_code, reason.direction)
        if _relative_side(reason.rule.side) is RelativeSide.UNRESOLVED:
            cited = f" ({format_codes(reason.rule.source_codes)})" if reason.rule.source_codes else ""
            text = f"the sources disagree on its side for {where}{cited}: choose the side"
        else:
            text = f"{where} is recorded without a direction: record left or right in the posture"
        if text not in why:
            why.append(text)
    return "; ".join(why)


def suggestion_notes(
    *, components: Iterable[PostureComponent], rules: Iterable[Rule], combined_patterns: Iterable[CombinedPattern] = ()
):
    """What to say above the candidates: each present pattern with rules but no verified primary one.

    "No verified primary rule for retrocollis; the candidates below are unverified." A rule counts as
    verified when it is verified or partly verified and not marked for review.
    """
    by_pattern = {}
    for rule in rules:
        by_pattern.setdefault(rule.pattern_code, []).append(rule)
    notes = []
    for pattern in expand_components(components, combined_patterns):
        pattern_rules = by_pattern.get(pattern.code)
        if not pattern_rules:
            continue
        verified = any(
            _priority(rule.priority) is Priority.PRIMARY
            and _verification(rule.verification) in PRESELECTABLE
            and not rule.needs_review
            for rule in pattern_rules
        )
        if verified:
            continue
        where = _pattern_phrase(pattern.code, pattern.direction)
        if pattern.via_code:
            where = f"{where} (via {_pattern_phrase(pattern.via_code, pattern.via_direction)})"
        note = f"No verified primary rule for {where}; the candidates below are unverified."
        if note not in notes:
            notes.append(note)
    return tuple(notes)


def _candidate_rank(candidate):
    return (
        _PRIORITY_RANK[candidate.priority],
        -candidate.severity,
        not candidate.preselect,
        str(candidate.muscle_code),
        _SIDE_RANK[candidate.side],
    )


def _reason_rank(reason):
    # Total over distinct reasons (the rule's repr settles what the text does not), so the output
    # never depends on the order of the inputs.
    return (
        _PRIORITY_RANK[reason.priority],
        -reason.severity,
        not reason.preselectable,
        str(reason.pattern_code),
        str(reason.via_pattern_code),
        reason.text,
        repr(reason.rule),
    )


class _PreparedRule:
    """A rule with its enums resolved and the invariant end of its reason text, once per call."""

    __slots__ = ("rule", "relative", "priority", "verification", "preselectable", "muscle", "suffix")

    def __init__(self, rule, relative, priority, verification, preselectable, muscle, suffix):
        self.rule = rule
        self.relative = relative
        self.priority = priority
        self.verification = verification
        self.preselectable = preselectable
        self.muscle = muscle
        self.suffix = suffix


def _prepare(rule):
    relative = _relative_side(rule.side)
    priority = _priority(rule.priority)
    verification = _verification(rule.verification)
    qualifiers = []
    if verification is not Verification.VERIFIED:
        qualifiers.append(verification.label)
    if rule.needs_review:
        qualifiers.append("needs review")
    if relative is RelativeSide.UNRESOLVED:
        qualifiers.append("sources conflict")
    suffix = f" ({'; '.join(qualifiers)})" if qualifiers else ""
    if rule.note:
        suffix = f"{suffix}. {rule.note}"
    preselectable = (
        priority is Priority.PRIMARY
        and verification in PRESELECTABLE
        and not rule.needs_review
        and relative is not RelativeSide.UNRESOLVED
    )
    return _PreparedRule(rule, relative, priority, verification, preselectable, lower_first(rule.muscle_name), suffix)


def _apply(relative, direction, lateral):
    """(sides, resolved, relation words) for a rule's relative side applied to a present pattern."""
    if relative is RelativeSide.UNRESOLVED:
        return _BOTH_SIDES, False, "side unresolved"
    if relative is RelativeSide.BILATERAL:
        return _BOTH_SIDES, True, "bilateral"
    if not lateral:
        return _BOTH_SIDES, True, f"{relative}, applied to both sides"
    if direction is Direction.NONE:
        return _BOTH_SIDES, False, f"{relative}, direction not recorded"
    side = Side.LEFT if direction is Direction.LEFT else Side.RIGHT
    return ((side if relative is RelativeSide.IPSILATERAL else side.opposite),), True, str(relative)


def _pattern_phrase(code, direction):
    name = pattern_name(code)
    return f"{direction} {name}" if direction is not Direction.NONE else name


def _part_direction(relative, direction):
    if direction is Direction.NONE:
        return Direction.NONE
    if relative is RelativeSide.IPSILATERAL:
        return direction
    if relative is RelativeSide.CONTRALATERAL:
        return Direction.LEFT if direction is Direction.RIGHT else Direction.RIGHT
    return Direction.NONE


def _lookup(enum, value, default):
    """The enum member for a value (a member or its string), or the default for anything else."""
    try:
        return enum._value2member_map_.get(value, default)
    except TypeError:  # unhashable
        return default


def _direction(value):
    return _lookup(Direction, value, Direction.NONE)


def _relative_side(value):
    return _lookup(RelativeSide, value, RelativeSide.UNRESOLVED)


def _priority(value):
    return _lookup(Priority, value, Priority.SECONDARY)


def _verification(value):
    return _lookup(Verification, value, Verification.UNVERIFIED)


def _severity(value):
    if isinstance(value, bool):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
