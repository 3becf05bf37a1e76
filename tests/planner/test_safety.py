"""planner.rules.safety: every finding has a test that raises it and one that does not.

With the shipped reference data.
"""

import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.rules import safety
from planner.rules.safety import (
    AdverseEvent,
    Cautions,
    DraftSession,
    InjectionRow,
    Level,
    Limit,
    PatientHistory,
    ProductLimits,
    SafetyPolicy,
    SignedSession,
    check_session,
)
from planner.rules.suggest import PostureComponent, Verification
from tests.planner.reference_fixtures import (
    CAUTIONS,
    COMBINED_PATTERNS,
    DOSE_RANGES,
    MUSCLES,
    PRODUCT_LIMITS,
    PRODUCTS,
)

# Every product gets a hard ceiling far above any plan here, so the ceiling's own findings stay out of the
# way (test_safety_rules.py tests the ceiling itself).
LIMITS = tuple(
    replace(limits, hard_ceiling=limits.hard_ceiling or Limit(value=Decimal(100000)))
    for limits in PRODUCT_LIMITS.values()
)
BOTOX = PRODUCTS["ONA"]
DYSPORT = PRODUCTS["ABO"]
XEOMIN = PRODUCTS["INCO"]
MYOBLOC = PRODUCTS["RIMA"]
DAXXIFY = PRODUCTS["DAXI"]
VISIT = date(2026, 6, 3)


def row(muscle, side, dose, sites=1, guidance="anatomical"):
    return InjectionRow(muscle_code=muscle, side=side, dose=dose, sites=sites, guidance=guidance)


def draft(*rows, product=BOTOX, **fields):
    return DraftSession(visit_date=VISIT, product=product, rows=rows, **fields)


def signed(weeks_ago, product, *rows, days=0):
    return SignedSession(date=VISIT - timedelta(weeks=weeks_ago, days=days), product=product, rows=rows)


def check(session, *, history=None, posture=(), **overrides):
    return check_session(
        draft=session,
        history=history or PatientHistory(),
        posture=posture,
        combined_patterns=COMBINED_PATTERNS,
        limits=overrides.pop("limits", LIMITS),
        muscles=MUSCLES,
        cautions=overrides.pop("cautions", CAUTIONS),
        guidelines=overrides.pop("guidelines", DOSE_RANGES),
        **overrides,
    )


def codes(findings):
    return [finding.code for finding in findings]


def only(findings, code):
    matches = [finding for finding in findings if finding.code == code]
    assert len(matches) == 1, f"{code}: {codes(findings)}"
    return matches[0]


def history(*sessions, **fields):
    return PatientHistory(sessions=sessions, **fields)


# --- doses that are not positive numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("dose", "problem"),
    [
        ("abc", "'abc' is not a number"),
        ("12,5", "'12,5' is not a number"),
        ("", "no dose entered"),
        ("   ", "no dose entered"),
        (None, "no dose entered"),
        ("0", "'0' is not a positive dose"),
        (Decimal("-5"), "'-5' is not a positive dose"),
        (Decimal("NaN"), "'NaN' is not a number"),
        ("Infinity", "'Infinity' is not a number"),
        (True, "'True' is not a number"),
        ("2000000", "'2000000' is too large to be a dose"),
        ("1e999999", "'1e999999' is too large to be a dose"),
    ],
)
def test_a_dose_that_is_not_a_positive_number_is_an_error(dose, problem):
    finding = only(check(draft(row("SCM", "left", dose))), "DOSE_INVALID")
    assert finding.level is Level.ERROR and finding.row == 0
    assert finding.key == "DOSE_INVALID:SCM:left"
    assert finding.message == f"Left sternocleidomastoid: {problem}; enter a dose in U Botox above 0."


@pytest.mark.parametrize("dose", ["12.5", " 40 ", Decimal("25"), 30, 22.5])
def test_a_positive_dose_is_accepted_as_typed(dose):
    assert "DOSE_INVALID" not in codes(check(draft(row("SCM", "left", dose))))


def test_an_invalid_dose_is_left_out_of_every_total():
    findings = check(draft(row("SCM", "left", "400x"), row("SCM", "right", "40")))
    # The valid row still carries the anterior neck dysphagia caution (an info).
    assert codes(findings) == ["DOSE_INVALID", "ANTERIOR_NECK_DYSPHAGIA"]


def test_a_row_without_a_side_is_an_error_and_a_row_with_one_is_not():
    finding = only(check(draft(row("SCM", "", "40"))), "SIDE_INVALID")
    assert (finding.level, finding.row) == (Level.ERROR, 0)
    assert finding.message == "Sternocleidomastoid has no side: choose left or right."
    assert "SIDE_INVALID" not in codes(check(draft(row("SCM", "right", "40"))))


@pytest.mark.parametrize("sites", [0, -1, "two", Decimal("1.5"), False])
def test_a_number_of_sites_that_is_not_a_whole_number_of_one_or_more_is_an_error(sites):
    finding = only(check(draft(row("SCM", "left", "40", sites=sites))), "SITES_INVALID")
    assert finding.level is Level.ERROR


@pytest.mark.parametrize("sites", [1, 2, "3", None])
def test_a_whole_number_of_sites_or_none_given_is_accepted(sites):
    assert "SITES_INVALID" not in codes(check(draft(row("SCM", "left", "40", sites=sites))))


# --- guideline ranges ----------------------------------------------------------------------------------


def test_a_dose_above_the_guideline_range_is_a_warning_naming_the_range_and_its_source():
    finding = only(check(draft(row("SCM", "left", "150"))), "DOSE_OUT_OF_RANGE")
    assert (finding.level, finding.key, finding.row) == (Level.WARNING, "DOSE_OUT_OF_RANGE:SCM:left", 0)
    assert finding.message == (
        "150 U Botox for left sternocleidomastoid is above 25–100 U Botox, the Botox label's range "
        "(source D14, unverified)."
    )
    assert (finding.source_codes, finding.verification) == (("D14",), Verification.UNVERIFIED)


def test_a_dose_below_the_guideline_range_is_a_warning():
    finding = only(check(draft(row("SCM", "right", "10"))), "DOSE_OUT_OF_RANGE")
    assert (
        "10 U Botox for right sternocleidomastoid is below 25–100 U Botox, the Botox label's range" in finding.message
    )


TREMOR = (PostureComponent(code="TREMOR_NO_NO", severity=1),)


def test_a_dose_outside_two_sourced_ranges_names_both():
    # S6d's 60 U splenius capitis is an example for head tremor: it counts only when tremor is recorded.
    finding = only(check(draft(row("SPLENIUS_CAPITIS", "left", "80", sites=2)), posture=TREMOR), "DOSE_OUT_OF_RANGE")
    assert finding.message == (
        "80 U Botox for left splenius capitis is above 25–75 U Botox, the Botox label's range "
        "(source D14, unverified); and above 60 U Botox, an expert example for Botox (tremor) "
        "(source S6d, partly verified)."
    )
    assert finding.source_codes == ("D14", "S6d") and finding.verification is Verification.UNVERIFIED


def test_a_dose_inside_every_range_or_a_muscle_without_a_range_gives_no_range_warning():
    assert "DOSE_OUT_OF_RANGE" not in codes(check(draft(row("SPLENIUS_CAPITIS", "left", "50", sites=2))))
    assert "DOSE_OUT_OF_RANGE" not in codes(check(draft(row("RECTUS_CAPITIS_POSTERIOR_MAJOR", "left", "90"))))


def test_ranges_are_those_of_the_sessions_product_only():
    # 300 U is inside Dysport's 50-350 U for SCM, though far above Botox's 25-100 U.
    assert "DOSE_OUT_OF_RANGE" not in codes(check(draft(row("SCM", "left", "300"), product=DYSPORT)))
    # Xeomin has only a median for SCM: nothing to be outside of.
    assert "DOSE_OUT_OF_RANGE" not in codes(check(draft(row("SCM", "left", "90"), product=XEOMIN)))


# --- session maximum -----------------------------------------------------------------------------------


def test_a_session_total_above_the_labeled_maximum_is_an_error():
    findings = check(
        draft(
            row("TRAPEZIUS_UPPER", "left", "100"),
            row("TRAPEZIUS_UPPER", "right", "100"),
            row("LEVATOR_SCAPULAE", "left", "60"),
            row("LEVATOR_SCAPULAE", "right", "60"),
        )
    )
    finding = only(findings, "SESSION_MAX_EXCEEDED")
    assert finding.level is Level.OVERRIDE and finding.row is None
    assert finding.message == (
        "Session total 320 U Botox is above the labeled maximum of 300 U Botox per session (source D14, verified)."
    )
    assert "SESSION_MAX_NEAR" not in codes(findings)


def test_a_session_total_at_the_maximum_is_not_an_error_but_is_pointed_out():
    findings = check(
        draft(
            row("TRAPEZIUS_UPPER", "left", "100"),
            row("TRAPEZIUS_UPPER", "right", "100"),
            row("LEVATOR_SCAPULAE", "left", "100"),
        )
    )
    assert "SESSION_MAX_EXCEEDED" not in codes(findings)
    finding = only(findings, "SESSION_MAX_NEAR")
    assert finding.level is Level.INFO and finding.clinic_policy
    assert finding.message.startswith("Session total 300 U Botox is 100% of the labeled maximum of 300 U Botox")
    assert finding.message.endswith("(source D14, verified; clinic policy).")


def test_the_near_maximum_notice_starts_at_the_clinic_policy_threshold():
    at = check(
        draft(
            row("TRAPEZIUS_UPPER", "left", "100"),
            row("TRAPEZIUS_UPPER", "right", "100"),
            row("LEVATOR_SCAPULAE", "left", "40"),
        )
    )
    below = check(
        draft(
            row("TRAPEZIUS_UPPER", "left", "100"),
            row("TRAPEZIUS_UPPER", "right", "100"),
            row("LEVATOR_SCAPULAE", "left", "39"),
        )
    )
    assert "SESSION_MAX_NEAR" in codes(at)
    assert "SESSION_MAX_NEAR" not in codes(below)
    stricter = check(
        draft(row("TRAPEZIUS_UPPER", "left", "100")), policy=SafetyPolicy(near_session_max_fraction=Decimal("0.3"))
    )
    assert "33% of the labeled maximum" in only(stricter, "SESSION_MAX_NEAR").message
    defaulted = check(
        draft(row("TRAPEZIUS_UPPER", "left", "250")),
        policy=SafetyPolicy(defaults_used=frozenset({"near_session_max_fraction", "median_multiple_warning"})),
    )
    message = only(defaulted, "SESSION_MAX_NEAR").message
    assert message.endswith(
        "(source D14, verified; clinic policy; default used: the reference data has no active setting “session "
        "total near the maximum (fraction)” (near_session_max_fraction) from 0.01 to 1; the built-in 0.8 applies)."
    )
    assert "default used" not in only(at, "SESSION_MAX_NEAR").message


def test_a_product_without_a_labeled_session_maximum_gets_an_info_and_no_pretended_limit():
    findings = check(draft(row("SCM", "left", "20000"), product=MYOBLOC))
    finding = only(findings, "SESSION_MAX_NOT_LABELED")
    assert finding.level is Level.INFO and finding.source_codes == ()
    assert finding.message == (
        "No labeled session maximum for Myobloc / NeuroBloc; the session total is 20000 U Myobloc / NeuroBloc."
    )
    assert "SESSION_MAX_EXCEEDED" not in codes(findings)
    assert "SESSION_MAX_NOT_LABELED" not in codes(check(draft(row("SCM", "left", "50"))))


def test_limits_of_another_product_are_never_applied():
    only_dysport = [PRODUCT_LIMITS["ABO"]]
    findings = check_session(draft=draft(row("SCM", "left", "500")), limits=only_dysport)
    assert "SESSION_MAX_EXCEEDED" not in codes(findings)
    assert "SESSION_MAX_NOT_LABELED" in codes(findings)


# --- cumulative maximum --------------------------------------------------------------------------------


def test_the_total_over_the_last_twelve_weeks_above_the_cumulative_maximum_is_an_error():
    past = history(signed(11, BOTOX, row("SCM", "left", Decimal(100)), row("TRAPEZIUS_UPPER", "left", Decimal(100))))
    findings = check(
        draft(row("TRAPEZIUS_UPPER", "left", "100"), row("TRAPEZIUS_UPPER", "right", "100"), row("SCM", "left", "50")),
        history=past,
    )
    finding = only(findings, "CUMULATIVE_MAX_EXCEEDED")
    assert finding.level is Level.OVERRIDE
    assert finding.message == (
        "Botox in the 12 weeks up to 3 Jun 2026: 200 U Botox signed (1 session) + 250 U Botox planned = 450 U Botox, "
        "above the cumulative maximum of 400 U Botox per 12 weeks (source D10, verified)."
    )


def test_a_session_twelve_weeks_before_the_visit_is_outside_the_window():
    past = history(signed(12, BOTOX, row("SCM", "left", Decimal(300))))
    findings = check(
        draft(row("TRAPEZIUS_UPPER", "left", "100"), row("TRAPEZIUS_UPPER", "right", "100"), row("SCM", "left", "50")),
        history=past,
    )
    assert "CUMULATIVE_MAX_EXCEEDED" not in codes(findings)
    in_window = history(signed(11, BOTOX, row("SCM", "left", Decimal(300)), days=6))
    assert "CUMULATIVE_MAX_EXCEEDED" in codes(check(draft(row("TRAPEZIUS_UPPER", "left", "101")), history=in_window))


def test_sessions_of_another_product_are_not_added_to_the_cumulative_total_and_are_named():
    past = history(signed(11, DYSPORT, row("SCM", "left", Decimal(500)), row("SPLENIUS_CAPITIS", "left", Decimal(500))))
    findings = check(draft(row("TRAPEZIUS_UPPER", "left", "100"), row("TRAPEZIUS_UPPER", "right", "100")), history=past)
    assert "CUMULATIVE_MAX_EXCEEDED" not in codes(findings)
    finding = only(findings, "CUMULATIVE_OTHER_PRODUCTS")
    assert finding.level is Level.INFO and finding.key == "CUMULATIVE_OTHER_PRODUCTS:ABO"
    assert finding.message == (
        "Not counted in the 12-week Botox total because units of different products are not interchangeable: "
        "Dysport on 18 Mar 2026 (sources D1, D7, D16, D17, verified)."
    )


def test_no_other_product_notice_when_the_window_has_only_the_same_product_or_no_cumulative_limit():
    same = history(signed(11, BOTOX, row("SCM", "left", Decimal(50))))
    assert "CUMULATIVE_OTHER_PRODUCTS" not in codes(check(draft(row("SCM", "left", "50")), history=same))
    other = history(signed(13, BOTOX, row("SCM", "left", Decimal(50))))
    assert "CUMULATIVE_OTHER_PRODUCTS" not in codes(
        check(draft(row("SCM", "left", "50"), product=DYSPORT), history=other)
    )


# --- interval ------------------------------------------------------------------------------------------


def test_an_interval_below_the_products_minimum_is_a_warning():
    past = history(signed(9, BOTOX, row("SCM", "left", Decimal(50)), days=6))
    finding = only(check(draft(row("SCM", "left", "50")), history=past), "INTERVAL_TOO_SHORT")
    assert finding.level is Level.OVERRIDE and finding.key == "INTERVAL_TOO_SHORT:2026-03-26"
    assert finding.message == (
        "Only 9 weeks and 6 days since the last signed session on 26 Mar 2026 (Botox); "
        "the minimum re-treatment interval for Botox is 10 weeks (source D14, verified)."
    )


def test_an_interval_at_the_minimum_is_fine():
    past = history(signed(10, BOTOX, row("SCM", "left", Decimal(50))))
    assert "INTERVAL_TOO_SHORT" not in codes(check(draft(row("SCM", "left", "50")), history=past))


def test_the_interval_counts_from_the_last_session_of_any_product_against_the_drafts_minimum():
    past = history(
        signed(20, DYSPORT, row("SCM", "left", Decimal(100))), signed(11, XEOMIN, row("SCM", "left", Decimal(30)))
    )
    finding = only(check(draft(row("SCM", "left", "150"), product=DYSPORT), history=past), "INTERVAL_TOO_SHORT")
    assert "since the last signed session on 18 Mar 2026 (Xeomin)" in finding.message
    assert "minimum re-treatment interval for Dysport is 12 weeks (source D1, verified)" in finding.message


def test_no_interval_warning_without_a_labeled_minimum_or_for_later_sessions():
    recent = history(signed(2, DAXXIFY, row("SCM", "left", Decimal(50))))
    assert "INTERVAL_TOO_SHORT" not in codes(check(draft(row("SCM", "left", "50"), product=DAXXIFY), history=recent))
    future = history(signed(-1, BOTOX, row("SCM", "left", Decimal(50))))
    assert "INTERVAL_TOO_SHORT" not in codes(check(draft(row("SCM", "left", "50")), history=future))


# --- sternocleidomastoid ------------------------------------------------------------------------------


def test_bilateral_sternocleidomastoid_is_a_warning():
    finding = only(check(draft(row("SCM", "left", "40"), row("SCM", "right", "40"))), "SCM_BILATERAL")
    assert finding.level is Level.WARNING and finding.key == "SCM_BILATERAL"
    assert finding.message == (
        "Sternocleidomastoid is planned on both sides: bilateral SCM injection raises the risk of dysphagia "
        "(source D12, verified)."
    )
    assert "SCM_BILATERAL" not in codes(check(draft(row("SCM", "left", "40"), row("SCM", "left", "10"))))


def test_an_scm_total_above_the_botox_caution_level_is_a_warning():
    finding = only(check(draft(row("SCM", "left", "60"), row("SCM", "right", "60"))), "SCM_TOTAL_ABOVE_CAUTION")
    assert finding.message == (
        "Sternocleidomastoid total 120 U Botox (left 60, right 60) is above the caution level of 100 U Botox; "
        "keeping the SCM total at or below it may reduce dysphagia (source D12, verified)."
    )


def test_an_scm_total_at_the_caution_level_or_with_a_product_without_one_is_fine():
    assert "SCM_TOTAL_ABOVE_CAUTION" not in codes(check(draft(row("SCM", "left", "50"), row("SCM", "right", "50"))))
    dysport = draft(row("SCM", "left", "150"), row("SCM", "right", "150"), product=DYSPORT)
    assert "SCM_TOTAL_ABOVE_CAUTION" not in codes(check(dysport))


ANTEROCOLLIS = (PostureComponent(code="ANTEROCOLLIS", severity=2),)


def test_scm_in_anterocollis_above_half_the_usual_dose_is_a_warning():
    finding = only(check(draft(row("SCM", "left", "60")), posture=ANTEROCOLLIS), "SCM_ANTEROCOLLIS_NOT_REDUCED")
    assert (finding.level, finding.row) == (Level.WARNING, 0)
    assert finding.message == (
        "Left sternocleidomastoid: 60 U Botox in anterocollis is above 31.25 U Botox, the reduced dose "
        "(half the usual sternocleidomastoid dose of 62.5 U Botox, the Botox label's range) "
        "(sources D12, D14, unverified)."
    )


def test_scm_in_anterocollis_at_the_reduced_dose_or_without_anterocollis_is_fine():
    assert "SCM_ANTEROCOLLIS_NOT_REDUCED" not in codes(check(draft(row("SCM", "left", "31.25")), posture=ANTEROCOLLIS))
    retro = (PostureComponent(code="RETROCOLLIS", severity=2),)
    assert "SCM_ANTEROCOLLIS_NOT_REDUCED" not in codes(check(draft(row("SCM", "left", "60")), posture=retro))


def test_anterocollis_within_a_forward_sagittal_shift_also_asks_for_the_reduced_scm_dose():
    shift = (PostureComponent(code="SAGITTAL_SHIFT_FORWARD", severity=1),)
    assert "SCM_ANTEROCOLLIS_NOT_REDUCED" in codes(check(draft(row("SCM", "right", "60")), posture=shift))


def test_scm_in_anterocollis_is_measured_against_a_sourced_median_for_every_product():
    finding = only(
        check(draft(row("SCM", "left", "20"), product=XEOMIN), posture=ANTEROCOLLIS), "SCM_ANTEROCOLLIS_NOT_REDUCED"
    )
    assert "half the usual sternocleidomastoid dose of 25 U Xeomin, seen in the Xeomin trial" in finding.message


def test_without_a_sourced_usual_scm_dose_the_clinician_is_asked_to_confirm_the_reduction():
    finding = only(
        check(draft(row("SCM", "left", "20"), product=XEOMIN), posture=ANTEROCOLLIS, guidelines=()),
        "SCM_ANTEROCOLLIS_NOT_REDUCED",
    )
    assert "no sourced usual sternocleidomastoid dose for Xeomin" in finding.message
    assert "confirm the dose was reduced" in finding.message


# --- dysphagia history ---------------------------------------------------------------------------------

DYSPHAGIA = AdverseEvent(kind="dysphagia", severity="moderate", date=date(2026, 3, 20), grade=2)


@pytest.mark.parametrize("muscle", ["SCM", "LONGUS_COLLI", "SUBMENTAL_COMPLEX"])
def test_anterior_neck_muscles_after_dysphagia_are_a_warning(muscle):
    past = history(adverse_events=(DYSPHAGIA,))
    finding = only(check(draft(row(muscle, "left", "20", guidance="emg")), history=past), "DYSPHAGIA_ANTERIOR_NECK")
    assert finding.key == f"DYSPHAGIA_ANTERIOR_NECK:{muscle}:left"
    assert "has had dysphagia (dysphagia reported 20 Mar 2026, moderate)" in finding.message
    assert finding.clinic_policy and finding.message.endswith("(clinic policy).")


def test_a_dysphagia_flag_without_an_adverse_event_counts_too():
    finding = only(
        check(draft(row("SCM", "left", "20")), history=history(prior_dysphagia=True)), "DYSPHAGIA_ANTERIOR_NECK"
    )
    assert "(recorded in the patient's history)" in finding.message


def test_posterior_muscles_after_dysphagia_and_anterior_ones_without_it_are_fine():
    past = history(adverse_events=(DYSPHAGIA,))
    assert "DYSPHAGIA_ANTERIOR_NECK" not in codes(check(draft(row("SPLENIUS_CAPITIS", "left", "50")), history=past))
    assert "DYSPHAGIA_ANTERIOR_NECK" not in codes(check(draft(row("SCM", "left", "20"))))
    normal = history(adverse_events=(AdverseEvent(kind="dysphagia", severity="mild", grade=0),))
    assert "DYSPHAGIA_ANTERIOR_NECK" not in codes(check(draft(row("SCM", "left", "20")), history=normal))
    other = history(adverse_events=(AdverseEvent(kind="dry_mouth", severity="severe"),))
    assert "DYSPHAGIA_ANTERIOR_NECK" not in codes(check(draft(row("SCM", "left", "20")), history=other))


# --- guidance ------------------------------------------------------------------------------------------


def test_a_muscle_that_requires_guidance_planned_by_landmarks_is_a_warning():
    finding = only(check(draft(row("OBLIQUUS_CAPITIS_INFERIOR", "right", "15"))), "GUIDANCE_REQUIRED")
    assert finding.message == (
        "Right obliquus capitis inferior should be injected under EMG or ultrasound guidance, but this row is "
        "planned by anatomical landmarks (sources G1, G4, G8, S9, partly verified)."
    )


@pytest.mark.parametrize(
    ("muscle", "guidance"),
    [
        ("LONGUS_COLLI", "emg"),
        ("LONGUS_COLLI", "ultrasound"),
        ("SCM", "anatomical"),
        ("SPLENIUS_CAPITIS", "anatomical"),
    ],
)
def test_guided_rows_and_muscles_that_do_not_require_guidance_are_fine(muscle, guidance):
    assert "GUIDANCE_REQUIRED" not in codes(check(draft(row(muscle, "right", "30", guidance=guidance))))


# --- product switch ------------------------------------------------------------------------------------


def test_a_product_switch_shows_the_previous_doses_in_their_own_units():
    past = history(
        signed(14, DYSPORT, row("SCM", "left", Decimal(125)), row("SPLENIUS_CAPITIS", "right", Decimal(200)))
    )
    finding = only(check(draft(row("SCM", "left", "40")), history=past), "PRODUCT_SWITCH")
    assert finding.level is Level.INFO and finding.key == "PRODUCT_SWITCH:ABO:ONA"
    assert finding.message == (
        "Last session 25 Feb 2026 used Dysport, this plan uses Botox: units are not interchangeable, so the previous "
        "doses are in Dysport units and are not a Botox dose. Last session: left sternocleidomastoid 125 U Dysport; "
        "right splenius capitis 200 U Dysport (sources D1, D7, D16, D17, verified)."
    )


def test_no_product_switch_when_the_last_session_used_the_same_product():
    past = history(
        signed(30, DYSPORT, row("SCM", "left", Decimal(125))), signed(14, BOTOX, row("SCM", "left", Decimal(40)))
    )
    assert "PRODUCT_SWITCH" not in codes(check(draft(row("SCM", "left", "40")), history=past))
    assert "PRODUCT_SWITCH" not in codes(check(draft(row("SCM", "left", "40"))))


# --- lot -----------------------------------------------------------------------------------------------


def test_a_lot_that_expired_before_the_visit_is_an_error():
    finding = only(check(draft(row("SCM", "left", "40"), lot_expiry=VISIT - timedelta(days=1))), "LOT_EXPIRED")
    assert finding.level is Level.ERROR
    assert (
        finding.message == "The Botox lot expired on 2 Jun 2026, before the visit on 3 Jun 2026: prepare another lot."
    )


@pytest.mark.parametrize("expiry", [VISIT, VISIT + timedelta(days=200), None])
def test_a_lot_expiring_on_or_after_the_visit_or_not_yet_recorded_is_fine(expiry):
    assert "LOT_EXPIRED" not in codes(check(draft(row("SCM", "left", "40"), lot_expiry=expiry)))


# --- toxin-naive ---------------------------------------------------------------------------------------


def test_a_toxin_naive_patient_above_the_starting_dose_is_a_warning():
    naive = history(toxin_naive=True)
    findings = check(
        draft(row("SPLENIUS_CAPITIS", "left", "300"), row("SCM", "right", "250"), product=DYSPORT), history=naive
    )
    finding = only(findings, "NAIVE_ABOVE_START_DOSE")
    assert (finding.level, finding.key) == (Level.OVERRIDE, "NAIVE_ABOVE_START_DOSE")
    assert finding.message == (
        "Toxin-naive patient: session total 550 U Dysport is above the starting dose of 500 U Dysport "
        "(source D1, verified)."
    )


def test_the_naive_starting_dose_boundary_and_treated_patients():
    naive = history(toxin_naive=True)
    above = check(draft(row("SPLENIUS_CAPITIS", "left", "130"), product=XEOMIN), history=naive)
    assert only(above, "NAIVE_ABOVE_START_DOSE").message == (
        "Toxin-naive patient: session total 130 U Xeomin is above the starting dose of 120 U Xeomin "
        "(source D6, verified)."
    )
    at = check(draft(row("SPLENIUS_CAPITIS", "left", "120"), product=XEOMIN), history=naive)
    assert "NAIVE_ABOVE_START_DOSE" not in codes(at)
    treated = check(draft(row("SPLENIUS_CAPITIS", "left", "130"), product=XEOMIN))
    assert "NAIVE_ABOVE_START_DOSE" not in codes(treated)


def test_a_toxin_naive_patient_on_a_product_without_a_labeled_starting_dose_gets_an_info():
    finding = only(check(draft(row("SCM", "left", "40")), history=history(toxin_naive=True)), "NAIVE_START_NOT_LABELED")
    assert finding.level is Level.INFO
    assert "no labeled starting dose for Botox" in finding.message
    assert "NAIVE_START_NOT_LABELED" not in codes(check(draft(row("SCM", "left", "40"))))


# --- volume per site -----------------------------------------------------------------------------------


def test_an_implausible_volume_per_site_for_the_dilution_is_a_warning():
    # 100 U Botox in 10 mL is 10 U/mL: 50 U over 2 sites is 2.5 mL per site.
    diluted = draft(row("SCM", "left", "50", sites=2), vial_units=Decimal(100), diluent_ml=Decimal(10))
    finding = only(check(diluted), "VOLUME_PER_SITE_IMPLAUSIBLE")
    assert finding.level is Level.WARNING and finding.clinic_policy
    assert finding.message == (
        "Left sternocleidomastoid: 50 U Botox in 2 sites at 10 U Botox per mL (100 U Botox in 10 mL) is 2.50 mL "
        "per site, outside the plausible 0.05–1 mL per site; check the dose, the sites and the dilution "
        "(clinic policy)."
    )
    concentrated = draft(row("SCM", "left", "2"), vial_units=Decimal(100), diluent_ml=Decimal(1))
    assert "0.02 mL per site" in only(check(concentrated), "VOLUME_PER_SITE_IMPLAUSIBLE").message


def test_a_plausible_volume_or_an_unknown_dilution_gives_no_volume_warning():
    plausible = draft(row("SCM", "left", "50", sites=2), vial_units=Decimal(100), diluent_ml=Decimal(2))
    assert "VOLUME_PER_SITE_IMPLAUSIBLE" not in codes(check(plausible))
    assert "VOLUME_PER_SITE_IMPLAUSIBLE" not in codes(check(draft(row("SCM", "left", "50"))))
    no_sites = draft(row("SCM", "left", "50", sites=None), vial_units=Decimal(100), diluent_ml=Decimal(10))
    assert "VOLUME_PER_SITE_IMPLAUSIBLE" not in codes(check(no_sites))
    myobloc = draft(row("SCM", "left", "2500"), product=MYOBLOC, vial_units=Decimal(5000), diluent_ml=Decimal(1))
    assert "VOLUME_PER_SITE_IMPLAUSIBLE" not in codes(check(myobloc))


# --- combinations and order ----------------------------------------------------------------------------


def test_a_full_plan_reports_errors_then_warnings_then_infos_and_session_findings_before_rows():
    past = history(
        signed(8, DYSPORT, row("SCM", "left", Decimal(125)), row("SPLENIUS_CAPITIS", "right", Decimal(250))),
        adverse_events=(DYSPHAGIA,),
    )
    session = draft(
        row("SPLENIUS_CAPITIS", "right", "75", sites=2),
        row("SCM", "left", "60", sites=2),
        row("SCM", "right", "60", sites=2),
        row("LONGUS_COLLI", "left", "abc"),
        row("TRAPEZIUS_UPPER", "right", "100", sites=1),  # 2 mL in one site at 50 U/mL
        product=BOTOX,
        lot_expiry=VISIT - timedelta(days=3),
        vial_units=Decimal(100),
        diluent_ml=Decimal(2),
    )
    findings = check(session, history=past, posture=ANTEROCOLLIS)
    assert [(f.level.value, f.code, f.row) for f in findings] == [
        ("error", "LOT_EXPIRED", None),
        ("error", "DOSE_INVALID", 3),
        ("override", "INTERVAL_TOO_SHORT", None),
        ("warning", "SCM_BILATERAL", None),
        ("warning", "SCM_TOTAL_ABOVE_CAUTION", None),
        # 75 U splenius capitis is inside D14's 25-75 U; S6d's 60 U is for head tremor only.
        ("warning", "DYSPHAGIA_ANTERIOR_NECK", 1),
        ("warning", "SCM_ANTEROCOLLIS_NOT_REDUCED", 1),
        ("warning", "DYSPHAGIA_ANTERIOR_NECK", 2),
        ("warning", "SCM_ANTEROCOLLIS_NOT_REDUCED", 2),
        ("warning", "VOLUME_PER_SITE_IMPLAUSIBLE", 4),
        ("info", "CUMULATIVE_OTHER_PRODUCTS", None),
        ("info", "PRODUCT_SWITCH", None),
        ("info", "SESSION_MAX_NEAR", None),
    ]
    assert len({f.key for f in findings}) == len(findings)


def test_defaults_stand_in_for_missing_reference_data():
    findings = check_session(draft=draft(row("SCM", "left", "40"), row("SCM", "right", "40")))
    assert codes(findings) == [
        "SCM_BILATERAL",
        "DOSE_NOT_SOURCED",
        "DOSE_NOT_SOURCED",
        "ANTERIOR_NECK_DYSPHAGIA",
        "HARD_CEILING_NOT_SET",
        "SESSION_MAX_NOT_LABELED",
    ]
    assert only(findings, "SCM_BILATERAL").message.endswith("(clinic policy).")


# --- properties ----------------------------------------------------------------------------------------

MUSCLE_CODES = sorted(MUSCLES) + ["UNKNOWN_MUSCLE"]
ALL_PRODUCTS = sorted(PRODUCTS.values(), key=lambda p: p.code)
good_doses = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(600), places=1)
bad_doses = st.one_of(
    st.none(),
    st.just(""),
    st.decimals(max_value=0, allow_nan=False, places=2),
    st.sampled_from(["abc", "12,5", "NaN", "-Infinity", "1e", "--3", "0.0", "-0"]),
)
any_doses = st.one_of(
    good_doses,
    bad_doses,
    st.text(max_size=8),
    st.integers(-(10**30), 10**30),
    st.floats(),
    st.decimals(),
    st.sampled_from(["1e999999", "1E-999999", Decimal("1e999999")]),
)
rows_strategy = st.builds(
    InjectionRow,
    muscle_code=st.sampled_from(MUSCLE_CODES),
    side=st.sampled_from(["left", "right", "", "middle"]),
    dose=any_doses,
    sites=st.one_of(st.integers(-2, 6), st.none(), st.sampled_from(["2", "x", Decimal("1.5"), 10**40])),
    guidance=st.sampled_from(["anatomical", "emg", "ultrasound", "other"]),
)
good_rows = st.builds(
    InjectionRow,
    muscle_code=st.sampled_from(MUSCLE_CODES),
    side=st.sampled_from(["left", "right"]),
    dose=good_doses,
    sites=st.integers(1, 4),
    guidance=st.sampled_from(["anatomical", "emg", "ultrasound"]),
)
dates = st.dates(min_value=VISIT - timedelta(weeks=40), max_value=VISIT + timedelta(weeks=2))
sessions_strategy = st.builds(
    SignedSession,
    date=dates,
    product=st.sampled_from(ALL_PRODUCTS),
    rows=st.lists(good_rows, max_size=4).map(tuple),
)
histories = st.builds(
    PatientHistory,
    sessions=st.lists(sessions_strategy, max_size=5).map(tuple),
    adverse_events=st.lists(
        st.builds(
            AdverseEvent,
            kind=st.sampled_from(["dysphagia", "dry_mouth"]),
            severity=st.sampled_from(["", "mild"]),
            date=st.one_of(st.none(), dates),
            grade=st.one_of(st.none(), st.integers(0, 4)),
        ),
        max_size=2,
    ).map(tuple),
    toxin_naive=st.booleans(),
    prior_dysphagia=st.booleans(),
)
postures = st.lists(
    st.builds(
        PostureComponent,
        code=st.sampled_from(["ANTEROCOLLIS", "SAGITTAL_SHIFT_FORWARD", "TORTICAPUT"]),
        direction=st.sampled_from(["", "left"]),
        severity=st.integers(0, 3),
    ),
    max_size=2,
)
drafts = st.builds(
    DraftSession,
    visit_date=st.just(VISIT),
    product=st.sampled_from(ALL_PRODUCTS),
    rows=st.lists(rows_strategy, max_size=12).map(tuple),
    lot_expiry=st.one_of(st.none(), dates),
    vial_units=st.one_of(
        st.none(), st.sampled_from([Decimal(100), Decimal(500), Decimal(0), "x", Decimal("1e999999")])
    ),
    diluent_ml=st.one_of(st.none(), st.sampled_from([Decimal(1), Decimal("2.5"), Decimal(0), Decimal("1e-999999")])),
)

AMOUNT = re.compile(r"(\d+(?:\.\d+)?) U ((?:Botox|Dysport|Xeomin|Myobloc / NeuroBloc|Daxxify))")


@given(drafts, histories, postures)
def test_any_input_gives_sorted_deterministic_findings_without_raising(session, past, posture):
    findings = check(session, history=past, posture=posture)
    assert check(session, history=past, posture=posture) == findings
    ranks = [safety.LEVEL_RANK[f.level] for f in findings]
    assert ranks == sorted(ranks)
    for finding in findings:
        assert finding.message.endswith(".") and finding.rule
        assert finding.row is None or 0 <= finding.row < len(session.rows)


@given(drafts, histories, postures)
def test_amounts_in_findings_are_labeled_with_the_sessions_product_except_the_previous_doses(session, past, posture):
    for finding in check(session, history=past, posture=posture):
        if finding.code == "PRODUCT_SWITCH":
            continue
        assert {name for _, name in AMOUNT.findall(finding.message)} <= {session.product.name}


@given(drafts, histories, postures, st.sampled_from([Decimal(3), Decimal("0.1"), Decimal(1000)]))
def test_doses_of_other_products_never_change_a_finding_except_the_listing_of_the_previous_doses(
    session, past, posture, factor
):
    def scaled(history_):
        return PatientHistory(
            sessions=tuple(
                s
                if s.product.code == session.product.code
                else SignedSession(
                    date=s.date,
                    product=s.product,
                    rows=tuple(
                        InjectionRow(muscle_code=r.muscle_code, side=r.side, dose=r.dose * factor, sites=r.sites)
                        for r in s.rows
                    ),
                )
                for s in history_.sessions
            ),
            adverse_events=history_.adverse_events,
            toxin_naive=history_.toxin_naive,
            prior_dysphagia=history_.prior_dysphagia,
        )

    def comparable(findings):
        return [f for f in findings if f.code != "PRODUCT_SWITCH"]

    assert comparable(check(session, history=past, posture=posture)) == comparable(
        check(session, history=scaled(past), posture=posture)
    )


@given(drafts, st.integers(0, 11), bad_doses)
def test_a_dose_that_is_zero_negative_missing_or_not_a_number_is_always_an_error(session, position, dose):
    rows = list(session.rows)
    index = min(position, len(rows))
    rows.insert(index, InjectionRow(muscle_code="SCM", side="left", dose=dose))
    findings = check(DraftSession(visit_date=VISIT, product=session.product, rows=tuple(rows)))
    assert any(f.code == "DOSE_INVALID" and f.level is Level.ERROR and f.row == index for f in findings)


@given(drafts, histories, postures)
def test_removing_all_rows_removes_all_dose_findings(session, past, posture):
    empty = DraftSession(
        visit_date=session.visit_date,
        product=session.product,
        rows=(),
        lot_expiry=session.lot_expiry,
        vial_units=session.vial_units,
        diluent_ml=session.diluent_ml,
    )
    findings = check(empty, history=past, posture=posture)
    assert not [f for f in findings if f.code in safety.DOSE_CODES or f.row is not None]
    assert {f.code for f in findings} <= {"INTERVAL_TOO_SHORT", "PRODUCT_SWITCH", "LOT_EXPIRED"}


@given(st.lists(good_rows, min_size=1, max_size=12), st.sampled_from(ALL_PRODUCTS))
def test_the_session_maximum_error_appears_exactly_when_the_total_exceeds_the_label(rows, product):
    findings = check(DraftSession(visit_date=VISIT, product=product, rows=tuple(rows)))
    limit = PRODUCT_LIMITS[product.code].session_max
    total = sum(r.dose for r in rows)
    assert ("SESSION_MAX_EXCEEDED" in codes(findings)) == (limit is not None and total > limit.value)
    assert ("SESSION_MAX_NOT_LABELED" in codes(findings)) == (limit is None)


def test_a_twelve_row_plan_with_a_long_history_is_checked_in_one_pass():
    rows = tuple(
        row(muscle, side, "30", sites=2, guidance="emg")
        for muscle in (
            "SCM",
            "SPLENIUS_CAPITIS",
            "TRAPEZIUS_UPPER",
            "LEVATOR_SCAPULAE",
            "SEMISPINALIS_CAPITIS",
            "OBLIQUUS_CAPITIS_INFERIOR",
        )
        for side in ("left", "right")
    )
    past = history(*(signed(12 * n, BOTOX, *rows[:4]) for n in range(1, 20)))
    findings = check(draft(*rows, vial_units=Decimal(100), diluent_ml=Decimal(2)), history=past, posture=ANTEROCOLLIS)
    # 360 U in all; the last session (Botox, 120 U) is exactly 12 weeks back: outside the window, interval fine.
    # S6d's figures (semispinalis for a retro pattern, obliquus for no-no tremor) do not apply in anterocollis.
    assert [(f.code, f.row) for f in findings] == [
        ("SESSION_MAX_EXCEEDED", None),
        ("SCM_BILATERAL", None),
        ("DOSE_NOT_SOURCED", 8),
        ("DOSE_NOT_SOURCED", 9),
        ("DOSE_NOT_SOURCED", 10),
        ("DOSE_NOT_SOURCED", 11),
        ("ANTERIOR_NECK_DYSPHAGIA", None),
        ("LEVATOR_URI_DYSPHAGIA", None),
    ]


def test_limits_may_be_given_as_one_object_and_the_cautions_may_be_left_out():
    limits = ProductLimits(product_code="ONA", session_max=PRODUCT_LIMITS["ONA"].session_max)
    findings = check_session(draft=draft(row("SCM", "left", "310")), limits=limits, cautions=Cautions())
    assert codes(findings) == [
        "SESSION_MAX_EXCEEDED",
        "DOSE_NOT_SOURCED",
        "ANTERIOR_NECK_DYSPHAGIA",
        "HARD_CEILING_NOT_SET",
    ]
    by_code = check_session(draft=draft(row("SCM", "left", "310")), limits=PRODUCT_LIMITS)
    assert codes(by_code)[0] == "SESSION_MAX_EXCEEDED"
