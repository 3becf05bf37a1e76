"""The cluster check's fixtures, inside Django: a draft plan to open, a patient due on the worklist, the limit.

Run by tests/cluster/check.py against its fresh database (seeded with the demo clinic), as
``python -m tests.cluster.fixture OUT.json``. The draft is made through the services, as a nurse and a
neurologist would; the rest is read. Writes what the check needs to know as JSON.
"""

import json
import os
import sys
from datetime import timedelta
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from patients import services as patient_services  # noqa: E402
from patients.models import Patient, Visit  # noqa: E402
from patients.posture import Finding  # noqa: E402
from planner.clinic.worklist import clinic_worklist  # noqa: E402
from planner.models import Muscle, Product, ProductLimit  # noqa: E402
from planner.plans import services  # noqa: E402

PRODUCT = "ONA"
# Five muscles on both sides, 230 U of Botox in all: under the labeled maximum of 400 U per session.
ROWS = (
    ("SPLENIUS_CAPITIS", Decimal(40)),
    ("SEMISPINALIS_CAPITIS", Decimal(20)),
    ("TRAPEZIUS_UPPER", Decimal(20)),
    ("LEVATOR_SCAPULAE", Decimal(20)),
    ("SCM", Decimal(15)),
)
NOTE = "Cluster check visit (make cluster-check)."


def draft_plan(neurologist, nurse, today):
    """A draft plan at an open visit today, for a treated patient with nothing booked."""
    patient = (
        Patient.objects.filter(active=True, toxin_naive=False)
        .exclude(visits__status__in=[Visit.Status.SCHEDULED, Visit.Status.IN_PROGRESS])
        .exclude(visits__date=today)
        .order_by("mrn")
        .first()
    )
    visit = patient_services.visit_book(patient=patient, date=today, notes=NOTE, acting_user=nurse)
    patient_services.visit_start(visit=visit, acting_user=nurse)
    patient_services.posture_assessment_record(
        visit=visit, findings=[Finding("TORTICAPUT", "left", 3)], notes="", acting_user=nurse
    )
    session = services.session_start(visit=visit, acting_user=neurologist)
    muscles = {muscle.code: muscle for muscle in Muscle.objects.filter(code__in=[code for code, _ in ROWS])}
    rows = [
        services.RowInput(muscle=muscles[code], side=side, dose=dose, sites=2, guidance="anatomical")
        for code, dose in ROWS
        for side in ("left", "right")
    ]
    session, _ = services.session_save_plan(
        session=session,
        version=session.version,
        product=Product.objects.get(code=PRODUCT),
        default_guidance="anatomical",
        rows=rows,
        acting_user=neurologist,
    )
    return session, sum(dose for _code, dose in ROWS) * 2


def due_patient(today, exclude):
    """A patient listed as due or overdue and not booked, and a free day within the window to book them."""
    work = clinic_worklist(today=today)
    row = next(row for row in (*work.overdue, *work.due) if row.patient.pk != exclude)
    taken = set(Visit.objects.filter(patient=row.patient).values_list("date", flat=True))
    day = next(today + timedelta(days=offset) for offset in range(1, 14) if today + timedelta(days=offset) not in taken)
    return row.patient, day


def main(out):
    users = get_user_model().objects
    today = timezone.localdate()
    session, total = draft_plan(users.get(username="neurologist"), users.get(username="nurse"), today)
    patient, day = due_patient(today, session.visit.patient_id)
    # The labels' figures for the product; the check applies the most conservative, so lowering it lowers what applies.
    session_max = (
        ProductLimit.objects.filter(product__code=PRODUCT, kind=ProductLimit.Kind.SESSION_MAX, is_active=True)
        .order_by("value", "pk")
        .first()
    )
    result = {
        "editor": reverse("plans:editor", args=[session.pk]),
        "plan_total": str(total),
        "session_max": {
            "admin": reverse("admin:planner_productlimit_change", args=[session_max.pk]),
            "value": str(session_max.value),
        },
        "due_patient": {
            "mrn": patient.mrn,
            "book": reverse("patients:visit_book", args=[patient.pk]),
            "chart": reverse("patients:patient_chart", args=[patient.pk]),
            "edit": reverse("patients:patient_edit", args=[patient.pk]),
        },
        "book_on": day.isoformat(),
    }
    with open(out, "w") as handle:
        json.dump(result, handle, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
