"""The planner's section on the patient chart: response and doses over time, and the last cycles.

Registered into patients.chart by PlannerConfig.ready(); the chart calls it once per page with the
visit records it already loaded. The sessions and their rows are read from those visits, where the
line per visit (planner.documents.visit_summaries) already loaded them: no query of its own when both run.
"""

from django.core.cache import cache
from django.template.loader import render_to_string

from patients.chart import ChartSection, fragment_key
from planner.documents import charts
from planner.plans.history import build_cycles, current_of, visit_sessions

RECENT_CYCLES = 3


def twstrs_scores(records):
    """charts.Score per visit with a TWSTRS entry: the total and each subscale that has an item."""
    scores = []
    for record in records:
        result = record.twstrs
        if result is None or result.empty:
            continue
        values = {"total": (result.total, result.complete)}
        for subscale in result.subscales:
            if subscale.present:
                values[subscale.name] = (subscale.score, subscale.complete)
        scores.append(charts.Score(record.visit.date, values))
    return scores


def _chart_inputs(cycles, records):
    """What the two charts draw, as plain data: TWSTRS scores, signed sessions, side effects, doses."""
    scores = twstrs_scores(records)
    sessions = [(cycle.date, f"{cycle.product.brand_name}, total {cycle.total_text}") for cycle in cycles]
    events = [
        (record.visit.date, event.kind_label, event.is_red_flag)
        for record in records
        for event in record.adverse_events
    ]
    doses = [
        charts.SessionDoses(
            day=cycle.date,
            product_code=cycle.product.code,
            product_name=cycle.product.brand_name,
            units_label=cycle.units_label,
            rows=tuple((dose.muscle_name, dose.side, dose.dose) for dose in cycle.doses),
        )
        for cycle in cycles
    ]
    return scores, sessions, events, doses


def _layout(scores, sessions, events, doses):
    axis = charts.shared_axis([s.day for s in scores], [day for day, _ in sessions], [e[0] for e in events])
    if axis is None:
        return None, None
    outcome = charts.outcome_chart(scores, sessions=sessions, events=events, axis=axis)
    return outcome, charts.dose_chart(doses, axis=axis)


def chart_data(cycles, records):
    """The outcome and dose charts on one time axis (plain data for the SVG templates)."""
    return _layout(*_chart_inputs(cycles, records))


FIGURES = "planner/clinic/chart_section.html#figures"
FIGURES_SECONDS = 24 * 60 * 60


def figures_html(cycles, records):
    """The two charts, rendered (autoescaped) and kept in Django's cache under a digest of what they draw:
    on a hit, neither the layout nor the hundreds of marks are computed again."""
    inputs = _chart_inputs(cycles, records)
    key = fragment_key("planner:outcome-figures", inputs)
    html = cache.get(key)
    if html is None:
        outcome, doses = _layout(*inputs)
        html = render_to_string(FIGURES, {"outcome": outcome, "doses": doses})  # a SafeString, cached as one
        cache.set(key, html, timeout=FIGURES_SECONDS)
    return html


def outcomes_section(*, user, patient, records):
    """Outcome trends, doses per muscle and side, and the last three cycles; for users who may see plans."""
    if not user.has_perm("planner.view_injectionsession"):
        return None
    # records are all the patient's visits (patients.selectors.patient_chart).
    by_visit = visit_sessions([record.visit for record in records])
    cycles = build_cycles(current_of(session for sessions in by_visit.values() for session in sessions), records)
    html = render_to_string(
        "planner/clinic/chart_section.html",
        {
            "patient": patient,
            "figures": figures_html(cycles, records),
            "cycles": list(reversed(cycles))[:RECENT_CYCLES],
            "cycle_count": len(cycles),
            "can_export": user.has_perm("patients.view_patient"),
        },
    )
    return ChartSection("outcomes", "Response and treatment history", html, ("css/outcomes.css",))
