"""Signed injection sessions for the demo clinic (patients.demo makes the patients and their visits).

Every completed visit of a treated demo patient gets one signed session, as a neurologist would
have planned it: the muscles come from planner.rules.suggest on the patient's first recorded posture
and the shipped rules (preselected candidates first), 3 to 6 rows, kept from visit to visit as
clinics do, with doses varied a little each time. Each patient stays on one product. Doses are
in that product's units and, where the reference data has a sourced range for the muscle with
that product, inside it; the session total stays under 75 % of the product's labelled session
maximum (no "near the maximum" warning) and under 45 % of a cumulative maximum per period (two
sessions a little less than 12 weeks apart share a period). Muscles that need EMG or ultrasound guidance get it.

Deterministic: patient MRN m's sessions come from random.Random(f"{seed}:sessions:{m}"), whatever
else is in the database. Visits that already have a session are left alone, so reruns add nothing.
Toxin-naive patients (patients.demo leaves some untreated first visits) get no session.

Synthetic data only: rows are written with bulk_create_with_history (history rows dated when the
session was signed), and findings_at_signing is left empty rather than recomputed per session.
"""

import math
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from patients.demo import MRN_PREFIX
from patients.models import Patient, PostureComponent, Visit
from planner.clinic.worklist import rebuild_treatment_due
from planner.models import DiluentVolume, Injection, InjectionSession, Muscle, Product
from planner.plans import selectors
from planner.rules import suggest

# Which product a demo patient is treated with (only products whose doses the reference data sources).
PRODUCT_WEIGHTS = {"ONA": 45, "ABO": 30, "INCO": 25}
# Dose steps clinicians use with each product, in its own units.
DOSE_STEP = {"ONA": Decimal(5), "ABO": Decimal(25), "INCO": Decimal(5)}
# A row's dose when the reference data has no range for the muscle with this product. Demo only: each
# pair is in that product's own units and is never shown anywhere as guidance.
FALLBACK_ROW_DOSE = {"ONA": (20, 50), "ABO": (75, 200), "INCO": (20, 50)}
# Muscles added when the posture's rules suggest fewer than the rows wanted (the commonest targets).
FILLER_MUSCLES = ("SPLENIUS_CAPITIS", "TRAPEZIUS_UPPER", "LEVATOR_SCAPULAE", "SEMISPINALIS_CAPITIS")
# Keep session totals below this share of the labelled maximum (safety warns from 80 %), and below
# this share of a cumulative maximum over a period (two sessions may fall in one period).
TOTAL_SHARE = Decimal("0.75")
CUMULATIVE_SHARE = Decimal("0.45")
BATCH_SIZE = 2000
# How a demo row is guided, by what the muscle needs (Muscle.guidance).
GUIDANCE_FOR = {
    Muscle.Guidance.OPTIONAL: InjectionSession.Guidance.ANATOMICAL,
    Muscle.Guidance.RECOMMENDED: InjectionSession.Guidance.EMG,
    Muscle.Guidance.REQUIRED: InjectionSession.Guidance.ULTRASOUND,
}


@dataclass(frozen=True)
class ProductPlanInputs:
    product: Product
    as_suggest: suggest.Product
    inputs: selectors.ReferenceInputs
    ranges: dict  # muscle code -> (low, high) in the product's units
    total_cap: Decimal | None  # the most a session may total here, in the product's units
    diluent: dict  # vial units (Decimal) -> diluent mL (Decimal)


def _range_for(dose_ranges, muscle_code):
    """The tightest sourced (low, high) for a muscle, preferring rows with both bounds."""
    rows = [row for row in dose_ranges if row.muscle_code == muscle_code]
    bounded = [row for row in rows if row.min_units is not None and row.max_units is not None]
    if bounded:
        row = min(bounded, key=lambda row: row.max_units - row.min_units)
        return row.min_units, row.max_units
    capped = [row for row in rows if row.max_units is not None]
    if capped:
        high = min(row.max_units for row in capped)
        return (high * Decimal("0.4")).quantize(Decimal(1)), high
    medians = [row.median_units for row in rows if row.median_units is not None]
    if medians:
        median = medians[0]
        return (median * Decimal("0.6")).quantize(Decimal(1)), (median * Decimal("1.4")).quantize(Decimal(1))
    return None


def product_plan_inputs():
    """The reference data each demo product needs, loaded once: {product code: ProductPlanInputs}."""
    diluents = {}
    for row in DiluentVolume.objects.filter(is_active=True, diluent_ml__isnull=False, vial_units__isnull=False):
        diluents.setdefault(row.product_id, {}).setdefault(row.vial_units, row.diluent_ml)
    result = {}
    for product in Product.objects.filter(code__in=PRODUCT_WEIGHTS, is_active=True):
        inputs = selectors.reference_inputs(product)
        muscle_codes = {rule.muscle_code for rule in inputs.rules} | set(FILLER_MUSCLES)
        ranges = {code: _range_for(inputs.dose_ranges, code) for code in muscle_codes}
        cap = None
        if inputs.limits and inputs.limits.session_max:
            cap = inputs.limits.session_max.value * TOTAL_SHARE
        if inputs.limits and inputs.limits.cumulative_max:
            # Visits are about 12 weeks apart, sometimes a little less: two sessions can share a window.
            window_cap = inputs.limits.cumulative_max.value * CUMULATIVE_SHARE
            cap = window_cap if cap is None else min(cap, window_cap)
        result[product.code] = ProductPlanInputs(
            product=product,
            as_suggest=selectors.as_product(product),
            inputs=inputs,
            ranges={code: value for code, value in ranges.items() if value},
            total_cap=cap,
            diluent=diluents.get(product.pk, {}),
        )
    return result


def _round(value, step):
    return max(step, (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step)


def plan_rows(rng, findings, plan):
    """The patient's usual rows: [(muscle code, side, base dose, sites)] for their first posture."""
    components = [
        suggest.PostureComponent(code=code, direction=direction, severity=severity)
        for code, direction, severity in findings
    ]
    candidates = suggest.suggest_muscles(
        components=components,
        rules=plan.inputs.rules,
        combined_patterns=plan.inputs.combined_patterns,
        product=plan.as_suggest,
        dose_ranges=plan.inputs.dose_ranges,
    )
    ordered = [c for c in candidates if c.preselect] + [c for c in candidates if not c.preselect]
    wanted = rng.randint(3, 6)
    chosen = []
    for candidate in ordered:
        key = (candidate.muscle_code, str(candidate.side))
        # Both sternocleidomastoids at once risk dysphagia: a clinic avoids it in a routine plan.
        if candidate.muscle_code == "SCM" and any(code == "SCM" for code, _ in chosen):
            continue
        if key not in chosen:
            chosen.append(key)
        if len(chosen) == wanted:
            break
    fillers = list(FILLER_MUSCLES)
    rng.shuffle(fillers)
    for code in fillers * 2:
        if len(chosen) >= wanted:
            break
        key = (code, rng.choice(("left", "right")))
        if key not in chosen:
            chosen.append(key)
    code = plan.product.code
    step = DOSE_STEP[code]
    rows = []
    for muscle_code, side in chosen:
        low, high = plan.ranges.get(muscle_code) or tuple(Decimal(v) for v in FALLBACK_ROW_DOSE[code])
        dose = _round(low + (high - low) * Decimal(str(round(rng.uniform(0.15, 0.6), 2))), step)
        rows.append([muscle_code, side, min(max(dose, low), high), rng.choice((1, 1, 2, 2, 3))])
    if plan.total_cap:
        cap = plan.total_cap
        total = sum(row[2] for row in rows)
        if total > cap:
            for row in rows:
                row[2] = _round(row[2] * cap / total, step)
        # Rounding can overshoot: take steps off the largest doses until the total is under the cap.
        while sum(row[2] for row in rows) > cap and max(row[2] for row in rows) > step:
            max(rows, key=lambda row: row[2])[2] -= step
    return rows


def _visit_rows(rng, rows, plan):
    """This visit's doses: the usual ones, each varied by up to about 15 %, kept in range and under the cap."""
    step = DOSE_STEP[plan.product.code]
    result = []
    for muscle_code, side, dose, sites in rows:
        varied = _round(dose * Decimal(str(round(rng.uniform(0.85, 1.15), 2))), step)
        bounds = plan.ranges.get(muscle_code)
        if bounds:
            varied = min(max(varied, _round(bounds[0], step) if bounds[0] >= step else step), bounds[1])
        result.append((muscle_code, side, varied, sites))
    if plan.total_cap and sum(row[2] for row in result) > plan.total_cap:
        return [tuple(row) for row in rows]
    return result


def _at(day, hour, minute):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _demo_visits():
    """Completed visits of treated demo patients: {patient id: [(visit id, date, has session)]}, oldest first."""
    visits = {}
    rows = (
        Visit.objects.filter(
            patient__mrn__startswith=MRN_PREFIX, patient__toxin_naive=False, status=Visit.Status.COMPLETED
        )
        .order_by("patient_id", "date", "pk")
        .values_list("pk", "patient_id", "date")
    )
    done = set(
        InjectionSession.objects.filter(visit__patient__mrn__startswith=MRN_PREFIX).values_list("visit_id", flat=True)
    )
    for visit_id, patient_id, day in rows:
        visits.setdefault(patient_id, []).append((visit_id, day, visit_id in done))
    return visits


@transaction.atomic
def seed_demo_sessions(*, seed, signed_by, prepared_by=None):
    """Sign a session at every completed visit of the treated demo patients; returns how many were made."""
    plans = product_plan_inputs()
    if not plans:
        return 0
    visits = _demo_visits()
    todo = {patient_id: rows for patient_id, rows in visits.items() if not all(done for _, _, done in rows)}
    if not todo:
        return 0
    mrns = dict(Patient.objects.filter(pk__in=list(todo)).values_list("pk", "mrn"))
    first_visits = {rows[0][0]: patient_id for patient_id, rows in todo.items()}
    findings = {}
    components = PostureComponent.objects.filter(
        assessment__visit__patient__mrn__startswith=MRN_PREFIX, assessment__visit__status=Visit.Status.COMPLETED
    ).values_list("assessment__visit_id", "code", "direction", "severity")
    for visit_id, code, direction, severity in components:
        if visit_id in first_visits:
            findings.setdefault(first_visits[visit_id], []).append((code, direction, severity))
    muscle_ids = dict(Muscle.objects.values_list("code", "pk"))
    guidance = dict(Muscle.objects.values_list("code", "guidance"))
    codes = sorted(plans)

    sessions, rows_by_session = [], []
    for patient_id in sorted(todo, key=lambda pk: mrns[pk]):
        mrn = mrns[patient_id]
        rng = random.Random(f"{seed}:sessions:{mrn}")
        plan = plans[rng.choices(codes, weights=[PRODUCT_WEIGHTS[code] for code in codes])[0]]
        usual = plan_rows(rng, findings.get(patient_id, ()), plan)
        vials = sorted(Decimal(str(size)) for size in plan.product.vial_sizes)
        lot_letter = rng.choice("ABCDEFGHJK")
        for visit_id, day, done in todo[patient_id]:
            # Draw everything for the visit before skipping a done one: the next visits stay the same.
            rows = _visit_rows(rng, usual, plan)
            prepared_at = _at(day, rng.randint(8, 15), rng.choice((0, 15, 30, 45)))
            signed_at = prepared_at + timedelta(minutes=rng.randint(5, 40))
            lot_number = f"{lot_letter}{rng.randint(1000, 9999)}{rng.choice('CDEF')}{rng.randint(1, 9)}"
            lot_expiry = day + timedelta(days=rng.randint(120, 540))
            if done:
                continue
            total = sum(row[2] for row in rows)
            vial = next((size for size in vials if size >= total), vials[-1])
            session = InjectionSession(
                visit_id=visit_id,
                product_id=plan.product.pk,
                default_guidance=InjectionSession.Guidance.ANATOMICAL,
                status=InjectionSession.Status.SIGNED,
                lot_number=lot_number,
                lot_expiry=lot_expiry,
                vial_units=vial,
                vial_count=math.ceil(total / vial),
                diluent_ml=plan.diluent.get(vial),
                prepared_by=prepared_by,
                prepared_at=prepared_at,
                signed_by=signed_by,
                signed_at=signed_at,
                findings_at_signing=[],
                version=2,
                created_by=signed_by,
            )
            session._history_date = signed_at
            sessions.append(session)
            rows_by_session.append(rows)

    created = bulk_create_with_history(sessions, InjectionSession, batch_size=BATCH_SIZE, default_user=signed_by)
    injections = []
    for session, rows in zip(created, rows_by_session, strict=True):
        for position, (muscle_code, side, dose, sites) in enumerate(rows):
            injection = Injection(
                session_id=session.pk,
                muscle_id=muscle_ids[muscle_code],
                side=side,
                dose=dose,
                sites=sites,
                guidance=GUIDANCE_FOR[guidance[muscle_code]],
                position=position,
            )
            injection._history_date = session.signed_at
            injections.append(injection)
    bulk_create_with_history(injections, Injection, batch_size=BATCH_SIZE, default_user=signed_by)
    rebuild_treatment_due()  # bulk_create sends no post_save: the worklist's index is rebuilt here instead
    return len(created)


# --- conditions, medicines and toxin given elsewhere (issue 14) --------------------------------------------
# (code, note, days since it started, days it lasted or None while it lasts); every DEMO_CONDITION_EVERY-th
# active demo patient gets the next one, so the demo clinic shows a few of each kind.
DEMO_CONDITIONS = (
    ("ANTICOAGULANT", "Apixaban 5 mg twice daily for atrial fibrillation", 700, None),
    ("AMINOGLYCOSIDE", "Gentamicin for a urinary infection", 200, 10),
    ("RESPIRATORY_CONDITION", "COPD, moderate; uses an inhaler", 1500, None),
    ("MYASTHENIA_GRAVIS", "Ocular myasthenia, stable on pyridostigmine", 900, None),
    ("HYPERSENSITIVITY_COWS_MILK", "Cow's-milk protein allergy since childhood", 3000, None),
    ("BLEEDING_DISORDER", "Von Willebrand disease type 1", 4000, None),
)
DEMO_CONDITION_EVERY = 6
# (product code, units of THAT product, weeks ago, indication, where): toxin given elsewhere.
DEMO_OUTSIDE_DOSES = (
    ("ONA", Decimal(155), 6, "Chronic migraine", "Regional headache clinic"),
    ("ABO", Decimal(500), 9, "Upper limb spasticity", "Stroke rehabilitation unit"),
)


def seed_demo_conditions(*, recorded_by, today=None):
    """Record the demo conditions and doses given elsewhere; patients with entries already are left alone.

    Returns (conditions, outside doses) created. Deterministic: patients are taken in MRN order.
    """
    from planner.conditions import records as conditions
    from planner.models import ConditionCode, OutsideToxinDose, PatientCondition

    if recorded_by is None:
        return 0, 0
    today = today or timezone.localdate()
    codes = {code.code: code for code in ConditionCode.objects.filter(is_active=True)}
    products = {product.code: product for product in Product.objects.filter(is_active=True)}
    patients = list(Patient.objects.filter(mrn__startswith=MRN_PREFIX, active=True).order_by("mrn"))
    taken = set(PatientCondition.objects.values_list("patient_id", flat=True)) | set(
        OutsideToxinDose.objects.values_list("patient_id", flat=True)
    )
    made_conditions = made_doses = 0
    chosen = patients[1::DEMO_CONDITION_EVERY]
    with transaction.atomic():
        for patient, (code, note, since_days, lasted) in zip(chosen, DEMO_CONDITIONS, strict=False):
            if patient.pk in taken or code not in codes:
                continue
            since = today - timedelta(days=since_days)
            if since > timezone.localdate():  # seeding "as if" a later day: nothing starts in the future
                continue
            conditions.condition_record(
                patient=patient,
                code=codes[code],
                since=since,
                until=since + timedelta(days=lasted) if lasted is not None else None,
                note=note,
                acting_user=recorded_by,
            )
            made_conditions += 1
        for patient, (product, units, weeks, indication, where) in zip(
            patients[4 :: DEMO_CONDITION_EVERY * 2], DEMO_OUTSIDE_DOSES, strict=False
        ):
            given_on = today - timedelta(weeks=weeks)
            if patient.pk in taken or product not in products or given_on > timezone.localdate():
                continue
            conditions.outside_dose_record(
                patient=patient,
                product=products[product],
                dose=units,
                given_on=given_on,
                indication=indication,
                given_where=where,
                acting_user=recorded_by,
            )
            made_doses += 1
    return made_conditions, made_doses
