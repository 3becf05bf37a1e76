"""The visit record's body is kept rendered under what it shows (patients.views.visit_detail), like the chart's:
opened again unchanged it is one cache read, and every change to the patient's records shows on the next view."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients import selectors
from patients.models import AdverseEvent, VisitOutcome
from tests.patients.conftest import TODAY
from tests.patients.factories import AdverseEventFactory, PatientFactory, TwstrsFactory, VisitFactory
from tests.patients.kept import fresh_and_kept_for_another, sign_in_with_only, unmasked
from tests.test_query_budgets import BUDGETS

pytestmark = pytest.mark.django_db


def record_html(client, visit):
    response = client.get(reverse("patients:visit_detail", args=[visit.pk]))
    assert response.status_code == 200
    return response.content.decode()


def recorded_visit():
    patient = PatientFactory(toxin_naive=False)
    VisitFactory(patient=patient, date=TODAY - timedelta(weeks=12))
    visit = VisitFactory(patient=patient, date=TODAY, status="in_progress", notes="Came with her daughter.")
    TwstrsFactory(visit=visit)
    return visit


def test_a_visit_record_opened_again_unchanged_is_one_cache_read_not_built_again(client_for, monkeypatch):
    visit = recorded_visit()
    client = client_for("nurse")
    first = record_html(client, visit)

    def built_again(pk):
        raise AssertionError("the visit record was built again although nothing had changed")

    monkeypatch.setattr(selectors, "visit_record_get", built_again)
    with CaptureQueriesContext(connection) as captured:
        again = record_html(client, visit)
    assert unmasked(again) == unmasked(first)
    assert len(captured.captured_queries) == BUDGETS["visit record, unchanged"]


def add_side_effect(visit):
    AdverseEventFactory(visit=visit, kind=AdverseEvent.Kind.DYSPHAGIA, dysphagia_grade=2)


def record_pain(visit):
    VisitOutcome.objects.create(visit=visit, pain_now=7)


def change_visit_notes(visit):
    visit.notes = "Came alone this time."
    visit.save()


def deactivate_the_patient(visit):
    visit.patient.active = False
    visit.patient.save()


@pytest.mark.parametrize(
    "change, shown, gone",
    [
        (add_side_effect, "Dysphagia", "None reported."),
        (record_pain, "Pain now: <strong>7</strong> / 10", None),
        (change_visit_notes, "Came alone this time.", "Came with her daughter."),
        (deactivate_the_patient, "Inactive", "Add a side effect"),
    ],
    ids=["a side effect", "pain recorded", "the visit's notes", "the patient deactivated"],
)
def test_every_change_to_the_patients_records_shows_on_the_next_view(client_for, change, shown, gone):
    visit = recorded_visit()
    client = client_for("nurse")
    before = record_html(client, visit)
    assert shown not in before
    assert gone is None or gone in before
    record_html(client, visit)  # from the cache
    change(visit)
    after = record_html(client, visit)
    assert shown in after
    assert gone is None or gone not in after


@pytest.mark.parametrize("first", ["nurse", "visit reader"])
def test_each_set_of_permissions_sees_its_own_record_never_one_kept_for_another(client, client_for, first):
    """A visit reader holds view_visit and nothing else: no button to record anything."""
    visit = recorded_visit()
    sign_in = {
        "nurse": lambda: client_for("nurse"),
        "visit reader": lambda: sign_in_with_only(client, "view_visit", "visit.reader"),
    }
    second = "visit reader" if first == "nurse" else "nurse"
    fresh, kept = fresh_and_kept_for_another(lambda signed_in: record_html(signed_in, visit), sign_in, first, second)
    assert "Edit TWSTRS" in fresh["nurse"] and "Edit TWSTRS" not in fresh["visit reader"]
    assert kept == fresh[second]


def test_the_heading_follows_the_day_a_visit_booked_for_tomorrow_can_be_started_the_next_day(client_for):
    patient = PatientFactory()
    visit = VisitFactory(patient=patient, date=TODAY + timedelta(days=1), status="scheduled")
    assert "It can be recorded on the day." in record_html(client_for("nurse"), visit)
    with time_machine.travel(f"{(TODAY + timedelta(days=1)).isoformat()} 10:00 +0000", tick=True):
        page = record_html(client_for("nurse"), visit)  # signed in again: a day is past the idle limit
    assert "It can be recorded on the day." not in page
    assert "Start recording" in page
