"""What the plan editor shows beside the rows: the last session's doses, the diagram to plan on, one status line.

Plain functions over what the editor view has already loaded (no queries of their own).
"""

from patients.sides import Side
from planner.documents.diagram import DiagramMark, DiagramTarget, neck_diagram_svg, units_text

LEVEL_WORDS = (("error", "error", "errors"), ("override", "override", "overrides"), ("warning", "warning", "warnings"))


def last_doses(previous):
    """{(muscle pk, side): "45 U Botox"} from the newest earlier signed session, each in its own product's units.

    Shown beside the rows for reference only: nothing copies these numbers into another product's units.
    """
    if not previous:
        return {}
    last = previous[0]
    label = last.product.units_label if last.product_id else "U"
    return {
        (row.muscle_id, row.side): f"{units_text(row.dose)} {label}" if row.dose is not None else "no dose"
        for row in last.injections.all()
    }


def editor_diagram(rows, product, candidates, active_codes, *, title):
    """The neck diagram in the editor: every row on its muscle and side with its dose, and every muscle the
    diagram can draw offered as "Add left …" (the posture's suggestions marked). The same drawing code
    serves the record and the PDF."""
    unit_label = product.units_label if product is not None else "U"
    marks = [
        DiagramMark(
            muscle_code=row.muscle.code,
            muscle_name=row.muscle.name,
            side=row.side,
            units=row.dose,
            unit_label=unit_label,
            sites=row.sites,
        )
        for row in rows
    ]
    if active_codes is None:  # may not plan: the drawing is a picture, with nothing to add
        return neck_diagram_svg(marks, title=title)
    suggested = {(c.muscle_code, str(c.side)) for c in candidates}
    names = {c.muscle_code: c.muscle_name for c in candidates}
    targets = [
        DiagramTarget(
            muscle_code=code,
            side=side,
            muscle_name=names.get(code, ""),
            action=f"add:{code}:{side}",
            suggested=(code, side) in suggested,
        )
        for code in sorted(active_codes)
        for side in (Side.LEFT.value, Side.RIGHT.value)
    ]
    return neck_diagram_svg(marks, title=title, targets=targets)


def plan_status(totals, product, findings, *, rows_count):
    """One short line: the session total and the findings by level ("Session 150 U Botox · 1 warning, 2 info")."""
    if product is None:
        return "No product chosen yet."
    parts = [f"Session {units_text(totals.total)} {product.units_label}"]
    counts = []
    for level, one, many in LEVEL_WORDS:
        number = sum(1 for finding in findings if finding.level == level)
        if number:
            counts.append(f"{number} {one if number == 1 else many}")
    infos = sum(1 for finding in findings if finding.level == "info")
    if infos:
        counts.append(f"{infos} info")
    parts.append(", ".join(counts) if counts else "no findings")
    if not rows_count:
        parts.append("no muscles yet")
    return " · ".join(parts)
