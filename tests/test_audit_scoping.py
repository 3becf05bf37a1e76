"""Who reads which audit entries follows who reads the data: the entries about patients quote their
records, so reading them needs audit.view_clinical_audit (the Privacy officer role); a reference
admin's audit report shows the entries about no patient only."""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.audit.models import AuditEvent
from patients.audit.selectors import events_visible_to
from patients.audit.services import audit_record, log_access
from patients.models import Patient
from planner.access import roles
from tests.planner.factories_reference import MuscleFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(nurse):
    patient = services.patient_register(
        mrn="AB123456",
        family_name="Okafor",
        given_name="Ada",
        date_of_birth=date(1968, 4, 2),
        sex=Patient.Sex.FEMALE,
        acting_user=nurse,
    )
    services.patient_update(patient=patient, notes="Secret clinical note.", acting_user=nurse)
    log_access(None, patient, patient_id=patient.pk, what="chart")
    MuscleFactory(code="SCOPED", sources=[SourceFactory(code="S1")])  # a reference change: not clinical
    return patient


def csv_rows(client, **filters):
    response = client.get(reverse("audit:report_csv"), filters)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_audit_scoping_reference_admin_sees_no_patient_entries(client_for, ada):
    client = client_for("reference_admin")

    by_patient = client.get(reverse("audit:report"), {"patient": ada.pk})
    everything = client.get(reverse("audit:report"))

    assert list(by_patient.context["page"]) == []
    assert "Entries about patients are not shown" in by_patient.content.decode()
    assert "Secret clinical note." not in by_patient.content.decode() + everything.content.decode()
    shown = list(everything.context["page"])
    assert shown and all(event.patient_id is None for event in shown)
    assert any(event.object_type == "planner.muscle" for event in shown)
    assert csv_rows(client, patient=ada.pk) == []
    assert csv_rows(client, mrn="AB123456") == []
    exported = csv_rows(client)
    assert exported and not any(row["patient_id"] or row["object_type"].startswith("patients.") for row in exported)


def test_audit_scoping_privacy_officer_reads_the_patient_entries(client_for, ada):
    client = client_for("privacy_officer")

    page = client.get(reverse("audit:report"), {"patient": ada.pk})

    actions = {event.action for event in page.context["page"]}
    assert {AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE, AuditEvent.Action.VIEW} <= actions
    assert "Secret clinical note." in page.content.decode()
    assert {row["patient_id"] for row in csv_rows(client, patient=ada.pk)} == {str(ada.pk)}
    assert client.get(reverse("home")).status_code == 200  # a role of its own, named on the home page


@pytest.mark.parametrize("persona", ["nurse", "neurologist"])
def test_audit_scoping_clinical_roles_still_do_not_read_the_audit_report(client_for, persona):
    client = client_for(persona)
    assert client.get(reverse("audit:report")).status_code == 403
    assert client.get(reverse("audit:report_csv")).status_code == 403


def test_the_privacy_officer_role_is_held_by_no_clinical_or_reference_role():
    holders = [role for role, names in roles.ROLE_PERMISSIONS.items() if "audit.view_clinical_audit" in names]
    assert holders == [roles.PRIVACY_OFFICER]


def test_a_list_page_access_entry_naming_several_patients_counts_as_clinical(reference_admin):
    audit_record(
        action=AuditEvent.Action.VIEW,
        object_type="patients.patient",
        object_repr="search results",
        changes={"patients": [1, 2]},
    )
    assert not events_visible_to(reference_admin).filter(object_repr="search results").exists()


def rows_filtered_out(plan):
    """How many rows the nodes of an EXPLAIN (ANALYZE, FORMAT JSON) plan read and threw away."""
    return plan.get("Rows Removed by Filter", 0) + sum(rows_filtered_out(child) for child in plan.get("Plans", ()))


def test_the_report_without_the_clinical_permission_reads_only_the_entries_about_no_patient(reference_admin):
    """The report's page for a reader without the clinical permission reads the entries it may read, on
    PostgreSQL (production): not a walk back through every access entry about patients, which grow with
    every chart opened, to find the newest 50. The audit_not_about_patients index keeps it so even when the planner's
    statistics predate those entries, as they did on the bench database (autovacuum analyses late)."""
    if connection.vendor != "postgresql":
        pytest.skip("the audit_not_about_patients index plan is PostgreSQL's (CI runs the suite on PostgreSQL too)")
    audit_record(action=AuditEvent.Action.CREATE, object_type="planner.muscle", object_repr="a reference row")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")  # statistics from before the clinic's day of chart views
    # Thousands of access entries about patients (rows made directly, rolled back with the test; the hash
    # chain is not what this checks).
    AuditEvent.objects.bulk_create(
        AuditEvent(
            occurred_at=timezone.now(),
            action=AuditEvent.Action.VIEW,
            object_type="patients.patient",
            object_repr=f"chart {number}",
            patient_id=number % 500 + 1,
            previous_hash="",
            hash=f"view-{number}",
            key_id="test",
        )
        for number in range(5000)
    )
    newest = events_visible_to(reference_admin).order_by("-id")
    sql, params = newest.values("pk")[:50].query.sql_with_params()  # the report's page, as it pages
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        [[plan]] = cursor.fetchone()
    assert rows_filtered_out(plan["Plan"]) < 50, plan
    shown = list(newest)
    assert shown[0].object_repr == "a reference row"
    assert all(event.patient_id is None and not event.object_type.startswith("patients.") for event in shown)
