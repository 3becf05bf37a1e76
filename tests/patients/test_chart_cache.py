"""The chart's cached fragments (visit cards, plan lines, the trend): kept under what they show, so a change
shows at once, and under keys every cache backend accepts."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from patients import selectors
from patients.models import AdverseEvent
from tests.patients.conftest import TODAY
from tests.patients.factories import AdverseEventFactory, PatientFactory, TwstrsFactory, VisitFactory

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
