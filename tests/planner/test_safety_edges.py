"""planner.rules.safety at its edges: ties, several rows or contexts, missing inputs, and the number and
duration formats. Database-free, so `make mutation` runs them.

Each test pins a behaviour a changed rule would alter: which of two equal figures is cited, that
every SCM row is checked and not only the first, that findings do not depend on the order a
history is given in, and how hours, days and volumes read in a message.
"""

import datetime as dt
from decimal import Decimal

import pytest

from planner.rules.safety import (
    AdverseEvent,
    Basis,
    Cautions,
    CumulativeLimit,
    DraftSession,
    InjectionRow,
    Limit,
    MuscleInfo,
    PatientHistory,
    ProductAmount,
    ProductLimits,
    SafetyPolicy,
    ScmReduction,
    SignedSession,
    _fixed,
    _format_days,
    check_session,
)
from planner.rules.suggest import DoseRange, PostureComponent, Product, format_number

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


# --- limits at their ends and odd reference values ------------------------------------------------------


def one_figure(**bounds):
    return DoseRange(product_code="ONA", muscle_code="SCM", source_codes=("G5",), kind="label_table", **bounds)


@pytest.mark.parametrize(
    ("bounds", "dose", "warns"),
    [
        ({"max_units": Decimal(110)}, 110, False),
        ({"max_units": Decimal(110)}, Decimal("110.5"), True),
        ({"min_units": Decimal(20)}, 20, False),
        ({"min_units": Decimal(20)}, Decimal("19.5"), True),
    ],
)
def test_a_figure_with_one_end_is_checked_at_that_end(bounds, dose, warns):
    results = findings(scm(dose), guidelines=[one_figure(**bounds)])
    assert bool(by_code(results, "DOSE_OUT_OF_RANGE")) is warns


def test_a_dose_inside_the_first_figure_is_still_checked_against_the_next():
    figures = [one_figure(min_units=Decimal(15), max_units=Decimal(200)), one_figure(max_units=Decimal(100))]
    finding = only(findings(scm(150), guidelines=figures), "DOSE_OUT_OF_RANGE")
    assert finding.message == (
        "150 U Botox for left SCM is above 100 U Botox, the Botox label's range (source G5, unverified)."
    )


def test_a_figure_without_a_source_says_it_is_clinic_policy_and_an_unknown_kind_says_what_it_is():
    figure = DoseRange(product_code="ONA", muscle_code="SCM", max_units=Decimal(100), kind="consensus")
    finding = only(findings(scm(150), guidelines=[figure]), "DOSE_OUT_OF_RANGE")
    assert (
        finding.message == "150 U Botox for left SCM is above 100 U Botox, a sourced figure for Botox (clinic policy)."
    )


def test_the_latest_dysphagia_report_is_the_one_named_whatever_the_order_and_a_report_may_have_no_date():
    reports = (
        AdverseEvent(kind="dysphagia", severity="mild", date=dt.date(2026, 1, 5), grade=1),
        AdverseEvent(kind="dysphagia", severity="severe", date=dt.date(2026, 3, 20), grade=3),
    )
    finding = only(findings(scm(10), history=PatientHistory(adverse_events=reports)), "DYSPHAGIA_ANTERIOR_NECK")
    assert "(dysphagia reported 20 Mar 2026, severe, 2 reports in all)" in finding.message
    undated = (AdverseEvent(kind="dysphagia", grade=2),)
    finding = only(findings(scm(10), history=PatientHistory(adverse_events=undated)), "DYSPHAGIA_ANTERIOR_NECK")
    assert "has had dysphagia (dysphagia reported): injecting" in finding.message


@pytest.mark.parametrize(
    ("vial", "diluent"),
    [(Decimal(0), Decimal(2)), (Decimal(100), Decimal(0)), (Decimal(-100), Decimal(2)), (Decimal(100), Decimal(-1))],
)
def test_no_volume_is_worked_out_from_an_empty_or_negative_vial_or_diluent(vial, diluent):
    results = findings(scm(10), draft={"vial_units": vial, "diluent_ml": diluent})
    assert not by_code(results, "VOLUME_PER_SITE_IMPLAUSIBLE")


def test_the_volume_is_worked_out_for_a_one_unit_vial():
    finding = only(
        findings(scm(10), draft={"vial_units": Decimal(1), "diluent_ml": Decimal(1)}), "VOLUME_PER_SITE_IMPLAUSIBLE"
    )
    assert "is 10.00 mL per site" in finding.message


@pytest.mark.parametrize("field", ["min_volume_per_site_ml", "max_volume_per_site_ml"])
def test_no_volume_check_without_both_plausible_bounds(field):
    policy = SafetyPolicy(**{field: None})
    results = findings(scm(100), policy=policy, draft={"vial_units": Decimal(100), "diluent_ml": Decimal(2)})
    assert not by_code(results, "VOLUME_PER_SITE_IMPLAUSIBLE")


def test_an_scm_row_without_a_side_is_counted_in_the_scm_total_as_no_side():
    cautions = Cautions(scm_total_max=[ProductAmount(product_code="ONA", value=Decimal(100), source_codes=("D12",))])
    finding = only(findings(scm(60), scm(50, side=""), cautions=cautions), "SCM_TOTAL_ABOVE_CAUTION")
    assert "SCM total 110 U Botox (left 60, no side 50)" in finding.message


def test_a_total_near_a_one_unit_labeled_maximum_is_pointed_out():
    limits = ProductLimits(product_code="ONA", session_max=Limit(value=Decimal(1), source_codes=("L1",)))
    finding = only(findings(scm(Decimal("0.9")), limits=limits), "SESSION_MAX_NEAR")
    assert "is 90% of the labeled maximum of 1 U Botox" in finding.message


def cumulative(value=Decimal(500), weeks=26):
    return ProductLimits(
        product_code="ONA",
        cumulative_max=CumulativeLimit(value=value, period_weeks=weeks, source_codes=("L1",)),
    )


@pytest.mark.parametrize(
    "limits",
    [cumulative(weeks=0), cumulative(weeks=-4), cumulative(weeks="n/a"), cumulative(value="n/a")],
)
def test_a_cumulative_limit_without_a_usable_value_or_period_checks_nothing(limits):
    assert not by_code(findings(scm(600), limits=limits), "CUMULATIVE_MAX_EXCEEDED")


def test_a_one_week_cumulative_period_is_checked():
    finding = only(findings(scm(600), limits=cumulative(weeks=1)), "CUMULATIVE_MAX_EXCEEDED")
    assert finding.message.startswith("Botox in the 1 weeks up to 3 Jun 2026: 0 U Botox signed (0 sessions)")


def test_a_period_longer_than_the_calendar_counts_every_session():
    history = PatientHistory(sessions=(signed(BOTOX, scm(400), date=dt.date(1900, 1, 1)),))
    finding = only(findings(scm(200), history=history, limits=cumulative(weeks=10**14)), "CUMULATIVE_MAX_EXCEEDED")
    assert "400 U Botox signed (1 session) + 200 U Botox planned = 600 U Botox" in finding.message


def test_without_a_visit_date_nothing_dated_is_checked():
    results = check_session(
        draft=DraftSession(visit_date=None, product=BOTOX, rows=(scm(600),)),
        history=PatientHistory(sessions=(signed(DYSPORT, scm(100)),)),
        limits=cumulative(weeks=1),
    )
    assert not {finding.code for finding in results} & {"CUMULATIVE_MAX_EXCEEDED", "INTERVAL_TOO_SHORT"}


def test_every_other_product_in_the_period_is_listed_and_keyed():
    history = PatientHistory(
        sessions=(
            signed(DYSPORT, scm(100), date=dt.date(2026, 4, 1)),
            signed(XEOMIN, scm(50), date=dt.date(2026, 5, 1)),
        )
    )
    finding = only(findings(scm(20), history=history, limits=cumulative()), "CUMULATIVE_OTHER_PRODUCTS")
    assert finding.key == "CUMULATIVE_OTHER_PRODUCTS:ABO,INCO"
    assert "interchangeable: Dysport on 1 Apr 2026; Xeomin on 1 May 2026 (clinic policy)." in finding.message


def test_a_switch_from_a_session_with_no_readable_dose_says_so():
    history = PatientHistory(sessions=(signed(DYSPORT, InjectionRow(muscle_code="SCM", side="left", dose="?")),))
    finding = only(findings(scm(20), history=history), "PRODUCT_SWITCH")
    assert "Last session: no doses recorded" in finding.message


def test_a_missing_expiry_date_is_named():
    draft = {**PREPARED, "lot_expiry": None}
    finding = only(findings(scm(20), draft=draft), "PREPARATION_MISSING")
    assert finding.message.startswith("The preparation is not recorded: no lot expiry date; record")


@pytest.mark.parametrize(
    ("sessions", "last_rows"),
    [
        # Same day, same product: ordered by muscle, then side.
        (
            (signed(DYSPORT, scm(100)), signed(DYSPORT, InjectionRow(muscle_code="TRAP", side="left", dose=100))),
            "left TRAP",
        ),
        ((signed(DYSPORT, scm(100)), signed(DYSPORT, scm(100, side="right"))), "right SCM"),
        # Same day, two products: ordered by product code before the rows.
        ((signed(XEOMIN, scm(100)), signed(DYSPORT, scm(30))), "left SCM 100 U Xeomin"),
    ],
)
@pytest.mark.parametrize("reverse", [False, True])
def test_same_day_sessions_are_ordered_by_product_then_muscle_then_side(sessions, last_rows, reverse):
    history = PatientHistory(sessions=tuple(reversed(sessions)) if reverse else sessions)
    finding = only(findings(scm(20), history=history), "PRODUCT_SWITCH")
    assert f"Last session: {last_rows}" in finding.message


@pytest.mark.parametrize(
    ("dose", "valid"), [(Decimal(999_999), True), (Decimal(1_000_000), False), (Decimal("999999.5"), True)]
)
def test_a_million_units_is_too_large_to_be_a_dose(dose, valid):
    results = findings(scm(dose))
    assert (not by_code(results, "DOSE_INVALID")) is valid


@pytest.mark.parametrize(("sites", "valid"), [(10**15 - 1, True), (10**15, False), (10**16, False)])
def test_a_number_of_sites_has_at_most_fifteen_digits(sites, valid):
    results = findings(InjectionRow(muscle_code="SCM", side="left", dose=Decimal(10), sites=sites))
    assert (not by_code(results, "SITES_INVALID")) is valid


def test_source_codes_given_as_a_list_are_kept_as_a_tuple():
    basis = Basis(source_codes=["D1", "D2"])
    assert basis.source_codes == ("D1", "D2")
    assert hash(basis) == hash(Basis(source_codes=("D1", "D2")))


def test_a_dose_figure_keeps_its_sources_and_contexts_as_tuples():
    figure = DoseRange(product_code="ONA", muscle_code="SCM", source_codes=["T1"], context_patterns=["TREMOR_NO_NO"])
    assert figure.source_codes == ("T1",)
    assert figure.context_patterns == ("TREMOR_NO_NO",)
    assert hash(figure) == hash(
        DoseRange(product_code="ONA", muscle_code="SCM", source_codes=("T1",), context_patterns=("TREMOR_NO_NO",))
    )
