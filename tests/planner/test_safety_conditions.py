"""planner.rules.safety, issue 14: the patient's conditions and medicines, age, earlier reactions, toxin given
elsewhere and every reference caution, checked against the shipped reference set (pure: no database)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.reference.loader import build_rows, read_shipped
from planner.rules import safety
from planner.rules.caution_inputs import CAUTION_FIELDS, SCM_CAP_PREFIX, build_cautions
from planner.rules.safety import (
    AdverseEvent,
    Condition,
    DraftSession,
    InjectionRow,
    Level,
    MuscleInfo,
    OutsideDose,
    PatientHistory,
    SafetyPolicy,
    SignedSession,
    check_session,
)
from planner.rules.suggest import CombinedPart, CombinedPattern, PostureComponent, Product

SHIPPED = {table.name: rows for table, rows in build_rows(*read_shipped()).items()}
CAUTION_ROWS = [row for row in SHIPPED["Caution"] if row["is_active"]]
CAUTIONS = build_cautions(CAUTION_ROWS)
CONDITION_ROWS = SHIPPED["ConditionCode"]
PRODUCTS = {row["code"]: Product(code=row["code"], name=row["brand_name"]) for row in SHIPPED["Product"]}
MUSCLES = {
    row["code"]: MuscleInfo(
        code=row["code"],
        name=row["name"],
        anterior_neck=row["code"] == "SCM" or row["group"] in ("anterolateral", "anterior", "prevertebral"),
        posterior=row["group"] == "posterior",
    )
    for row in SHIPPED["Muscle"]
}
_parts = {}
for part in SHIPPED["PatternComponent"]:
    _parts.setdefault(part["combined"], []).append(CombinedPart(pattern_code=part["component"], side=part["side"]))
COMBINED = tuple(CombinedPattern(code=code, parts=tuple(parts)) for code, parts in _parts.items())
VISIT = date(2026, 6, 3)
BOTOX, DYSPORT, DAXXIFY = PRODUCTS["ONA"], PRODUCTS["ABO"], PRODUCTS["DAXI"]


def row(muscle, side, dose):
    return InjectionRow(muscle_code=muscle, side=side, dose=Decimal(str(dose)))


def check(*rows, product=BOTOX, history=None, posture=(), limits=None, policy=None):
    return check_session(
        draft=DraftSession(visit_date=VISIT, product=product, rows=rows),
        history=history or PatientHistory(),
        posture=posture,
        combined_patterns=COMBINED,
        muscles=MUSCLES,
        cautions=CAUTIONS,
        limits=limits,
        policy=policy,
    )


def posture(*codes):
    return tuple(PostureComponent(code=code, direction="", severity=1) for code in codes)


def by_code(findings, code):
    return [finding for finding in findings if finding.code == code]


def condition(code, **fields):
    shipped = next(item for item in CONDITION_ROWS if item["code"] == code)
    values = {
        "code": code,
        "name": shipped["name"],
        "level": shipped["level"],
        "message": shipped["message"],
        "product_codes": tuple(shipped["products"]),
        "source_codes": tuple(shipped["sources"]),
        "verification": shipped["verification"],
        "clinic_policy": shipped["clinic_policy"],
        "since": VISIT - timedelta(days=30),
    }
    return Condition(**(values | fields))


# --- every coded condition --------------------------------------------------------------------------------


def test_the_shipped_list_has_every_condition_the_issue_names():
    codes = {item["code"] for item in CONDITION_ROWS}
    assert len(codes) >= 21
    for wanted in (
        "MYASTHENIA_GRAVIS",
        "LAMBERT_EATON",
        "MOTOR_NEURON_DISEASE",
        "NMJ_DISORDER_OTHER",
        "PREGNANCY",
        "BREASTFEEDING",
        "AMINOGLYCOSIDE",
        "NMJ_INTERFERING_DRUG",
        "ANTICOAGULANT",
        "BLEEDING_DISORDER",
        "HYPERSENSITIVITY_PRODUCT",
        "HYPERSENSITIVITY_ALBUMIN",
        "HYPERSENSITIVITY_COWS_MILK",
        "INFECTION_AT_SITE",
        "RESPIRATORY_CONDITION",
        "DISTANT_SPREAD_REACTION",
    ):
        assert wanted in codes


def test_every_condition_cites_a_source_and_says_when_its_level_is_clinic_policy():
    for item in CONDITION_ROWS:
        assert item["sources"], item["code"]
        assert item["level"] in ("error", "override", "warning")
        if item["verification"] == "unverified" and item["level"] != "error":
            assert item["clinic_policy"], f"{item['code']}: an unverified precaution's level is the clinic's choice"


@pytest.mark.parametrize("shipped", CONDITION_ROWS, ids=lambda item: item["code"])
def test_each_current_condition_raises_its_finding_at_its_level_with_its_sources(shipped):
    product = PRODUCTS[shipped["products"][0]] if shipped["products"] else BOTOX
    entry = condition(shipped["code"], product_codes=("ONA",) if shipped["per_product"] else tuple(shipped["products"]))
    findings = check(row("SPLENIUS_CAPITIS", "left", 40), product=product, history=PatientHistory(conditions=(entry,)))
    [finding] = by_code(findings, safety.CONDITION)
    assert finding.level == Level(shipped["level"])
    assert finding.key == f"CONDITION:{shipped['code']}"
    assert finding.message.startswith(shipped["name"])
    assert shipped["message"] in finding.message
    assert finding.source_codes == tuple(shipped["sources"])
    assert finding.clinic_policy is shipped["clinic_policy"] or "CLINIC-POLICY" in shipped["sources"]


@pytest.mark.parametrize("shipped", CONDITION_ROWS, ids=lambda item: item["code"])
def test_a_condition_that_ended_before_the_visit_or_starts_after_it_raises_nothing(shipped):
    ended = condition(shipped["code"], since=VISIT - timedelta(days=90), until=VISIT - timedelta(days=1))
    later = condition(shipped["code"], since=VISIT + timedelta(days=1))
    findings = check(row("SPLENIUS_CAPITIS", "left", 40), history=PatientHistory(conditions=(ended, later)))
    assert by_code(findings, safety.CONDITION) == []


def test_a_condition_that_ends_on_the_visit_day_still_counts():
    entry = condition("PREGNANCY", until=VISIT)
    assert by_code(check(row("SCM", "left", 20), history=PatientHistory(conditions=(entry,))), safety.CONDITION)


def test_myasthenia_gravis_needs_a_reason_to_sign_even_without_rows():
    findings = check(history=PatientHistory(conditions=(condition("MYASTHENIA_GRAVIS", note="on pyridostigmine"),)))
    [finding] = by_code(findings, safety.CONDITION)
    assert finding.level == Level.OVERRIDE
    assert "(on pyridostigmine)" in finding.message
    assert "recorded since 4 May 2026" in finding.message


def test_an_albumin_allergy_blocks_the_products_that_contain_albumin_and_not_daxxify():
    entry = condition("HYPERSENSITIVITY_ALBUMIN")
    history = PatientHistory(conditions=(entry,))
    assert by_code(check(row("SCM", "left", 20), history=history), safety.CONDITION)[0].level == Level.ERROR
    assert by_code(check(row("SCM", "left", 20), product=DAXXIFY, history=history), safety.CONDITION) == []


def test_a_cows_milk_allergy_blocks_dysport_only():
    history = PatientHistory(conditions=(condition("HYPERSENSITIVITY_COWS_MILK"),))
    [finding] = by_code(check(row("SCM", "left", 100), product=DYSPORT, history=history), safety.CONDITION)
    assert finding.level == Level.ERROR and "with Dysport" in finding.message
    assert by_code(check(row("SCM", "left", 20), history=history), safety.CONDITION) == []


def test_hypersensitivity_to_one_product_blocks_that_product_only():
    history = PatientHistory(conditions=(condition("HYPERSENSITIVITY_PRODUCT", product_codes=("ABO",)),))
    assert by_code(check(row("SCM", "left", 100), product=DYSPORT, history=history), safety.CONDITION)
    assert by_code(check(row("SCM", "left", 20), history=history), safety.CONDITION) == []


def test_an_unknown_level_is_treated_as_a_warning_never_dropped():
    entry = condition("PREGNANCY", level="nonsense")
    [finding] = by_code(check(history=PatientHistory(conditions=(entry,))), safety.CONDITION)
    assert finding.level == Level.WARNING


# --- age --------------------------------------------------------------------------------------------------


def test_a_patient_under_18_on_the_visit_day_needs_a_reason():
    history = PatientHistory(date_of_birth=date(2008, 6, 4))  # 18 the day after the visit
    [finding] = by_code(check(row("SCM", "left", 20), history=history), safety.AGE_UNDER_18)
    assert finding.level == Level.OVERRIDE
    assert "is 17 on the visit day" in finding.message


def test_a_patient_18_on_the_visit_day_is_an_adult():
    history = PatientHistory(date_of_birth=date(2008, 6, 3))
    assert by_code(check(row("SCM", "left", 20), history=history), safety.AGE_UNDER_18) == []


# --- earlier reactions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["breathing", "vision_ptosis"])
def test_a_past_breathing_difficulty_or_ptosis_after_toxin_is_an_override(kind):
    history = PatientHistory(adverse_events=(AdverseEvent(kind=kind, severity="moderate", date=date(2026, 3, 1)),))
    [finding] = by_code(check(row("SPLENIUS_CAPITIS", "left", 40), history=history), safety.PRIOR_DISTANT_SPREAD)
    assert finding.level == Level.OVERRIDE
    assert "reported 1 Mar 2026 (moderate)" in finding.message
    assert finding.caution_codes == ("DISTANT_SPREAD",)


def test_neck_weakness_or_dry_mouth_is_not_distant_spread():
    history = PatientHistory(
        adverse_events=(AdverseEvent(kind="neck_weakness", date=date(2026, 3, 1)), AdverseEvent(kind="dry_mouth"))
    )
    assert by_code(check(row("SPLENIUS_CAPITIS", "left", 40), history=history), safety.PRIOR_DISTANT_SPREAD) == []


# --- toxin given elsewhere --------------------------------------------------------------------------------

ONA_CUMULATIVE = safety.ProductLimits(
    product_code="ONA",
    cumulative_max=safety.CumulativeLimit(value=Decimal(400), period_weeks=12, source_codes=("D10",)),
    min_interval_weeks=safety.Limit(value=Decimal(10), source_codes=("D14",)),
)


def elsewhere(weeks_ago, product, dose, indication="chronic migraine"):
    return OutsideDose(
        date=VISIT - timedelta(weeks=weeks_ago), product=product, dose=Decimal(dose), indication=indication
    )


def test_botox_given_elsewhere_counts_in_the_botox_cumulative_maximum():
    history = PatientHistory(outside_doses=(elsewhere(11, BOTOX, 155),))
    findings = check(
        row("SCM", "left", 100), row("SPLENIUS_CAPITIS", "left", 150), history=history, limits=ONA_CUMULATIVE
    )
    [finding] = by_code(findings, safety.CUMULATIVE_MAX_EXCEEDED)
    assert "0 U Botox signed (0 sessions) + 155 U Botox given elsewhere + 250 U Botox planned = 405 U Botox" in (
        finding.message
    )
    assert "CUMULATIVE" in finding.caution_codes


def test_another_products_dose_given_elsewhere_is_never_added_or_converted():
    history = PatientHistory(outside_doses=(elsewhere(2, DYSPORT, 1000),))
    findings = check(row("SPLENIUS_CAPITIS", "left", 150), history=history, limits=ONA_CUMULATIVE)
    assert by_code(findings, safety.CUMULATIVE_MAX_EXCEEDED) == []
    assert by_code(findings, safety.INTERVAL_TOO_SHORT) == []
    [shown] = by_code(findings, safety.OUTSIDE_TOXIN)
    assert "1000 U Dysport on 20 May 2026 (chronic migraine), not counted: another product's units" in shown.message


def test_the_same_product_given_elsewhere_counts_in_the_interval():
    history = PatientHistory(
        sessions=(SignedSession(date=VISIT - timedelta(weeks=20), product=BOTOX, rows=()),),
        outside_doses=(elsewhere(4, BOTOX, 50, indication="spasticity"),),
    )
    [finding] = by_code(
        check(row("SPLENIUS_CAPITIS", "left", 50), history=history, limits=ONA_CUMULATIVE), "INTERVAL_TOO_SHORT"
    )
    assert "Only 4 weeks since Botox given elsewhere on 6 May 2026 (spasticity)" in finding.message


def test_a_dose_given_elsewhere_after_the_visit_is_not_counted():
    history = PatientHistory(outside_doses=(elsewhere(-1, BOTOX, 300),))
    findings = check(row("SPLENIUS_CAPITIS", "left", 150), history=history, limits=ONA_CUMULATIVE)
    assert not {safety.CUMULATIVE_MAX_EXCEEDED, safety.INTERVAL_TOO_SHORT, safety.OUTSIDE_TOXIN} & {
        f.code for f in findings
    }


def test_without_a_labelled_period_the_clinics_window_lists_toxin_given_elsewhere_and_says_so():
    history = PatientHistory(outside_doses=(elsewhere(2, DYSPORT, 300), elsewhere(14, DYSPORT, 500)))
    findings = check(row("SPLENIUS_CAPITIS", "left", 150), product=DYSPORT, history=history)
    [shown] = by_code(findings, safety.OUTSIDE_TOXIN)
    assert "in the 12 weeks up to the visit: 300 U Dysport" in shown.message and "500 U" not in shown.message
    assert shown.clinic_policy and "default used" not in shown.message
    wider = SafetyPolicy(outside_toxin_window_weeks=Decimal(16))
    [shown] = by_code(
        check(row("SPLENIUS_CAPITIS", "left", 150), product=DYSPORT, history=history, policy=wider), "OUTSIDE_TOXIN"
    )
    assert "in the 16 weeks up to the visit" in shown.message and "500 U Dysport" in shown.message
    missing = SafetyPolicy(defaults_used=frozenset({"outside_toxin_window_weeks"}))
    [shown] = by_code(
        check(row("SPLENIUS_CAPITIS", "left", 150), product=DYSPORT, history=history, policy=missing), "OUTSIDE_TOXIN"
    )
    assert (
        "default used: the reference data has no active setting “toxin given elsewhere listed from this far back"
        in shown.message
    )
    # A window outside its range (a policy built around the selector) is not used, and the finding says so.
    absurd = SafetyPolicy(outside_toxin_window_weeks=Decimal(9000))
    [shown] = by_code(
        check(row("SPLENIUS_CAPITIS", "left", 150), product=DYSPORT, history=history, policy=absurd), "OUTSIDE_TOXIN"
    )
    assert "in the 12 weeks up to the visit" in shown.message
    assert "(outside_toxin_window_weeks) from 1 to 520; the built-in 12 applies" in shown.message
    # A labelled period (Botox, 12 weeks in the US) sets the window itself: no policy setting is relied on.
    [shown] = by_code(
        check(row("SPLENIUS_CAPITIS", "left", 150), history=history, limits=ONA_CUMULATIVE, policy=missing),
        "OUTSIDE_TOXIN",
    )
    assert "default used" not in shown.message


# --- every reference caution reaches the plan -------------------------------------------------------------

SCENARIOS = {
    "SCM_DOSE_CAP_ONA": lambda: check(row("SCM", "left", 120)),
    "SCM_DOSE_CAP_ABO": lambda: check(row("SCM", "left", 400), product=DYSPORT),
    "SCM_DOSE_CAP_INCO": lambda: check(row("SCM", "left", 60), product=PRODUCTS["INCO"]),
    "SCM_DOSE_CAP_RIMA": lambda: check(row("SCM", "left", 1000), product=PRODUCTS["RIMA"]),
    "SCM_DOSE_CAP_DAXI": lambda: check(row("SCM", "left", 20), product=DAXXIFY),
    "SCM_LIMIT_ALL": lambda: check(row("SCM", "left", 20), product=DAXXIFY),
    "SCM_BILATERAL": lambda: check(row("SCM", "left", 20), row("SCM", "right", 20)),
    "SCM_ANTEROCOLLIS_HALF": lambda: check(row("SCM", "left", 60), posture=posture("ANTEROCOLLIS")),
    "LEVATOR_URI_DYSPHAGIA": lambda: check(row("LEVATOR_SCAPULAE", "left", 40)),
    "SYMMETRIC_POSTERIOR": lambda: check(
        row("SPLENIUS_CAPITIS", "left", 50), row("SPLENIUS_CAPITIS", "right", 30), posture=posture("RETROCOLLIS")
    ),
    "NECK_EXTENSOR_WEAKNESS": lambda: check(
        row("SPLENIUS_CAPITIS", "left", 40), row("SEMISPINALIS_CAPITIS", "right", 40)
    ),
    "DISTANT_SPREAD": lambda: check(history=PatientHistory(adverse_events=(AdverseEvent(kind="breathing"),))),
    "NAIVE_LOWER_START": lambda: check(row("SCM", "left", 20), history=PatientHistory(toxin_naive=True)),
    "CUMULATIVE": lambda: check(history=PatientHistory(outside_doses=(elsewhere(2, BOTOX, 100),))),
    "NO_UNIT_CONVERSION": lambda: check(
        history=PatientHistory(sessions=(SignedSession(date=date(2026, 2, 1), product=DYSPORT, rows=()),))
    ),
    "BASELINE_SWALLOW_SSB": lambda: check(
        history=PatientHistory(baseline_swallowing="not_assessed"), posture=posture("SAGITTAL_SHIFT_BACKWARD")
    ),
}


def test_every_caution_in_the_shipped_data_has_a_check():
    shipped = {row["code"] for row in CAUTION_ROWS}
    assert len(shipped) >= 12
    assert shipped == set(SCENARIOS), "a caution without a scenario is used by no check, or a scenario is stale"
    for code in shipped:
        assert code in CAUTION_FIELDS or code.startswith(SCM_CAP_PREFIX), f"{code} reaches no Cautions field"


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_each_caution_reaches_the_plan_as_a_finding_with_its_source(code):
    findings = SCENARIOS[code]()
    carrying = [finding for finding in findings if code in finding.caution_codes]
    assert carrying, f"no finding applies caution {code}"
    shipped = next(row for row in CAUTION_ROWS if row["code"] == code)
    for finding in carrying:
        assert set(shipped["sources"]) <= set(finding.source_codes)


def test_anterior_neck_muscles_always_carry_the_dysphagia_caution():
    [finding] = by_code(check(row("LONGUS_CAPITIS", "left", 10)), safety.ANTERIOR_NECK_DYSPHAGIA)
    assert finding.level == Level.INFO
    assert finding.source_codes == ("D12", "D21")


def test_after_dysphagia_the_caution_is_a_warning_on_each_row_and_counts_levator_scapulae():
    history = PatientHistory(prior_dysphagia=True)
    findings = check(row("SUBMENTAL_COMPLEX", "left", 10), row("LEVATOR_SCAPULAE", "right", 40), history=history)
    assert [f.row for f in by_code(findings, safety.DYSPHAGIA_ANTERIOR_NECK)] == [0, 1]
    assert all(f.level == Level.WARNING for f in by_code(findings, safety.DYSPHAGIA_ANTERIOR_NECK))
    assert by_code(findings, safety.ANTERIOR_NECK_DYSPHAGIA) == []


def test_a_bilateral_submental_or_longus_capitis_plan_warns_without_dysphagia_history():
    findings = check(
        row("SUBMENTAL_COMPLEX", "left", 10),
        row("SUBMENTAL_COMPLEX", "right", 10),
        row("LONGUS_CAPITIS", "left", 10),
        row("LONGUS_CAPITIS", "right", 10),
    )
    keys = [f.key for f in by_code(findings, safety.ANTERIOR_NECK_BILATERAL)]
    assert keys == ["ANTERIOR_NECK_BILATERAL:LONGUS_CAPITIS", "ANTERIOR_NECK_BILATERAL:SUBMENTAL_COMPLEX"]


def test_symmetric_posterior_injections_without_a_tilt_raise_no_asymmetry():
    findings = check(
        row("SPLENIUS_CAPITIS", "left", 40), row("SPLENIUS_CAPITIS", "right", 40), posture=posture("RETROCOLLIS")
    )
    assert by_code(findings, safety.POSTERIOR_ASYMMETRIC) == []
    assert by_code(findings, safety.NECK_EXTENSOR_WEAKNESS)


def test_asymmetric_posterior_injections_are_expected_with_a_rotation():
    rotation = (PostureComponent(code="TORTICAPUT", direction="left", severity=2),)
    findings = check(row("SPLENIUS_CAPITIS", "left", 60), posture=rotation)
    assert by_code(findings, safety.POSTERIOR_ASYMMETRIC) == []


def test_baseline_swallowing_recorded_silences_its_caution():
    findings = check(history=PatientHistory(baseline_swallowing="normal"), posture=posture("SAGITTAL_SHIFT_BACKWARD"))
    assert by_code(findings, safety.BASELINE_SWALLOWING_NOT_RECORDED) == []


# --- property: adding a contraindication never removes a finding ------------------------------------------

MUSCLE_CODES = sorted(MUSCLES)
rows_strategy = st.lists(
    st.builds(
        row,
        st.sampled_from(MUSCLE_CODES),
        st.sampled_from(["left", "right"]),
        st.decimals(min_value=1, max_value=400, places=0),
    ),
    max_size=6,
    unique_by=lambda item: (item.muscle_code, item.side),
)
conditions_strategy = st.lists(st.sampled_from([item["code"] for item in CONDITION_ROWS]), max_size=4, unique=True)


@given(
    rows=rows_strategy,
    product=st.sampled_from(sorted(PRODUCTS)),
    present=conditions_strategy,
    added=st.sampled_from([item["code"] for item in CONDITION_ROWS]),
    naive=st.booleans(),
)
def test_adding_a_contraindication_never_removes_a_finding(rows, product, present, added, naive):
    before_conditions = tuple(condition(code) for code in present)
    after_conditions = (*before_conditions, condition(added, level="error"))

    def keys(conditions):
        history = PatientHistory(conditions=conditions, toxin_naive=naive)
        return {(f.key, f.level) for f in check(*rows, product=PRODUCTS[product], history=history)}

    before, after = keys(before_conditions), keys(after_conditions)
    assert before <= after
    assert any(key.startswith("CONDITION:") and level == Level.ERROR for key, level in after) or (
        PRODUCTS[product].code not in condition(added).product_codes and condition(added).product_codes
    )
