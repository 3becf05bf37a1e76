"""Posture findings as plain data: validation, the one-line summary and combined patterns.

No ORM here: callers pass ``Finding`` tuples (from a form, the database or the demo seeder),
so the rules are testable without a database and the planner can reuse them.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from patients.colcap import BY_CODE, COMPONENTS, Direction, Plane

DIRECTION_LABELS = {Direction.LEFT: "left", Direction.RIGHT: "right", Direction.NONE: ""}
DIRECTION_ABBREVIATIONS = {Direction.LEFT: "L", Direction.RIGHT: "R", Direction.NONE: ""}
_ORDER = {component.code: index for index, component in enumerate(COMPONENTS)}

SHORT_NAMES = {
    "TREMOR_NO_NO": "no-no tremor",
    "TREMOR_YES_YES": "yes-yes tremor",
    "SAGITTAL_SHIFT_FORWARD": "forward sagittal shift",
    "SAGITTAL_SHIFT_BACKWARD": "backward sagittal shift",
}


@dataclass(frozen=True)
class Finding:
    """One present Col-Cap component: its code, direction ("" for sagittal ones) and severity."""

    code: str
    direction: str
    severity: int

    @property
    def component(self):
        return BY_CODE[self.code]


def severity_range(code):
    """The severities a present component may take: 1 up to its TWSTRS (or Tsui, for tremor) maximum."""
    return range(1, BY_CODE[code].max_severity + 1)


def validate_findings(findings: Iterable[Finding]):
    """Problems with a set of findings, as {(code, part): message}; part is "direction" or "severity".

    The same pattern may be recorded only once, so never twice with opposite directions.
    """
    problems = {}
    seen = {}
    for finding in findings:
        component = BY_CODE.get(finding.code)
        if component is None:
            problems[(finding.code, "code")] = f"{finding.code} is not a Col-Cap component."
            continue
        if finding.code in seen:
            directions = " and ".join(
                sorted(
                    {
                        DIRECTION_LABELS[Direction(seen[finding.code])] or "no direction",
                        DIRECTION_LABELS.get(finding.direction, finding.direction) or "no direction",
                    }
                )
            )
            problems[(finding.code, "direction")] = (
                f"{component.name} is recorded twice ({directions}); a pattern is recorded once, with one direction."
            )
            continue
        seen[finding.code] = finding.direction
        if component.lateral and finding.direction not in (Direction.LEFT, Direction.RIGHT):
            problems[(finding.code, "direction")] = f"Choose left or right for {component.name.lower()}."
        elif not component.lateral and finding.direction:
            problems[(finding.code, "direction")] = (
                f"{component.name} is bilateral (sagittal or tremor) and takes no direction."
            )
        if finding.severity not in severity_range(finding.code):
            top = component.max_severity
            problems[(finding.code, "severity")] = (
                f"{component.name} is present, so its severity is 1 (only value)."
                if top == 1
                else f"Choose a severity from 1 to {top} for {component.name.lower()}."
            )
    return problems


def ordered(findings: Iterable[Finding]):
    return sorted(findings, key=lambda finding: _ORDER.get(finding.code, len(_ORDER)))


def describe(finding: Finding, *, abbreviate=True):
    """'R torticaput 3', 'anterocollis 2', 'L lateral shift' (a 0-1 item has no grade to show)."""
    component = finding.component
    name = SHORT_NAMES.get(finding.code, component.name.lower())
    if abbreviate:
        side = DIRECTION_ABBREVIATIONS.get(finding.direction, "")
    else:
        side = DIRECTION_LABELS.get(finding.direction, "")
    words = [side, name] if side else [name]
    if component.max_severity > 1:
        words.append(str(finding.severity))
    return " ".join(words)


def summary(findings: Iterable[Finding]):
    """The chart's one-line posture: 'R torticaput 3, L laterocollis 2' (Col-Cap order)."""
    return ", ".join(describe(finding) for finding in ordered(findings))


def _opposite(direction):
    return {Direction.LEFT: Direction.RIGHT, Direction.RIGHT: Direction.LEFT}.get(direction, Direction.NONE)


# The shifts are combinations of a collis form and the opposite caput form (clinical-reference.md §1:
# S7, S6b for the lateral shift; S7, S9, S11b and S6e for the sagittal shifts).
COMBINED_PATTERNS = {
    "LATERAL_SHIFT": (("LATEROCOLLIS", "same"), ("LATEROCAPUT", "opposite")),
    "SAGITTAL_SHIFT_FORWARD": (("ANTEROCOLLIS", "none"), ("RETROCAPUT", "none")),
    "SAGITTAL_SHIFT_BACKWARD": (("ANTEROCAPUT", "none"), ("RETROCOLLIS", "none")),
}

COMBINED_EXPLANATIONS = {
    "LATERAL_SHIFT": "Lateral shift = laterocollis to the shift side + laterocaput to the opposite side.",
    "SAGITTAL_SHIFT_FORWARD": "Sagittal shift forward ('goose neck') = anterocollis + retrocaput.",
    "SAGITTAL_SHIFT_BACKWARD": (
        "Sagittal shift backward ('double chin') = anterocaput + retrocollis; "
        "dysphagia may be present before any injection, so record baseline swallowing."
    ),
}


def combined_components(code, direction=Direction.NONE):
    """The (code, direction) parts of a combined pattern; () for a simple one.

    combined_components("LATERAL_SHIFT", "right") == (("LATEROCOLLIS", "right"), ("LATEROCAPUT", "left"))
    """
    parts = []
    for part_code, relation in COMBINED_PATTERNS.get(code, ()):
        if relation == "same":
            parts.append((part_code, Direction(direction)))
        elif relation == "opposite":
            parts.append((part_code, _opposite(Direction(direction))))
        else:
            parts.append((part_code, Direction.NONE))
    return tuple(parts)


def explain_combined(finding: Finding):
    """'Right lateral shift: right laterocollis + left laterocaput.' or '' for a simple component."""
    parts = combined_components(finding.code, finding.direction)
    if not parts:
        return ""
    words = [
        " ".join(filter(None, [DIRECTION_LABELS[direction], BY_CODE[code].name.lower()])) for code, direction in parts
    ]
    head = describe(finding, abbreviate=False)
    return f"{head[0].upper()}{head[1:]}: {' + '.join(words)}."


def tremor_severity(findings: Iterable[Finding]):
    """The worst head tremor recorded (Tsui's 1-2), 0 when there is none."""
    return max((f.severity for f in findings if BY_CODE[f.code].plane is Plane.TREMOR), default=0)


# --- Contradictions ---------------------------------------------------------------------------------------
#
# Components that cannot be recorded together (a right lateral shift, which already means left
# laterocaput, with a right laterocaput). The table is reference data the planner curates; patients
# never imports planner, so the planner registers a source of rules here (PlannerConfig.ready()) and
# the posture service asks every source when it records a posture.


@dataclass(frozen=True)
class Contradiction:
    first: str
    second: str
    relation: str  # "any": whatever their directions; "same" / "opposite": by their directions
    reason: str
    basis: str = ""  # where it comes from, in words: "sources S7, S6b" or "clinic policy"


_contradiction_sources: list = []


def register_contradiction_source(source):
    """Add a callable returning Contradiction rows (once). Returns it."""
    if source not in _contradiction_sources:
        _contradiction_sources.append(source)
    return source


def unregister_contradiction_source(source):
    if source in _contradiction_sources:
        _contradiction_sources.remove(source)


def contradiction_rules():
    return tuple(rule for source in _contradiction_sources for rule in source())


def _with_direction(finding):
    side = DIRECTION_LABELS.get(Direction(finding.direction), "") if finding.direction in ("left", "right") else ""
    name = BY_CODE[finding.code].name.lower()
    return f"{side} {name}" if side else name


def contradictions(findings: Iterable[Finding], rules: Iterable[Contradiction]):
    """{(code, "present"): message} for every pair of findings a rule says cannot be recorded together.

    The message names both components and why; it is put on the second component of the rule.
    """
    present = {finding.code: finding for finding in findings if finding.code in BY_CODE}
    problems = {}
    for rule in rules:
        first, second = present.get(rule.first), present.get(rule.second)
        if first is None or second is None:
            continue
        if rule.relation == "same" and first.direction != second.direction:
            continue
        if rule.relation == "opposite" and (not first.direction or first.direction != _opposite(second.direction)):
            continue
        basis = f" ({rule.basis})" if rule.basis else ""
        text = f"{_with_direction(second)} cannot be recorded with {_with_direction(first)}: {rule.reason}{basis}."
        key = (rule.second, "present")
        problems[key] = " ".join(filter(None, [problems.get(key), text[0].upper() + text[1:]]))
    return problems
