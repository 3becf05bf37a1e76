"""planner.safety at its edges: ties, several rows or contexts, missing inputs, and the number and
duration formats. Database-free, so `make mutation` runs them.

Each test pins a behaviour a changed rule would alter: which of two equal figures is cited, that
every SCM row is checked and not only the first, that findings do not depend on the order a
history is given in, and how hours, days and volumes read in a message.
"""

import datetime as dt
from decimal import Decimal

import pytest

from planner.safety import (
    Cautions,
    DraftSession,
    InjectionRow,
    Limit,
    MuscleInfo,
    PatientHistory,
    ProductLimits,
    ScmReduction,
    SignedSession,
    _fixed,
    _format_days,
    check_session,
)
from planner.suggest import DoseRange, PostureComponent, Product, format_number

BOTOX = Product(code="ONA", name="Botox")
DYSPORT = Product(code="ABO", name="Dysport")
XEOMIN = Product(code="INCO", name="Xeomin")
VISIT = dt.date(2026, 6, 3)
ANTEROCOLLIS = (PostureComponent(code="ANTEROCOLLIS", severity=2),)
SPLENIUS = MuscleInfo(code="SPLENIUS_CAPITIS", name="Splenius capitis")
PREPARED = {
    "require_preparation": True,
    "lot_number": "C1234",
    "lot_expiry": dt.date(2027, 1, 1),
    "vial_units": Decimal(100),
    "diluent_ml": Decimal(2),
}


def findings(*rows, product=BOTOX, history=None, limits=None, guidelines=(), posture=(), cautions=None, **kwargs):
    return check_session(
        draft=DraftSession(visit_date=VISIT, product=product, rows=rows, **kwargs.pop("draft", {})),
        history=history or PatientHistory(),
        posture=posture,
        limits=limits,
        guidelines=guidelines,
        cautions=cautions,
        **kwargs,
    )


def by_code(results, code):
    return [finding for finding in results if finding.code == code]


def only(results, code):
    [finding] = by_code(results, code)
    return finding


def splenius(dose, side="left"):
    return InjectionRow(muscle_code="SPLENIUS_CAPITIS", side=side, dose=Decimal(dose))


# --- a muscle with no sourced dose ----------------------------------------------------------------------


def test_an_unsourced_dose_names_the_muscle_in_words_and_is_a_warning_on_its_row():
    results = findings(splenius(10), splenius(75, side="right"), muscles=[SPLENIUS])
    first, second = by_code(results, "DOSE_NOT_SOURCED")
    assert second.level.value == "warning"
    assert second.key == "DOSE_NOT_SOURCED:SPLENIUS_CAPITIS:right"
    assert second.row == 1
    assert first.row == 0
    assert second.message == (
        "No sourced dose for splenius capitis with Botox; check the dose of 75 U Botox for right splenius capitis."
    )
    assert second.rule == "A dose with no sourced figure for its product and muscle is checked by the clinician"


def test_figures_for_other_contexts_are_listed_once_each_in_order_and_an_unnamed_context_says_so():
    def tremor_figure(note, code):
        return DoseRange(
            product_code="ONA",
            muscle_code="SPLENIUS_CAPITIS",
            min_units=Decimal(40),
            max_units=Decimal(60),
            source_codes=(code,),
            kind="expert_example",
            note=note,
            context_patterns=("TREMOR_NO_NO",),
        )

    figures = [
        tremor_figure("for head tremor", "E1"),
        tremor_figure(None, "E2"),
        tremor_figure("for head tremor", "E3"),
    ]
    finding = only(findings(splenius(75), guidelines=figures, muscles=[SPLENIUS]), "DOSE_NOT_SOURCED")
    assert "(the sourced figures apply only in another context: another context, for head tremor);" in finding.message


# --- ties and several rows ---------------------------------------------------------------------------------


def scm_median(median, code, kind="trial_observed"):
    return DoseRange(
        product_code="ONA",
        muscle_code="SCM",
        median_units=Decimal(median),
        source_codes=(code,),
        verification="verified",
        kind=kind,
    )


def scm(dose, side="left"):
    return InjectionRow(muscle_code="SCM", side=side, dose=Decimal(dose))


def test_of_two_equal_medians_the_first_given_is_cited():
    figures = [scm_median(40, "T1"), scm_median(40, "T2", kind="label_table")]
    finding = only(findings(scm(81), guidelines=figures), "DOSE_ABOVE_MEDIAN_MULTIPLE")
    assert finding.source_codes == ("T1",)
    assert "the median of 40 U Botox seen in the Botox trial" in finding.message


def test_of_two_equal_usual_scm_doses_the_first_given_is_cited():
    figures = [scm_median(40, "T1"), scm_median(40, "T2", kind="label_table")]
    cautions = Cautions(scm_reduction=ScmReduction(source_codes=("D9",)))
    finding = only(
        findings(scm(30), guidelines=figures, posture=ANTEROCOLLIS, cautions=cautions), "SCM_ANTEROCOLLIS_NOT_REDUCED"
    )
    assert finding.source_codes == ("D9", "T1")
    assert finding.message == (
        "Left SCM: 30 U Botox in anterocollis is above 20 U Botox, the reduced dose (half the usual SCM dose of "
        "40 U Botox, seen in the Botox trial) (sources D9, T1, unverified)."
    )


def test_the_anterocollis_reduction_checks_every_scm_row_not_only_the_first():
    figures = [scm_median(40, "T1")]
    results = findings(scm(10), scm(30, side="right"), guidelines=figures, posture=ANTEROCOLLIS)
    [finding] = by_code(results, "SCM_ANTEROCOLLIS_NOT_REDUCED")
    assert finding.key == "SCM_ANTEROCOLLIS_NOT_REDUCED:SCM:right"
    assert finding.row == 1
    assert finding.rule == "Reduce the SCM dose in anterocollis"


def test_a_reduction_factor_other_than_half_is_given_as_a_multiple_and_its_source_verification_counts():
    figures = [
        DoseRange(
            product_code="ONA",
            muscle_code="SCM",
            median_units=Decimal(40),
            source_codes=("T1",),
            verification="unverified",
            kind="trial_observed",
        )
    ]
    cautions = Cautions(
        scm_reduction=ScmReduction(factor=Decimal("0.4"), source_codes=("D9",), verification="verified")
    )
    results = findings(scm(16), guidelines=figures, posture=ANTEROCOLLIS, cautions=cautions)
    assert not by_code(results, "SCM_ANTEROCOLLIS_NOT_REDUCED")
    finding = only(
        findings(scm(17), guidelines=figures, posture=ANTEROCOLLIS, cautions=cautions), "SCM_ANTEROCOLLIS_NOT_REDUCED"
    )
    assert "is above 16 U Botox, the reduced dose (0.4 times the usual SCM dose of 40 U Botox" in finding.message
    assert finding.verification == "unverified"
    assert finding.source_codes == ("D9", "T1")


# --- inputs that may be missing ----------------------------------------------------------------------------


def test_without_any_product_limits_a_reconstitution_time_is_not_checked():
    made = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    results = findings(draft={**PREPARED, "reconstituted_at": made, "now": made + dt.timedelta(days=30)}, limits=None)
    assert not [finding for finding in results if finding.code.startswith("RECONSTITUT")]


# --- history order -----------------------------------------------------------------------------------------


def signed(product, *rows, date=dt.date(2026, 3, 1)):
    return SignedSession(date=date, product=product, rows=rows)


@pytest.mark.parametrize("reverse", [False, True])
def test_of_two_sessions_on_one_day_the_same_one_counts_as_last_whatever_the_order_given(reverse):
    sessions = [signed(XEOMIN, scm(30)), signed(DYSPORT, scm(100))]
    history = PatientHistory(sessions=tuple(reversed(sessions) if reverse else sessions))
    finding = only(findings(scm(20), history=history), "PRODUCT_SWITCH")
    assert finding.key == "PRODUCT_SWITCH:INCO:ONA"


@pytest.mark.parametrize("reverse", [False, True])
def test_two_sessions_of_one_product_on_one_day_are_ordered_by_their_rows(reverse):
    sessions = [signed(DYSPORT, scm(100)), signed(DYSPORT, scm(250))]
    history = PatientHistory(sessions=tuple(reversed(sessions) if reverse else sessions))
    finding = only(findings(scm(20), history=history), "PRODUCT_SWITCH")
    # Compared as text, "250" sorts after "100": the 250 U session is the last one.
    assert finding.message.endswith("Last session: left SCM 250 U Dysport (clinic policy).")


def test_a_session_on_the_visit_day_counts_as_the_last_one():
    history = PatientHistory(sessions=(signed(DYSPORT, scm(100), date=VISIT),))
    limits = ProductLimits(product_code="ONA", min_interval_weeks=Limit(value=Decimal(12), source_codes=("L1",)))
    finding = only(findings(scm(20), history=history, limits=limits), "INTERVAL_TOO_SHORT")
    assert finding.message.startswith("Only 0 days since the last signed session on 3 Jun 2026 (Dysport)")


# --- numbers and durations in messages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (0, "0 days"),
        (1, "1 day"),
        (2, "2 days"),
        (6, "6 days"),
        (7, "1 week"),
        (8, "1 week and 1 day"),
        (9, "1 week and 2 days"),
        (14, "2 weeks"),
        (15, "2 weeks and 1 day"),
        (83, "11 weeks and 6 days"),
    ],
)
def test_a_number_of_days_reads_in_weeks_and_days(days, text):
    assert _format_days(days) == text


def test_the_interval_message_gives_weeks_and_days():
    history = PatientHistory(sessions=(signed(BOTOX, scm(20), date=VISIT - dt.timedelta(days=8)),))
    limits = ProductLimits(product_code="ONA", min_interval_weeks=Limit(value=Decimal(12), source_codes=("L1",)))
    finding = only(findings(scm(20), history=history, limits=limits), "INTERVAL_TOO_SHORT")
    assert finding.message == (
        "Only 1 week and 1 day since the last signed session on 26 May 2026 (Botox); the minimum re-treatment "
        "interval for Botox is 12 weeks (source L1, unverified)."
    )


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("0.125"), 2, "0.12"),
        (Decimal("2"), 2, "2.00"),
        (Decimal("99.5"), 0, "100"),
        (Decimal("1E+15"), 2, "1000000000000000.00"),
        (Decimal("9.99E+15"), 0, "9990000000000000"),
    ],
)
def test_a_fixed_number_has_its_decimals(value, places, text):
    assert _fixed(value, places) == text


@pytest.mark.parametrize("value", [Decimal("1E+16"), Decimal("1.5E+20"), Decimal("Infinity"), Decimal("-Infinity")])
def test_an_absurdly_large_or_infinite_number_is_not_written_out_in_full(value):
    assert _fixed(value, 2) == format_number(value)
    assert not _fixed(value, 2).endswith(".00")


def test_a_preparation_used_for_days_says_its_age_in_hours():
    made = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
    limits = ProductLimits(product_code="ONA", reconstituted_use_hours=Limit(value=Decimal(24), source_codes=("L1",)))
    draft = {**PREPARED, "reconstituted_at": made, "now": made + dt.timedelta(hours=1000)}
    finding = only(findings(draft=draft, limits=limits), "RECONSTITUTED_TOO_LONG_AGO")
    assert "was reconstituted 1000.0 hours ago" in finding.message
