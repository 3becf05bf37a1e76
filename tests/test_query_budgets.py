"""Query budgets: each page's query count is pinned, and does not grow with the data.

A page that runs one query per row is fast in a demo and slow in a clinic with years of records;
these tests catch it before `make bench` does. Each test loads the page once with little data and
once with a lot (1 against 50 visits, 1 against 100 patients or entries), and checks both against
the same pinned number. A change that adds a query must change the number here, on purpose.
(The worklist's is pinned in tests/planner/test_outcomes_worklist.py, cached and not; the plan editor's
live check in tests/planner/test_plans.py.)
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.audit.models import AuditEvent
from patients.audit.services import audit_record
from patients.models import Patient
from planner.models import Injection, InjectionSession, Muscle, Product
from tests.factories import make_user
from tests.patients.factories import (
    AdverseEventFactory,
    PatientFactory,
    PostureAssessmentFactory,
    PostureComponentFactory,
    TwstrsFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

# Every signed-in page: session, user, OTP device, and the role version, under which the user's permissions and
# roles (the nav checks and shows them) are a cache read (planner.access.backends). The session is renewed at
# most once a minute (planner.access.middleware), not on these requests.
MIDDLEWARE_AND_NAV = 4
# Pages that log the access: the audit chain head (locked), the entry, the new head, in a transaction.
AUDITED_ACCESS = 5

BUDGETS = {
    # Count of matches and the page of 25; the access entry naming the patients shown (tests/test_access_log.py).
    "patient search": MIDDLEWARE_AND_NAV + AUDITED_ACCESS + 2,
    # Its cache key: the patient's revision and the reference version (patients.views.patient_chart).
    # The patient; visits with their one-to-one records; posture components; side effects; and the
    # sessions plus their rows, loaded once for both planner sections (visit summaries, treatment history);
    # the cycle responses, for the secondary non-response flag; the conditions and medicines, and the toxin
    # given elsewhere (the section at the top).
    "patient chart": MIDDLEWARE_AND_NAV + AUDITED_ACCESS + 2 + 7 + 2,
    # Opened again with nothing changed: the patient's revision, the patient, the reference version, and the
    # rest is one cache read (patients.views.patient_chart; tests/patients/test_chart_cache.py).
    "patient chart, unchanged": MIDDLEWARE_AND_NAV + AUDITED_ACCESS + 3,
    # The visit for the heading, with its patient and who booked and recorded it; the patient's revision and
    # the reference version (the body's cache key: patients.views.visit_detail); built, the body reads the
    # visit with its records; who booked and recorded it (a query of its own: PostgreSQL plans the
    # eight-table join slower than it runs two); posture components; side effects; the plan summary
    # (sessions, rows).
    "visit record": MIDDLEWARE_AND_NAV + AUDITED_ACCESS + 3 + 6,
    # Opened again with nothing changed: the body is one cache read (tests/patients/test_visit_record_cache.py).
    "visit record, unchanged": MIDDLEWARE_AND_NAV + AUDITED_ACCESS + 3,
    # Count of entries and the page of 50 (with the MRNs in the same query).
    "audit report": MIDDLEWARE_AND_NAV + 2,
    # The session with its rows (2); the reference version (the reference inputs are cached under it);
    # the earlier signed sessions with their rows (2), shared by the safety checks and the treatment
    # history; the history's visits from its oldest cycle on, their posture components and side effects
    # (3); this visit's posture components; the patient's side effects; for the cycle panel, the history's
    # responses, its muscles' groups and the product's titration step (3); the patient's conditions and the
    # toxin given elsewhere (2), read once for the safety checks and the history.
    "plan editor": MIDDLEWARE_AND_NAV + AUDITED_ACCESS + 2 + 1 + 2 + 3 + 1 + 1 + 3 + 2,
}


def queries(client, url):
    """The queries of one GET (after a first one that stores the session and warms the caches)."""
    assert client.get(url).status_code == 200
    return queries_now(client, url)


def queries_now(client, url):
    """The queries of one GET, as things stand."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def signed_session(visit, user, product, muscles):
    session = InjectionSession.objects.create(visit=visit, product=product, created_by=user)
    for position, muscle in enumerate(muscles):
        Injection.objects.create(session=session, muscle=muscle, side="left", dose=Decimal(25), position=position)
    session.status = InjectionSession.Status.SIGNED
    session.signed_by, session.signed_at = user, visit_time(visit)
    session.save()
    return session


def visit_time(visit):
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(visit.date, time(10)))


def add_visits(patient, count, user):
    """``count`` completed visits 12 weeks apart, each with posture, TWSTRS, a side effect and a signed plan."""
    product = Product.objects.get(code="ONA")
    muscles = list(Muscle.objects.filter(code__in=["SPLENIUS_CAPITIS", "TRAPEZIUS_UPPER", "LEVATOR_SCAPULAE"]))
    visits = []
    already = patient.visits.count()  # after the visits it has: one visit per patient per day
    for number in range(already, already + count):
        day = patient.diagnosis_date + timedelta(weeks=12 * (number + 1))
        visit = VisitFactory(patient=patient, date=day, booked_by=user, recorded_by=user)
        assessment = PostureAssessmentFactory(visit=visit)
        PostureComponentFactory(assessment=assessment)
        PostureComponentFactory(assessment=assessment, code="LATEROCAPUT", direction="left", severity=1)
        TwstrsFactory(visit=visit)
        AdverseEventFactory(visit=visit)
        signed_session(visit, user, product, muscles)
        visits.append(visit)
    return visits


def test_the_patient_search_takes_the_same_queries_for_1_or_100_matches(client_for):
    client = client_for("nurse")
    PatientFactory(family_name="Müller", given_name="Anna")
    url = f"{reverse('patients:patient_list')}?q=muller"
    few = queries(client, url)
    for number in range(99):
        PatientFactory(family_name="Muller", given_name=f"Zoë {number}")
    assert Patient.objects.count() == 100
    assert few == queries(client, url) == BUDGETS["patient search"]


def test_the_unfiltered_patient_list_takes_the_same_queries_for_1_or_100_patients(client_for):
    client = client_for("nurse")
    PatientFactory()
    url = reverse("patients:patient_list")
    few = queries(client, url)
    PatientFactory.create_batch(99)
    assert few == queries(client, url) == BUDGETS["patient search"]


@pytest.mark.usefixtures("shipped_reference")
def test_the_chart_takes_the_same_queries_for_1_or_50_visits_with_signed_plans(client_for, neurologist):
    client = client_for("neurologist")
    one, fifty = PatientFactory(), PatientFactory()
    add_visits(one, 1, neurologist)
    add_visits(fifty, 50, neurologist)
    assert InjectionSession.objects.filter(visit__patient=fifty).count() == 50
    for patient in (one, fifty):
        client.get(reverse("patients:patient_chart", args=[patient.pk]))
    # Changed since it was last opened: built again, in the same number of queries whatever the history.
    # (Opened again unchanged, it is a cache read: tests/patients/test_chart_cache.py. Not here: the shipped
    # reference set is an uncommitted change in this module's transaction, so no chart is kept.)
    for patient in (one, fifty):
        AdverseEventFactory(visit=patient.visits.latest("date"))
    few = queries_now(client, reverse("patients:patient_chart", args=[one.pk]))
    many = queries_now(client, reverse("patients:patient_chart", args=[fifty.pk]))
    assert few == many == BUDGETS["patient chart"]


@pytest.mark.usefixtures("shipped_reference")
def test_the_visit_record_takes_the_same_queries_whatever_the_history(client_for, neurologist):
    client = client_for("neurologist")
    patient = PatientFactory()
    first = add_visits(patient, 1, neurologist)[0]
    few = queries(client, reverse("patients:visit_detail", args=[first.pk]))
    last = add_visits(patient, 50, neurologist)[-1]
    for _ in range(10):
        AdverseEventFactory(visit=last)
    assert few == queries(client, reverse("patients:visit_detail", args=[last.pk])) == BUDGETS["visit record"]


def test_the_audit_report_takes_the_same_queries_for_1_or_100_entries(client_for):
    client = client_for("privacy_officer")  # the entries are about patients
    nurse = make_user(None, username="nurse.budget")
    patient = PatientFactory()
    audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr="chart", patient_id=patient.pk)
    url = reverse("audit:report")
    few = queries(client, url)
    for number in range(100):
        other = PatientFactory()
        audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr=f"chart {number}", patient_id=other.pk)
    assert few == queries(client, url) == BUDGETS["audit report"]


@pytest.mark.usefixtures("shipped_reference")
def test_the_plan_editor_takes_the_same_queries_for_1_or_50_signed_sessions_and_1_or_12_rows(client_for, neurologist):
    from planner.plans import services

    client = client_for("neurologist")

    def draft(patient, row_count):
        """A draft plan at an open visit after the patient's signed sessions, with ``row_count`` rows."""
        visit = VisitFactory(
            patient=patient, date=patient.diagnosis_date + timedelta(weeks=12 * 60), status="in_progress"
        )
        PostureComponentFactory(assessment=PostureAssessmentFactory(visit=visit))
        session = services.session_start(visit=visit, acting_user=neurologist)
        rows = [
            services.RowInput(muscle, side, Decimal(10), 1, "anatomical")
            for muscle in Muscle.objects.filter(is_active=True)
            for side in ("left", "right")
        ]
        services.session_save_plan(
            session=session,
            version=session.version,
            product=Product.objects.get(code="ONA"),
            default_guidance="anatomical",
            rows=rows[:row_count],
            acting_user=neurologist,
        )
        return reverse("plans:editor", args=[session.pk])

    one, fifty = PatientFactory(), PatientFactory()
    add_visits(one, 1, neurologist)
    add_visits(fifty, 50, neurologist)
    assert InjectionSession.objects.filter(visit__patient=fifty, status="signed").count() == 50
    few = queries(client, draft(one, 1))
    many = queries(client, draft(fifty, 12))
    assert few == many == BUDGETS["plan editor"]
