"""Demo responses for most treatment cycles, and demo vial prices, so the history, the non-response
flag and the cost figures show real shapes.

Deterministic: patient MRN m's responses come from random.Random(f"{seed}:responses:{m}"). Every
current signed session of a demo patient that was followed up (a later visit) or is 14 weeks old gets
a response, except about one in eight (not asked). Each patient has a usual benefit;
most of those whose last three session totals did not fall lose benefit over those cycles (a secondary
non-responder, for the chart's flag). Cycles that already have a response are left alone.

Prices: only vial rows without a price get one, marked in their note as demo figures. Synthetic data:
written with bulk_create_with_history.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from patients.demo import MRN_PREFIX
from patients.models import Visit
from patients.response import CycleResponse
from planner.models import InjectionSession, VialPrice

# Illustrative only, per unit of each product (never a real price list): a demo needs numbers.
DEMO_PRICE_PER_UNIT = {"ONA": Decimal("6.00"), "ABO": Decimal("1.60"), "INCO": Decimal("5.50"), "RIMA": Decimal("0.12")}
DEMO_NOTE = "Demo price: an illustrative figure for the demo clinic, not a real price."


def seed_demo_prices(*, acting_user=None):
    made = 0
    for row in VialPrice.objects.filter(price__isnull=True, product__code__in=DEMO_PRICE_PER_UNIT).select_related(
        "product"
    ):
        row.price = (DEMO_PRICE_PER_UNIT[row.product.code] * row.vial_units).quantize(Decimal("0.01"))
        row.note = DEMO_NOTE
        row._history_user = acting_user
        row.save()
        made += 1
    return made


@transaction.atomic
def seed_demo_responses(*, seed, recorded_by=None, today=None):
    """Create the demo responses; returns how many were made."""
    today = today or timezone.localdate()
    sessions = list(
        InjectionSession.objects.current()
        .filter(visit__patient__mrn__startswith=MRN_PREFIX)
        .annotate(total=Sum("injections__dose"))
        .values_list("pk", "visit_id", "visit__date", "visit__patient_id", "visit__patient__mrn", "total")
        .order_by("visit__patient__mrn", "visit__date")
    )
    answered = set(
        CycleResponse.objects.filter(visit__patient__mrn__startswith=MRN_PREFIX).values_list("visit_id", flat=True)
    )
    visit_days = {}

    for patient_id, day in Visit.objects.filter(patient__mrn__startswith=MRN_PREFIX).values_list("patient_id", "date"):
        visit_days.setdefault(patient_id, []).append(day)
    by_patient = {}
    for row in sessions:
        by_patient.setdefault(row[4], []).append(row)
    responses = []
    for mrn, cycles in by_patient.items():
        rng = random.Random(f"{seed}:responses:{mrn}")
        usual = rng.randint(50, 85)
        totals = [total for *_, total in cycles[-3:]]
        falling = len(totals) == 3 and totals[0] <= totals[1] <= totals[2] and rng.random() < 0.8
        for index, (_, visit_id, day, patient_id, _, _) in enumerate(cycles):
            # Draw everything for the cycle before skipping one: the next cycles stay the same.
            skipped = rng.random() < 0.12
            onset, peak = rng.randint(0, 2), rng.randint(3, 6)
            wear_off = rng.randint(9, 14)
            benefit = max(0, min(100, usual + rng.randint(-8, 8)))
            if in_fall := falling and index >= len(cycles) - 3:
                benefit = max(5, usual - 22 * (index - (len(cycles) - 3)))
                wear_off = max(peak, wear_off - 3 * (index - (len(cycles) - 3)))
            pgic = 1 if benefit >= 75 else 2 if benefit >= 55 else 3 if benefit >= 30 else 4
            phone = rng.random() < 0.3
            later = [d for d in visit_days.get(patient_id, ()) if d > day]
            if (skipped and not in_fall) or visit_id in answered:
                continue
            if later and not phone:
                reported_on, via = min(later), CycleResponse.Source.VISIT
            else:
                reported_on, via = day + timedelta(weeks=wear_off, days=3), CycleResponse.Source.PHONE
                if later:
                    reported_on = min(reported_on, min(later))
            if reported_on > today:
                continue
            response = CycleResponse(
                visit_id=visit_id,
                onset_week=onset,
                peak_week=peak,
                wear_off_week=wear_off,
                pgic=pgic,
                benefit_percent=benefit,
                reported_via=via,
                reported_on=reported_on,
                recorded_by=recorded_by,
            )
            response._history_date = timezone.make_aware(
                timezone.datetime.combine(reported_on, timezone.datetime.min.time())
            )
            responses.append(response)
    bulk_create_with_history(responses, CycleResponse, batch_size=500, default_user=recorded_by)
    return len(responses)
