"""The audit report: find a patient's entries by MRN, see the MRN beside each entry, read changes as old → new."""

import zoneinfo
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.audit import views
from patients.audit.filters import AuditEventFilter
from patients.audit.models import AuditEvent
from patients.audit.services import audit_record
from patients.models import Patient
from planner.access import roles

pytestmark = pytest.mark.django_db


def register(nurse, mrn, family_name="Okafor"):
    return services.patient_register(
        mrn=mrn,
        family_name=family_name,
        given_name="Ada",
        date_of_birth=date(1968, 4, 2),
        sex=Patient.Sex.FEMALE,
        acting_user=nurse,
    )


def report(client, **filters):
    response = client.get(reverse("audit:report"), filters)
    assert response.status_code == 200
    return response


def test_the_mrn_filter_finds_the_patients_entries_however_the_mrn_is_typed(client_for, nurse):
    client = client_for("privacy_officer")
    ada = register(nurse, "AB123456")
    other = register(nurse, "ZZ999999", family_name="Other")
    audit_record(action=AuditEvent.Action.VIEW, actor=nurse, obj=ada, patient_id=ada.pk)
    audit_record(action=AuditEvent.Action.VIEW, actor=nurse, obj=other, patient_id=other.pk)

    entries = list(report(client, mrn="ab-123 456").context["page"])

    assert entries and {entry.patient_id for entry in entries} == {ada.pk}


def test_the_mrn_filter_also_finds_a_patient_by_an_mrn_that_was_corrected_since(client_for, nurse):
    client = client_for("privacy_officer")
    ada = register(nurse, "AB123456")
    services.patient_update(patient=ada, mrn="AB123457", acting_user=nurse)

    by_old = {entry.pk for entry in report(client, mrn="AB123456").context["page"]}
    by_new = {entry.pk for entry in report(client, mrn="AB123457").context["page"]}

    assert by_old and by_old == by_new


def test_an_mrn_nobody_has_matches_nothing(client_for, nurse):
    register(nurse, "AB123456")
    response = report(client_for("privacy_officer"), mrn="QQ000000")
    assert list(response.context["page"]) == []
    assert "No entries match." in response.content.decode()


def test_each_entry_shows_the_patients_current_mrn_beside_their_number(client_for, nurse):
    ada = register(nurse, "AB123456")
    html = report(client_for("privacy_officer"), patient=ada.pk).content.decode()
    assert f'{ada.pk} <span class="text-body-secondary">(MRN AB123456)</span>' in html


def test_the_mrn_costs_no_query_per_entry(client_for, nurse):
    client = client_for("privacy_officer")
    first = register(nurse, "AB100000")
    audit_record(action=AuditEvent.Action.VIEW, actor=nurse, obj=first, patient_id=first.pk)
    report(client)  # the first page after signing in also renews the session
    with CaptureQueriesContext(connection) as few:
        report(client)
    for n in range(1, 30):
        patient = register(nurse, f"AB1{n:05d}")
        audit_record(action=AuditEvent.Action.VIEW, actor=nurse, obj=patient, patient_id=patient.pk)
    with CaptureQueriesContext(connection) as many:
        html = report(client).content.decode()
    assert "(MRN AB100029)" in html
    assert len(many) == len(few)


def test_a_change_reads_old_arrow_new(client_for, nurse):
    ada = register(nurse, "AB123456")
    services.patient_update(patient=ada, notes="Prefers mornings.", acting_user=nurse)
    html = report(client_for("privacy_officer"), patient=ada.pk, action="update").content.decode()
    assert (
        '<strong>notes</strong>: (blank) <span aria-hidden="true">→</span>'
        '<span class="visually-hidden">changed to</span> Prefers mornings.'
    ) in " ".join(html.split())


def test_role_lists_are_shown_as_lists_and_flags_as_old_arrow_new(nurse):
    nurse.groups.add(Group.objects.get(name=roles.NEUROLOGIST))
    nurse.is_staff = True
    nurse.save()
    added, flag = AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGE).order_by("-id")[:2][::-1]
    assert [(line.field, line.value, line.is_change) for line in added.change_lines()] == [
        ("added", roles.NEUROLOGIST, False),
        ("roles_now", f"{roles.NEUROLOGIST}, {roles.NURSE}", False),
    ]
    assert [(line.field, line.old, line.new) for line in flag.change_lines()] == [("is_staff", "no", "yes")]


def test_the_csv_has_the_mrn_column(client_for, nurse):
    ada = register(nurse, "AB123456")
    response = client_for("privacy_officer").get(reverse("audit:report_csv"), {"mrn": "AB123456"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    header = lines[0].split(",")
    assert header[header.index("patient_id") + 1] == "patient_mrn"
    assert all(f",{ada.pk},AB123456," in line for line in lines[1:])


def test_an_overlong_mrn_gets_a_message_at_the_field(client_for):
    response = report(client_for("privacy_officer"), mrn="A" * 200)
    assert "Ensure this value has at most" in response.content.decode()


def test_a_row_shows_the_local_time_who_what_record_patient_address_and_changes(client_for, nurse, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    ada = register(nurse, "AB123456")
    services.patient_update(patient=ada, notes="Prefers mornings.", acting_user=nurse)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).get()
    response = report(client_for("privacy_officer"), action="update")
    (row,) = response.context["rows"]
    local = timezone.localtime(event.occurred_at, zoneinfo.ZoneInfo("Europe/Berlin"))
    assert row.iso_time == local.isoformat() and row.iso_time.endswith(("+01:00", "+02:00"))
    assert row.time_text == f"{local:%Y-%m-%d %H:%M:%S}"
    assert (row.who, row.action) == (nurse.username, "Changed")
    assert row.record == f"patients.patient {event.object_repr}"
    assert (row.patient_id, row.patient_mrn) == (ada.pk, "AB123456")
    assert [(line.field, line.old, line.new) for line in row.changes] == [("notes", "(blank)", "Prefers mornings.")]
    html = response.content.decode()
    assert f'<td>{ada.pk} <span class="text-body-secondary">(MRN AB123456)</span></td>' in html
    assert "<strong>notes</strong>: (blank)" in html
    assert f'<time datetime="{row.iso_time}">{row.time_text}</time>' in html


def test_an_entry_by_nobody_about_no_patient_shows_a_dash_and_an_empty_patient_cell(client_for):
    audit_record(action=AuditEvent.Action.LOGIN_FAILED, object_repr="someone", reason="wrong password")
    response = report(client_for("privacy_officer"), action="login_failed")
    (row,) = response.context["rows"]
    assert (row.who, row.action, row.patient_id, row.address) == ("—", "Failed sign-in", None, "")
    assert (row.changes, row.reason) == ((), "wrong password")
    html = " ".join(response.content.decode().split())
    assert (
        "<td>—</td> <td>Failed sign-in</td> <td> someone</td> <td></td> <td></td> "
        '<td class="audit-changes"><div><strong>reason</strong>: wrong password</div></td>'
    ) in html


def test_long_values_are_shortened_on_the_page_and_escaped(client_for, nurse):
    long_note = "<b>" + "x" * 400
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=nurse,
        object_repr="a note",
        changes={"notes": ["short", long_note]},
        reason="y" * 301,
    )
    html = report(client_for("privacy_officer"), user=nurse.username).content.decode()
    shortened = "&lt;b&gt;" + "x" * (views.SHOWN_CHARACTERS - 4) + "…"
    changed_to = '<span aria-hidden="true">→</span><span class="visually-hidden">changed to</span>'
    assert f"short {changed_to} {shortened}</div>" in html
    assert "x" * 400 not in html and "<b>x" not in html
    assert "y" * (views.SHOWN_CHARACTERS - 1) + "…" in html and "y" * 300 not in html


def test_typed_filters_are_shown_back_and_the_blank_form_stays_blank(client_for):
    client = client_for("privacy_officer")
    blank = report(client).content.decode()
    filtered = report(client, user="nurse.typed", action="view").content.decode()
    again = report(client).content.decode()
    assert 'name="user" value="nurse.typed"' in filtered and '<option value="view" selected>' in filtered
    for page in (blank, again):
        assert 'name="user" maxlength="150"' in page and '<option value="" selected>Any action</option>' in page
        assert "nurse.typed" not in page
    assert views.blank_filter_fields_html() == views.filter_fields_html(AuditEventFilter().form)


def test_the_page_loads_only_the_columns_its_rows_show(client_for, nurse):
    audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr="chart of 5", patient_id=5)
    client = client_for("privacy_officer")
    report(client)
    with CaptureQueriesContext(connection) as captured:
        assert report(client).context["rows"]
    (page_query,) = [
        query["sql"] for query in captured.captured_queries if '"audit_auditevent"."reason"' in query["sql"]
    ]
    assert '"audit_auditevent"."hash"' not in page_query and '"audit_auditevent"."path"' not in page_query
