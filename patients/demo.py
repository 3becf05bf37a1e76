"""A small, realistic demo clinic (for `make run` and, scaled up, the performance checks).

Deterministic: patient number i is generated from random.Random(f"{seed}:{i}") and the day the
clinic is seeded ("today"), so the same seed and day give the same clinic, and patient 7 is the
same whether 10 or 1,000 patients are asked for. Demo MRNs are DEMO00001, DEMO00002, ...:
existing ones are skipped, so running the seeder again duplicates nothing.

Postures follow published Col-Cap frequencies (clinical-reference.md §1; Jost et al. 2020):
torticaput is the most common primary form (49 %), then laterocaput (16.7 %); patients have
about 2.5 components; shifts are present in about 15 %; head tremor in about half.
Visits are about 12 weeks apart: 1 to 20 completed visits per patient (about 10 on average, so
10,000 patients make about 100,000 visits), and a third have their next visit booked. A few
"long charts" (40 completed visits, ten years of treatment; MRNs DEMOL0001, ...) can be added for
the performance checks. bulk_create is used here (and only here, with history rows).

The generation is plain data (dataclasses); ``seed_demo_clinic`` writes it.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from patients import scoring
from patients.colcap import BY_CODE
from patients.models import (
    AdverseEvent,
    Patient,
    PostureAssessment,
    PostureComponent,
    TsuiAssessment,
    TwstrsAssessment,
    Visit,
    VisitOutcome,
)
from patients.posture import Finding, tremor_severity, validate_findings
from patients.text import patient_search_key

MRN_PREFIX = "DEMO"
LONG_CHART_PREFIX = "DEMOL"
LONG_CHART_VISITS = 40

FAMILY_NAMES = (
    "Müller",
    "Peña",
    "Dvořák",
    "O'Brien",
    "Nguyễn",
    "Kowalski",
    "Øster",
    "García",
    "Smith",
    "Jönsson",
    "Lefèvre",
    "Rossi",
    "Papadopoulos",
    "Novák",
    "Schröder",
    "Ibáñez",
    "Andersen",
    "Brown",
    "Costa",
    "Yılmaz",
    "Horváth",
    "Łukasiewicz",
    "Murphy",
    "Haddad",
    "Fischer",
    "Moreau",
    "Silva",
    "Kaya",
    "Williams",
    "Nowak",
)
GIVEN_NAMES = {
    "female": ("Anna", "Zoë", "Chloé", "María", "Ingrid", "Siobhán", "Agnieszka", "Léa", "Fatma", "Hélène", "Eva"),
    "male": ("José", "Jürgen", "Łukasz", "Søren", "François", "Tomáš", "Liam", "Mehmet", "Giorgos", "Ahmed", "Jan"),
    "other": ("Alex", "Sam", "Robin"),
}

# Primary form, with Jost et al. 2020 frequencies for torticaput and laterocaput; the rest shared out.
PRIMARY_WEIGHTS = {
    "TORTICAPUT": 49.0,
    "LATEROCAPUT": 16.7,
    "TORTICOLLIS": 8.0,
    "LATEROCOLLIS": 8.0,
    "RETROCAPUT": 5.0,
    "ANTEROCOLLIS": 4.3,
    "RETROCOLLIS": 4.0,
    "ANTEROCAPUT": 2.0,
    "SHOULDER_ELEVATION": 3.0,
}
SECONDARY_WEIGHTS = {
    "TORTICAPUT": 3,
    "TORTICOLLIS": 3,
    "LATEROCAPUT": 3,
    "LATEROCOLLIS": 4,
    "ANTEROCAPUT": 1,
    "ANTEROCOLLIS": 2,
    "RETROCAPUT": 2,
    "RETROCOLLIS": 1,
}
SHIFT_WEIGHTS = {"LATERAL_SHIFT": 0.10, "SAGITTAL_SHIFT_FORWARD": 0.03, "SAGITTAL_SHIFT_BACKWARD": 0.02}
SHOULDER_PROBABILITY = 0.25
TREMOR_PROBABILITY = 0.5
VISIT_INTERVAL_DAYS = 84


@dataclass
class DemoVisit:
    date: date
    status: str
    findings: list = field(default_factory=list)
    twstrs: dict | None = None
    tsui: dict | None = None
    pain_now: int | None = None
    pgic: int | None = None
    adverse_events: list = field(default_factory=list)


@dataclass
class DemoPatient:
    mrn: str
    family_name: str
    given_name: str
    sex: str
    date_of_birth: date
    diagnosis_date: date
    baseline_swallowing: str
    toxin_naive: bool
    visits: list


def demo_mrn(index, *, long_chart=False):
    return f"{LONG_CHART_PREFIX}{index:04d}" if long_chart else f"{MRN_PREFIX}{index:05d}"


def _weighted(rng, weights):
    codes = list(weights)
    return rng.choices(codes, weights=[weights[code] for code in codes])[0]


def _side(rng):
    return rng.choice(("left", "right"))


def baseline_posture(rng):
    """Col-Cap findings at the first visit: a primary form, some secondaries, shifts, shoulder, tremor."""
    chosen = {}

    def add(code, direction=None, severity=None):
        component = BY_CODE[code]
        if code in chosen:
            return
        if direction is None:
            direction = _side(rng) if component.lateral else ""
        if severity is None:
            severity = rng.randint(max(1, component.max_severity - 2), component.max_severity)
        chosen[code] = Finding(code, direction, severity)

    primary = _weighted(rng, PRIMARY_WEIGHTS)
    add(primary)
    side = chosen[primary].direction or _side(rng)
    extra = rng.choices((0, 1, 2), weights=(55, 40, 5))[0]
    for _ in range(extra):
        code = _weighted(rng, SECONDARY_WEIGHTS)
        component = BY_CODE[code]
        severity = rng.randint(1, max(1, component.max_severity - 1))
        # Rotation and tilt usually go to the same side as the primary form.
        direction = (side if rng.random() < 0.75 else _side(rng)) if component.lateral else ""
        add(code, direction=direction, severity=severity)
    for code, probability in SHIFT_WEIGHTS.items():
        if rng.random() < probability:
            add(code, severity=1)
    if "SHOULDER_ELEVATION" not in chosen and rng.random() < SHOULDER_PROBABILITY:
        add("SHOULDER_ELEVATION", severity=rng.randint(1, 2))
    if rng.random() < TREMOR_PROBABILITY:
        add(rng.choices(("TREMOR_NO_NO", "TREMOR_YES_YES"), weights=(3, 1))[0], severity=rng.randint(1, 2))
    findings = list(chosen.values())
    assert not validate_findings(findings), findings
    return findings


def _improved(rng, findings, factor):
    """The posture after treatment: each severity scaled by ``factor`` (0-1), a few patterns gone."""
    result = []
    for finding in findings:
        severity = round(finding.severity * factor + rng.uniform(-0.4, 0.4))
        top = BY_CODE[finding.code].max_severity
        if severity >= 1 or (top == 1 and rng.random() < 0.7):
            result.append(Finding(finding.code, finding.direction, min(max(severity, 1), top)))
    return result or [findings[0]]


def _twstrs_items(rng, findings, burden, partial):
    """The typed TWSTRS items for a visit; ``burden`` 0-1 scales how affected the patient is."""

    def pick(low, high):
        span = high - low
        return min(high, max(low, round(low + span * burden + rng.uniform(-1, 1))))

    worst = pick(2, 10)
    best = max(0, worst - rng.randint(2, 5))
    usual = rng.randint(best, worst)
    items = {
        "duration": pick(1, 5),
        "sensory_trick": pick(0, 2),
        "range_of_motion": pick(0, 4),
        "time": pick(0, 4),
        "work": pick(0, 4),
        "activities_of_daily_living": pick(0, 3),
        "driving": pick(0, 5),
        "reading": pick(0, 4),
        "television": pick(0, 3),
        "activities_outside_home": pick(0, 4),
        "pain_worst": worst,
        "pain_best": best,
        "pain_usual": usual,
        "pain_duration": pick(0, 5),
        "pain_disability": pick(0, 4),
    }
    if partial:
        for key in rng.sample(sorted(items), k=rng.randint(1, 3)):
            items[key] = None
    return items


def _tsui_items(rng, findings):
    derived = scoring.twstrs_from_posture(findings)
    return {
        "rotation": min(3, derived["rotation"]),
        "tilt": derived["laterocollis"],
        "antero_retrocollis": derived["antero_retrocollis"],
        "duration": rng.choice((1, 2)),
        "shoulder_elevation": derived["shoulder_elevation"],
        "tremor_duration": rng.choice((1, 2)) if tremor_severity(findings) else None,
    }


def _adverse_event(rng):
    kind = rng.choices(
        (
            "dysphagia",
            "neck_weakness",
            "injection_site_pain",
            "dry_mouth",
            "dysphonia",
            "flu_like",
            "vision_ptosis",
            "breathing",
        ),
        weights=(30, 20, 20, 10, 8, 8, 3, 1),
    )[0]
    event = {
        "kind": kind,
        "onset_days": rng.randint(2, 14),
        "duration_days": rng.choice((7, 10, 14, 21, 28, None)),
        "action_taken": rng.choice(("none", "advice")),
    }
    if kind == "dysphagia":
        grade = rng.choices((1, 2, 3), weights=(70, 25, 5))[0]
        event.update(dysphagia_grade=grade, severity=AdverseEvent.severity_for_grade(grade))
        if grade >= 2:
            event["action_taken"] = "diet"
    else:
        event["severity"] = rng.choices(("mild", "moderate", "severe"), weights=(70, 25, 5))[0]
    if kind == "breathing":
        event.update(severity="severe", action_taken="hospital", onset_days=rng.randint(3, 9))
    return event


# Completed visits per patient: 1 to 20 (up to about five years of treatment here), 10.5 on average.
MAX_COMPLETED_VISITS = 20


def demo_patient(seed, index, today, *, long_chart=False):
    """Patient number ``index`` of the demo clinic (plain data); a long chart has 40 completed visits."""
    rng = random.Random(f"{seed}:{'long:' if long_chart else ''}{index}")
    sex = rng.choices(("female", "male", "other"), weights=(64, 34, 2))[0]
    age = rng.randint(28, 78) if not long_chart else rng.randint(45, 78)
    date_of_birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
    findings = baseline_posture(rng)
    baseline_swallowing = "normal"
    if any(f.code == "SAGITTAL_SHIFT_BACKWARD" for f in findings) or rng.random() < 0.05:
        baseline_swallowing = rng.choice(("mild", "moderate"))

    completed = LONG_CHART_VISITS if long_chart else rng.randint(1, MAX_COMPLETED_VISITS)
    last = today - timedelta(days=rng.randint(0, 70))
    dates = sorted(
        last - timedelta(days=VISIT_INTERVAL_DAYS * step + (rng.randint(-6, 6) if step else 0))
        for step in range(completed)
    )
    # Diagnosed in adulthood, some weeks to a few years before the first visit here.
    earliest_diagnosis = date_of_birth + timedelta(days=18 * 365)
    diagnosis_date = dates[0] - timedelta(days=rng.randint(30, 3 * 365))
    diagnosis_date = max(diagnosis_date, earliest_diagnosis)
    dates = [day for day in dates if day > diagnosis_date] or [last]
    burden = rng.uniform(0.35, 0.85)
    visits = []
    for number, day in enumerate(dates):
        factor = 1.0 if number == 0 else rng.uniform(0.55, 0.85)
        visit_findings = findings if number == 0 else _improved(rng, findings, factor)
        visit_burden = burden if number == 0 else burden * factor
        visit = DemoVisit(date=day, status="completed", findings=visit_findings)
        visit.twstrs = _twstrs_items(rng, visit_findings, visit_burden, partial=rng.random() < 0.08)
        if rng.random() < 0.6:
            visit.tsui = _tsui_items(rng, visit_findings)
        visit.pain_now = visit.twstrs["pain_usual"]
        if number > 0:
            visit.pgic = rng.choices((1, 2, 3, 4, 5), weights=(10, 35, 30, 20, 5))[0]
            if rng.random() < 0.18:
                visit.adverse_events.append(_adverse_event(rng))
        visits.append(visit)
    if rng.random() < 0.35:
        visits.append(DemoVisit(date=dates[-1] + timedelta(days=VISIT_INTERVAL_DAYS), status="scheduled"))
    if visits[-1].status == "scheduled" and visits[-1].date <= today:
        visits[-1].date = today + timedelta(days=rng.randint(1, 20))

    names = GIVEN_NAMES[sex]
    return DemoPatient(
        mrn=demo_mrn(index, long_chart=long_chart),
        family_name=rng.choice(FAMILY_NAMES),
        given_name=rng.choice(names),
        sex=sex,
        date_of_birth=date_of_birth,
        diagnosis_date=diagnosis_date,
        baseline_swallowing=baseline_swallowing,
        # A single first visit not yet treated; everyone else has had sessions (the planner will add them).
        toxin_naive=len(dates) == 1 and rng.random() < 0.7,
        visits=visits,
    )


def demo_clinic(*, patients, seed, today, long_charts=0):
    clinic = [demo_patient(seed, index, today) for index in range(1, patients + 1)]
    return clinic + [demo_patient(seed, index, today, long_chart=True) for index in range(1, long_charts + 1)]


@transaction.atomic
def seed_demo_clinic(*, patients, seed, today, recorded_by=None, long_charts=0):
    """Write the demo clinic; returns (created, skipped). Existing demo MRNs are left alone."""
    wanted = demo_clinic(patients=patients, seed=seed, today=today, long_charts=long_charts)
    existing = set(Patient.objects.filter(mrn__in=[p.mrn for p in wanted]).values_list("mrn", flat=True))
    fresh = [p for p in wanted if p.mrn not in existing]
    if not fresh:
        return 0, len(existing)

    def history(model, objects):
        return bulk_create_with_history(objects, model, batch_size=2000, default_user=recorded_by)

    patient_rows = history(
        Patient,
        [
            Patient(
                mrn=p.mrn,
                family_name=p.family_name,
                given_name=p.given_name,
                sex=p.sex,
                date_of_birth=p.date_of_birth,
                diagnosis_date=p.diagnosis_date,
                baseline_swallowing=p.baseline_swallowing,
                toxin_naive=p.toxin_naive,
                search_key=patient_search_key(family_name=p.family_name, given_name=p.given_name, mrn=p.mrn),
            )
            for p in fresh
        ],
    )
    patient_ids = {row.mrn: row.pk for row in Patient.objects.filter(mrn__in=[p.mrn for p in fresh])}
    del patient_rows

    visit_specs = [(p, v) for p in fresh for v in p.visits]
    history(
        Visit,
        [
            Visit(
                patient_id=patient_ids[p.mrn],
                date=v.date,
                status=v.status,
                booked_by=recorded_by,
                recorded_by=recorded_by if v.status != "scheduled" else None,
            )
            for p, v in visit_specs
        ],
    )
    visit_ids = {
        (row.patient_id, row.date): row.pk
        for row in Visit.objects.filter(patient_id__in=patient_ids.values()).only("pk", "patient_id", "date")
    }
    recorded = [(visit_ids[(patient_ids[p.mrn], v.date)], v) for p, v in visit_specs if v.status != "scheduled"]

    history(PostureAssessment, [PostureAssessment(visit_id=vid, assessed_by=recorded_by) for vid, _ in recorded])
    assessment_ids = dict(
        PostureAssessment.objects.filter(visit_id__in=[vid for vid, _ in recorded]).values_list("visit_id", "pk")
    )
    history(
        PostureComponent,
        [
            PostureComponent(assessment_id=assessment_ids[vid], code=f.code, direction=f.direction, severity=f.severity)
            for vid, v in recorded
            for f in v.findings
        ],
    )
    history(
        TwstrsAssessment,
        [TwstrsAssessment(visit_id=vid, recorded_by=recorded_by, **v.twstrs) for vid, v in recorded if v.twstrs],
    )
    history(
        TsuiAssessment,
        [TsuiAssessment(visit_id=vid, recorded_by=recorded_by, **v.tsui) for vid, v in recorded if v.tsui],
    )
    history(
        VisitOutcome,
        [VisitOutcome(visit_id=vid, pain_now=v.pain_now, pgic=v.pgic, recorded_by=recorded_by) for vid, v in recorded],
    )
    history(
        AdverseEvent,
        [
            AdverseEvent(visit_id=vid, recorded_by=recorded_by, **event)
            for vid, v in recorded
            for event in v.adverse_events
        ],
    )
    return len(fresh), len(existing)
