"""Reading writes nothing: a GET of a key page changes no row, except the access log that patient pages keep.

Derived rows (the worklist's due dates) are kept by the services that change what they derive from, in the
same transaction (planner.plans.services.session_sign, patients.services.visit_update, the reference admin), so a
page only reads. The one write a page makes by design is the access entry: who saw which patients
(patients.audit.services.log_access / log_list_access: the entry and the chain head). The session's idle
renewal (at most once a minute, planner.access.middleware) is done by a first request before the pages are read.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.audit.models import AuditChainHead, AuditEvent
from patients.models import Visit
from planner.models import InjectionSession, Muscle, Product, ProductLimit
from tests.patients.factories import PatientFactory, PostureComponentFactory, VisitFactory
from tests.planner.outcomes_helpers import treated_visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_reference")]

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
ACCESS_LOG_TABLES = {AuditEvent._meta.db_table, AuditChainHead._meta.db_table}


def writes(captured):
    """(statement, table) of every write among the captured queries."""
    found = []
    for query in captured.captured_queries:
        sql = query["sql"].lstrip()
        verb = sql.split(None, 1)[0].upper()
        if verb in WRITES:
            table = next((name for name in sorted(ACCESS_LOG_TABLES | {""}, reverse=True) if name and name in sql), "")
            found.append((verb, table or sql[:80]))
    return found


@pytest.fixture
def clinic(neurologist):
    """A treated patient due for re-injection, and today's visit with a draft plan."""
    today = timezone.localdate()
    patient = PatientFactory(family_name="Reader")
    botox = Product.objects.get(code="ONA")
    splenius = Muscle.objects.get(code="SPLENIUS_CAPITIS")
    treated_visit(patient, today - timedelta(weeks=12), botox, [(splenius, "left", 50, 2)], signer=neurologist)
    visit = VisitFactory(patient=patient, date=today, status=Visit.Status.IN_PROGRESS)
    PostureComponentFactory(assessment__visit=visit)
    draft = InjectionSession.objects.create(visit=visit, product=botox, created_by=neurologist)
    # An interval changed behind the services' back: the worklist used to settle the due dates as it read.
    limit = ProductLimit.objects.filter(product=botox, kind=ProductLimit.Kind.MIN_INTERVAL_WEEKS).first()
    limit.value = Decimal(limit.value) + 1
    limit.save()
    return {"patient": patient, "visit": visit, "draft": draft}


def pages(clinic):
    patient, visit, draft = clinic["patient"], clinic["visit"], clinic["draft"]
    return {
        "home": (reverse("home"), False),
        "worklist": (reverse("clinic:worklist"), True),
        "worklist, 8 weeks": (reverse("clinic:worklist") + "?within=56", True),
        "patient search": (reverse("patients:patient_list") + "?q=reader", True),
        "patient chart": (reverse("patients:patient_chart", args=[patient.pk]), True),
        "visit record": (reverse("patients:visit_detail", args=[visit.pk]), True),
        "plan editor": (reverse("plans:editor", args=[draft.pk]), True),
        "clinic figures": (reverse("clinic:figures"), False),
        "reference": (reverse("reference:index"), False),
        "reference product": (reverse("reference:product", args=["ONA"]), False),
    }


def test_no_key_page_writes_anything_but_the_access_log(client_for, clinic):
    client = client_for("neurologist")
    assert client.get(reverse("home")).status_code == 200  # renews the idle session: by design, once a minute
    for name, (url, logs_access) in pages(clinic).items():
        for attempt in ("first", "second"):  # worked out, then from the cache
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200, (name, attempt)
            found = writes(captured)
            assert {table for _verb, table in found} <= ACCESS_LOG_TABLES, (name, attempt, found)
            assert bool(found) == logs_access, (name, attempt, found)
