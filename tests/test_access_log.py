"""Who opened which patient's record: every chart, visit record, plan, printable record and export
writes an audit entry in the same request (ONC 170.315(d)(2), access)."""

import pytest
from django.db import transaction

from patients.audit.models import AuditEvent
from tests.security_world import world  # noqa: F401  (module fixture)
from tests.test_permission_matrix import MATRIX

pytestmark = pytest.mark.django_db

# page -> (persona who may open it, what the entry says it was)
ACCESS_LOGGED = {
    "patients:patient_chart": ("nurse", AuditEvent.Action.VIEW),
    "patients:visit_detail": ("nurse", AuditEvent.Action.VIEW),
    "plans:editor": ("neurologist", AuditEvent.Action.VIEW),
    "plans:record": ("nurse", AuditEvent.Action.VIEW),
    "plans:record_pdf": ("nurse", AuditEvent.Action.VIEW),
    "outcomes:patient_summary": ("nurse", AuditEvent.Action.VIEW),
    "outcomes:patient_summary_pdf": ("nurse", AuditEvent.Action.EXPORT),
    "outcomes:patient_fhir": ("nurse", AuditEvent.Action.EXPORT),
}
# Pages that show one patient but are not logged as an access: forms for changing a record, opened
# from its chart or visit page (which logged the access); what they save is audited as a change.
FORMS_OPENED_FROM_A_LOGGED_PAGE = {
    "patients:patient_edit",
    "patients:patient_deactivate",
    "patients:visit_book",
    "patients:visit_edit",
    "patients:posture_record",
    "patients:twstrs_record",
    "patients:tsui_record",
    "patients:outcome_record",
    "patients:adverse_event_add",
    "patients:adverse_event_edit",
    "plans:for_visit",
    "plans:prepare",
    "plans:sign",
    "plans:amend",
}
# The world objects that belong to one patient.
PATIENT_OBJECTS = {"patient", "visit", "plan_visit", "adverse_event", "draft", "signed", "scheduled_visit"}


def test_every_page_about_one_patient_is_either_logged_or_a_form_opened_from_one():
    """A new page built from a patient's record must say which it is, so an unlogged viewer cannot slip in."""
    about_a_patient = {
        name
        for name, (obj, *statuses) in MATRIX.items()
        if obj in PATIENT_OBJECTS and 200 in (statuses[4], statuses[6])  # a page the nurse or neurologist opens
    }
    unclassified = about_a_patient - set(ACCESS_LOGGED) - FORMS_OPENED_FROM_A_LOGGED_PAGE
    assert unclassified == set(), (
        "add these pages to ACCESS_LOGGED (and call patients.audit.services.log_access in the view) "
        "or, for a form opened from a logged page, to FORMS_OPENED_FROM_A_LOGGED_PAGE"
    )
    assert not (set(ACCESS_LOGGED) | FORMS_OPENED_FROM_A_LOGGED_PAGE) - about_a_patient, "stale names"


@pytest.mark.parametrize("name", list(ACCESS_LOGGED))
def test_opening_the_page_writes_who_opened_which_patient_from_where(world, name):  # noqa: F811
    persona, action = ACCESS_LOGGED[name]
    user = world.users[persona]
    url = world.url(name, MATRIX[name][0])
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        response = world.client(persona).get(url, REMOTE_ADDR="10.20.30.40")
        assert response.status_code == 200
        (entry,) = AuditEvent.objects.filter(id__gt=before, action=action)
        transaction.set_rollback(True)
    assert entry.actor == user
    assert entry.patient_id == world.objects["patient"].pk
    assert entry.path == url
    assert entry.ip_address == "10.20.30.40"
    assert entry.object_type and entry.object_id


def test_a_refused_request_logs_no_access(world):  # noqa: F811
    """A reference admin may not open a chart: the 403 leaves no "viewed" entry in their name."""
    url = world.url("patients:patient_chart", "patient")
    with transaction.atomic():
        assert world.client("reference_admin").get(url).status_code == 403
        viewed = AuditEvent.objects.filter(actor=world.users["reference_admin"], action=AuditEvent.Action.VIEW)
        assert not viewed.exists()
        transaction.set_rollback(True)
