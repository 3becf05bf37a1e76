"""Who may open each outcome page and export, with every method; every export and summary is audited."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from patients.audit.models import AuditEvent
from planner.clinic import urls as outcome_urls
from tests.patients.factories import PatientFactory
from tests.planner.outcomes_helpers import muscle, product, treated_visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]
TODAY = date(2026, 6, 15)
RANGE = "?date_from=2026-01-01&date_to=2026-06-30"


@pytest.fixture
def patient(neurologist):
    patient = PatientFactory(mrn="AB123456", family_name="Müller", given_name="Zoë")
    dysport, splenius = product("ABO"), muscle("SPLENIUS_CAPITIS", "Splenius capitis")
    treated_visit(patient, TODAY - timedelta(days=90), dysport, [(splenius, "left", 250, 2)], signer=neurologist)
    return patient


def urls(patient):
    return {
        "clinic:worklist": reverse("clinic:worklist"),
        "clinic:figures": reverse("clinic:figures"),
        "clinic:exports": reverse("clinic:exports"),
        "clinic:export_csv": reverse("clinic:export_csv", args=["sessions"]) + RANGE,
        "clinic:patient_summary": reverse("clinic:patient_summary", args=[patient.pk]),
        "clinic:patient_summary_pdf": reverse("clinic:patient_summary_pdf", args=[patient.pk]),
        "clinic:patient_fhir": reverse("clinic:patient_fhir", args=[patient.pk]),
    }


CLINICIANS = {"clinic:worklist", "clinic:patient_summary", "clinic:patient_summary_pdf", "clinic:patient_fhir"}
NEUROLOGISTS = {"clinic:figures", "clinic:exports", "clinic:export_csv"}
EXPECTED = {
    **{(name, "nurse"): 200 for name in CLINICIANS},
    **{(name, "neurologist"): 200 for name in CLINICIANS | NEUROLOGISTS},
    **{(name, "nurse"): 403 for name in NEUROLOGISTS},
}
PERSONAS = ("anonymous", "no_role", "reference_admin", "nurse", "neurologist")


def test_every_outcomes_url_is_covered_by_the_permission_tests():
    assert {f"clinic:{pattern.name}" for pattern in outcome_urls.urlpatterns} == CLINICIANS | NEUROLOGISTS


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(CLINICIANS | NEUROLOGISTS))
def test_each_page_is_open_to_its_roles_only(client_for, patient, name, persona):
    client = client_for(persona)
    url = urls(patient)[name]
    response = client.get(url)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == EXPECTED.get((name, persona), 403)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
@pytest.mark.parametrize("name", sorted(CLINICIANS | NEUROLOGISTS))
def test_the_pages_only_answer_get(client_for, patient, name, method):
    client = client_for("neurologist")
    assert getattr(client, method)(urls(patient)[name]).status_code == 405


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("clinic:patient_summary", {"action": "view", "changes": {"opened": "treatment summary"}}),
        ("clinic:patient_summary_pdf", {"action": "export", "changes__export": "treatment summary PDF"}),
        ("clinic:patient_fhir", {"action": "export", "changes__export": "FHIR R4 bundle"}),
    ],
)
def test_each_patient_export_and_the_summary_are_in_the_audit_trail(client_for, patient, name, what):
    client = client_for("nurse")
    before = AuditEvent.objects.count()
    assert client.get(urls(patient)[name]).status_code == 200
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event.patient_id == patient.pk
    assert event.actor_username == "persona.nurse"
    assert event.action == what["action"]
    if "changes" in what:
        assert event.changes == what["changes"]
    else:
        assert event.changes["export"] == what["changes__export"]


def test_a_refused_export_writes_nothing_and_returns_no_data(client_for, patient):
    before = AuditEvent.objects.filter(action="export").count()
    for persona in ("no_role", "reference_admin"):
        response = client_for(persona).get(urls(patient)["clinic:patient_fhir"])
        assert response.status_code == 403
        assert b"AB123456" not in response.content
    assert client_for("nurse").get(urls(patient)["clinic:export_csv"]).status_code == 403
    assert AuditEvent.objects.filter(action="export").count() == before


def test_the_navigation_shows_each_link_to_its_roles(client_for):
    links = {
        "nurse": {"Worklist"},
        "neurologist": {"Worklist", "Figures", "Exports"},
        "reference_admin": set(),
    }
    for persona, expected in links.items():
        html = client_for(persona).get(reverse("home")).content.decode()
        shown = {label for label in ("Worklist", "Figures", "Exports") if f">{label}</a>" in html}
        assert shown == expected, persona


def test_the_chart_links_to_the_summary_and_exports_for_clinicians(client_for, patient):
    html = client_for("nurse").get(reverse("patients:patient_chart", args=[patient.pk])).content.decode()
    assert 'id="section-outcomes"' in html
    assert reverse("clinic:patient_fhir", args=[patient.pk]) in html
    assert reverse("clinic:patient_summary_pdf", args=[patient.pk]) in html
