"""Posture contradictions: the reference table, the pure check, and the posture form refusing them."""

import datetime as dt

import pytest
from django.urls import reverse

from patients import colcap
from patients.models import PostureAssessment
from patients.posture import Contradiction, Finding, contradictions
from planner.reference.loader import build_rows, read_shipped
from planner.reference.posture_rules import posture_contradictions
from tests.patients.factories import VisitFactory

SHIPPED = next(rows for table, rows in build_rows(*read_shipped()).items() if table.name == "PostureContradiction")
RULES = tuple(Contradiction(row["first"], row["second"], row["relation"], row["reason"]) for row in SHIPPED)


def problems(*findings):
    return contradictions([Finding(*finding) for finding in findings], RULES)


def test_every_shipped_contradiction_names_col_cap_components_and_cites_a_source():
    assert len(SHIPPED) >= 9
    for row in SHIPPED:
        assert row["first"] in colcap.BY_CODE and row["second"] in colcap.BY_CODE
        assert row["sources"], row
        if row["clinic_policy"]:
            assert "clinic policy" in row["reason"]


def test_a_right_lateral_shift_with_a_right_laterocaput_is_refused_and_says_why():
    found = problems(("LATERAL_SHIFT", "right", 1), ("LATEROCAPUT", "right", 2))
    assert found == {
        ("LATEROCAPUT", "present"): "Right laterocaput cannot be recorded with right lateral shift: a lateral shift "
        "already means laterocaput to the opposite side of the shift."
    }


def test_a_right_lateral_shift_with_a_left_laterocaput_or_right_laterocollis_is_what_it_means():
    assert problems(("LATERAL_SHIFT", "right", 1), ("LATEROCAPUT", "left", 2), ("LATEROCOLLIS", "right", 2)) == {}


def test_a_right_lateral_shift_with_a_left_laterocollis_is_refused():
    assert ("LATEROCOLLIS", "present") in problems(("LATERAL_SHIFT", "right", 1), ("LATEROCOLLIS", "left", 2))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ANTEROCOLLIS", "RETROCOLLIS"),
        ("ANTEROCAPUT", "RETROCAPUT"),
        ("SAGITTAL_SHIFT_FORWARD", "RETROCOLLIS"),
        ("SAGITTAL_SHIFT_FORWARD", "ANTEROCAPUT"),
        ("SAGITTAL_SHIFT_BACKWARD", "ANTEROCOLLIS"),
        ("SAGITTAL_SHIFT_BACKWARD", "RETROCAPUT"),
        ("SAGITTAL_SHIFT_FORWARD", "SAGITTAL_SHIFT_BACKWARD"),
    ],
)
def test_opposite_sagittal_components_cannot_be_recorded_together(first, second):
    assert (second, "present") in problems((first, "", 1), (second, "", 2))


def test_what_a_shift_implies_may_be_recorded_with_it():
    assert problems(("SAGITTAL_SHIFT_FORWARD", "", 1), ("ANTEROCOLLIS", "", 2), ("RETROCAPUT", "", 1)) == {}


def test_without_rules_nothing_is_refused():
    assert contradictions([Finding("ANTEROCOLLIS", "", 2), Finding("RETROCOLLIS", "", 2)], ()) == {}


@pytest.mark.django_db
def test_the_loaded_rules_say_where_they_come_from(shipped_reference):
    rules = {(rule.first, rule.second): rule for rule in posture_contradictions()}
    assert rules[("LATERAL_SHIFT", "LATEROCAPUT")].basis == "sources S6b, S7"
    assert rules[("ANTEROCOLLIS", "RETROCOLLIS")].basis == "sources S10, S6c; clinic policy"


@pytest.mark.django_db
def test_the_posture_form_refuses_a_contradiction_at_the_component_and_saves_nothing(client_for, shipped_reference):
    visit = VisitFactory(date=dt.date.today(), status="in_progress")
    data = {
        "notes": "",
        "LATERAL_SHIFT_present": "on",
        "LATERAL_SHIFT_direction": "right",
        "LATEROCAPUT_present": "on",
        "LATEROCAPUT_direction": "right",
        "LATEROCAPUT_severity": "2",
    }
    response = client_for("nurse").post(reverse("patients:posture_record", args=[visit.pk]), data)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["LATEROCAPUT_present"])
    assert "Right laterocaput cannot be recorded with right lateral shift" in errors
    assert "(sources S6b, S7)" in errors
    assert not PostureAssessment.objects.exists()
