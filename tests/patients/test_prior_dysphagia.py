"""Prior dysphagia has one definition (patients.dysphagia), and the chart's alert and the planner's
safety check give the same answer with it: impaired baseline swallowing, or a dysphagia side effect of any
grade but 0. A dysphagia report whose grade was not recorded counts: the broader, safer reading (the chart
used to require grade 1 or more, the safety check anything but 0)."""

from datetime import date

import pytest

from patients import dysphagia
from patients.models import AdverseEvent, Patient
from patients.selectors import has_prior_dysphagia
from planner.rules import safety
from tests.planner.test_safety import check, draft, row

EVENTS = [
    ((), False),
    ((("dysphagia", 0),), False),
    ((("dysphagia", 1),), True),
    ((("dysphagia", 4),), True),
    ((("dysphagia", None),), True),  # grade not recorded: counts
    ((("neck_weakness", None),), False),
    ((("dysphagia", 0), ("dysphagia", None)), True),
]


def test_a_dysphagia_report_counts_unless_its_grade_is_0():
    assert dysphagia.dysphagia_reported("dysphagia", None)
    assert dysphagia.dysphagia_reported(AdverseEvent.Kind.DYSPHAGIA, 2)
    assert not dysphagia.dysphagia_reported("dysphagia", 0)
    assert not dysphagia.dysphagia_reported("breathing", 3)


def test_the_impaired_baselines_are_the_patient_models_mild_moderate_and_severe():
    impaired = {Patient.Swallowing.MILD, Patient.Swallowing.MODERATE, Patient.Swallowing.SEVERE}
    assert {str(value) for value in impaired} == dysphagia.IMPAIRED_BASELINE
    assert {value for value, _ in Patient.Swallowing.choices} - impaired == {"not_assessed", "normal"}


@pytest.mark.parametrize("baseline", [value for value, _ in Patient.Swallowing.choices])
@pytest.mark.parametrize(("events", "reported"), EVENTS)
def test_the_chart_and_the_safety_check_agree_on_prior_dysphagia(baseline, events, reported):
    expected = reported or baseline in ("mild", "moderate", "severe")
    patient = Patient(baseline_swallowing=baseline)
    models = [AdverseEvent(kind=kind, dysphagia_grade=grade) for kind, grade in events]
    assert has_prior_dysphagia(patient, models) is expected  # the chart (and what the planner passes on)

    # The safety check sees the events as its own dataclasses, and the chart's answer as prior_dysphagia
    # only for the baseline (as planner.plans.selectors.history_inputs would pass were there no events).
    history = safety.PatientHistory(
        adverse_events=tuple(
            safety.AdverseEvent(kind=kind, severity="moderate", date=date(2026, 3, 20), grade=grade)
            for kind, grade in events
        ),
        prior_dysphagia=dysphagia.baseline_dysphagia(baseline),
    )
    findings = check(draft(row("SCM", "left", "20", guidance="emg")), history=history)
    assert any(finding.code == "DYSPHAGIA_ANTERIOR_NECK" for finding in findings) is expected
