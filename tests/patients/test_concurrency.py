"""Two people editing the same record: the second save is refused with a message, never a silent overwrite.

Every edit form carries the version of the record it showed (when it was last saved) in a hidden
field. The service compares it with the record under a row lock; when someone saved in between it
refuses (StaleRecordError), the page keeps what the second person typed, says who saved first, and
now carries the current version, so saving again replaces the other save on purpose.
"""

import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from patients import services
from patients.models import AdverseEvent, Patient, Visit
from planner.access import roles
from tests.factories import make_user
from tests.patients.conftest import TODAY
from tests.patients.factories import AdverseEventFactory, PatientFactory, TwstrsFactory, VisitFactory

pytestmark = pytest.mark.django_db

# An empty version (the record does not exist yet) renders without a value attribute.
VERSION_INPUT = re.compile(r'<input type="hidden" name="version"(?: value="([^"]*)")?')


@pytest.fixture
def nora(db):
    return make_user(roles.NURSE, username="nora", first_name="Nora", last_name="Nightingale")


@pytest.fixture
def nils(db):
    return make_user(roles.NURSE, username="nils", first_name="Nils", last_name="Nurse")


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def opened(client, url):
    """GET the edit page; return the version its hidden field carries."""
    response = client.get(url)
    assert response.status_code == 200
    (version,) = VERSION_INPUT.findall(response.content.decode())
    return version


def visit_today(**kwargs):
    return VisitFactory(date=TODAY, status=Visit.Status.IN_PROGRESS, **kwargs)


@dataclass
class EditForm:
    """One edit page: how to make its record, what two people type, and how to read what was saved."""

    name: str
    url_name: str
    make: object  # () -> the object whose pk is in the URL
    first: dict
    second: dict
    saved: object  # (object) -> the saved value that tells the two entries apart
    first_value: object
    second_value: object
    noun: str


def patient_values(notes):
    return {
        "mrn": "CC100001",
        "family_name": "Okafor",
        "given_name": "Ada",
        "date_of_birth": "1968-04-02",
        "sex": "female",
        "diagnosis_date": "",
        "toxin_naive": "",
        "baseline_swallowing": "normal",
        "notes": notes,
    }


def twstrs_values(duration):
    return {"duration": str(duration)}


def adverse_values(onset):
    return {"kind": "neck_weakness", "severity": "mild", "onset_days": str(onset), "action_taken": "none"}


EDIT_FORMS = [
    EditForm(
        name="patient",
        url_name="patients:patient_edit",
        make=lambda: PatientFactory(mrn="CC100001", family_name="Okafor", given_name="Ada"),
        first=patient_values("Prefers mornings."),
        second=patient_values("Needs an interpreter."),
        saved=lambda patient: Patient.objects.get(pk=patient.pk).notes,
        first_value="Prefers mornings.",
        second_value="Needs an interpreter.",
        noun="this patient's details",
    ),
    EditForm(
        name="visit",
        url_name="patients:visit_edit",
        make=lambda: VisitFactory(date=date(2026, 6, 20), status=Visit.Status.SCHEDULED),
        first={"date": "2026-06-22", "notes": "Moved to Monday."},
        second={"date": "2026-06-20", "notes": "Bring the EMG."},
        saved=lambda visit: Visit.objects.get(pk=visit.pk).notes,
        first_value="Moved to Monday.",
        second_value="Bring the EMG.",
        noun="this visit",
    ),
    EditForm(
        name="posture",
        url_name="patients:posture_record",
        make=visit_today,
        first={"TORTICAPUT_present": "on", "TORTICAPUT_direction": "right", "TORTICAPUT_severity": "2"},
        second={"LATEROCOLLIS_present": "on", "LATEROCOLLIS_direction": "left", "LATEROCOLLIS_severity": "1"},
        saved=lambda visit: [c.code for c in Visit.objects.get(pk=visit.pk).posture_assessment.components.all()],
        first_value=["TORTICAPUT"],
        second_value=["LATEROCOLLIS"],
        noun="the posture assessment",
    ),
    EditForm(
        name="twstrs",
        url_name="patients:twstrs_record",
        make=lambda: TwstrsFactory(visit=visit_today()).visit,
        first=twstrs_values(1),
        second=twstrs_values(4),
        saved=lambda visit: Visit.objects.get(pk=visit.pk).twstrs.duration,
        first_value=1,
        second_value=4,
        noun="the TWSTRS",
    ),
    EditForm(
        name="tsui",
        url_name="patients:tsui_record",
        make=visit_today,
        first={"rotation": "1"},
        second={"rotation": "2"},
        saved=lambda visit: Visit.objects.get(pk=visit.pk).tsui.rotation,
        first_value=1,
        second_value=2,
        noun="the Tsui score",
    ),
    EditForm(
        name="outcome",
        url_name="patients:outcome_record",
        make=visit_today,
        first={"pain_now": "3", "pgic": "2"},
        second={"pain_now": "6", "pgic": "5"},
        saved=lambda visit: Visit.objects.get(pk=visit.pk).outcome.pain_now,
        first_value=3,
        second_value=6,
        noun="the pain and global impression",
    ),
    EditForm(
        name="side effect",
        url_name="patients:adverse_event_edit",
        make=lambda: AdverseEventFactory(visit=visit_today()),
        first=adverse_values(3),
        second=adverse_values(9),
        saved=lambda event: AdverseEvent.objects.get(pk=event.pk).onset_days,
        first_value=3,
        second_value=9,
        noun="this side effect",
    ),
]


@pytest.mark.parametrize("form", EDIT_FORMS, ids=lambda form: form.name)
def test_the_second_of_two_saves_from_the_same_page_is_refused_and_keeps_what_was_typed(form, nora, nils):
    obj = form.make()
    url = reverse(form.url_name, args=[obj.pk])
    first, second = signed_in(nora), signed_in(nils)
    nora_version = opened(first, url)
    nils_version = opened(second, url)
    assert nora_version == nils_version

    assert first.post(url, {**form.first, "version": nora_version}).status_code == 302
    response = second.post(url, {**form.second, "version": nils_version})

    assert response.status_code == 200
    assert form.saved(obj) == form.first_value, "the first save must stand"
    html = response.content.decode()
    (message,) = response.context["form"].non_field_errors()
    assert message.startswith("Someone else (Nora Nightingale at ")
    assert f"{form.noun} after you opened it" in message
    assert "Your entries below are not saved." in message
    assert 'role="alert"' in html
    # What Nils typed is still on the page, and the form now carries the current version.
    kept = response.context["form"].data.dict()
    assert kept == {**form.second, "version": kept["version"]}
    assert VERSION_INPUT.findall(html) != [nils_version]


@pytest.mark.parametrize("form", EDIT_FORMS, ids=lambda form: form.name)
def test_saving_again_after_reading_the_message_replaces_the_other_save_on_purpose(form, nora, nils):
    obj = form.make()
    url = reverse(form.url_name, args=[obj.pk])
    first, second = signed_in(nora), signed_in(nils)
    stale = opened(second, url)
    first.post(url, {**form.first, "version": opened(first, url)})
    refused = second.post(url, {**form.second, "version": stale})
    (current,) = VERSION_INPUT.findall(refused.content.decode())

    assert second.post(url, {**form.second, "version": current}).status_code == 302
    assert form.saved(obj) == form.second_value


def test_the_message_names_the_fields_the_other_person_changed(nora, nils):
    visit = VisitFactory(date=date(2026, 6, 20), status=Visit.Status.SCHEDULED)
    url = reverse("patients:visit_edit", args=[visit.pk])
    stale = opened(signed_in(nils), url)
    signed_in(nora).post(url, {"date": "2026-06-22", "notes": "", "version": stale})

    response = signed_in(nils).post(url, {"date": "2026-06-20", "notes": "Bring the EMG.", "version": stale})

    (message,) = response.context["form"].non_field_errors()
    assert "They changed: date." in message


def test_a_record_created_by_someone_else_meanwhile_is_not_overwritten(nora, nils):
    """Both open an empty TWSTRS form (version ""): the one who saves second is told it now exists."""
    visit = visit_today()
    url = reverse("patients:twstrs_record", args=[visit.pk])
    assert opened(signed_in(nils), url) == ""
    signed_in(nora).post(url, {"duration": "2", "version": ""})

    response = signed_in(nils).post(url, {"duration": "5", "version": ""})

    assert Visit.objects.get(pk=visit.pk).twstrs.duration == 2
    (message,) = response.context["form"].non_field_errors()
    assert "recorded the TWSTRS after you opened it" in message


def test_the_same_person_in_two_windows_is_told_it_was_them(nora):
    visit = VisitFactory(date=date(2026, 6, 20), status=Visit.Status.SCHEDULED)
    url = reverse("patients:visit_edit", args=[visit.pk])
    window_1, window_2 = signed_in(nora), signed_in(nora)
    stale = opened(window_2, url)
    window_1.post(url, {"date": "2026-06-20", "notes": "From window one.", "version": stale})

    response = window_2.post(url, {"date": "2026-06-20", "notes": "From window two.", "version": stale})

    (message,) = response.context["form"].non_field_errors()
    assert message.startswith("You saved this visit in another window at ")
    assert "You changed: notes." in message


def test_a_version_that_was_tampered_with_is_refused_with_the_message_not_an_error(nora):
    visit = VisitFactory(date=date(2026, 6, 20), status=Visit.Status.SCHEDULED)
    url = reverse("patients:visit_edit", args=[visit.pk])
    for forged in ("not a date", "2026-06-15T10:00:00", "x" * 10_000):
        response = signed_in(nora).post(url, {"date": "2026-06-20", "notes": "forged", "version": forged})
        assert response.status_code == 200
        assert "after you opened it" in response.context["form"].non_field_errors()[0]
    assert Visit.objects.get(pk=visit.pk).notes == ""


# --- the services ---


def test_the_service_refuses_a_stale_version_and_writes_nothing(nora, nils):
    visit = VisitFactory(date=date(2026, 6, 20), status=Visit.Status.SCHEDULED)
    seen = services.record_version(visit)
    services.visit_update(visit=Visit.objects.get(pk=visit.pk), date=visit.date, notes="first", acting_user=nora)
    history_rows = visit.history.count()

    with pytest.raises(services.StaleRecordError) as refused:
        services.visit_update(visit=visit, date=visit.date, notes="second", acting_user=nils, seen_version=seen)

    assert refused.value.code == "stale"
    assert refused.value.current_version == services.record_version(Visit.objects.get(pk=visit.pk))
    assert Visit.objects.get(pk=visit.pk).notes == "first"
    assert visit.history.count() == history_rows


def test_a_save_from_an_old_copy_of_the_visit_does_not_undo_a_status_change(nora, nils):
    """The services reload the visit under a lock: an old copy cannot put back an old status."""
    visit = visit_today()
    old_copy = Visit.objects.get(pk=visit.pk)
    services.visit_complete(visit=Visit.objects.get(pk=visit.pk), acting_user=nora)

    services.visit_update(visit=old_copy, date=TODAY, notes="added later", acting_user=nils)

    saved = Visit.objects.get(pk=visit.pk)
    assert (saved.status, saved.notes) == (Visit.Status.COMPLETED, "added later")


def test_a_save_from_an_old_copy_of_the_patient_does_not_undo_a_deactivation(nora, nils):
    patient = PatientFactory()
    old_copy = Patient.objects.get(pk=patient.pk)
    services.patient_deactivate(patient=Patient.objects.get(pk=patient.pk), acting_user=nora)

    services.patient_update(patient=old_copy, notes="still inactive", acting_user=nils)

    assert Patient.objects.get(pk=patient.pk).active is False


@pytest.mark.parametrize("form", EDIT_FORMS, ids=lambda form: form.name)
def test_lost_update_an_edit_posted_without_the_version_is_refused_and_overwrites_nothing(form, nora, nils):
    """Issue 12: a post without the version field used to skip the check and overwrite a newer save."""
    obj = form.make()
    url = reverse(form.url_name, args=[obj.pk])
    assert signed_in(nora).post(url, {**form.first, "version": opened(signed_in(nora), url)}).status_code == 302

    response = signed_in(nils).post(url, form.second)

    assert response.status_code == 200
    assert form.saved(obj) == form.first_value, "the newer save must stand"
    (message,) = response.context["form"].non_field_errors()
    assert "changed by someone else since you opened it" in message and "reload" in message
