"""Conditions, medicines and toxin given elsewhere on the patient: pages, permissions, services, chart, plan."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from planner.conditions import records as conditions
from planner.models import ConditionCode, OutsideToxinDose, PatientCondition, Product
from planner.plans import services
from planner.plans.selectors import session_findings
from tests.factories import make_user
from tests.patients.factories import PatientFactory, PostureComponentFactory, VisitFactory
from tests.planner.signing import prepare

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _reference(shipped_reference):
    return shipped_reference


@pytest.fixture
def patient():
    return PatientFactory(toxin_naive=False, date_of_birth=dt.date(1970, 1, 1))


def code(value):
    return ConditionCode.objects.get(code=value)


def product(value):
    return Product.objects.get(code=value)


def entry(patient, user, value="MYASTHENIA_GRAVIS", **fields):
    return conditions.condition_record(patient=patient, code=code(value), acting_user=user, **fields)


def dose(patient, user, product_code="ONA", units="100", days_ago=10, **fields):
    return conditions.outside_dose_record(
        patient=patient,
        product=product(product_code),
        dose=Decimal(units),
        given_on=TODAY - dt.timedelta(days=days_ago),
        indication=fields.pop("indication", "chronic migraine"),
        acting_user=user,
        **fields,
    )


# --- permissions: every page x every persona, methods included ------------------------------------------

PAGES = ["add", "end", "outside_dose_add", "outside_dose_remove"]


def url_for(page, patient, user):
    if page == "end":
        return reverse("conditions:end", args=[entry(patient, user).pk])
    if page == "outside_dose_remove":
        return reverse("conditions:outside_dose_remove", args=[dose(patient, user).pk])
    return reverse(f"conditions:{page}", args=[patient.pk])


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 302), ("no_role", 403), ("reference_admin", 403), ("nurse", 200), ("neurologist", 200)],
)
def test_who_may_open_each_recording_page(client_for, nurse, patient, page, persona, status):
    url = url_for(page, patient, nurse)
    response = client_for(persona).get(url)
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", ["anonymous", "no_role", "reference_admin"])
def test_nobody_without_the_permission_can_post(client_for, nurse, patient, page, persona):
    url = url_for(page, patient, nurse)
    before = (PatientCondition.objects.filter(is_active=True).count(), OutsideToxinDose.objects.count())
    assert client_for(persona).post(url, {"code": code("PREGNANCY").pk, "until": TODAY}).status_code in (302, 403)
    assert (PatientCondition.objects.filter(is_active=True).count(), OutsideToxinDose.objects.count()) == before
    assert not PatientCondition.objects.filter(until__isnull=False).exists()


@pytest.mark.parametrize("page", PAGES)
def test_other_methods_are_refused(client_for, nurse, patient, page):
    assert client_for("nurse").put(url_for(page, patient, nurse)).status_code == 405


# --- recording -------------------------------------------------------------------------------------------


def test_a_nurse_records_myasthenia_gravis_with_dates_note_and_who(client_for, patient):
    client = client_for("nurse")
    response = client.post(
        reverse("conditions:add", args=[patient.pk]),
        {"code": code("MYASTHENIA_GRAVIS").pk, "since": "2024-03-01", "note": "on pyridostigmine"},
    )
    assert response.status_code == 302
    saved = PatientCondition.objects.get(patient=patient)
    assert (saved.code.code, saved.since, saved.note) == ("MYASTHENIA_GRAVIS", dt.date(2024, 3, 1), "on pyridostigmine")
    assert saved.recorded_by.username == "persona.nurse"
    assert saved.history.first().history_user == saved.recorded_by


def test_bad_input_gets_a_message_at_the_field_and_saves_nothing(client_for, patient):
    client = client_for("nurse")
    url = reverse("conditions:add", args=[patient.pk])
    page = client.post(url, {"code": code("PREGNANCY").pk, "since": "2026-01-10", "until": "2025-01-01"})
    assert page.status_code == 200
    assert "The end date is before the start date." in page.content.decode()
    page = client.post(url, {"code": code("HYPERSENSITIVITY_PRODUCT").pk})
    assert "Choose the product" in page.content.decode()
    page = client.post(url, {"code": ""})
    assert "Choose the condition or medicine." in page.content.decode()
    assert not PatientCondition.objects.exists()


def test_ending_a_condition_keeps_it_as_a_past_entry_and_in_error_deactivates_it(client_for, nurse, patient):
    first = entry(patient, nurse, since=TODAY - dt.timedelta(days=100))
    client = client_for("neurologist")
    assert client.post(reverse("conditions:end", args=[first.pk]), {"until": TODAY.isoformat()}).status_code == 302
    first.refresh_from_db()
    assert first.until == TODAY and first.is_active
    second = entry(patient, nurse, "PREGNANCY")
    assert client.post(reverse("conditions:end", args=[second.pk]), {"in_error": "on"}).status_code == 302
    second.refresh_from_db()
    assert not second.is_active
    assert PatientCondition.objects.count() == 2  # nothing is deleted


def test_an_end_before_the_start_is_refused_at_the_field(client_for, nurse, patient):
    first = entry(patient, nurse, since=TODAY - dt.timedelta(days=10))
    page = client_for("nurse").post(
        reverse("conditions:end", args=[first.pk]), {"until": (TODAY - dt.timedelta(days=20)).isoformat()}
    )
    assert "The end date is before the start date" in page.content.decode()


def test_a_dose_given_elsewhere_is_recorded_in_its_own_products_units(client_for, patient):
    response = client_for("nurse").post(
        reverse("conditions:outside_dose_add", args=[patient.pk]),
        {
            "product": product("ONA").pk,
            "dose": "155",
            "given_on": (TODAY - dt.timedelta(days=20)).isoformat(),
            "indication": "chronic migraine",
            "given_where": "Headache clinic",
        },
    )
    assert response.status_code == 302
    record = OutsideToxinDose.objects.get(patient=patient)
    assert record.dose_text == "155 U Botox"


def test_a_future_or_non_positive_dose_is_refused(client_for, patient):
    url = reverse("conditions:outside_dose_add", args=[patient.pk])
    page = client_for("nurse").post(
        url,
        {
            "product": product("ONA").pk,
            "dose": "0",
            "given_on": (TODAY + dt.timedelta(days=2)).isoformat(),
            "indication": "x",
        },
    )
    text = page.content.decode()
    assert "Must be greater than zero." in text
    assert not OutsideToxinDose.objects.exists()
    page = client_for("nurse").post(
        url,
        {
            "product": product("ONA").pk,
            "dose": "50",
            "given_on": (TODAY + dt.timedelta(days=2)).isoformat(),
            "indication": "x",
        },
    )
    assert "The date is in the future" in page.content.decode()
    assert not OutsideToxinDose.objects.exists()


def test_removing_a_dose_recorded_in_error_keeps_it_and_stops_counting_it(client_for, nurse, patient):
    record = dose(patient, nurse)
    assert client_for("nurse").post(reverse("conditions:outside_dose_remove", args=[record.pk])).status_code == 302
    record.refresh_from_db()
    assert not record.is_active
    assert conditions.patient_outside_doses(patient) == []


def test_nothing_is_recorded_on_an_inactive_patient(nurse, patient):
    patient.active = False
    patient.save()
    with pytest.raises(ValidationError, match="inactive"):
        entry(patient, nurse)
    with pytest.raises(ValidationError, match="inactive"):
        dose(patient, nurse)


# --- the chart -------------------------------------------------------------------------------------------


def test_the_chart_shows_conditions_at_the_top_current_ones_first(client_for, nurse, patient):
    entry(patient, nurse, "PREGNANCY", since=TODAY - dt.timedelta(days=400), until=TODAY - dt.timedelta(days=100))
    entry(patient, nurse, "MYASTHENIA_GRAVIS", since=TODAY - dt.timedelta(days=300))
    dose(patient, nurse, "ABO", "500", indication="spasticity")
    page = client_for("nurse").get(patient.get_absolute_url()).content.decode()
    assert page.index('id="section-conditions"') < page.index('id="demographics-heading"')
    assert page.index("Myasthenia gravis") < page.index("Pregnancy")
    assert "500 U Dysport" in page and "spasticity" in page


def test_the_reference_admin_never_sees_the_section(client_for, nurse, patient):
    entry(patient, nurse)
    assert not conditions.conditions_section(user=make_user("Reference admin"), patient=patient, records=[])


def test_the_chart_query_count_does_not_grow_with_conditions(client_for, nurse, patient, django_assert_max_num_queries):
    client = client_for("nurse")
    entry(patient, nurse)
    dose(patient, nurse)
    client.get(patient.get_absolute_url())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(patient.get_absolute_url())
    for index in range(15):
        entry(patient, nurse, "PREGNANCY", since=TODAY - dt.timedelta(days=index + 1))
        dose(patient, nurse, days_ago=index + 1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(patient.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_each_recording_page_has_a_fixed_query_count(client_for, nurse, patient, page, django_assert_max_num_queries):
    client = client_for("nurse")
    url = url_for(page, patient, nurse)
    client.get(url)
    for index in range(10):
        entry(patient, nurse, "PREGNANCY", since=TODAY - dt.timedelta(days=index + 1))
        dose(patient, nurse, days_ago=index + 1)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200


# --- the plan --------------------------------------------------------------------------------------------


def _plan(patient, neurologist):
    visit = VisitFactory(patient=patient, date=TODAY, status="in_progress")
    PostureComponentFactory(assessment__visit=visit, code="TORTICAPUT", direction="right", severity=2)
    from planner.models import Muscle

    session = services.session_start(visit=visit, acting_user=neurologist)
    session, _ = services.session_save_plan(
        session=session,
        version=session.version,
        product=product("ONA"),
        default_guidance="anatomical",
        rows=[services.RowInput(Muscle.objects.get(code="SPLENIUS_CAPITIS"), "right", Decimal("60"), 2, "anatomical")],
        acting_user=neurologist,
    )
    return prepare(session, neurologist)


def test_a_current_condition_reaches_the_signing_gate(nurse, neurologist, patient):
    entry(patient, nurse, "MYASTHENIA_GRAVIS", since=TODAY - dt.timedelta(days=30))
    session = _plan(patient, neurologist)
    [finding] = [f for f in session_findings(session) if f.code == "CONDITION"]
    assert finding.level == "override"
    with pytest.raises(ValidationError, match="Give a reason to sign above this limit: Myasthenia gravis"):
        services.session_sign(session=session, version=session.version, acknowledgements={}, acting_user=neurologist)


def test_an_ended_or_removed_condition_does_not(nurse, neurologist, patient):
    ended = entry(patient, nurse, "MYASTHENIA_GRAVIS", since=TODAY - dt.timedelta(days=30))
    conditions.condition_end(entry=ended, until=TODAY - dt.timedelta(days=1), acting_user=nurse)
    removed = entry(patient, nurse, "PREGNANCY")
    conditions.condition_end(entry=removed, until=None, in_error=True, acting_user=nurse)
    assert not [f for f in session_findings(_plan(patient, neurologist)) if f.code == "CONDITION"]


def test_hypersensitivity_to_the_planned_product_blocks_signing(nurse, neurologist, patient):
    entry(patient, nurse, "HYPERSENSITIVITY_PRODUCT", product=product("ONA"))
    entry(patient, nurse, "HYPERSENSITIVITY_PRODUCT", product=product("ABO"))
    findings = [f for f in session_findings(_plan(patient, neurologist)) if f.code == "CONDITION"]
    assert [(f.key, f.level) for f in findings] == [("CONDITION:HYPERSENSITIVITY_PRODUCT:ONA", "error")]


def test_botox_given_elsewhere_counts_in_the_plan_and_shows_in_its_history(client_for, nurse, neurologist, patient):
    dose(patient, nurse, "ONA", "380", days_ago=20, indication="chronic migraine")
    dose(patient, nurse, "ABO", "500", days_ago=20, indication="spasticity")
    session = _plan(patient, neurologist)
    codes = {f.code: f for f in session_findings(session)}
    assert "+ 380 U Botox given elsewhere +" in codes["CUMULATIVE_MAX_EXCEEDED"].message
    assert "since Botox given elsewhere" in codes["INTERVAL_TOO_SHORT"].message
    page = client_for("neurologist").get(reverse("plans:editor", args=[session.pk])).content.decode()
    assert "380 U Botox (chronic migraine): counted with this plan's product" in page
    assert "500 U Dysport (spasticity): another product, not counted" in page


def test_a_patient_under_18_needs_a_reason(neurologist):
    young = PatientFactory(toxin_naive=False, date_of_birth=TODAY.replace(year=TODAY.year - 17))
    assert "AGE_UNDER_18" in {f.code for f in session_findings(_plan(young, neurologist))}


def test_the_editor_says_when_a_pattern_has_no_verified_primary_rule_and_why_a_side_is_unresolved(
    client_for, neurologist, patient
):
    visit = VisitFactory(patient=patient, date=TODAY, status="in_progress")
    first = PostureComponentFactory(assessment__visit=visit, code="RETROCOLLIS", direction="", severity=2)
    PostureComponentFactory(assessment=first.assessment, code="TORTICAPUT", direction="right", severity=2)
    session = services.session_start(visit=visit, acting_user=neurologist)
    page = client_for("neurologist").get(reverse("plans:editor", args=[session.pk])).content.decode()
    assert "No verified primary rule for retrocollis; the candidates below are unverified." in page
    assert "Side unresolved: the sources disagree on its side for right torticaput (S17, S6a): choose the side." in page
