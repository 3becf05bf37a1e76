"""The cycle history beside a new plan, its titration hints, and the non-response flag on the chart.

Reads the rows; planner.rules.titration does the reasoning on plain data. Each function runs a fixed
number of queries, whatever the number of cycles.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.template.loader import render_to_string

from patients.chart import ChartSection
from patients.response import CycleResponse
from planner.models import HandoutText, Muscle, ProductLimit, ResponsePolicy, Source
from planner.plans.history import current_of, visit_sessions
from planner.rules import titration
from planner.rules.totals import dose_total

DEFAULT_POLICY = {
    # Used only when a policy row is missing or inactive: the page says so.
    ResponsePolicy.Code.NON_RESPONSE_CYCLES: Decimal(2),
    ResponsePolicy.Code.NON_RESPONSE_DROP_POINTS: Decimal(10),
    ResponsePolicy.Code.SHORT_BENEFIT_WEEKS: Decimal(10),
}


@dataclass
class HistoryEntry:
    """One earlier cycle in the editor's panel: the history.Cycle, its response, side effects by muscle."""

    cycle: object  # planner.plans.history.Cycle
    response: CycleResponse | None
    rows: list = field(default_factory=list)  # (Dose, [event texts implicated])


def policy_values():
    """({code: value}, {code: ResponsePolicy}) of the active policy rows, defaults where one is missing."""
    rows = {row.code: row for row in ResponsePolicy.objects.filter(is_active=True)}
    values = {code: rows[code].value if code in rows else default for code, default in DEFAULT_POLICY.items()}
    return values, rows


def _responses(visit_ids):
    return {response.visit_id: response for response in CycleResponse.objects.filter(visit_id__in=visit_ids)}


def _groups(codes):
    return dict(Muscle.objects.filter(code__in=codes).values_list("code", "group"))


def _dose_rows(cycle, groups):
    return tuple(
        titration.DoseRow(dose.muscle_code, dose.muscle_name, groups.get(dose.muscle_code, ""), dose.side, dose.dose)
        for dose in cycle.doses
        if dose.dose is not None
    )


def _step(product):
    """The product's titration step (ProductLimit, active, with a value) as titration.Step, or None."""
    if product is None:
        return None
    limit = (
        ProductLimit.objects.filter(
            product=product, kind=ProductLimit.Kind.TITRATION_STEP, is_active=True, value__isnull=False
        )
        .prefetch_related(Prefetch("sources", queryset=Source.objects.only("id", "code")))
        .order_by("jurisdiction")
        .first()
    )
    if limit is None:
        return None
    sources = tuple(sorted(source.code for source in limit.sources.all()))
    return titration.Step(limit.value, limit.value_upper, sources, limit.verification)


def cycle_panel(*, product, history):
    """The editor's cycle history panel and hints. ``history``: history.Cycle newest first (the editor's).

    A fixed number of queries whatever the number of cycles: the responses, the muscles' groups, the
    product's titration step (with its sources when there is one) and, only when the last cycle's benefit
    duration is known, the response policy.
    """
    responses = _responses([cycle.session.visit_id for cycle in history])
    groups = _groups({dose.muscle_code for cycle in history for dose in cycle.doses})
    entries = []
    for cycle in history:
        rows = _dose_rows(cycle, groups)
        implicated = {}
        for reported in cycle.events:
            for row in titration.implicated_rows(reported.event.kind, rows):
                implicated.setdefault((row.muscle_code, row.side), []).append(reported.text)
        entries.append(
            HistoryEntry(
                cycle=cycle,
                response=responses.get(cycle.session.visit_id),
                rows=[(dose, implicated.get((dose.muscle_code, dose.side), [])) for dose in cycle.doses],
            )
        )
    hints, notes = (), ()
    if history and product is not None:
        last = history[0]
        response = responses.get(last.session.visit_id)
        duration = response.duration_weeks if response else None
        values = policy_values()[0] if duration is not None else DEFAULT_POLICY
        past = titration.PastCycle(
            date=last.date,
            product_code=last.product.code,
            product_name=last.product.brand_name,
            units_label=last.units_label,
            rows=_dose_rows(last, groups),
            events=tuple(titration.Event(r.event.kind, r.text) for r in last.events),
            follow_ups=last.follow_ups,
            duration_weeks=duration,
        )
        hints, notes = titration.titration_hints(
            last=past,
            product_code=product.code,
            step=_step(product) if last.product.code == product.code else None,
            short_weeks=values[ResponsePolicy.Code.SHORT_BENEFIT_WEEKS],
        )
    return {"cycle_entries": entries, "titration_hints": hints, "titration_notes": notes}


def cycle_panel_context(*, session, product, history):
    """The plan editor's context for templates/planner/includes/cycle_history.html."""
    return cycle_panel(product=product, history=history) | {"cycle_session": session}


# --- the chart's non-response flag --------------------------------------------------------------------


def non_response_for(sessions):
    """titration.NonResponse for the patient's current signed sessions (loaded with product and doses), or None."""
    cycles = sorted(current_of(sessions), key=lambda s: (s.visit.date, s.pk))
    if not cycles:
        return None, None
    responses = _responses([session.visit_id for session in cycles])
    points = []
    for session in cycles:
        response = responses.get(session.visit_id)
        doses = getattr(session, "loaded_doses", None)
        total = dose_total(dose.dose for dose in doses) if doses is not None else None
        points.append(
            titration.CyclePoint(
                date=session.visit.date,
                product_code=session.product.code,
                product_name=session.product.brand_name,
                units_label=session.product.units_label,
                total=total,
                benefit_percent=response.benefit_percent if response else None,
            )
        )
    if sum(1 for point in points if point.benefit_percent is not None) < 2:
        return None, None  # no run of falling benefit is possible: spare the chart the policy's queries
    values, rows = policy_values()
    flag = titration.secondary_non_response(
        points,
        cycles_needed=values[ResponsePolicy.Code.NON_RESPONSE_CYCLES],
        drop_points=values[ResponsePolicy.Code.NON_RESPONSE_DROP_POINTS],
    )
    return flag, rows


def non_response_advice():
    rows = (
        HandoutText.objects.filter(is_active=True, section=HandoutText.Section.NON_RESPONSE)
        .prefetch_related(Prefetch("sources", queryset=Source.objects.only("id", "code")))
        .order_by("position", "code")
    )
    return [
        (row.text, tuple(sorted(s.code for s in row.sources.all())), row.get_verification_display()) for row in rows
    ]


def non_response_section(*, user, patient, records):
    """A chart section only when the secondary non-response flag is raised (for users who may see plans)."""
    if not user.has_perm("planner.view_injectionsession"):
        return None
    by_visit = visit_sessions([record.visit for record in records])
    flag, policy = non_response_for(session for sessions in by_visit.values() for session in sessions)
    if flag is None:
        return None
    html = render_to_string(
        "planner/includes/non_response_flag.html",
        {
            "flag": flag,
            "policy": [row for code, row in sorted(policy.items()) if code != ResponsePolicy.Code.SHORT_BENEFIT_WEEKS],
            "advice": non_response_advice(),
            "patient": patient,
        },
    )
    return ChartSection("non-response", "Possible secondary non-response", html)
