"""Pages: permissions for every view and persona, messages at the field, PRG, search and the chart."""

from datetime import timedelta

import pytest
from django.urls import reverse

from patients import services
from patients.models import AdverseEvent, Patient, PostureAssessment, TwstrsAssessment, Visit
from patients.posture import Finding
from tests.patients.conftest import TODAY
from tests.patients.factories import FULL_TWSTRS_TYPED, AdverseEventFactory, PatientFactory, VisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(patient):
    previous = VisitFactory(patient=patient, date=TODAY - timedelta(weeks=12))
    visit = VisitFactory(patient=patient, date=TODAY, status=Visit.Status.IN_PROGRESS)
    event = AdverseEventFactory(visit=visit)
    return {"patient": patient, "visit": visit, "previous": previous, "event": event}


def page_urls(records):
    p, v, e = records["patient"].pk, records["visit"].pk, records["event"].pk
    return {
        "patients:patient_list": reverse("patients:patient_list"),
        "patients:patient_register": reverse("patients:patient_register"),
        "patients:patient_chart": reverse("patients:patient_chart", args=[p]),
        "patients:patient_edit": reverse("patients:patient_edit", args=[p]),
        "patients:patient_deactivate": reverse("patients:patient_deactivate", args=[p]),
        "patients:visit_book": reverse("patients:visit_book", args=[p]),
        "patients:visit_detail": reverse("patients:visit_detail", args=[v]),
        "patients:visit_edit": reverse("patients:visit_edit", args=[v]),
        "patients:posture_record": reverse("patients:posture_record", args=[v]),
        "patients:twstrs_record": reverse("patients:twstrs_record", args=[v]),
        "patients:tsui_record": reverse("patients:tsui_record", args=[v]),
        "patients:outcome_record": reverse("patients:outcome_record", args=[v]),
        "patients:adverse_event_add": reverse("patients:adverse_event_add", args=[v]),
        "patients:adverse_event_edit": reverse("patients:adverse_event_edit", args=[e]),
    }


POST_ONLY = {
    "patients:patient_reactivate": ("patients:patient_reactivate", "patient"),
    "patients:visit_status": ("patients:visit_status", "visit"),
}
PAGES = list(page_urls.__code__.co_consts)  # placeholder so the parametrisation below reads clearly
PAGE_NAMES = [
    "patients:patient_list",
    "patients:patient_register",
    "patients:patient_chart",
    "patients:patient_edit",
    "patients:patient_deactivate",
    "patients:visit_book",
    "patients:visit_detail",
    "patients:visit_edit",
    "patients:posture_record",
    "patients:twstrs_record",
    "patients:tsui_record",
    "patients:outcome_record",
    "patients:adverse_event_add",
    "patients:adverse_event_edit",
]


def test_every_patients_url_is_covered_by_the_permission_tests():
    from patients.urls import urlpatterns

    names = {f"patients:{pattern.name}" for pattern in urlpatterns}
    assert names == set(PAGE_NAMES) | set(POST_ONLY)


@pytest.mark.parametrize("name", PAGE_NAMES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 302), ("no_role", 403), ("reference_admin", 403), ("nurse", 200), ("neurologist", 200)],
)
def test_each_page_is_open_to_clinicians_only(client_for, records, name, persona, status):
    url = page_urls(records)[name]
    response = client_for(persona).get(url)
    assert response.status_code == status, (name, persona)
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGE_NAMES)
@pytest.mark.parametrize(("persona", "status"), [("no_role", 403), ("reference_admin", 403)])
def test_posting_to_a_page_without_a_clinical_role_changes_nothing(client_for, records, name, persona, status):
    before = (Patient.objects.count(), Visit.objects.count(), AdverseEvent.objects.count())
    response = client_for(persona).post(page_urls(records)[name], {"mrn": "ZZ123", "date": TODAY.isoformat()})
    assert response.status_code == status
    assert (Patient.objects.count(), Visit.objects.count(), AdverseEvent.objects.count()) == before
    assert Patient.objects.filter(active=False).count() == 0


@pytest.mark.parametrize("name", list(POST_ONLY))
@pytest.mark.parametrize(
    ("persona", "get_status", "post_status"),
    [
        ("anonymous", 302, 302),
        ("no_role", 403, 403),
        ("reference_admin", 403, 403),
        ("nurse", 405, 302),
        ("neurologist", 405, 302),
    ],
)
def test_state_changes_are_post_only_and_clinicians_only(client_for, records, name, persona, get_status, post_status):
    url_name, kind = POST_ONLY[name]
    url = reverse(url_name, args=[records[kind].pk])
    client = client_for(persona)
    assert client.get(url).status_code == get_status
    assert client.post(url, {"action": "complete"}).status_code == post_status


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_refused(client_for, records, method):
    client = client_for("nurse")
    for name in ("patients:patient_register", "patients:patient_edit", "patients:posture_record"):
        url = page_urls(records)[name]
        assert getattr(client, method)(url).status_code == 405
    assert Patient.objects.filter(pk=records["patient"].pk).exists()


def test_the_clinical_navigation_shows_for_clinicians_and_not_for_reference_admins(client_for):
    assert b'href="/patients/"' in client_for("nurse").get(reverse("home")).content
    assert b'href="/patients/"' not in client_for("reference_admin").get(reverse("home")).content


# --- Registering and editing patients ---

REGISTRATION = {
    "mrn": "cd-778 01",
    "family_name": "Dvořák",
    "given_name": "Łukasz",
    "date_of_birth": "1974-09-30",
    "sex": "male",
    "diagnosis_date": "2019-04-02",
    "baseline_swallowing": "normal",
    "toxin_naive": "on",
    "notes": "",
}


def test_registering_a_patient_redirects_to_the_chart_with_a_message(client_for):
    response = client_for("nurse").post(reverse("patients:patient_register"), REGISTRATION, follow=True)
    patient = Patient.objects.get()
    assert response.redirect_chain == [(patient.get_absolute_url(), 302)]
    assert patient.mrn == "CD77801"
    assert "Łukasz Dvořák (CD77801) is registered." in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"date_of_birth": (TODAY + timedelta(days=1)).isoformat()}, "date_of_birth", "cannot be in the future"),
        ({"mrn": "x"}, "mrn", "is not a valid MRN"),
        ({"family_name": ""}, "family_name", "This field is required"),
        ({"diagnosis_date": "1970-01-01"}, "diagnosis_date", "before the date of birth"),
        ({"sex": "unknown"}, "sex", "Select a valid choice"),
    ],
)
def test_a_bad_registration_is_shown_at_the_field_and_saves_nothing(client_for, change, field, message):
    response = client_for("nurse").post(reverse("patients:patient_register"), {**REGISTRATION, **change})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.content.decode()
    assert not Patient.objects.exists()


def test_a_duplicate_mrn_links_to_the_existing_patients_chart(client_for, patient):
    response = client_for("nurse").post(reverse("patients:patient_register"), {**REGISTRATION, "mrn": "ab 1234-56"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'already registered to <a href="/patients/{patient.pk}/">Zoë Müller</a>' in html
    assert "mrn" in response.context["form"].errors
    assert Patient.objects.count() == 1


def test_editing_keeps_the_mrn_rule_and_shows_the_stored_name_on_error(client_for, patient):
    other = PatientFactory(mrn="QQ111")
    url = reverse("patients:patient_edit", args=[other.pk])
    version = services.record_version(other)
    response = client_for("nurse").post(
        url, {**REGISTRATION, "mrn": "AB123456", "family_name": "Changed", "version": version}
    )
    assert "already registered" in " ".join(response.context["form"].errors["mrn"])
    other.refresh_from_db()
    assert (other.mrn, other.family_name) == ("QQ111", "Doe")
    response = client_for("nurse").post(
        url, {**REGISTRATION, "mrn": "qq-111", "version": services.record_version(other)}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.family_name, other.search_key) == ("Dvořák", "dvorak lukasz qq111")


def test_deactivating_asks_first_then_keeps_the_record(client_for, patient):
    client = client_for("nurse")
    url = reverse("patients:patient_deactivate", args=[patient.pk])
    assert b"Deactivate Zo\xc3\xab M\xc3\xbcller?" in client.get(url).content
    response = client.post(url, follow=True)
    assert "is deactivated" in response.content.decode()
    patient.refresh_from_db()
    assert not patient.active
    assert b"Book a visit" not in response.content
    client.post(reverse("patients:patient_reactivate", args=[patient.pk]))
    patient.refresh_from_db()
    assert patient.active


# --- Search ---


@pytest.mark.parametrize("query", ["muller", "MÜLLER", "Zoe Mull", "mül", "ab-1234", "AB123456"])
def test_search_ignores_case_accents_and_mrn_separators(client_for, patient, query):
    PatientFactory(mrn="XY99", family_name="Smith", given_name="Anna")
    response = client_for("nurse").get(reverse("patients:patient_list"), {"q": query})
    assert list(response.context["page"].object_list) == [patient]


def test_search_pages_through_many_patients_and_hides_inactive_ones(client_for):
    for number in range(30):
        PatientFactory(family_name=f"Smith{number:02d}", active=number != 0)
    client = client_for("nurse")
    first = client.get(reverse("patients:patient_list"), {"q": "smith"})
    assert first.context["page"].paginator.count == 29
    assert len(first.context["page"].object_list) == 25
    second = client.get(reverse("patients:patient_list"), {"q": "smith", "page": 2})
    assert [p.family_name for p in second.context["page"].object_list] == [f"Smith{n}" for n in range(26, 30)]
    everyone = client.get(reverse("patients:patient_list"), {"q": "smith", "inactive": "1"})
    assert everyone.context["page"].paginator.count == 30


def test_htmx_search_returns_only_the_results(client_for, patient):
    response = client_for("nurse").get(
        reverse("patients:patient_list"), {"q": "muller"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "MÜLLER, Zoë" in html
    assert "<html" not in html


def test_the_patient_list_takes_the_same_number_of_queries_for_5_or_25_patients(
    client_for, django_assert_max_num_queries
):
    client = client_for("nurse")
    for number in range(5):
        PatientFactory(family_name=f"Few{number}")
    client.get(reverse("patients:patient_list"))  # the first request after login also stores the session
    # Eight for the page, five for the access entry naming the patients shown (tests/test_query_budgets.py).
    with django_assert_max_num_queries(13) as few:
        client.get(reverse("patients:patient_list"))
    for number in range(20):
        PatientFactory(family_name=f"Many{number}")
    with django_assert_max_num_queries(13) as many:
        client.get(reverse("patients:patient_list"))
    assert len(few.captured_queries) == len(many.captured_queries)


# --- Visits and what is recorded at them ---


def test_booking_a_visit_defaults_to_today_and_names_the_date_twelve_weeks_after_the_last_one(client_for, records):
    response = client_for("nurse").get(reverse("patients:visit_book", args=[records["patient"].pk]))
    assert response.context["form"].initial["date"] == TODAY
    assert f"{TODAY + timedelta(weeks=12):%d %b %Y}" in response.content.decode()


def test_a_visit_before_birth_or_too_far_ahead_is_shown_at_the_date(client_for, patient):
    client = client_for("nurse")
    url = reverse("patients:visit_book", args=[patient.pk])
    response = client.post(url, {"date": "1969-01-01"})
    assert "cannot be before the patient's date of birth" in " ".join(response.context["form"].errors["date"])
    response = client.post(url, {"date": (TODAY + timedelta(days=400)).isoformat()})
    assert "more than a year ahead" in " ".join(response.context["form"].errors["date"])
    assert not Visit.objects.exists()


def test_booking_then_completing_a_visit(client_for, patient):
    client = client_for("nurse")
    response = client.post(reverse("patients:visit_book", args=[patient.pk]), {"date": TODAY.isoformat()})
    visit = Visit.objects.get()
    assert response["Location"] == visit.get_absolute_url()
    client.post(reverse("patients:visit_status", args=[visit.pk]), {"action": "complete"})
    visit.refresh_from_db()
    assert visit.status == Visit.Status.COMPLETED
    assert visit.recorded_by.username == "persona.nurse"


def posture_post(**rows):
    data = {"notes": ""}
    for code, (direction, severity) in rows.items():
        data[f"{code}_present"] = "on"
        if direction is not None:
            data[f"{code}_direction"] = direction
        if severity is not None:
            data[f"{code}_severity"] = str(severity)
    return data


def test_recording_a_two_component_posture(client_for, records):
    visit = records["visit"]
    response = client_for("nurse").post(
        reverse("patients:posture_record", args=[visit.pk]),
        posture_post(TORTICAPUT=("right", 3), LATEROCOLLIS=("left", 2), LATERAL_SHIFT=("left", None)),
        follow=True,
    )
    assert "Posture saved: R torticaput 3, L laterocollis 2, L lateral shift." in response.content.decode()
    assert PostureAssessment.objects.get().components.count() == 3


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        (posture_post(TORTICAPUT=(None, 3)), "TORTICAPUT_direction", "Choose left or right for torticaput."),
        (posture_post(TORTICAPUT=("left", None)), "TORTICAPUT_severity", "Choose a severity from 1 to 4"),
        (posture_post(LATEROCAPUT=("left", 4)), "LATEROCAPUT_severity", "Choose a severity from 1 to 3"),
        ({"TORTICAPUT_direction": "left", "TORTICAPUT_severity": "2"}, "TORTICAPUT_present", "Tick 'present'"),
    ],
)
def test_a_bad_posture_is_shown_at_the_component_and_saves_nothing(client_for, records, post, field, message):
    response = client_for("nurse").post(reverse("patients:posture_record", args=[records["visit"].pk]), post)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not PostureAssessment.objects.exists()


def twstrs_post(**changes):
    return {key: "" if value is None else str(value) for key, value in {**FULL_TWSTRS_TYPED, **changes}.items()}


def test_the_twstrs_page_shows_the_version_and_the_items_taken_from_the_posture(client_for, records):
    services.posture_assessment_record(
        visit=records["visit"], findings=[Finding("TORTICAPUT", "right", 3)], acting_user=None
    )
    html = client_for("nurse").get(reverse("patients:twstrs_record", args=[records["visit"].pk])).content.decode()
    assert "TWSTRS (original, Consky &amp; Lang 1994): severity 0-35, disability 0-30, pain 0-20, total 0-85" in html
    assert "From the posture assessment" in html
    assert '<td data-derived="rotation"><strong>3</strong></td>' in html
    assert 'name="rotation"' not in html  # never typed here
    assert "(worst + best + 2 × usual) / 4" in html


def test_saving_a_twstrs_reports_the_computed_total(client_for, records):
    visit = records["visit"]
    services.posture_assessment_record(
        visit=visit, findings=[Finding("TORTICAPUT", "right", 3), Finding("LATEROCOLLIS", "left", 2)], acting_user=None
    )
    response = client_for("nurse").post(reverse("patients:twstrs_record", args=[visit.pk]), twstrs_post(), follow=True)
    assert "TWSTRS saved: total 36.25 / 85 (complete)." in response.content.decode()
    version = services.record_version(type(visit).objects.get(pk=visit.pk).twstrs)
    response = client_for("nurse").post(
        reverse("patients:twstrs_record", args=[visit.pk]), {**twstrs_post(time=None), "version": version}, follow=True
    )
    assert "TWSTRS saved: total partial 34.25 / 85 (partial: 9 of 10 severity items)." in response.content.decode()


@pytest.mark.parametrize(("field", "value"), [("duration", 6), ("pain_worst", 11), ("work", -1), ("time", "x")])
def test_an_out_of_range_score_is_shown_at_the_item_and_saves_nothing(client_for, records, field, value):
    response = client_for("nurse").post(
        reverse("patients:twstrs_record", args=[records["visit"].pk]), twstrs_post(**{field: value})
    )
    assert response.status_code == 200
    (error,) = response.context["form"].errors[field]
    assert "out of range" in error
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert not TwstrsAssessment.objects.exists()


def test_pain_ratings_out_of_order_are_shown_at_the_field(client_for, records):
    response = client_for("nurse").post(
        reverse("patients:twstrs_record", args=[records["visit"].pk]), twstrs_post(pain_best=9)
    )
    assert "cannot be worse than the worst pain" in " ".join(response.context["form"].errors["pain_best"])
    assert not TwstrsAssessment.objects.exists()


def test_the_tsui_page_shows_the_unverified_badge(client_for, records):
    html = client_for("nurse").get(reverse("patients:tsui_record", args=[records["visit"].pk])).content.decode()
    assert "Unverified formula" in html
    response = client_for("nurse").post(
        reverse("patients:tsui_record", args=[records["visit"].pk]),
        {
            "rotation": "2",
            "tilt": "1",
            "antero_retrocollis": "0",
            "duration": "2",
            "shoulder_elevation": "1",
            "tremor_duration": "",
        },
        follow=True,
    )
    # No posture yet, so the tremor severity (and with it the tremor duration) is missing.
    assert "Tsui saved: total partial 7 / 25 (partial: 5 of 7 Tsui items)." in response.content.decode()


def test_pain_and_global_impression(client_for, records):
    client = client_for("nurse")
    url = reverse("patients:outcome_record", args=[records["visit"].pk])
    assert "pgic" in client.post(url, {"pain_now": "4", "pgic": "9"}).context["form"].errors
    client.post(url, {"pain_now": "4", "pgic": "2"})
    outcome = records["visit"].outcome
    assert (outcome.pain_now, outcome.get_pgic_display()) == (4, "2 Much improved")


def test_reporting_severe_dysphagia(client_for, records):
    client = client_for("nurse")
    url = reverse("patients:adverse_event_add", args=[records["visit"].pk])
    data = {"kind": "dysphagia", "severity": "", "onset_days": "6", "duration_days": "", "action_taken": "diet"}
    response = client.post(url, data)
    assert "Choose the dysphagia grade" in " ".join(response.context["form"].errors["dysphagia_grade"])
    response = client.post(url, {**data, "dysphagia_grade": "3"}, follow=True)
    assert "Side effect recorded: Dysphagia (swallowing difficulty) (severe)." in response.content.decode()


def test_editing_an_adverse_event(client_for, records):
    event = records["event"]
    url = reverse("patients:adverse_event_edit", args=[event.pk])
    data = {
        "kind": "neck_weakness",
        "severity": "moderate",
        "onset_days": "4",
        "duration_days": "20",
        "action_taken": "advice",
    }
    assert client_for("nurse").post(url, {**data, "onset_days": "500"}).status_code == 200
    event.refresh_from_db()
    response = client_for("nurse").post(url, {**data, "version": services.record_version(event)})
    assert response.status_code == 302, response.context["form"].errors
    event.refresh_from_db()
    assert (event.severity, event.duration_days) == ("moderate", 20)


def test_the_sex_radio_group_has_no_placeholder_option(client_for):
    html = client_for("nurse").get(reverse("patients:patient_register")).content.decode()
    assert 'name="sex" value=""' not in html
    assert "Select an option" not in html
    assert 'name="sex" value="female"' in html
