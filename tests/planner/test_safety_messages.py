"""planner.rules.safety's newer rules word for word: reconstitution age, a median far exceeded, figures limited to a
context, the usual SCM dose and how raw input is quoted back. Database-free, so `make mutation` runs them.

The exact texts matter: a clinician reads them at the signing gate, and a changed number or unit in a
message is a changed instruction.
"""

import datetime as dt
from decimal import Decimal

import pytest

from planner.rules.safety import (
    Basis,
    Cautions,
    DraftSession,
    InjectionRow,
    Level,
    Limit,
    PatientHistory,
    ProductAmount,
    ProductLimits,
    SafetyPolicy,
    check_session,
    figure_context_patterns,
)
from planner.rules.suggest import DoseRange, PostureComponent, Product, lower_first

BOTOX = Product(code="ONA", name="Botox")
VISIT = dt.date(2026, 6, 3)
MADE = dt.datetime(2026, 6, 3, 8, 0, tzinfo=dt.UTC)
USE_BY = Limit(value=Decimal(24), source_codes=("L1",), verification="verified")
PREPARED = {
    "require_preparation": True,
    "lot_number": "C1234",
    "lot_expiry": dt.date(2027, 1, 1),
    "vial_units": Decimal(100),
    "diluent_ml": Decimal(2),
}


def findings(*rows, limits=None, guidelines=(), posture=(), policy=None, cautions=None, **draft):
    return check_session(
        draft=DraftSession(visit_date=VISIT, product=BOTOX, rows=rows, **draft),
        history=PatientHistory(),
        posture=posture,
        limits=limits,
        guidelines=guidelines,
        cautions=cautions,
        policy=policy,
    )


def by_code(results, code):
    return [finding for finding in results if finding.code == code]


def only(results, code):
    [finding] = by_code(results, code)
    return finding


# --- use-by time after reconstitution ---------------------------------------------------------------

USE_BY_LIMITS = ProductLimits(product_code="ONA", reconstituted_use_hours=USE_BY)


def test_a_preparation_older_than_its_use_by_time_is_an_error_that_says_how_old_it_is():
    late = MADE + dt.timedelta(hours=24, minutes=30)
    finding = only(
        findings(limits=USE_BY_LIMITS, reconstituted_at=MADE, now=late, **PREPARED), "RECONSTITUTED_TOO_LONG_AGO"
    )
    assert finding.level is Level.ERROR
    assert finding.key == "RECONSTITUTED_TOO_LONG_AGO"
    assert finding.message == (
        "The Botox was reconstituted 24.5 hours ago; it must be used within 24 hours: prepare a fresh vial "
        "(source L1, verified)."
    )
    assert finding.rule == "Never inject toxin kept longer than its use-by time after reconstitution"
    assert finding.source_codes == ("L1",)


@pytest.mark.parametrize(
    ("age", "expired"),
    [
        (dt.timedelta(hours=23, minutes=59), False),
        (dt.timedelta(hours=24), False),  # at the limit: still usable
        (dt.timedelta(hours=24, seconds=1), True),
    ],
)
def test_the_use_by_time_is_checked_at_under_and_over_its_value(age, expired):
    results = findings(limits=USE_BY_LIMITS, reconstituted_at=MADE, now=MADE + age, **PREPARED)
    assert bool(by_code(results, "RECONSTITUTED_TOO_LONG_AGO")) is expired


def test_a_fractional_use_by_time_is_not_rounded():
    limits = ProductLimits(
        product_code="ONA", reconstituted_use_hours=Limit(value=Decimal("1.5"), source_codes=("L1",))
    )
    made = MADE
    assert not by_code(
        findings(limits=limits, reconstituted_at=made, now=made + dt.timedelta(minutes=90), **PREPARED),
        "RECONSTITUTED_TOO_LONG_AGO",
    )
    finding = only(
        findings(limits=limits, reconstituted_at=made, now=made + dt.timedelta(minutes=91), **PREPARED),
        "RECONSTITUTED_TOO_LONG_AGO",
    )
    assert "reconstituted 1.5 hours ago; it must be used within 1.5 hours" in finding.message


def test_a_missing_reconstitution_time_is_a_warning_naming_the_use_by_time():
    finding = only(findings(limits=USE_BY_LIMITS, **PREPARED), "RECONSTITUTION_TIME_MISSING")
    assert finding.level is Level.WARNING
    assert finding.key == "RECONSTITUTION_TIME_MISSING"
    assert finding.message == (
        "When the Botox was reconstituted is not recorded: confirm it is within 24 hours (source L1, verified)."
    )
    assert finding.rule == "Use Botox within its time after reconstitution"


def test_no_use_by_time_means_no_reconstitution_finding():
    results = findings(limits=ProductLimits(product_code="ONA"), **PREPARED)
    assert not by_code(results, "RECONSTITUTION_TIME_MISSING")
    assert not by_code(results, "RECONSTITUTED_TOO_LONG_AGO")


def test_the_age_is_not_checked_without_the_time_of_the_check_or_with_naive_and_aware_times():
    late = MADE + dt.timedelta(days=3)
    assert not by_code(findings(limits=USE_BY_LIMITS, reconstituted_at=MADE, **PREPARED), "RECONSTITUTED_TOO_LONG_AGO")
    naive_late = late.replace(tzinfo=None)
    results = findings(limits=USE_BY_LIMITS, reconstituted_at=MADE, now=naive_late, **PREPARED)
    assert not by_code(results, "RECONSTITUTED_TOO_LONG_AGO")
    assert not by_code(results, "RECONSTITUTION_TIME_MISSING")


def test_reconstitution_is_checked_only_when_the_preparation_is_required():
    late = MADE + dt.timedelta(days=3)
    results = findings(limits=USE_BY_LIMITS, reconstituted_at=MADE, now=late)
    assert not by_code(results, "RECONSTITUTED_TOO_LONG_AGO")


# --- a median far exceeded ---------------------------------------------------------------------------

SCM_MEDIAN = DoseRange(
    product_code="ONA",
    muscle_code="SCM",
    median_units=Decimal(40),
    source_codes=("T1",),
    verification="verified",
    kind="trial_observed",
)


def test_a_dose_above_twice_the_median_warns_with_the_numbers_and_what_the_figure_is():
    finding = only(
        findings(InjectionRow(muscle_code="SCM", side="left", dose=Decimal(81)), guidelines=[SCM_MEDIAN]),
        "DOSE_ABOVE_MEDIAN_MULTIPLE",
    )
    assert finding.level is Level.WARNING
    assert finding.key == "DOSE_ABOVE_MEDIAN_MULTIPLE:SCM:left"
    assert finding.row == 0
    assert finding.message == (
        "81 U Botox for left SCM is above 80 U Botox, 2 times the median of 40 U Botox seen in the Botox trial "
        "(source T1, verified; clinic policy)."
    )
    assert finding.rule == "A dose far above the sourced median needs a reason"
    assert finding.clinic_policy is True
    assert finding.source_codes == ("T1",)


def test_twice_the_median_exactly_does_not_warn():
    results = findings(InjectionRow(muscle_code="SCM", side="left", dose=Decimal(80)), guidelines=[SCM_MEDIAN])
    assert not by_code(results, "DOSE_ABOVE_MEDIAN_MULTIPLE")


def test_the_lowest_median_is_the_one_measured_against_and_the_policy_multiple_is_used():
    lower = DoseRange(
        product_code="ONA", muscle_code="SCM", median_units=Decimal(30), source_codes=("T2",), kind="label_table"
    )
    policy = SafetyPolicy(median_multiple_warning=Decimal(3))
    row = InjectionRow(muscle_code="SCM", side="right", dose=Decimal(91))
    finding = only(findings(row, guidelines=[SCM_MEDIAN, lower], policy=policy), "DOSE_ABOVE_MEDIAN_MULTIPLE")
    assert "above 90 U Botox, 3 times the median of 30 U Botox the Botox label's range" in finding.message
    assert finding.source_codes == ("T2",)
    at_limit = InjectionRow(muscle_code="SCM", side="right", dose=Decimal(90))
    assert not by_code(findings(at_limit, guidelines=[lower, SCM_MEDIAN], policy=policy), "DOSE_ABOVE_MEDIAN_MULTIPLE")


def test_a_median_is_not_used_when_the_muscle_has_a_sourced_range():
    ranged = DoseRange(product_code="ONA", muscle_code="SCM", min_units=Decimal(15), max_units=Decimal(200))
    row = InjectionRow(muscle_code="SCM", side="left", dose=Decimal(150))
    assert not by_code(findings(row, guidelines=[SCM_MEDIAN, ranged]), "DOSE_ABOVE_MEDIAN_MULTIPLE")


def test_no_policy_multiple_means_no_median_warning():
    policy = SafetyPolicy(median_multiple_warning=None)
    row = InjectionRow(muscle_code="SCM", side="left", dose=Decimal(500))
    assert not by_code(findings(row, guidelines=[SCM_MEDIAN], policy=policy), "DOSE_ABOVE_MEDIAN_MULTIPLE")


# --- figures limited to a context ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "context", "patterns"),
    [
        ("expert_example", "Head tremor (no-no tremor)", ("TREMOR_NO_NO",)),
        ("expert_example", "Tremor of the head", ("TREMOR_NO_NO", "TREMOR_YES_YES")),
        ("expert_example", "In RETROcollis", ("RETROCAPUT", "RETROCOLLIS")),
        ("expert_example", "anterocollis with dysphagia", ("ANTEROCAPUT", "ANTEROCOLLIS")),
        ("expert_example", "torticollis", ()),
        ("expert_example", "", ()),
        ("expert_example", None, ()),
        ("label_table", "no-no tremor", ()),
        ("trial_observed", "retrocollis", ()),
    ],
)
def test_an_expert_example_is_limited_to_the_patterns_its_context_names(kind, context, patterns):
    assert figure_context_patterns(kind, context) == patterns


def test_a_figure_for_another_context_is_not_checked_and_the_warning_says_where_it_applies():
    tremor_only = DoseRange(
        product_code="ONA",
        muscle_code="SPLENIUS_CAPITIS",
        min_units=Decimal(40),
        max_units=Decimal(60),
        source_codes=("E1",),
        kind="expert_example",
        note="for head tremor",
        context_patterns=("TREMOR_NO_NO",),
    )
    row = InjectionRow(muscle_code="SPLENIUS_CAPITIS", side="left", dose=Decimal(75))
    finding = only(findings(row, guidelines=[tremor_only]), "DOSE_NOT_SOURCED")
    assert finding.message == (
        "No sourced dose for SPLENIUS_CAPITIS with Botox (the sourced figures apply only in another context: "
        "for head tremor); check the dose of 75 U Botox for left SPLENIUS_CAPITIS."
    )
    tremor = (PostureComponent(code="TREMOR_NO_NO", severity=1),)
    in_context = only(findings(row, guidelines=[tremor_only], posture=tremor), "DOSE_OUT_OF_RANGE")
    assert "an expert example for Botox (for head tremor)" in in_context.message


# --- the usual SCM dose in anterocollis ---------------------------------------------------------------

ANTEROCOLLIS = (PostureComponent(code="ANTEROCOLLIS", severity=2),)


@pytest.mark.parametrize(
    ("figure", "usual"),
    [
        ({"median_units": Decimal(40), "min_units": Decimal(10), "max_units": Decimal(100)}, Decimal(40)),
        ({"min_units": Decimal(20), "max_units": Decimal(60)}, Decimal(40)),
        ({"min_units": Decimal(21), "max_units": Decimal(60)}, Decimal("40.5")),
    ],
)
def test_the_usual_scm_dose_is_the_median_else_the_middle_of_the_range(figure, usual):
    guideline = DoseRange(product_code="ONA", muscle_code="SCM", source_codes=("T1",), **figure)
    half = usual / 2
    at_half = InjectionRow(muscle_code="SCM", side="left", dose=half)
    over = InjectionRow(muscle_code="SCM", side="left", dose=half + Decimal("0.5"))
    assert not by_code(findings(at_half, guidelines=[guideline], posture=ANTEROCOLLIS), "SCM_ANTEROCOLLIS_NOT_REDUCED")
    finding = only(findings(over, guidelines=[guideline], posture=ANTEROCOLLIS), "SCM_ANTEROCOLLIS_NOT_REDUCED")
    assert f"the usual SCM dose of {BOTOX.amount(usual)}" in finding.message


@pytest.mark.parametrize("figure", [{"min_units": Decimal(20)}, {"max_units": Decimal(60)}])
def test_a_range_with_one_end_gives_no_usual_scm_dose(figure):
    guideline = DoseRange(product_code="ONA", muscle_code="SCM", source_codes=("T1",), **figure)
    row = InjectionRow(muscle_code="SCM", side="left", dose=Decimal(30))
    finding = only(findings(row, guidelines=[guideline], posture=ANTEROCOLLIS), "SCM_ANTEROCOLLIS_NOT_REDUCED")
    assert "there is no sourced usual SCM dose for Botox" in finding.message


# --- raw input quoted back -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dose", "quoted"),
    [
        ("  abc  ", "'abc' is not a number"),
        ("x" * 20, f"'{'x' * 20}' is not a number"),
        ("x" * 21, f"'{'x' * 19}…' is not a number"),
        (-5, "'-5' is not a positive dose"),
    ],
)
def test_a_bad_dose_is_quoted_back_trimmed_and_shortened(dose, quoted):
    finding = only(findings(InjectionRow(muscle_code="SCM", side="left", dose=dose)), "DOSE_INVALID")
    assert finding.message == f"Left SCM: {quoted}; enter a dose in U Botox above 0."


def test_bad_sites_are_quoted_back():
    row = InjectionRow(muscle_code="SCM", side="left", dose=Decimal(10), sites="two")
    finding = only(findings(row), "SITES_INVALID")
    assert finding.message == "Left SCM: 'two' is not a number of injection sites; enter 1 or more."


# --- the cautions' inputs -----------------------------------------------------------------------------


def test_scm_caution_levels_given_as_a_list_or_generator_are_kept_and_used():
    levels = [ProductAmount(product_code="ONA", value=Decimal(100), source_codes=("D12",))]
    for given in (levels, (level for level in levels)):
        cautions = Cautions(scm_total_max=given, bilateral_scm=Basis(source_codes=("D1",)))
        assert cautions.scm_total_max == tuple(levels)
        rows = (
            InjectionRow(muscle_code="SCM", side="left", dose=Decimal(60)),
            InjectionRow(muscle_code="SCM", side="right", dose=Decimal(50)),
        )
        results = findings(*rows, cautions=cautions)
        assert only(results, "SCM_TOTAL_ABOVE_CAUTION").source_codes == ("D12",)


@pytest.mark.parametrize(
    ("name", "mid_sentence"),
    [("Splenius capitis", "splenius capitis"), ("SCM", "SCM"), ("SCm", "SCm"), ("S", "s"), ("", ""), ("sCM", "sCM")],
)
def test_a_name_mid_sentence_is_lower_cased_unless_it_is_an_acronym(name, mid_sentence):
    assert lower_first(name) == mid_sentence
