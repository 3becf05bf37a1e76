"""Clinic figures: sessions per month, total dose per product (never across products), side-effect rates."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import AdverseEvent, Visit
from planner.clinic.figures import Rate, clinic_figures, wilson_interval
from tests.patients.factories import AdverseEventFactory, PatientFactory, VisitFactory
from tests.planner.outcomes_helpers import muscle, product, treated_visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]
TODAY = date(2026, 6, 30)
FIRST_HALF = {"date_from": date(2026, 1, 1), "date_to": date(2026, 6, 30)}


@pytest.fixture
def clinic(neurologist):
    dysport, botox = product("ABO"), product("ONA")
    splenius, scm = muscle("SPLENIUS_CAPITIS", "Splenius capitis"), muscle("SCM", "Sternocleidomastoid")
    a, b, c = PatientFactory(), PatientFactory(), PatientFactory()
    # A: Dysport in January; dysphagia reported in April, when Dysport is given again (not followed up yet).
    treated_visit(
        a, date(2026, 1, 10), dysport, [(splenius, "left", 300, 2), (scm, "right", 200, 1)], signer=neurologist
    )
    treated_visit(
        a,
        date(2026, 4, 10),
        dysport,
        [(splenius, "left", 400, 2)],
        signer=neurologist,
        events=[{"kind": AdverseEvent.Kind.DYSPHAGIA, "dysphagia_grade": 1, "severity": "mild"}],
    )
    # B: Botox in February, seen again in May with nothing to report.
    treated_visit(b, date(2026, 2, 1), botox, [(splenius, "left", 120, 2), (scm, "left", 80, 1)], signer=neurologist)
    VisitFactory(patient=b, date=date(2026, 5, 1))
    # C: Botox in March, neck weakness reported in May; a booked visit in July counts for nothing.
    treated_visit(c, date(2026, 3, 1), botox, [(splenius, "right", 100, 2)], signer=neurologist)
    AdverseEventFactory(visit=VisitFactory(patient=c, date=date(2026, 5, 20)), kind=AdverseEvent.Kind.NECK_WEAKNESS)
    VisitFactory(patient=c, date=date(2026, 7, 20), status=Visit.Status.SCHEDULED)
    return a, b, c


def test_sessions_are_counted_per_month_and_product(clinic):
    figures = clinic_figures(**FIRST_HALF)
    assert (figures.sessions, figures.patients) == (4, 3)
    assert [(month.month.month, month.count) for month in figures.months] == [
        (1, 1),
        (2, 1),
        (3, 1),
        (4, 1),
        (5, 0),
        (6, 0),
    ]
    assert figures.months[0].by_product == (("Dysport", 1),)


def test_the_mean_total_dose_is_per_product_in_its_own_units(clinic):
    botox, dysport = clinic_figures(**FIRST_HALF).doses
    assert (botox.product.brand_name, botox.sessions, botox.mean, botox.range_text) == (
        "Botox",
        2,
        150,
        "100–200 U Botox",
    )
    assert botox.mean_text == "150 U Botox"
    assert (dysport.product.brand_name, dysport.mean, dysport.median_text) == ("Dysport", 450, "450 U Dysport")


def test_side_effect_rates_per_product_count_only_followed_up_sessions(clinic):
    botox, dysport = clinic_figures(**FIRST_HALF).product_events
    assert botox.any_event == Rate(1, 2)
    assert botox.any_event.text == "1 of 2 (50%; 95% CI 9%–91%)"
    assert [(label, rate) for label, rate in botox.by_kind] == [("Neck weakness", Rate(1, 2))]
    # Dysport: January's session was followed up (dysphagia), April's not yet: 1 of 1.
    assert dysport.any_event == Rate(1, 1)
    assert dysport.by_kind[0][0] == "Dysphagia (swallowing difficulty)"


def test_side_effect_rates_per_muscle(clinic):
    by_muscle = {row.muscle: row for row in clinic_figures(**FIRST_HALF).muscle_events}
    assert by_muscle["Splenius capitis"].any_event == Rate(2, 3)
    assert by_muscle["Sternocleidomastoid"].any_event == Rate(1, 2)
    assert dict(by_muscle["Sternocleidomastoid"].by_kind)["Dysphagia (swallowing difficulty)"] == Rate(1, 2)


def test_a_period_without_sessions_has_empty_figures(clinic):
    figures = clinic_figures(date_from=date(2024, 1, 1), date_to=date(2024, 3, 31))
    assert figures.sessions == 0 and figures.doses == () and figures.product_events == ()
    assert [month.count for month in figures.months] == [0, 0, 0]


def test_the_wilson_interval_matches_published_values():
    low, high = wilson_interval(0, 10)
    assert low == 0 and round(high, 4) == 0.2775
    low, high = wilson_interval(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson_interval(0, 0) is None
    assert Rate(0, 0).text == "none followed up"


def test_the_figures_page_shows_each_product_in_its_units(client, neurologist, clinic):
    client.force_login(neurologist)
    html = client.get(reverse("clinic:figures"), {"date_from": "2026-01-01", "date_to": "2026-06-30"}).content.decode()
    assert "4 signed sessions for 3 patients" in html
    assert "150 U Botox" in html and "450 U Dysport" in html
    assert "1 of 2 (50%; 95% CI 9%–91%)" in html
    assert "Signed sessions per month: Jan 2026: 1 session;" in html


def test_a_bad_period_is_shown_at_the_field(client, neurologist):
    client.force_login(neurologist)
    response = client.get(reverse("clinic:figures"), {"date_from": "2026-06-30", "date_to": "2026-01-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_the_figures_page_takes_the_same_number_of_queries_however_many_sessions(
    client, neurologist, clinic, django_assert_max_num_queries
):
    client.force_login(neurologist)
    url = reverse("clinic:figures")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    botox, scm = product("ONA"), muscle("SCM", "Sternocleidomastoid")
    for day in range(1, 29):
        treated_visit(PatientFactory(), date(2026, 2, day), botox, [(scm, "left", Decimal(40), 1)], signer=neurologist)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
