"""TWSTRS and Tsui arithmetic: hand-computed examples (partial entries included) and properties."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patients import scoring
from patients.posture import Finding
from tests.patients.factories import FULL_TWSTRS_TYPED

R_TORTICAPUT_3_L_LATEROCOLLIS_2 = [Finding("TORTICAPUT", "right", 3), Finding("LATEROCOLLIS", "left", 2)]


def twstrs(findings, typed):
    return scoring.twstrs_score({**scoring.twstrs_from_posture(findings), **typed})


def test_a_full_twstrs_adds_up_to_the_hand_computed_total():
    result = twstrs(R_TORTICAPUT_3_L_LATEROCOLLIS_2, FULL_TWSTRS_TYPED)
    # Severity: rotation 3 + laterocollis 2 + duration 3 x 2 + sensory trick 1 + range of motion 2 + time 2 = 16.
    assert result.subscale("severity").score == 16
    # Disability: 2 + 1 + 3 + 2 + 1 + 2 = 11.
    assert result.subscale("disability").score == 11
    # Pain: (7 + 2 + 2 x 4) / 4 = 4.25, + duration 3 + disability 2 = 9.25.
    assert result.subscale("pain").score == Decimal("9.25")
    assert result.total == Decimal("36.25")
    assert result.complete
    assert result.status == "complete"
    assert result.display == "36.25 / 85"


def test_without_a_posture_assessment_the_six_shared_items_are_missing_not_zero():
    result = twstrs(None, FULL_TWSTRS_TYPED)
    # Severity from the typed items only: 3 x 2 + 1 + 2 + 2 = 11.
    assert result.subscale("severity").score == 11
    assert result.subscale("severity").present == 4
    assert result.total == Decimal("31.25")
    assert not result.complete
    assert result.status == "partial: 4 of 10 severity items"
    assert result.display == "partial 31.25 / 85"


def test_a_missing_pain_rating_leaves_the_pain_severity_out_and_says_so():
    typed = {**FULL_TWSTRS_TYPED, "pain_usual": None, "work": None}
    result = twstrs(R_TORTICAPUT_3_L_LATEROCOLLIS_2, typed)
    assert result.subscale("pain").score == 5  # duration 3 + disability 2
    assert result.subscale("disability").score == 9
    assert result.total == Decimal(16 + 9 + 5)
    assert result.status == "partial: 5 of 6 disability items, 2 of 3 pain items"


def test_an_empty_twstrs_is_not_scored():
    result = scoring.twstrs_score({})
    assert result.total == 0
    assert result.empty
    assert result.status == "not scored"


def test_the_maximum_twstrs_is_85_and_the_subscales_35_30_20():
    worst = [
        Finding("TORTICAPUT", "left", 4),
        Finding("LATEROCAPUT", "left", 3),
        Finding("RETROCOLLIS", "", 3),
        Finding("LATERAL_SHIFT", "right", 1),
        Finding("SAGITTAL_SHIFT_FORWARD", "", 1),
        Finding("SHOULDER_ELEVATION", "left", 3),
    ]
    typed = {key: scoring.TWSTRS_ITEMS[key].high for key in scoring.TWSTRS_TYPED_KEYS}
    result = twstrs(worst, typed)
    assert [s.score for s in result.subscales] == [35, 30, 20]
    assert [s.maximum for s in result.subscales] == [35, 30, 20]
    assert result.total == result.maximum == 85


def test_the_posture_feeds_the_shared_twstrs_items_by_the_documented_rule():
    findings = [
        Finding("TORTICAPUT", "right", 2),
        Finding("TORTICOLLIS", "left", 3),
        Finding("LATEROCAPUT", "left", 1),
        Finding("ANTEROCOLLIS", "", 1),
        Finding("RETROCAPUT", "", 2),
        Finding("SAGITTAL_SHIFT_BACKWARD", "", 1),
        Finding("TREMOR_NO_NO", "", 2),
    ]
    assert scoring.twstrs_from_posture(findings) == {
        "rotation": 3,  # the worse of torticaput 2 and torticollis 3
        "laterocollis": 1,
        "antero_retrocollis": 2,  # the worst of the four flexion/extension components
        "lateral_shift": 0,
        "sagittal_shift": 1,
        "shoulder_elevation": 0,  # absent from an assessment that exists: 0, not missing
    }
    assert scoring.twstrs_from_posture(None) == {}


def test_pain_severity_is_worst_plus_best_plus_twice_usual_over_four():
    assert scoring.pain_severity(10, 10, 10) == 10
    assert scoring.pain_severity(5, 0, 1) == Decimal("1.75")
    assert scoring.pain_severity(5, None, 1) is None


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({"duration": 6}, "outside 0-5"),
        ({"work": -1}, "outside 0-5"),
        ({"pain_worst": 11}, "outside 0-10"),
        ({"time": 2.5}, "whole number"),
        ({"time": True}, "whole number"),
        ({"elbow": 1}, "unknown items"),
    ],
)
def test_out_of_range_or_unknown_items_are_refused(items, message):
    with pytest.raises(ValueError, match=message):
        scoring.twstrs_score(items)


def test_a_tsui_total_is_amplitudes_times_duration_plus_shoulder_plus_tremor():
    items = {
        "rotation": 2,
        "tilt": 1,
        "antero_retrocollis": 0,
        "duration": 2,
        "shoulder_elevation": 1,
        "tremor_severity": 2,
        "tremor_duration": 1,
    }
    result = scoring.tsui_score(items)
    assert result.total == (2 + 1 + 0) * 2 + 1 + 2 * 1 == 9
    assert result.complete


def test_the_maximum_tsui_is_25():
    items = {key: item.high for key, item in scoring.TSUI_ITEMS.items()}
    assert scoring.tsui_score(items).total == 25


def test_tsui_needs_no_durations_when_there_is_nothing_to_multiply():
    items = {"rotation": 0, "tilt": 0, "antero_retrocollis": 0, "shoulder_elevation": 2, "tremor_severity": 0}
    result = scoring.tsui_score(items)
    assert result.total == 2
    assert result.complete


def test_a_partial_tsui_adds_only_the_parts_it_can_compute():
    items = {"rotation": 3, "tilt": 2, "shoulder_elevation": 1, "tremor_severity": 1}
    result = scoring.tsui_score(items)
    assert result.total == 1  # no duration yet: the amplitudes cannot be multiplied; tremor has no duration
    assert result.status == "partial: 4 of 7 Tsui items"


def test_tsui_takes_its_tremor_severity_from_the_posture():
    assert scoring.tsui_from_posture([Finding("TREMOR_YES_YES", "", 1), Finding("TREMOR_NO_NO", "", 2)]) == {
        "tremor_severity": 2
    }
    assert scoring.tsui_from_posture([Finding("TORTICAPUT", "left", 2)]) == {"tremor_severity": 0}
    assert scoring.tsui_from_posture(None) == {}


def test_scores_print_without_trailing_zeros():
    assert scoring.format_score(Decimal("42.00")) == "42"
    assert scoring.format_score(Decimal("42.50")) == "42.5"
    assert scoring.format_score(Decimal("0")) == "0"


# --- Properties ---


def item_values(catalogue):
    return st.fixed_dictionaries({key: st.none() | st.integers(item.low, item.high) for key, item in catalogue.items()})


@given(item_values(scoring.TWSTRS_ITEMS))
def test_any_twstrs_entry_stays_within_0_85_and_is_the_sum_of_its_subscales(items):
    result = scoring.twstrs_score(items)
    assert 0 <= result.total <= 85
    assert result.total == sum(subscale.score for subscale in result.subscales)
    for subscale in result.subscales:
        assert 0 <= subscale.score <= subscale.maximum
    assert result.complete == all(value is not None for value in items.values())


@given(item_values(scoring.TWSTRS_ITEMS), st.sampled_from(sorted(scoring.TWSTRS_ITEMS)))
def test_raising_or_filling_in_one_twstrs_item_never_lowers_the_total(items, key):
    item = scoring.TWSTRS_ITEMS[key]
    before = scoring.twstrs_score(items).total
    current = items[key]
    if current is None:
        raised = {**items, key: item.low}
    elif current < item.high:
        raised = {**items, key: current + 1}
    else:
        return
    assert scoring.twstrs_score(raised).total >= before


@given(item_values(scoring.TSUI_ITEMS))
def test_any_tsui_entry_stays_within_0_25(items):
    result = scoring.tsui_score(items)
    assert 0 <= result.total <= 25


@given(item_values(scoring.TSUI_ITEMS), st.sampled_from(sorted(scoring.TSUI_ITEMS)))
def test_raising_or_filling_in_one_tsui_item_never_lowers_the_total(items, key):
    item = scoring.TSUI_ITEMS[key]
    before = scoring.tsui_score(items).total
    current = items[key]
    raised = {**items, key: item.low if current is None else min(current + 1, item.high)}
    assert scoring.tsui_score(raised).total >= before


findings_strategy = st.lists(
    st.sampled_from(list(scoring.BY_CODE)).flatmap(
        lambda code: st.builds(
            Finding,
            st.just(code),
            st.sampled_from(["left", "right"]) if scoring.BY_CODE[code].lateral else st.just(""),
            st.integers(1, scoring.BY_CODE[code].max_severity),
        )
    ),
    unique_by=lambda finding: finding.code,
)


@given(findings_strategy)
def test_whatever_the_posture_the_derived_twstrs_items_are_in_range(findings):
    derived = scoring.twstrs_from_posture(findings)
    assert set(derived) == set(scoring.TWSTRS_POSTURE_KEYS)
    for key, value in derived.items():
        item = scoring.TWSTRS_ITEMS[key]
        assert item.low <= value <= item.high
    scoring.twstrs_score(derived)  # accepted as valid items


@given(findings_strategy, st.data())
def test_a_worse_posture_component_never_lowers_a_derived_item(findings, data):
    if not findings:
        return
    index = data.draw(st.integers(0, len(findings) - 1))
    finding = findings[index]
    if finding.severity == scoring.BY_CODE[finding.code].max_severity:
        return
    worse = [*findings[:index], Finding(finding.code, finding.direction, finding.severity + 1), *findings[index + 1 :]]
    before, after = scoring.twstrs_from_posture(findings), scoring.twstrs_from_posture(worse)
    assert all(after[key] >= before[key] for key in before)
