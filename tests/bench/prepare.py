"""The benchmark's fixtures, inside Django: which URLs to load, the plan to open, timings, query plans.

Run by tests/bench/run.py against the seeded benchmark database, as
``python -m tests.bench.prepare OUT.json``. It

- picks the pages: a name search, the chart of a patient with 40 visits, a fully recorded visit,
  the plan editor on a draft with 12 rows for a patient whose posture has 6 components (made here
  through the planner's services, as a neurologist would), the worklist and the audit report;
- times planner.rules.suggest plus planner.rules.safety for that 6-component posture and 12-row plan over the
  real reference inputs (planner.plans.selectors.reference_inputs), with timeit;
- records EXPLAIN ANALYZE of the patient search and worklist queries.
"""

import json
import os
import statistics
import sys
import timeit
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max, Q  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from patients import selectors as patient_selectors  # noqa: E402
from patients import services as patient_services  # noqa: E402
from patients.demo import LONG_CHART_PREFIX, LONG_CHART_VISITS  # noqa: E402
from patients.models import Patient, Visit  # noqa: E402
from patients.posture import Finding  # noqa: E402
from planner.models import InjectionSession, Muscle, Product  # noqa: E402
from planner.plans import selectors, services  # noqa: E402
from planner.rules import safety, suggest  # noqa: E402

SEARCH_QUERY = "muller"
# A 6-component posture (torticaput to the left with laterocaput, anterocollis, lateral shift,
# shoulder elevation and no-no tremor) and a 12-row plan: six muscles on both sides.
BENCH_POSTURE = (
    Finding("TORTICAPUT", "left", 3),
    Finding("LATEROCAPUT", "left", 2),
    Finding("ANTEROCOLLIS", "", 1),
    Finding("LATERAL_SHIFT", "right", 1),
    Finding("SHOULDER_ELEVATION", "left", 2),
    Finding("TREMOR_NO_NO", "", 1),
)
BENCH_ROWS = (
    ("SPLENIUS_CAPITIS", Decimal(40)),
    ("SEMISPINALIS_CAPITIS", Decimal(20)),
    ("TRAPEZIUS_UPPER", Decimal(20)),
    ("LEVATOR_SCAPULAE", Decimal(20)),
    ("SCM", Decimal(15)),
    ("SCALENUS_MEDIUS", Decimal(10)),
)
BENCH_NOTE = "Benchmark visit (make bench)."
PRODUCT = "ONA"


def url_or_none(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def long_chart():
    patient = (
        Patient.objects.filter(mrn__startswith=LONG_CHART_PREFIX)
        .annotate(visit_count=Count("visits", filter=Q(visits__status=Visit.Status.COMPLETED)))
        .filter(visit_count=LONG_CHART_VISITS)
        .order_by("mrn")
        .first()
    )
    if patient is None:
        raise SystemExit(f"No patient with {LONG_CHART_VISITS} visits: seed with --long-charts 1 or more.")
    return patient


def recorded_visit(patient):
    """The long chart's most complete visit: posture, TWSTRS, Tsui, pain, a side effect, a signed plan."""
    visits = (
        Visit.objects.filter(patient=patient, status=Visit.Status.COMPLETED)
        .filter(twstrs__isnull=False, tsui__isnull=False, outcome__isnull=False, injection_sessions__isnull=False)
        .annotate(events=Count("adverse_events"))
        .order_by("-events", "-date")
    )
    return visits.first()


def bench_plan(neurologist, nurse):
    """A draft plan with 12 rows at an open visit today, for a treated patient with a 6-component posture."""
    existing = InjectionSession.objects.filter(visit__notes=BENCH_NOTE, status=InjectionSession.Status.DRAFT).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    patient = (
        Patient.objects.filter(mrn__startswith="DEMO0", toxin_naive=False, active=True)
        .exclude(visits__status__in=[Visit.Status.SCHEDULED, Visit.Status.IN_PROGRESS])
        .annotate(sessions=Count("visits__injection_sessions"), last_visit=Max("visits__date"))
        .filter(sessions__gte=8)
        .order_by("last_visit", "mrn")  # the longest since the last session (the seed's is at most 10 weeks)
        .first()
    )
    visit = patient_services.visit_book(patient=patient, date=today, notes=BENCH_NOTE, acting_user=nurse)
    patient_services.visit_start(visit=visit, acting_user=nurse)
    patient_services.posture_assessment_record(visit=visit, findings=list(BENCH_POSTURE), notes="", acting_user=nurse)
    product = Product.objects.get(code=PRODUCT)
    session = services.session_start(visit=visit, acting_user=neurologist)
    muscles = {muscle.code: muscle for muscle in Muscle.objects.filter(code__in=[code for code, _ in BENCH_ROWS])}
    rows = [
        services.RowInput(muscle=muscles[code], side=side, dose=dose, sites=2, guidance="anatomical")
        for code, dose in BENCH_ROWS
        for side in ("left", "right")
    ]
    session, _ = services.session_save_plan(
        session=session,
        version=session.version,
        product=product,
        default_guidance="anatomical",
        rows=rows,
        acting_user=neurologist,
    )
    return session


def suggest_and_safety_timing(session):
    """Milliseconds per call of suggest_muscles plus check_session (median of repeats, best, and one-off)."""
    product = session.product
    reference = selectors.reference_inputs(product)
    previous = selectors.prior_sessions(session)
    history = selectors.history_inputs(session, previous)
    posture = selectors.posture_inputs(session.visit)
    draft = selectors.draft_inputs(session, selectors.saved_rows(session), product)
    as_product = selectors.as_product(product)
    assert len(posture) == 6 and len(draft.rows) == 12, (posture, draft.rows)

    def both():
        candidates = suggest.suggest_muscles(
            components=posture,
            rules=reference.rules,
            combined_patterns=reference.combined_patterns,
            product=as_product,
            dose_ranges=reference.dose_ranges,
        )
        findings = safety.check_session(
            draft=draft,
            history=history,
            posture=posture,
            combined_patterns=reference.combined_patterns,
            limits=reference.limits,
            guidelines=reference.dose_ranges,
            muscles=reference.muscles,
            cautions=reference.cautions,
        )
        return candidates, findings

    candidates, findings = both()
    timer = timeit.Timer(both)
    number = 200
    runs = [seconds / number * 1000 for seconds in timer.repeat(repeat=7, number=number)]
    return {
        "posture_components": len(posture),
        "plan_rows": len(draft.rows),
        "prior_sessions": len(previous),
        "candidates": len(candidates),
        "findings": [f"{finding.level}: {finding.code}" for finding in findings],
        "ms_per_call_median": round(statistics.median(runs), 3),
        "ms_per_call_best": round(min(runs), 3),
        "calls_per_repeat": number,
        "repeats": len(runs),
        "target_ms": 2.0,
        "met": statistics.median(runs) < 2.0,
    }


def explain(queryset):
    """EXPLAIN (ANALYZE, BUFFERS) of a query set on PostgreSQL (the plan as text)."""
    if connection.vendor != "postgresql":
        return "EXPLAIN plans are recorded on PostgreSQL only."
    return queryset.explain(analyze=True, buffers=True)


def worklist_explain():
    """EXPLAIN ANALYZE of the worklist's queries over TreatmentDue, exactly as clinic_worklist runs them."""
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from planner.clinic import worklist

    if connection.vendor != "postgresql":
        return "EXPLAIN plans are recorded on PostgreSQL only."
    with CaptureQueriesContext(connection) as queries:
        worklist.clinic_worklist(today=timezone.localdate())
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if "planner_treatmentdue" not in query["sql"]:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plans.append({"sql": query["sql"], "plan": "\n".join(row[0] for row in cursor.fetchall())})
    return {"source": f"{worklist.__name__}.clinic_worklist (its queries over TreatmentDue)", "plans": plans}


def main(out):
    users = get_user_model().objects
    neurologist, nurse = users.get(username="neurologist"), users.get(username="nurse")
    chart_patient = long_chart()
    visit = recorded_visit(chart_patient)
    session = bench_plan(neurologist, nurse)
    search = patient_selectors.patient_search(query=SEARCH_QUERY)
    counts = {
        "patients": Patient.objects.count(),
        "visits": Visit.objects.count(),
        "signed_sessions": InjectionSession.objects.signed().count(),
        "search_matches": search.count(),
        "chart_visits": chart_patient.visits.count(),
    }
    pages = [
        {
            "name": "patient search",
            "user": "neurologist",
            "url": f"{reverse('patients:patient_list')}?q={SEARCH_QUERY}",
        },
        {"name": "patient chart (40 visits)", "user": "neurologist", "url": chart_patient.get_absolute_url()},
        {"name": "visit record", "user": "neurologist", "url": visit.get_absolute_url()},
        {
            "name": "plan editor (6-component posture, 12 rows)",
            "user": "neurologist",
            "url": url_or_none("plans:editor", session.pk),
        },
        {"name": "worklist", "user": "neurologist", "url": url_or_none("clinic:worklist")},
        {"name": "audit report", "user": "refadmin", "url": url_or_none("audit:report")},
    ]
    result = {
        "counts": counts,
        "pages": pages,
        "yardstick": {
            "name": "yardstick (trivial view, same middleware)",
            "user": "neurologist",
            "url": "/bench/yardstick",
        },
        "suggest_and_safety": suggest_and_safety_timing(session),
        "explain": {
            "patient_search_count": explain(search),
            "patient_search_page": explain(search[:25]),
            "worklist": worklist_explain(),
        },
    }
    with open(out, "w") as handle:
        json.dump(result, handle, indent=2, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
