"""Treatment cycles, the plan editor's history, and the charts on the patient chart for 0, 1 and 40 visits."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import AdverseEvent
from planner.documents import charts
from planner.plans.history import last_sessions_with_events, patient_cycles
from tests.patients.factories import AdverseEventFactory, PatientFactory, VisitFactory
from tests.planner.outcomes_helpers import muscle, product, signed_session, treated_visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]
TODAY = date(2026, 6, 15)


@pytest.fixture
def muscles(db):
    return {
        "splenius": muscle("SPLENIUS_CAPITIS", "Splenius capitis"),
        "scm": muscle("SCM", "Sternocleidomastoid"),
    }


@pytest.fixture
def switched(neurologist, muscles):
    """Dysport on 2 Mar, neck weakness reported on 25 May when Botox was given, nothing since."""
    patient = PatientFactory(mrn="HIST0001")
    dysport, botox = product("ABO"), product("ONA")
    treated_visit(
        patient,
        date(2026, 3, 2),
        dysport,
        [(muscles["splenius"], "left", 250, 2), (muscles["scm"], "right", 100, 1)],
        signer=neurologist,
    )
    treated_visit(
        patient,
        date(2026, 5, 25),
        botox,
        [(muscles["splenius"], "left", 60, 2)],
        signer=neurologist,
        events=[AdverseEvent.Kind.NECK_WEAKNESS],
    )
    return patient


def test_a_side_effect_belongs_to_the_session_before_the_visit_that_reported_it(switched):
    dysport, botox = patient_cycles(switched)
    assert [reported.event.kind for reported in dysport.events] == ["neck_weakness"]
    assert dysport.follow_ups == 1
    assert botox.events == [] and botox.follow_ups == 0  # reported the same day, about the previous session


def test_totals_add_only_their_own_products_doses(switched):
    dysport, botox = patient_cycles(switched)
    assert (dysport.total, dysport.total_text) == (Decimal(350), "350 U Dysport")
    assert (botox.total, botox.total_text) == (Decimal(60), "60 U Botox")
    assert [dose.text for dose in dysport.doses] == [
        "250 U Dysport left splenius capitis",
        "100 U Dysport right sternocleidomastoid",
    ]


def test_the_plan_editor_history_says_what_was_given_and_what_followed(switched):
    """'Last time 250 U Dysport left splenius capitis, then neck weakness.'"""
    [cycle] = last_sessions_with_events(switched, before_date=date(2026, 5, 25))
    assert cycle.date == date(2026, 3, 2)
    assert cycle.doses[0].text == "250 U Dysport left splenius capitis"
    assert [reported.text for reported in cycle.events] == ["neck weakness (mild, from day 5 for 14 days)"]
    html = render_to_string("planner/includes/treatment_history.html", {"cycles": [cycle]})
    assert "250 U Dysport</span> left splenius capitis" in html
    assert "neck weakness (mild, from day 5 for 14 days), reported 25 May 2026" in html


def test_the_plan_editor_history_is_newest_first_limited_and_ignores_drafts(neurologist, muscles):
    patient = PatientFactory()
    botox = product("ONA")
    for weeks in (36, 24, 12):
        treated_visit(
            patient, TODAY - timedelta(weeks=weeks), botox, [(muscles["scm"], "left", weeks, 1)], signer=neurologist
        )
    today = VisitFactory(patient=patient, date=TODAY, status="in_progress")
    from planner.models import InjectionSession

    InjectionSession.objects.create(visit=today, product=botox, created_by=neurologist)
    cycles = last_sessions_with_events(patient, before_date=TODAY, limit=2)
    assert [cycle.doses[0].dose for cycle in cycles] == [Decimal(12), Decimal(24)]


def test_an_amendment_replaces_the_session_it_corrects(neurologist, muscles):
    patient = PatientFactory()
    visit = VisitFactory(patient=patient, date=date(2026, 4, 1))
    original = signed_session(visit, product("ABO"), [(muscles["scm"], "left", 100, 1)], signer=neurologist)
    signed_session(
        visit, product("ABO"), [(muscles["scm"], "left", 150, 1)], signer=neurologist, amends=original, reason="typo"
    )
    [cycle] = patient_cycles(patient)
    assert cycle.is_amendment and cycle.total == Decimal(150)


# --- The charts ------------------------------------------------------------------------------------------


def chart_html(client, patient):
    response = client.get(reverse("patients:patient_chart", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def section(html):
    return html[html.index('id="section-outcomes"') : html.index('id="visits-heading"')]


def test_the_chart_section_without_visits_says_so(client, nurse):
    client.force_login(nurse)
    html = section(chart_html(client, PatientFactory()))
    assert "No TWSTRS total, signed session or side effect recorded yet" in html
    assert "<svg" not in html
    assert "No signed session yet." in html


def test_the_chart_section_with_one_visit_draws_it_in_the_middle(client, nurse, neurologist, muscles):
    client.force_login(nurse)
    patient = PatientFactory()
    treated_visit(patient, date(2026, 3, 2), product("ABO"), [(muscles["scm"], "left", 100, 1)], signer=neurologist)
    html = section(chart_html(client, patient))
    assert html.count("<svg") == 3  # the outcome chart, the dose chart and the legend's shape
    assert 'cx="427.0"' in html  # one date: the middle of the 150..704 axis
    assert "02 Mar 2026: left sternocleidomastoid 100 U Dysport" in html
    assert "Dysport: size relative to 100 U Dysport" in html


def test_the_chart_section_with_forty_visits_and_two_products(client, nurse, neurologist, muscles):
    client.force_login(nurse)
    patient = PatientFactory()
    dysport, botox = product("ABO"), product("ONA")
    for number in range(40):
        use = dysport if number < 20 else botox
        dose = 200 + number if use is dysport else 50 + number
        events = [AdverseEvent.Kind.DRY_MOUTH] if number % 10 == 5 else []
        day = date(2017, 1, 2) + timedelta(weeks=12 * number)
        treated_visit(patient, day, use, [(muscles["splenius"], "right", dose, 2)], signer=neurologist, events=events)
    html = section(chart_html(client, patient))
    assert html.count("<title>Signed session") == 40
    assert len(re.findall(r"<title>[^<:]*: right splenius capitis \d+ U Dysport</title>", html)) == 20
    assert len(re.findall(r"<title>[^<:]*: right splenius capitis \d+ U Botox</title>", html)) == 20
    # Each product on its own scale, its own shape: a circle path for Dysport, a square for Botox.
    assert "Dysport: size relative to 219 U Dysport" in html
    assert "Botox: size relative to 89 U Botox" in html
    assert html.count("Dry mouth") >= 4
    assert "40 sessions in all." in html
    assert " style=" not in html  # CSP: presentation attributes only


def test_the_chart_takes_the_same_number_of_queries_for_1_or_40_treated_visits(
    client, nurse, neurologist, muscles, django_assert_max_num_queries
):
    client.force_login(nurse)
    botox = product("ONA")
    one, forty = PatientFactory(), PatientFactory()
    treated_visit(one, TODAY - timedelta(weeks=12), botox, [(muscles["scm"], "left", 40, 1)], signer=neurologist)
    for number in range(40):
        AdverseEventFactory(
            visit=treated_visit(
                forty,
                TODAY - timedelta(weeks=12 * (number + 1)),
                botox,
                [(muscles["scm"], "left", 40, 1), (muscles["splenius"], "right", 60, 2)],
                signer=neurologist,
            ).visit
        )
    chart_html(client, one)
    with CaptureQueriesContext(connection) as few:
        chart_html(client, one)
    with django_assert_max_num_queries(len(few.captured_queries)):
        chart_html(client, forty)


def test_the_section_is_not_shown_without_permission_to_see_plans(client, neurologist, muscles):
    from tests.factories import make_user

    viewer = make_user(None, username="viewer")
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_patient"))
    client.force_login(viewer)
    patient = PatientFactory()
    treated_visit(patient, TODAY, product("ONA"), [(muscles["scm"], "left", 40, 1)], signer=neurologist)
    html = chart_html(client, patient)
    assert 'id="section-outcomes"' not in html


# --- Pure layout -----------------------------------------------------------------------------------------------


def test_the_time_axis_puts_a_tick_at_each_year_over_a_long_span():
    axis = charts.time_axis([date(2017, 1, 2), date(2026, 3, 1)])
    labels = [label for _, label in axis.ticks()]
    assert labels == ["2018", "2020", "2022", "2024", "2026"]


def test_the_time_axis_labels_the_ends_of_a_span_inside_one_month():
    axis = charts.time_axis([date(2026, 3, 2), date(2026, 3, 20)])
    assert [label for _, label in axis.ticks()] == ["02 Mar 2026", "20 Mar 2026"]


def test_partial_scores_are_hollow_and_left_off_the_line():
    scores = [
        charts.Score(date(2026, 1, 1), {"total": (Decimal(40), True)}),
        charts.Score(date(2026, 4, 1), {"total": (Decimal(20), False)}),
        charts.Score(date(2026, 7, 1), {"total": (Decimal(30), True)}),
    ]
    chart = charts.outcome_chart(scores)
    total = chart.panels[0]
    assert [point.complete for point in total.points] == [True, False, True]
    assert len(total.line.split()) == 2
    assert total.points[1].label == "01 Apr 2026: TWSTRS total 20 of 85 (partial)"


def test_marks_of_neighbouring_sessions_do_not_overlap():
    sessions = [
        charts.SessionDoses(
            date(2020, 1, 1) + timedelta(weeks=12 * n), "ONA", "Botox", "U Botox", (("SCM", "left", Decimal(100)),)
        )
        for n in range(40)
    ]
    chart = charts.dose_chart(sessions)
    gap = chart.marks[1].x - chart.marks[0].x
    radius = float(re.search(r" a([0-9.]+),", chart.marks[0].path).group(1))  # the first product is drawn as circles
    assert 0 < 2 * radius < gap
    assert not chart.marks[0].show_short  # too close for the numbers: the tooltips and table carry them
