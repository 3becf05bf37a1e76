"""The chart's cached fragments (visit cards, plan lines, the trend) and the whole chart: kept under what they
show, so a change shows at once, and under keys every cache backend accepts."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients import selectors
from patients.audit.models import CHANGE_ACTIONS, AuditEvent
from patients.audit.selectors import patient_revision
from patients.audit.services import log_access
from patients.models import AdverseEvent
from tests.patients.conftest import TODAY
from tests.patients.factories import AdverseEventFactory, PatientFactory, TwstrsFactory, VisitFactory
from tests.patients.kept import fresh_and_kept_for_another, sign_in_with_only, unmasked
from tests.test_query_budgets import BUDGETS

pytestmark = pytest.mark.django_db

MEMCACHED_SAFE = re.compile(r"^[A-Za-z0-9:._-]{1,199}$")


def chart_html(client, patient):
    return client.get(reverse("patients:patient_chart", args=[patient.pk])).content.decode()


def test_a_side_effect_recorded_after_the_chart_was_viewed_shows_on_the_next_view(client_for):
    patient = PatientFactory()
    visit = VisitFactory(patient=patient, date=TODAY)
    TwstrsFactory(visit=visit)
    client = client_for("nurse")
    before = chart_html(client, patient)
    assert "Side effects</dt>" not in before
    AdverseEventFactory(visit=visit, kind=AdverseEvent.Kind.DYSPHAGIA, dysphagia_grade=3, severity="severe")
    after = chart_html(client, patient)
    assert "Side effects</dt>" in after
    assert f'<li class="card mb-2 visit-card border-danger" id="visit-{visit.pk}">' in after


def test_a_visit_seen_again_is_read_from_the_cache_not_rendered_again(client_for, monkeypatch):
    patient = PatientFactory()
    for weeks in (0, 12, 24):
        TwstrsFactory(visit=VisitFactory(patient=patient, date=TODAY - timedelta(weeks=weeks)))
    client = client_for("nurse")
    first = chart_html(client, patient)
    written = []
    monkeypatch.setattr(cache, "set_many", lambda values, **kwargs: written.append(values) or [])
    assert (
        chart_html(client, patient).count('class="card mb-2 visit-card')
        == first.count('class="card mb-2 visit-card')
        == 3
    )
    assert written == []  # every card and plan line was a hit


def test_every_card_key_is_a_short_ascii_digest_whatever_the_names_hold():
    patient = PatientFactory(family_name="Łukasiewicz-Ødegård " * 4)
    visit = VisitFactory(patient=patient, date=TODAY)
    AdverseEventFactory(visit=visit, kind=AdverseEvent.Kind.OTHER, other_kind="ü: a long name, with spaces " * 7)
    (record,) = selectors.patient_chart(patient=patient).records
    assert MEMCACHED_SAFE.match(record.card_key)


# --- The whole chart, kept under the patient's revision (patients.views.patient_chart) -----------------


def chart_queries(client, patient):
    with CaptureQueriesContext(connection) as captured:
        html = chart_html(client, patient)
    return html, len(captured.captured_queries)


def charted_patient():
    patient = PatientFactory(notes="Prefers morning visits.")
    for weeks in (0, 12, 24):
        visit = VisitFactory(patient=patient, date=TODAY - timedelta(weeks=weeks))
        TwstrsFactory(visit=visit)
        AdverseEventFactory(visit=visit)
    return patient


def test_a_chart_opened_again_unchanged_is_one_cache_read_not_built_again(client_for, monkeypatch):
    patient = charted_patient()
    client = client_for("nurse")
    first = chart_html(client, patient)

    def built_again(**kwargs):
        raise AssertionError("the chart was built again although nothing had changed")

    monkeypatch.setattr(selectors, "patient_chart", built_again)
    again, count = chart_queries(client, patient)
    assert unmasked(again) == unmasked(first)
    assert count == BUDGETS["patient chart, unchanged"]


def edit_notes(patient):
    patient.notes = "Now prefers afternoons."
    patient.save()


def add_dysphagia(patient):
    AdverseEventFactory(visit=patient.visits.latest("date"), kind=AdverseEvent.Kind.DYSPHAGIA, dysphagia_grade=2)


def add_visit(patient):
    TwstrsFactory(visit=VisitFactory(patient=patient, date=TODAY - timedelta(days=3)))


def record_swallowing(patient):
    patient.baseline_swallowing = patient.Swallowing.MODERATE
    patient.save()


@pytest.mark.parametrize(
    "change, shown",
    [
        (edit_notes, "Now prefers afternoons."),
        (add_dysphagia, "Dysphagia"),
        (add_visit, "Fri 12 Jun 2026"),
        (record_swallowing, "Moderate difficulty"),
    ],
    ids=["patient notes", "a side effect", "a new visit", "baseline swallowing"],
)
def test_every_change_to_the_patients_records_shows_on_the_next_view(client_for, change, shown):
    patient = charted_patient()
    client = client_for("nurse")
    assert shown not in chart_html(client, patient)
    change(patient)
    assert shown in chart_html(client, patient)


def test_opening_the_chart_is_logged_but_does_not_change_the_revision_a_change_does():
    patient = charted_patient()
    before = patient_revision(patient.pk)
    log_access(None, patient, patient_id=patient.pk, what="chart")
    assert patient_revision(patient.pk) == before > 0
    AdverseEventFactory(visit=patient.visits.latest("date"))
    assert patient_revision(patient.pk) > before
    assert patient_revision(PatientFactory().pk) != patient_revision(patient.pk)


def test_every_change_action_is_an_audit_action():
    assert set(CHANGE_ACTIONS) <= set(AuditEvent.Action.values)
    assert not {"view", "export", "login"} & set(CHANGE_ACTIONS)


@pytest.mark.parametrize("first", ["nurse", "chart reader"])
def test_each_set_of_permissions_sees_its_own_chart_never_one_kept_for_another(client, client_for, first):
    """A chart reader holds view_patient and nothing else: none of the planner's sections."""
    patient = charted_patient()
    sign_in = {
        "nurse": lambda: client_for("nurse"),
        "chart reader": lambda: sign_in_with_only(client, "view_patient", "chart.reader"),
    }
    second = "chart reader" if first == "nurse" else "nurse"
    fresh, kept = fresh_and_kept_for_another(lambda signed_in: chart_html(signed_in, patient), sign_in, first, second)
    assert ("Conditions, medicines" in fresh["nurse"]) and ("Conditions, medicines" not in fresh["chart reader"])
    assert kept == fresh[second]


def test_the_next_day_the_chart_is_built_again(client_for):
    patient = PatientFactory(date_of_birth=TODAY.replace(year=TODAY.year - 50) + timedelta(days=1))
    client = client_for("nurse")
    assert "(49 years)" in chart_html(client, patient)
    with time_machine.travel(f"{(TODAY + timedelta(days=1)).isoformat()} 10:00 +0000", tick=True):
        assert "(50 years)" in chart_html(client_for("nurse"), patient)  # signed in again: a day is past the idle limit
