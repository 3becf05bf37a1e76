"""Col-Cap findings: validation, the chart's summary line and combined patterns."""

from patients.posture import (
    Finding,
    combined_components,
    explain_combined,
    summary,
    tremor_severity,
    validate_findings,
)


def test_the_summary_reads_like_a_clinician_writes_it_in_col_cap_order():
    findings = [Finding("LATEROCOLLIS", "left", 2), Finding("TORTICAPUT", "right", 3)]
    assert summary(findings) == "R torticaput 3, L laterocollis 2"


def test_the_summary_omits_sides_for_sagittal_patterns_and_grades_for_present_or_absent_items():
    findings = [
        Finding("ANTEROCOLLIS", "", 2),
        Finding("LATERAL_SHIFT", "right", 1),
        Finding("SAGITTAL_SHIFT_FORWARD", "", 1),
        Finding("TREMOR_NO_NO", "", 1),
    ]
    assert summary(findings) == "anterocollis 2, R lateral shift, forward sagittal shift, no-no tremor 1"


def test_a_lateral_pattern_needs_a_direction():
    problems = validate_findings([Finding("TORTICAPUT", "", 2)])
    assert problems == {("TORTICAPUT", "direction"): "Choose left or right for torticaput."}


def test_a_sagittal_pattern_takes_no_direction():
    problems = validate_findings([Finding("RETROCOLLIS", "left", 2)])
    assert "takes no direction" in problems[("RETROCOLLIS", "direction")]


def test_the_same_pattern_cannot_be_recorded_twice_with_opposite_directions():
    problems = validate_findings([Finding("TORTICAPUT", "left", 2), Finding("TORTICAPUT", "right", 2)])
    assert problems == {
        ("TORTICAPUT", "direction"): (
            "Torticaput is recorded twice (left and right); a pattern is recorded once, with one direction."
        )
    }


def test_severity_must_be_within_the_components_range():
    assert validate_findings([Finding("LATEROCAPUT", "left", 4)]) == {
        ("LATEROCAPUT", "severity"): "Choose a severity from 1 to 3 for laterocaput."
    }
    assert ("TORTICAPUT", "severity") in validate_findings([Finding("TORTICAPUT", "left", 0)])
    assert validate_findings([Finding("TORTICAPUT", "left", 4), Finding("TREMOR_YES_YES", "", 2)]) == {}


def test_a_lateral_shift_is_laterocollis_to_the_shift_side_and_laterocaput_to_the_other():
    assert combined_components("LATERAL_SHIFT", "right") == (("LATEROCOLLIS", "right"), ("LATEROCAPUT", "left"))
    assert explain_combined(Finding("LATERAL_SHIFT", "left", 1)) == (
        "Left lateral shift: left laterocollis + right laterocaput."
    )


def test_sagittal_shifts_combine_a_collis_and_the_opposite_caput_form():
    assert combined_components("SAGITTAL_SHIFT_FORWARD") == (("ANTEROCOLLIS", ""), ("RETROCAPUT", ""))
    assert combined_components("SAGITTAL_SHIFT_BACKWARD") == (("ANTEROCAPUT", ""), ("RETROCOLLIS", ""))
    assert combined_components("TORTICAPUT", "left") == ()


def test_the_worst_tremor_is_the_tremor_severity():
    assert tremor_severity([Finding("TREMOR_NO_NO", "", 1), Finding("TREMOR_YES_YES", "", 2)]) == 2
    assert tremor_severity([Finding("TORTICAPUT", "left", 3)]) == 0
