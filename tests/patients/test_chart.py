"""The patient chart: what it shows, its alerts, its trend, its extension point and its query count."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import format_html

from patients import chart as chart_registry
from patients import selectors, services
from patients.models import AdverseEvent, PostureComponent, TsuiAssessment, TwstrsAssessment, Visit, VisitOutcome
from patients.posture import Finding
from tests.factories import NURSE, make_user
from tests.patients.conftest import TODAY
from tests.patients.factories import (
    FULL_TWSTRS_TYPED,
    AdverseEventFactory,
    PatientFactory,
    PostureAssessmentFactory,
    PostureComponentFactory,
    TwstrsFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def chart_html(client_for, patient):
    return client_for("nurse").get(reverse("patients:patient_chart", args=[patient.pk])).content.decode()


def recorded_visit(patient, day, **twstrs):
    visit = VisitFactory(patient=patient, date=day)
    assessment = PostureAssessmentFactory(visit=visit)
    PostureComponentFactory(assessment=assessment, code="TORTICAPUT", direction="right", severity=3)
    PostureComponentFactory(assessment=assessment, code="LATEROCOLLIS", direction="left", severity=2)
    TwstrsFactory(visit=visit, **twstrs)
    return visit


def test_the_chart_shows_demographics_flags_and_visits_newest_first_with_their_totals(client_for):
    patient = PatientFactory(family_name="Müller", given_name="Zoë", toxin_naive=True)
    recorded_visit(patient, TODAY - timedelta(weeks=12))
    recorded_visit(patient, TODAY, time=None)
    VisitFactory(patient=patient, date=TODAY + timedelta(weeks=12), status=Visit.Status.SCHEDULED)
    html = chart_html(client_for, patient)
    assert "MÜLLER, Zoë" in html
    assert 'id="toxin-naive"' in html
    assert html.count("R torticaput 3, L laterocollis 2") == 2
    # Complete: 36.25; the newer one lacks the time item (2): partial 34.25.
    assert "<strong>36.25</strong> / 85" in html
    assert (
        '<strong>34.25</strong> / 85 <span class="badge text-bg-warning">partial: 9 of 10 severity items</span>' in html
    )
    dates = [f"{day:%a %d %b %Y}" for day in (TODAY + timedelta(weeks=12), TODAY, TODAY - timedelta(weeks=12))]
    timeline = html[html.index('id="visits-heading"') :]
    positions = [timeline.index(day) for day in dates]
    assert positions == sorted(positions)


def test_the_trend_is_an_svg_with_a_title_and_a_text_alternative(client_for, patient):
    recorded_visit(patient, TODAY - timedelta(weeks=12))
    recorded_visit(patient, TODAY, time=None)
    html = chart_html(client_for, patient)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert '<title id="twstrs-trend-title">TWSTRS total over time</title>' in html
    assert f"{TODAY - timedelta(weeks=12):%d %b %Y}: 36.25; {TODAY:%d %b %Y}: 34.25 (partial)" in html
    assert 'class="trend-point-partial"' in html


def test_a_chart_without_totals_says_so_instead_of_drawing(client_for, patient):
    html = chart_html(client_for, patient)
    assert "No TWSTRS total has been recorded yet." in html
    assert "<svg" not in html
    assert "No visits yet." in html


def test_breathing_difficulty_and_severe_dysphagia_raise_red_flag_alerts(client_for, patient):
    visit = VisitFactory(patient=patient, date=TODAY)
    AdverseEventFactory(visit=visit, kind=AdverseEvent.Kind.BREATHING, severity="moderate")
    AdverseEventFactory(visit=visit, kind=AdverseEvent.Kind.DYSPHAGIA, severity="severe", dysphagia_grade=4)
    AdverseEventFactory(visit=visit, kind=AdverseEvent.Kind.DRY_MOUTH, severity="severe")
    html = chart_html(client_for, patient)
    assert html.count('role="alert"') == 4
    assert "<strong>Red flag: Breathing difficulty.</strong>" in html
    assert "<strong>Red flag: Dysphagia (swallowing difficulty).</strong>" in html
    assert "<strong>Caution: Severe dry mouth.</strong>" in html
    assert "<strong>Caution: Prior dysphagia.</strong>" in html
    assert 'aria-hidden="true">⚠</span>' in html  # an icon as well as the colour and the words


def test_prior_dysphagia_on_the_chart_matches_the_planners_selector(patient):
    visit = VisitFactory(patient=patient, date=TODAY)
    AdverseEventFactory(visit=visit, kind=AdverseEvent.Kind.DYSPHAGIA, severity="mild", dysphagia_grade=1)
    chart = selectors.patient_chart(patient=patient)
    assert chart.prior_dysphagia is True
    assert selectors.patient_has_prior_dysphagia(patient) is True
    (alert,) = chart.alerts
    assert alert.text == f"Grade 1 at the visit of {TODAY:%d %b %Y}."


@pytest.fixture
def provider():
    calls = []

    def signed_sessions(visits):
        calls.append([visit.pk for visit in visits])
        return {
            visit.pk: format_html('<span class="session">Signed session for {}</span>', visit.date)
            for visit in visits[:1]
        } | {visits[-1].pk: "<b>escaped</b>"}

    chart_registry.register_visit_summary_provider(signed_sessions)
    chart_registry.register_visit_summary_provider(signed_sessions)  # once only
    yield calls
    chart_registry.unregister_visit_summary_provider(signed_sessions)


def test_other_apps_add_a_line_per_visit_through_the_provider_registry(client_for, patient, provider):
    older = VisitFactory(patient=patient, date=TODAY - timedelta(weeks=12))
    newer = VisitFactory(patient=patient, date=TODAY)
    html = chart_html(client_for, patient)
    assert provider == [[newer.pk, older.pk]]  # called once per page with every visit on it
    assert f'<span class="session">Signed session for {TODAY:%Y-%m-%d}</span>' in html
    assert "&lt;b&gt;escaped&lt;/b&gt;" in html


def test_the_registry_is_not_called_without_visits(provider, patient):
    selectors.patient_chart(patient=patient)
    assert provider == []


def chart_queries(client, patient):
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("patients:patient_chart", args=[patient.pk]))
    assert response.status_code == 200
    return len(context.captured_queries)


def add_visits(patient, count):
    for number in range(count):
        visit = recorded_visit(patient, TODAY - timedelta(weeks=12 * (number + 1)))
        AdverseEventFactory(visit=visit)


def test_the_chart_takes_the_same_number_of_queries_for_1_or_50_visits(client_for, django_assert_max_num_queries):
    client = client_for("nurse")
    one, fifty = PatientFactory(), PatientFactory()
    add_visits(one, 1)
    add_visits(fifty, 50)
    assert TwstrsAssessment.objects.filter(visit__patient=fifty).count() == 50
    assert PostureComponent.objects.filter(assessment__visit__patient=fifty).count() == 100
    # The first request also stores the session; another patient's chart, as theirs would be a cache hit.
    client.get(reverse("patients:patient_chart", args=[PatientFactory().pk]))
    # Session, user, permissions and the audit entry, plus four for the chart itself: patient, visits
    # with their one-to-one records, posture components, adverse events.
    with django_assert_max_num_queries(20):
        few = chart_queries(client, one)
    with django_assert_max_num_queries(20):
        many = chart_queries(client, fifty)
    assert few == many


def test_the_visit_page_takes_a_fixed_number_of_queries(client_for, patient, django_assert_max_num_queries):
    client = client_for("nurse")
    visit = recorded_visit(patient, TODAY)
    client.get(reverse("patients:visit_detail", args=[visit.pk]))
    cache.clear()  # the page as built, not as kept (tests/patients/test_visit_record_cache.py)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("patients:visit_detail", args=[visit.pk]))
    for _ in range(10):
        AdverseEventFactory(visit=visit)
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("patients:visit_detail", args=[visit.pk]))


def test_recording_through_the_services_shows_on_the_chart(client_for, nurse, patient):
    visit = services.visit_book(patient=patient, date=TODAY, acting_user=nurse)
    services.posture_assessment_record(
        visit=visit, findings=[Finding("TORTICAPUT", "right", 3), Finding("LATEROCOLLIS", "left", 2)], acting_user=nurse
    )
    services.twstrs_record(visit=visit, items=FULL_TWSTRS_TYPED, acting_user=nurse)
    html = chart_html(client_for, patient)
    assert "R torticaput 3, L laterocollis 2" in html
    assert "<strong>36.25</strong> / 85" in html
    assert "recorded by" in html


def test_what_people_type_comes_out_escaped_on_the_visit_cards(client_for, patient):
    recorder = make_user(NURSE, username="recorder", first_name="<b>Ann</b>", last_name="O'Neil")
    visit = VisitFactory(patient=patient, date=TODAY, recorded_by=recorder)
    AdverseEventFactory(visit=visit, kind=AdverseEvent.Kind.OTHER, other_kind="<script>alert(1)</script>")
    html = chart_html(client_for, patient)
    assert "<script>alert(1)" not in html and "<b>Ann" not in html
    assert "recorded by &lt;b&gt;Ann&lt;/b&gt; O&#x27;Neil" in html
    assert "<li>&lt;script&gt;alert(1)&lt;/script&gt;: mild, from day 5 for 14 days</li>" in html


def test_a_card_shows_a_partial_tsui_the_pain_and_impression_and_a_red_flag_in_words(client_for, patient):
    visit = recorded_visit(patient, TODAY)
    TsuiAssessment.objects.create(visit=visit, rotation=2, tilt=1, antero_retrocollis=0, duration=2)
    VisitOutcome.objects.create(visit=visit, pain_now=4, pgic=VisitOutcome.Pgic.MUCH_IMPROVED)
    AdverseEventFactory(visit=visit, kind=AdverseEvent.Kind.BREATHING, severity="moderate", duration_days=None)
    html = chart_html(client_for, patient)
    card = html[html.index(f'<li class="card mb-2 visit-card border-danger" id="visit-{visit.pk}">') :]
    card = card[: card.index("</li></ul>")]
    assert f'<a href="{reverse("patients:visit_detail", args=[visit.pk])}">{TODAY:%a %d %b %Y}</a>' in card
    assert '<span class="badge status-completed">Completed</span>' in card
    assert '6 / 25 <span class="badge text-bg-warning">partial: 6 of 7 Tsui items</span>' in card
    assert (
        '<dt class="col-sm-3 col-lg-2">Pain, PGIC</dt><dd class="col-sm-9 col-lg-10">pain 4/10; 2 Much improved' in card
    )
    assert (
        '<li class="text-danger-emphasis fw-semibold"><span aria-hidden="true">⚠ </span>'
        '<span class="visually-hidden">Red flag: </span>Breathing difficulty: moderate, from day 5, ongoing'
    ) in card
