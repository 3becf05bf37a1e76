"""Every finding from the patient record, word for word: conditions and medicines, age, earlier distant
spread, baseline swallowing, toxin given elsewhere and the posterior-neck cautions, over the shipped
reference set. The companion of test_safety_catalogue.py (which pins the plan's own findings);
database-free, so `make mutation` runs it.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from planner.rules.safety import AdverseEvent, CumulativeLimit, Limit, OutsideDose, PatientHistory, ProductLimits
from tests.planner.test_safety_conditions import BOTOX, DYSPORT, VISIT, check, condition, posture, row

PINNED = frozenset(
    {
        "AGE_UNDER_18",
        "BASELINE_SWALLOWING_NOT_RECORDED",
        "CONDITION",
        "CUMULATIVE_MAX_EXCEEDED",
        "INTERVAL_TOO_SHORT",
        "NECK_EXTENSOR_WEAKNESS",
        "OUTSIDE_TOXIN",
        "POSTERIOR_ASYMMETRIC",
        "PRIOR_DISTANT_SPREAD",
        "SCM_NO_DOSE_LEVEL",
    }
)
LIMITS = (
    ProductLimits(
        product_code="ONA",
        cumulative_max=CumulativeLimit(value=Decimal(300), period_weeks=12, source_codes=("L1",)),
        min_interval_weeks=Limit(value=Decimal(12), source_codes=("L2",)),
    ),
)


def outside(weeks_ago, product, dose, indication="", where=""):
    return OutsideDose(
        date=VISIT - timedelta(weeks=weeks_ago), product=product, dose=dose, indication=indication, where=where
    )


SCENARIOS = {
    "conditions at every level, scoped, ended and with notes": {
        "rows": (row("SCM", "left", 20),),
        "history": PatientHistory(
            conditions=(
                condition("MYASTHENIA_GRAVIS", note="  Ocular, on pyridostigmine  "),
                condition("PREGNANCY", since=None),
                condition("HYPERSENSITIVITY_COWS_MILK"),
                condition("ANTICOAGULANT", until=VISIT - timedelta(days=1)),
                condition("AMINOGLYCOSIDE", until=VISIT, note="x" * 200),
            )
        ),
    },
    "a teenager with an earlier spread, on Dysport": {
        "product": DYSPORT,
        "rows": (row("SPLENIUS_CAPITIS", "left", 200),),
        "history": PatientHistory(
            date_of_birth=date(2008, 6, 4),
            conditions=(condition("HYPERSENSITIVITY_COWS_MILK"),),
            adverse_events=(
                AdverseEvent(kind="breathing", severity="severe", date=date(2026, 3, 1)),
                AdverseEvent(kind="vision_ptosis", date=date(2025, 12, 1)),
                AdverseEvent(kind="generalised_weakness"),
                AdverseEvent(kind="breathing", date=date(2026, 7, 1)),
                AdverseEvent(kind="dysphagia", date=date(2026, 3, 1), grade=2),
            ),
        ),
    },
    "eighteen on the visit day": {
        "rows": (row("SPLENIUS_CAPITIS", "left", 20),),
        "history": PatientHistory(date_of_birth=date(2008, 6, 3)),
    },
    "posterior muscles, symmetric or not": {
        "rows": (
            row("SPLENIUS_CAPITIS", "left", 40),
            row("SPLENIUS_CAPITIS", "right", 30),
            row("SEMISPINALIS_CAPITIS", "left", 25),
            row("SEMISPINALIS_CAPITIS", "left", 5),
            row("SEMISPINALIS_CAPITIS", "right", 30),
            row("LONGISSIMUS_CAPITIS", "right", 15),
        ),
        "posture": posture("RETROCAPUT"),
    },
    "a double chin without a baseline swallow": {
        "rows": (row("SCM", "left", 20),),
        "posture": posture("SAGITTAL_SHIFT_BACKWARD"),
        "history": PatientHistory(baseline_swallowing="not_assessed"),
    },
    "toxin given elsewhere": {
        "rows": (row("SPLENIUS_CAPITIS", "left", 200),),
        "limits": LIMITS,
        "history": PatientHistory(
            outside_doses=(
                outside(4, BOTOX, Decimal(155), indication="migraine", where="Headache clinic"),
                outside(6, DYSPORT, Decimal(500), where="Spasticity clinic"),
                outside(10, BOTOX, "a lot"),
                outside(20, BOTOX, Decimal(100), indication="bladder"),
            )
        ),
    },
}


def run(scenario):
    return check(
        *scenario["rows"],
        product=scenario.get("product", BOTOX),
        history=scenario.get("history"),
        posture=scenario.get("posture", ()),
        limits=scenario.get("limits"),
    )


def whole(finding):
    return (
        finding.level.value,
        finding.code,
        finding.key,
        finding.message,
        finding.rule,
        finding.source_codes,
        finding.verification.value if finding.verification else None,
        finding.clinic_policy,
        finding.row,
    )


EXPECTED = {
    "conditions at every level, scoped, ended and with notes": [
        (
            "override",
            "CONDITION",
            "CONDITION:AMINOGLYCOSIDE",
            "Aminoglycoside antibiotic (gentamicin and "
            "others), recorded since 4 May 2026 "
            "(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…): "
            "Aminoglycosides interfere with neuromuscular "
            "transmission and may potentiate the toxin's "
            "effect (sources D10, D1, D7, D2, D17, "
            "CLINIC-POLICY, unverified; clinic policy).",
            "Aminoglycoside antibiotic (gentamicin and "
            "others): a precaution; signing needs the "
            "neurologist's written reason",
            ("D10", "D1", "D7", "D2", "D17", "CLINIC-POLICY"),
            "unverified",
            True,
            None,
        ),
        (
            "override",
            "CONDITION",
            "CONDITION:MYASTHENIA_GRAVIS",
            "Myasthenia gravis, recorded since 4 May 2026 "
            "(Ocular, on pyridostigmine): A "
            "neuromuscular-junction disorder raises the "
            "risk of generalised weakness, dysphagia and "
            "breathing difficulty after toxin (the labels' "
            "precaution); plan the lowest effective dose "
            "(sources D10, D1, D7, D2, D17, CLINIC-POLICY, "
            "unverified; clinic policy).",
            "Myasthenia gravis: a precaution; signing needs the neurologist's written reason",
            ("D10", "D1", "D7", "D2", "D17", "CLINIC-POLICY"),
            "unverified",
            True,
            None,
        ),
        (
            "override",
            "CONDITION",
            "CONDITION:PREGNANCY",
            "Pregnancy, recorded: No adequate data in "
            "pregnancy; the labels advise against use "
            "unless clearly needed (sources D10, D1, D7, "
            "D2, D17, CLINIC-POLICY, unverified; clinic "
            "policy).",
            "Pregnancy: a precaution; signing needs the neurologist's written reason",
            ("D10", "D1", "D7", "D2", "D17", "CLINIC-POLICY"),
            "unverified",
            True,
            None,
        ),
    ],
    "a teenager with an earlier spread, on Dysport": [
        (
            "error",
            "CONDITION",
            "CONDITION:HYPERSENSITIVITY_COWS_MILK",
            "Cow's-milk protein allergy with Dysport, recorded since "
            "4 May 2026: Dysport may contain trace amounts of "
            "cow's-milk protein (lactose excipient): a cow's-milk "
            "protein allergy is a contraindication (sources D1, D22, "
            "unverified).",
            "Cow's-milk protein allergy: a contraindication; the plan cannot be signed while it is current",
            ("D1", "D22"),
            "unverified",
            False,
            None,
        ),
        (
            "override",
            "AGE_UNDER_18",
            "AGE_UNDER_18",
            "The patient is 17 on the visit day: the cervical "
            "dystonia labels are for adults (18 and over) (sources "
            "D1, D10, D7, partly verified).",
            "Treating a patient under 18 is off-label and needs a written reason",
            ("D1", "D10", "D7"),
            "partly_verified",
            False,
            None,
        ),
        (
            "override",
            "PRIOR_DISTANT_SPREAD",
            "PRIOR_DISTANT_SPREAD",
            "After an earlier session the patient had generalised "
            "weakness; blurred vision or ptosis reported 1 Dec 2025; "
            "breathing difficulty reported 1 Mar 2026 (severe): "
            "distant spread of toxin effect; swallowing or breathing "
            "difficulty can be life-threatening (sources D16, D17, "
            "verified).",
            "After a past breathing difficulty, generalised weakness or ptosis after toxin, signing needs a reason",
            ("D16", "D17"),
            "verified",
            False,
            None,
        ),
    ],
    "eighteen on the visit day": [],
    "posterior muscles, symmetric or not": [
        (
            "warning",
            "POSTERIOR_ASYMMETRIC",
            "POSTERIOR_ASYMMETRIC",
            "No rotation, tilt or shift is recorded, yet the posterior neck "
            "injections are not symmetric: longissimus capitis (left none, "
            "right 15 U Botox); splenius capitis (left 40 U Botox, right 30 U "
            "Botox); asymmetric posterior injections may cause a tilt (source "
            "D12, verified).",
            "If there is no head tilt, posterior-neck injections should be symmetric",
            ("D12",),
            "verified",
            False,
            None,
        ),
        (
            "info",
            "NECK_EXTENSOR_WEAKNESS",
            "NECK_EXTENSOR_WEAKNESS",
            "Posterior neck muscles are planned on both sides: neck extensor "
            "weakness is a common adverse event after bilateral posterior "
            "injections (17.6% in retroform cervical dystonia); ask about head "
            "drop at the next visit (sources D23, S12, verified).",
            "Bilateral posterior injections carry a risk of neck extensor weakness",
            ("D23", "S12"),
            "verified",
            False,
            None,
        ),
    ],
    "a double chin without a baseline swallow": [
        (
            "warning",
            "BASELINE_SWALLOWING_NOT_RECORDED",
            "BASELINE_SWALLOWING_NOT_RECORDED",
            "Sagittal shift backward is recorded and the patient's "
            "baseline swallowing is not assessed: dysphagia may be "
            "present before any injection; record it on the patient "
            "(source S6e, verified).",
            "Record baseline swallowing before treating the double-chin posture",
            ("S6e",),
            "verified",
            False,
            None,
        )
    ],
    "toxin given elsewhere": [
        (
            "override",
            "CUMULATIVE_MAX_EXCEEDED",
            "CUMULATIVE_MAX_EXCEEDED",
            "Botox in the 12 weeks up to 3 Jun 2026: 0 U Botox signed (0 sessions) + 155 U "
            "Botox given elsewhere + 200 U Botox planned = 355 U Botox, above the cumulative "
            "maximum of 300 U Botox per 12 weeks (sources L1, D10, D16, unverified).",
            "Above the cumulative maximum only with the signing neurologist's written reason",
            ("L1", "D10", "D16"),
            "unverified",
            False,
            None,
        ),
        (
            "override",
            "INTERVAL_TOO_SHORT",
            "INTERVAL_TOO_SHORT:2026-05-06",
            "Only 4 weeks since Botox given elsewhere on 6 May 2026 (migraine, Headache "
            "clinic); the minimum re-treatment interval for Botox is 12 weeks (sources L2, "
            "D10, D16, unverified).",
            "Re-treat sooner than the product's minimum interval only with a written reason",
            ("L2", "D10", "D16"),
            "unverified",
            False,
            None,
        ),
        (
            "info",
            "OUTSIDE_TOXIN",
            "OUTSIDE_TOXIN",
            "Botulinum toxin given elsewhere in the 12 weeks up to the visit: 'a lot' U on "
            "25 Mar 2026, counted with this plan's product; 500 U Dysport on 22 Apr 2026 "
            "(Spasticity clinic), not counted: another product's units; 155 U Botox on 6 May "
            "2026 (migraine, Headache clinic), counted with this plan's product (sources "
            "D10, D16, verified).",
            "Count botulinum toxin given for other indications or by other clinics, with its own product only",
            ("D10", "D16"),
            "verified",
            False,
            None,
        ),
    ],
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_finding_from_the_patient_record_word_for_word(name):
    given = [whole(finding) for finding in run(SCENARIOS[name]) if finding.code in PINNED]
    assert given == EXPECTED[name]


def test_a_condition_recorded_on_the_visit_day_counts_that_day():
    history = PatientHistory(conditions=(condition("MYASTHENIA_GRAVIS", since=VISIT),))
    assert [
        finding.key
        for finding in run({"rows": (row("SCM", "left", 20),), "history": history})
        if finding.code == "CONDITION"
    ] == ["CONDITION:MYASTHENIA_GRAVIS"]


def test_toxin_given_elsewhere_on_the_visit_day_counts_and_a_spread_reported_that_day_too():
    history = PatientHistory(
        outside_doses=(outside(0, BOTOX, Decimal(50), indication="migraine"),),
        adverse_events=(AdverseEvent(kind="breathing", date=VISIT),),
    )
    codes = {finding.code for finding in run({"rows": (row("SCM", "left", 20),), "history": history, "limits": LIMITS})}
    assert {"OUTSIDE_TOXIN", "INTERVAL_TOO_SHORT", "PRIOR_DISTANT_SPREAD"} <= codes


def test_an_earlier_spread_is_named_in_words_with_its_date():
    history = PatientHistory(adverse_events=(AdverseEvent(kind="breathing", date=date(2026, 3, 1)),))
    [finding] = [
        f for f in run({"rows": (row("SCM", "left", 20),), "history": history}) if f.code == "PRIOR_DISTANT_SPREAD"
    ]
    assert "the patient had breathing difficulty reported 1 Mar 2026:" in finding.message
