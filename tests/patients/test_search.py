"""The patient search: its order whatever the query, the rows it shows, and the columns it loads."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients import selectors
from patients.models import Patient
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["", "a", "an", "ann", "anna"])
def test_matches_come_by_family_name_then_given_name_then_registration_for_short_and_long_queries(query):
    # Short and long words are ordered by different expressions (see patient_search): same order.
    later = PatientFactory(family_name="Zander", given_name="Anna")
    first = PatientFactory(family_name="Adams", given_name="Anna")
    twin_one = PatientFactory(family_name="Meyer", given_name="Anna")
    twin_two = PatientFactory(family_name="Meyer", given_name="Anna")
    PatientFactory(family_name="Nobody", given_name="Else")
    found = list(selectors.patient_search(query=query))
    expected = [first, twin_one, twin_two, later]
    assert [patient for patient in found if patient in expected] == expected


@pytest.mark.parametrize(("query", "sorted_matches"), [("muller", True), ("ab-1234", True), ("mu", False), ("", False)])
def test_a_word_of_three_letters_or_more_sorts_its_matches_instead_of_walking_the_name_index(query, sorted_matches):
    # On PostgreSQL, ORDER BY the bare column lets the planner walk the name index past every name
    # before the matching ones (11 ms for "muller" among 10,000 patients, against 1 ms for the sort).
    sql = str(selectors.patient_search(query=query).query)
    assert ('ORDER BY LOWER("patients_patient"."search_key")' in sql) is sorted_matches


def test_a_row_shows_the_name_mrn_birth_date_with_age_sex_and_status(client_for):
    PatientFactory(
        mrn="RW0001",
        family_name="Ñúñez-Ávila",
        given_name="Zoë",
        date_of_birth=date(1970, 6, 16),  # 56 tomorrow: the frozen today is 15 June 2026
        sex=Patient.Sex.OTHER,
        active=False,
        toxin_naive=True,
    )
    response = client_for("nurse").get(reverse("patients:patient_list"), {"q": "nunez", "inactive": "1"})
    (row,) = response.context["rows"]
    assert row == selectors.PatientRow(
        url=reverse("patients:patient_chart", args=[response.context["page"].object_list[0].pk]),
        name="ÑÚÑEZ-ÁVILA, Zoë",
        mrn="RW0001",
        born="16 Jun 1970 (55 y)",
        sex="Other / not stated",
        active=False,
        toxin_naive=True,
    )
    html = response.content.decode()
    assert f'<a href="{row.url}">ÑÚÑEZ-ÁVILA, Zoë</a>' in html
    assert "16 Jun 1970 (55 y)" in html
    assert ">Inactive</span>" in html and ">Toxin-naive</span>" in html


def test_row_links_go_to_each_patients_own_chart(client_for):
    patients = [PatientFactory(family_name=f"Link{number:02d}") for number in range(12)]
    response = client_for("nurse").get(reverse("patients:patient_list"), {"q": "link"})
    urls = [row.url for row in response.context["rows"]]
    assert urls == [reverse("patients:patient_chart", args=[patient.pk]) for patient in patients]


def test_the_search_page_loads_only_the_columns_its_rows_show(client_for):
    PatientFactory(family_name="Column", notes="A long clinical note the list never shows.")
    client = client_for("nurse")
    client.get(reverse("patients:patient_list"), {"q": "column"})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("patients:patient_list"), {"q": "column"})
    assert len(response.context["rows"]) == 1
    selects = [query["sql"] for query in captured.captured_queries]
    (page_query,) = [sql for sql in selects if '"patients_patient"."family_name"' in sql]
    assert '"patients_patient"."notes"' not in page_query
