"""CSV exports of signed sessions and injections for a date range: content, units, safety, audit, errors."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from patients.audit.models import AuditEvent
from tests.patients.factories import PatientFactory, VisitFactory
from tests.planner.outcomes_helpers import muscle, product, signed_session, treated_visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]
TODAY = date(2026, 6, 15)


@pytest.fixture
def clinic(neurologist):
    """Two patients: Dysport in January and Botox (amended) in March; a session in 2025 outside the range."""
    dysport, botox = product("ABO"), product("ONA")
    splenius, scm = muscle("SPLENIUS_CAPITIS", "Splenius capitis"), muscle("SCM", "Sternocleidomastoid")
    first, second = PatientFactory(mrn="CSV00001"), PatientFactory(mrn="CSV00002")
    treated_visit(first, date(2025, 12, 31), dysport, [(splenius, "left", 500, 2)], signer=neurologist)
    treated_visit(
        first, date(2026, 1, 5), dysport, [(splenius, "left", 250, 2), (scm, "right", 125, 1)], signer=neurologist
    )
    visit = VisitFactory(patient=second, date=date(2026, 3, 31))
    original = signed_session(visit, botox, [(scm, "left", 40, 1)], signer=neurologist, lot="=HYPERLINK(1)")
    signed_session(
        visit,
        botox,
        [(scm, "left", 30, 1)],
        signer=neurologist,
        lot="=HYPERLINK(1)",
        amends=original,
        reason="-dose typo",
    )
    return first, second


def download(client, kind, date_from="2026-01-01", date_to="2026-03-31"):
    url = reverse("clinic:export_csv", args=[kind])
    return client.get(url, {"date_from": date_from, "date_to": date_to})


def rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.fixture
def neuro_client(client, neurologist):
    client.force_login(neurologist)
    return client


def test_the_sessions_csv_has_one_row_per_current_session_in_the_range(neuro_client, clinic):
    response = download(neuro_client, "sessions")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="sessions-20260101-20260331.csv"' in response["Content-Disposition"]
    found = rows(response)
    assert [(row["visit_date"], row["patient_mrn"], row["total_dose"], row["units"]) for row in found] == [
        ("2026-01-05", "CSV00001", "375", "U Dysport"),
        ("2026-03-31", "CSV00002", "30", "U Botox"),  # the amendment, once; its original is replaced
    ]
    assert found[1]["amends_session_id"]
    assert found[1]["amendment_reason"] == "'-dose typo"  # would start a formula in a spreadsheet


def test_the_injections_csv_has_one_row_per_muscle_and_side_with_its_units(neuro_client, clinic):
    found = rows(download(neuro_client, "injections"))
    assert [(row["muscle"], row["side"], row["dose"], row["units"], row["sites"]) for row in found] == [
        ("Splenius capitis", "left", "250", "U Dysport", "2"),
        ("Sternocleidomastoid", "right", "125", "U Dysport", "1"),
        ("Sternocleidomastoid", "left", "30", "U Botox", "1"),
    ]
    assert found[-1]["lot_number"] == "'=HYPERLINK(1)"


def test_each_patient_in_an_export_gets_an_audit_entry(neuro_client, clinic):
    first, second = clinic
    before = AuditEvent.objects.count()
    download(neuro_client, "injections")
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(event.action, event.patient_id) for event in events] == [("export", first.pk), ("export", second.pk)]
    assert events[0].changes["export"] == "injections CSV"
    assert events[0].changes["from"] == "2026-01-01" and events[0].changes["to"] == "2026-03-31"
    assert events[0].actor_username == "dr.nadia"


def test_an_empty_export_is_still_audited(neuro_client, clinic):
    before = AuditEvent.objects.count()
    response = download(neuro_client, "sessions", "2024-01-01", "2024-02-01")
    assert rows(response) == []
    [event] = AuditEvent.objects.order_by("id")[before:]
    assert event.patient_id is None and event.changes["sessions"] == 0


@pytest.mark.parametrize(
    ("date_from", "date_to", "message"),
    [
        ("2026-03-01", "2026-01-01", "The end date is before the start date."),
        ("2010-01-01", "2026-01-01", "Choose a period of at most ten years."),
        ("yesterday", "2026-01-01", "Enter a valid date."),
        ("", "2026-01-01", "This field is required."),
    ],
)
def test_a_bad_range_is_shown_at_the_field_and_exports_nothing(neuro_client, clinic, date_from, date_to, message):
    before = AuditEvent.objects.count()
    response = download(neuro_client, "sessions", date_from, date_to)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert AuditEvent.objects.count() == before


def test_an_unknown_export_is_refused(neuro_client, clinic):
    assert download(neuro_client, "patients").status_code == 400


def test_the_export_page_offers_both_files_for_the_last_twelve_months(neuro_client):
    html = neuro_client.get(reverse("clinic:exports")).content.decode()
    assert 'value="2025-06-16"' in html and 'value="2026-06-15"' in html
    assert reverse("clinic:export_csv", args=["sessions"]) in html
    assert reverse("clinic:export_csv", args=["injections"]) in html
