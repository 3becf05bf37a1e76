"""The chart is kept rendered under, among others, the reference version (planner.reference.version.chart_token):
a committed change to the reference data shows on the next view, and a chart built while the reference data has
an uncommitted change is never kept."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from patients import selectors
from tests.patients.factories import PatientFactory
from tests.planner.outcomes_helpers import muscle, product, treated_visit

TODAY = date(2026, 6, 15)
pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture
def builds(monkeypatch):
    """How many times the chart was built (not read from the cache)."""
    calls = []
    build = selectors.patient_chart

    def counted(**kwargs):
        calls.append(kwargs["patient"].pk)
        return build(**kwargs)

    monkeypatch.setattr(selectors, "patient_chart", counted)
    return calls


def treated_patient(neurologist):
    patient = PatientFactory()
    splenius = muscle("SPLENIUS_CAPITIS", "Splenius capitis")
    treated_visit(patient, TODAY - timedelta(days=90), product("ABO"), [(splenius, "left", 250, 2)], signer=neurologist)
    return patient, splenius


def chart_html(client, patient):
    response = client.get(reverse("patients:patient_chart", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db(transaction=True)  # the reference change must commit, as it does in the admin
def test_a_committed_reference_change_shows_on_the_next_view_of_an_unchanged_chart(client, neurologist, builds):
    patient, splenius = treated_patient(neurologist)
    client.force_login(neurologist)
    assert "L splenius capitis 250" in chart_html(client, patient)
    chart_html(client, patient)
    assert builds == [patient.pk]  # the second view was a cache read
    splenius.name = "Splenius capitis muscle"
    splenius.save()  # bumps the reference version, committed
    assert "L splenius capitis muscle 250" in chart_html(client, patient)
    assert builds == [patient.pk, patient.pk]


@pytest.mark.django_db
def test_while_the_reference_data_has_an_uncommitted_change_every_view_builds_the_chart(client, neurologist, builds):
    # The test's own transaction holds the reference rows made here, not committed: their version may be
    # rolled back and reused, so nothing is kept under it.
    patient, _splenius = treated_patient(neurologist)
    client.force_login(neurologist)
    chart_html(client, patient)
    chart_html(client, patient)
    assert builds == [patient.pk, patient.pk]
