"""planner.rules.safety rule by rule for every product: a table of doses at 1x, 2x and 10x the usual figure, every
limit exactly at, just under and just over its value, and histories in any order.

The reference values are written here (not loaded from the shipped data), so each expected level can be
read off the table.
"""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.rules.safety import (
    Cautions,
    CumulativeLimit,
    DraftSession,
    InjectionRow,
    Level,
    Limit,
    PatientHistory,
    ProductAmount,
    ProductLimits,
    SafetyPolicy,
    SignedSession,
    check_session,
)
from planner.rules.suggest import DoseRange, PostureComponent, Product

VISIT = dt.date(2026, 6, 3)
NOW = dt.datetime(2026, 6, 3, 10, 0, tzinfo=dt.UTC)
PRODUCTS = {
    code: Product(code=code, name=name)
    for code, name in (
        ("ONA", "Botox"),
        ("ABO", "Dysport"),
        ("INCO", "Xeomin"),
        ("RIMA", "Myobloc"),
        ("DAXI", "Daxxify"),
    )
}
# product: (SCM median, splenius capitis range, labeled session maximum, hard ceiling)
FIGURES = {
    "ONA": (Decimal(50), (Decimal(25), Decimal(75)), Decimal(300), Decimal(500)),
    "ABO": (Decimal(125), (Decimal(150), Decimal(350)), Decimal(1000), Decimal(1500)),
    "INCO": (Decimal(25), (Decimal(35), Decimal(60)), Decimal(300), Decimal(400)),
    "RIMA": (Decimal(1000), (Decimal(1000), Decimal(3000)), Decimal(5000), Decimal(25000)),
    "DAXI": (Decimal(25), (Decimal(25), Decimal(75)), Decimal(250), Decimal(300)),
}
SOURCE = {"source_codes": ("T1",), "verification": "verified"}


def guidelines(code):
    median, (low, high), _, _ = FIGURES[code]
    return (
        DoseRange(product_code=code, muscle_code="SCM", median_units=median, kind="trial_observed", **SOURCE),
        DoseRange(
            product_code=code,
            muscle_code="SPLENIUS_CAPITIS",
            min_units=low,
            max_units=high,
            kind="label_table",
            **SOURCE,
        ),
    )


def limits(code, **extra):
    _, _, session_max, ceiling = FIGURES[code]
    fields = {
        "session_max": Limit(value=session_max, **SOURCE),
        "hard_ceiling": Limit(value=ceiling),
        **extra,
    }
    return ProductLimits(product_code=code, **fields)


def usual(code, muscle):
    median, (low, high), _, _ = FIGURES[code]
    return median if muscle == "SCM" else (low + high) / 2


def row(muscle, dose, side="left", sites=1):
    return InjectionRow(muscle_code=muscle, side=side, dose=dose, sites=sites)


def check(code, *rows, history=None, posture=(), product_limits=None, cautions=None, **draft):
    return check_session(
        draft=DraftSession(visit_date=draft.pop("visit_date", VISIT), product=PRODUCTS[code], rows=rows, **draft),
        history=history or PatientHistory(),
        posture=posture,
        limits=product_limits or limits(code),
        guidelines=guidelines(code),
        cautions=cautions or Cautions(),
        policy=SafetyPolicy(),
    )


def worst(findings, *, ignore=("info",)):
    levels = [finding.level for finding in findings if finding.level not in ignore]
    order = [Level.ERROR, Level.OVERRIDE, Level.WARNING]
    return min(levels, key=order.index) if levels else None


def codes(findings):
    return {finding.code for finding in findings}


# --- the table --------------------------------------------------------------------------------------

ERROR, OVERRIDE, WARNING = Level.ERROR, Level.OVERRIDE, Level.WARNING
TABLE = {
    # (product, muscle): expected worst level at 1x, 2x, 10x the usual figure
    ("ONA", "SCM"): (None, None, OVERRIDE),  # 2x a median is at the policy multiple; 500 U: above 300, at the ceiling
    ("ABO", "SCM"): (None, None, OVERRIDE),
    ("INCO", "SCM"): (None, None, WARNING),  # 250 U: under the 300 U maximum, above 2x the median
    ("RIMA", "SCM"): (None, None, OVERRIDE),
    ("DAXI", "SCM"): (None, None, WARNING),  # 250 U: exactly the labeled maximum
    ("ONA", "SPLENIUS_CAPITIS"): (None, WARNING, OVERRIDE),
    ("ABO", "SPLENIUS_CAPITIS"): (None, WARNING, ERROR),
    ("INCO", "SPLENIUS_CAPITIS"): (None, WARNING, ERROR),
    ("RIMA", "SPLENIUS_CAPITIS"): (None, WARNING, OVERRIDE),
    ("DAXI", "SPLENIUS_CAPITIS"): (None, WARNING, ERROR),
}


@pytest.mark.parametrize(("product", "muscle"), sorted(TABLE))
def test_a_dose_at_one_two_and_ten_times_its_usual_figure_gives_the_expected_level(product, muscle):
    for multiple, expected in zip((1, 2, 10), TABLE[product, muscle], strict=True):
        findings = check(product, row(muscle, usual(product, muscle) * multiple))
        assert worst(findings) == expected, (product, muscle, multiple, [f.code for f in findings])


@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_scm_in_anterocollis_is_measured_against_the_usual_scm_dose_for_every_product(product):
    anterocollis = (PostureComponent(code="ANTEROCOLLIS", severity=2),)
    scm = usual(product, "SCM")
    assert "SCM_ANTEROCOLLIS_NOT_REDUCED" in codes(check(product, row("SCM", scm), posture=anterocollis))
    assert "SCM_ANTEROCOLLIS_NOT_REDUCED" not in codes(check(product, row("SCM", scm / 2), posture=anterocollis))
    assert "SCM_ANTEROCOLLIS_NOT_REDUCED" not in codes(check(product, row("SCM", scm)))


@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_a_muscle_without_a_sourced_figure_says_so_for_every_product(product):
    finding = next(f for f in check(product, row("LEVATOR_SCAPULAE", Decimal(10))) if f.code == "DOSE_NOT_SOURCED")
    assert finding.level is Level.WARNING
    assert f"No sourced dose for LEVATOR_SCAPULAE with {PRODUCTS[product].name}" in finding.message
    assert "check the dose" in finding.message


def test_a_trial_figure_is_named_as_seen_in_the_trial_not_as_a_guideline():
    finding = next(f for f in check("INCO", row("SCM", Decimal(60))) if f.code == "DOSE_ABOVE_MEDIAN_MULTIPLE")
    assert "seen in the Xeomin trial" in finding.message and "guideline" not in finding.message
    assert finding.clinic_policy


def test_an_example_for_head_tremor_is_checked_only_when_tremor_is_recorded():
    tremor_example = DoseRange(
        product_code="ONA",
        muscle_code="SPLENIUS_CAPITIS",
        max_units=Decimal(60),
        kind="expert_example",
        note="tremor",
        context_patterns=("TREMOR_NO_NO", "TREMOR_YES_YES"),
        **SOURCE,
    )
    draft = DraftSession(visit_date=VISIT, product=PRODUCTS["ONA"], rows=(row("SPLENIUS_CAPITIS", Decimal(75)),))
    without = check_session(draft=draft, limits=limits("ONA"), guidelines=(tremor_example,))
    assert "DOSE_OUT_OF_RANGE" not in codes(without)
    assert "DOSE_NOT_SOURCED" in codes(without)  # and it says the figure is for another context
    tremor = (PostureComponent(code="TREMOR_NO_NO", severity=1),)
    with_tremor = check_session(draft=draft, limits=limits("ONA"), guidelines=(tremor_example,), posture=tremor)
    assert "DOSE_OUT_OF_RANGE" in codes(with_tremor)


# --- every limit at, just under and just over -----------------------------------------------------------

STEP = Decimal("0.01")


def level_of(findings, code):
    matches = [finding.level for finding in findings if finding.code == code]
    return matches[0] if matches else None


@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_the_hard_ceiling_is_an_error_only_above_it(product):
    ceiling = FIGURES[product][3]
    for dose, expected in ((ceiling - STEP, None), (ceiling, None), (ceiling + STEP, ERROR)):
        assert level_of(check(product, row("TRAPEZIUS_UPPER", dose)), "HARD_CEILING_EXCEEDED") == expected


@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_the_labeled_session_maximum_is_an_override_only_above_it(product):
    maximum = FIGURES[product][2]
    for dose, expected in ((maximum - STEP, None), (maximum, None), (maximum + STEP, OVERRIDE)):
        assert level_of(check(product, row("TRAPEZIUS_UPPER", dose)), "SESSION_MAX_EXCEEDED") == expected


def test_the_near_maximum_info_starts_at_the_policy_fraction():
    for dose, expected in ((Decimal("239.99"), None), (Decimal(240), Level.INFO)):
        assert level_of(check("ONA", row("TRAPEZIUS_UPPER", dose)), "SESSION_MAX_NEAR") == expected


def test_the_cumulative_maximum_is_an_override_only_above_it():
    cumulative = CumulativeLimit(value=Decimal(400), period_weeks=12, **SOURCE)
    past = PatientHistory(
        sessions=(SignedSession(date=VISIT - dt.timedelta(weeks=11), product=PRODUCTS["ONA"], rows=(row("SCM", 200),)),)
    )
    for dose, expected in ((Decimal("199.99"), None), (Decimal(200), None), (Decimal("200.01"), OVERRIDE)):
        findings = check(
            "ONA", row("TRAPEZIUS_UPPER", dose), history=past, product_limits=limits("ONA", cumulative_max=cumulative)
        )
        assert level_of(findings, "CUMULATIVE_MAX_EXCEEDED") == expected


@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_the_minimum_interval_counts_from_the_last_session_of_any_product(product):
    interval = Limit(value=Decimal(12), **SOURCE)
    other = "ONA" if product != "ONA" else "DAXI"
    for days, expected in ((83, OVERRIDE), (84, None), (85, None)):
        past = PatientHistory(
            sessions=(
                SignedSession(date=VISIT - dt.timedelta(days=200), product=PRODUCTS[product]),
                SignedSession(date=VISIT - dt.timedelta(days=days), product=PRODUCTS[other]),
            )
        )
        findings = check(
            product,
            row("SCM", usual(product, "SCM")),
            history=past,
            product_limits=limits(product, min_interval_weeks=interval),
        )
        assert level_of(findings, "INTERVAL_TOO_SHORT") == expected, days


def test_a_toxin_naive_start_above_the_labeled_dose_is_an_override():
    naive = PatientHistory(toxin_naive=True)
    start = Limit(value=Decimal(500), **SOURCE)
    for dose, expected in ((Decimal("499.99"), None), (Decimal(500), None), (Decimal("500.01"), OVERRIDE)):
        findings = check(
            "ABO", row("TRAPEZIUS_UPPER", dose), history=naive, product_limits=limits("ABO", naive_start_dose=start)
        )
        assert level_of(findings, "NAIVE_ABOVE_START_DOSE") == expected


def test_a_range_warns_only_outside_its_ends():
    for dose, expected in (
        (Decimal("24.99"), WARNING),
        (Decimal(25), None),
        (Decimal("25.01"), None),
        (Decimal("74.99"), None),
        (Decimal(75), None),
        (Decimal("75.01"), WARNING),
    ):
        assert level_of(check("ONA", row("SPLENIUS_CAPITIS", dose)), "DOSE_OUT_OF_RANGE") == expected


def test_a_median_multiple_warns_only_above_it():
    for dose, expected in ((Decimal("99.99"), None), (Decimal(100), None), (Decimal("100.01"), WARNING)):
        assert level_of(check("ONA", row("SCM", dose)), "DOSE_ABOVE_MEDIAN_MULTIPLE") == expected


def test_the_scm_caution_level_warns_only_above_it():
    cautions = Cautions(scm_total_max=(ProductAmount(product_code="DAXI", value=Decimal(50), **SOURCE),))
    for right, expected in ((Decimal("24.99"), None), (Decimal(25), None), (Decimal("25.01"), WARNING)):
        findings = check("DAXI", row("SCM", Decimal(25)), row("SCM", right, side="right"), cautions=cautions)
        assert level_of(findings, "SCM_TOTAL_ABOVE_CAUTION") == expected


def test_the_volume_per_site_warns_only_outside_the_policy_bounds():
    # Botox 100 U in 2 mL is 50 U/mL: 2.5 U is 0.05 mL and 50 U is 1 mL.
    dilution = {"vial_units": Decimal(100), "diluent_ml": Decimal(2)}
    for dose, expected in (
        (Decimal("2.49"), WARNING),
        (Decimal("2.5"), None),
        (Decimal(50), None),
        (Decimal("50.01"), WARNING),
    ):
        assert level_of(check("ONA", row("SCM", dose), **dilution), "VOLUME_PER_SITE_IMPLAUSIBLE") == expected


def test_a_lot_is_refused_only_when_it_expires_before_the_visit():
    for expiry, expected in (
        (VISIT - dt.timedelta(days=1), ERROR),
        (VISIT, None),
        (VISIT + dt.timedelta(days=1), None),
    ):
        assert level_of(check("ONA", row("SCM", 50), lot_expiry=expiry), "LOT_EXPIRED") == expected


def test_a_visit_after_today_is_an_error():
    for visit, expected in ((VISIT - dt.timedelta(days=1), None), (VISIT, None), (VISIT + dt.timedelta(days=1), ERROR)):
        findings = check("ONA", row("SCM", 50), visit_date=visit, today=VISIT)
        assert level_of(findings, "VISIT_IN_FUTURE") == expected


def test_a_vial_used_past_its_hours_after_reconstitution_is_an_error():
    hours = Limit(value=Decimal(24), **SOURCE)
    prepared = {
        "require_preparation": True,
        "lot_number": "L1",
        "lot_expiry": VISIT,
        "vial_units": 100,
        "diluent_ml": 2,
    }
    for age, expected in (
        (dt.timedelta(hours=23, minutes=59), None),
        (dt.timedelta(hours=24), None),
        (dt.timedelta(hours=24, seconds=1), ERROR),
    ):
        findings = check(
            "ONA",
            row("SCM", 50),
            product_limits=limits("ONA", reconstituted_use_hours=hours),
            reconstituted_at=NOW - age,
            now=NOW,
            **prepared,
        )
        assert level_of(findings, "RECONSTITUTED_TOO_LONG_AGO") == expected
        assert "PREPARATION_MISSING" not in codes(findings)


@pytest.mark.parametrize("missing", ["lot_number", "lot_expiry", "vial_units", "diluent_ml"])
def test_a_missing_part_of_the_preparation_is_an_error(missing):
    prepared = {"lot_number": "L1", "lot_expiry": VISIT, "vial_units": Decimal(100), "diluent_ml": Decimal(2)}
    prepared[missing] = "" if missing == "lot_number" else None
    findings = check("ONA", row("SCM", 50), require_preparation=True, **prepared)
    assert level_of(findings, "PREPARATION_MISSING") == ERROR


def test_an_inactive_patient_is_an_error_even_without_rows():
    assert level_of(check("ONA", patient_active=False), "PATIENT_INACTIVE") == ERROR
    assert level_of(check("ONA"), "PATIENT_INACTIVE") is None


# --- history order --------------------------------------------------------------------------------------

HISTORY = (
    SignedSession(date=VISIT - dt.timedelta(weeks=20), product=PRODUCTS["ONA"], rows=(row("SCM", 100),)),
    SignedSession(date=VISIT - dt.timedelta(weeks=8), product=PRODUCTS["ONA"], rows=(row("SCM", 150),)),
    SignedSession(date=VISIT - dt.timedelta(weeks=8), product=PRODUCTS["ABO"], rows=(row("SCM", 300),)),
    SignedSession(date=VISIT - dt.timedelta(weeks=4), product=PRODUCTS["DAXI"], rows=(row("SCM", 50),)),
    SignedSession(date=VISIT + dt.timedelta(weeks=1), product=PRODUCTS["ONA"], rows=(row("SCM", 999),)),
)


@given(order=st.permutations(HISTORY))
def test_findings_do_not_depend_on_the_order_of_the_history(order):
    product_limits = limits(
        "ONA",
        cumulative_max=CumulativeLimit(value=Decimal(400), period_weeks=12, **SOURCE),
        min_interval_weeks=Limit(value=Decimal(12), **SOURCE),
    )
    expected = check("ONA", row("SCM", 300), history=PatientHistory(sessions=HISTORY), product_limits=product_limits)
    findings = check(
        "ONA", row("SCM", 300), history=PatientHistory(sessions=tuple(order)), product_limits=product_limits
    )
    assert findings == expected
    assert {"CUMULATIVE_MAX_EXCEEDED", "INTERVAL_TOO_SHORT", "PRODUCT_SWITCH"} <= codes(findings)
