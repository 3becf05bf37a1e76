"""Writes: validation across objects, nothing saved on bad input, history with the acting user."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from patients import selectors, services
from patients.models import (
    AdverseEvent,
    Patient,
    PostureAssessment,
    PostureComponent,
    TsuiAssessment,
    TwstrsAssessment,
    Visit,
)
from patients.posture import Finding
from tests.patients.conftest import TODAY
from tests.patients.factories import FULL_TWSTRS_TYPED, PatientFactory, VisitFactory

pytestmark = pytest.mark.django_db

TWO_COMPONENTS = [Finding("TORTICAPUT", "right", 3), Finding("LATEROCOLLIS", "left", 2)]


def register(nurse, **overrides):
    values = {
        "mrn": "ab-123 456",
        "family_name": "  Peña ",
        "given_name": "José",
        "date_of_birth": date(1961, 2, 3),
        "sex": Patient.Sex.MALE,
        "acting_user": nurse,
    }
    return services.patient_register(**{**values, **overrides})


def errors_of(excinfo):
    return excinfo.value.message_dict


# --- Patients ---


def test_registering_normalises_the_mrn_keeps_a_search_key_and_records_who(nurse):
    patient = register(nurse)
    assert patient.mrn == "AB123456"
    assert patient.family_name == "Peña"
    assert patient.search_key == "pena jose ab123456"
    assert patient.toxin_naive and patient.active
    (row,) = patient.history.all()
    assert (row.history_type, row.history_user) == ("+", nurse)


def test_a_duplicate_mrn_is_refused_with_a_link_to_the_patient_who_has_it(nurse):
    existing = register(nurse)
    with pytest.raises(ValidationError) as excinfo:
        register(nurse, mrn="AB 123-456", family_name="Other")
    (message,) = errors_of(excinfo)["mrn"]
    assert f'href="/patients/{existing.pk}/"' in message
    assert "MRN AB123456 is already registered to" in message
    assert Patient.objects.count() == 1


def test_the_duplicate_mrn_message_escapes_the_name_and_says_the_patient_is_inactive(nurse):
    existing = register(nurse, family_name="<b>Bold</b>")
    services.patient_deactivate(patient=existing, acting_user=nurse)
    with pytest.raises(ValidationError) as excinfo:
        register(nurse, family_name="Other")
    (message,) = errors_of(excinfo)["mrn"]
    assert "&lt;b&gt;Bold&lt;/b&gt;</a> (inactive)." in message and "<b>" not in message


def test_a_date_of_birth_in_the_future_is_refused(nurse):
    with pytest.raises(ValidationError) as excinfo:
        register(nurse, date_of_birth=TODAY + timedelta(days=1))
    assert errors_of(excinfo) == {"date_of_birth": ["The date of birth cannot be in the future."]}
    assert not Patient.objects.exists()


def test_a_diagnosis_before_birth_or_in_the_future_is_refused(nurse):
    with pytest.raises(ValidationError) as excinfo:
        register(nurse, diagnosis_date=date(1960, 1, 1))
    assert "before the date of birth" in errors_of(excinfo)["diagnosis_date"][0]
    with pytest.raises(ValidationError) as excinfo:
        register(nurse, diagnosis_date=TODAY + timedelta(days=3))
    assert "future" in errors_of(excinfo)["diagnosis_date"][0]


def test_an_mrn_that_breaks_the_rule_is_refused_at_the_field(nurse):
    with pytest.raises(ValidationError) as excinfo:
        register(nurse, mrn="A#")
    assert "is not a valid MRN" in errors_of(excinfo)["mrn"][0]


def test_editing_a_patient_may_not_take_another_patients_mrn(nurse):
    first = register(nurse)
    second = register(nurse, mrn="ZZ999")
    with pytest.raises(ValidationError) as excinfo:
        services.patient_update(patient=second, mrn="ab123456", acting_user=nurse)
    assert "already registered" in errors_of(excinfo)["mrn"][0]
    services.patient_update(patient=first, given_name="Josep", acting_user=nurse)
    first.refresh_from_db()
    assert first.search_key == "pena josep ab123456"


def test_deactivating_keeps_the_patient_and_reactivating_brings_them_back(nurse, patient):
    services.patient_deactivate(patient=patient, acting_user=nurse)
    patient.refresh_from_db()
    assert patient.active is False
    assert selectors.patient_search().count() == 0
    assert selectors.patient_search(include_inactive=True).get() == patient
    services.patient_reactivate(patient=patient, acting_user=nurse)
    assert Patient.objects.get().active is True
    assert [row.active for row in patient.history.order_by("history_id")] == [True, False, True]


def test_clearing_the_toxin_naive_flag_is_recorded_once(nurse):
    patient = register(nurse)
    services.patient_clear_toxin_naive(patient=patient, acting_user=nurse)
    services.patient_clear_toxin_naive(patient=patient, acting_user=nurse)
    patient.refresh_from_db()
    assert patient.toxin_naive is False
    assert patient.history.count() == 2


# --- Visits ---


def test_booking_a_visit_schedules_it_and_records_who_booked(nurse, patient):
    visit = services.visit_book(patient=patient, date=TODAY + timedelta(weeks=12), acting_user=nurse)
    assert visit.status == Visit.Status.SCHEDULED
    assert visit.booked_by == nurse
    assert visit.recorded_by is None


def test_a_visit_before_the_date_of_birth_is_refused(nurse, patient):
    with pytest.raises(ValidationError) as excinfo:
        services.visit_book(patient=patient, date=date(1969, 12, 31), acting_user=nurse)
    assert errors_of(excinfo) == {
        "date": ["The visit date cannot be before the patient's date of birth (17 May 1970)."]
    }
    assert not Visit.objects.exists()


def test_a_visit_more_than_a_year_ahead_gets_a_clear_error(nurse, patient):
    with pytest.raises(ValidationError) as excinfo:
        services.visit_book(patient=patient, date=date(2062, 6, 15), acting_user=nurse)
    assert "more than a year ahead; check the year" in errors_of(excinfo)["date"][0]
    services.visit_book(patient=patient, date=TODAY + timedelta(days=360), acting_user=nurse)


def test_an_inactive_patient_cannot_be_booked(nurse, patient):
    services.patient_deactivate(patient=patient, acting_user=nurse)
    with pytest.raises(ValidationError, match="inactive"):
        services.visit_book(patient=patient, date=TODAY, acting_user=nurse)


def test_a_visit_goes_scheduled_then_in_progress_then_completed_and_never_back(nurse, neurologist, patient):
    visit = services.visit_book(patient=patient, date=TODAY, acting_user=nurse)
    services.visit_start(visit=visit, acting_user=neurologist)
    assert (visit.status, visit.recorded_by) == (Visit.Status.IN_PROGRESS, neurologist)
    services.visit_complete(visit=visit, acting_user=nurse)
    assert visit.status == Visit.Status.COMPLETED
    assert visit.recorded_by == neurologist
    with pytest.raises(ValidationError, match="A completed visit cannot become in progress"):
        services.visit_start(visit=visit, acting_user=nurse)
    assert [row.status for row in visit.history.order_by("history_id")] == ["scheduled", "in_progress", "completed"]


def test_a_future_visit_cannot_be_recorded_yet(nurse, patient):
    visit = services.visit_book(patient=patient, date=TODAY + timedelta(days=7), acting_user=nurse)
    with pytest.raises(ValidationError, match="record it on the day"):
        services.posture_assessment_record(visit=visit, findings=TWO_COMPONENTS, acting_user=nurse)
    with pytest.raises(ValidationError, match="A visit in the future can only be scheduled"):
        services.visit_start(visit=visit, acting_user=nurse)
    assert not PostureAssessment.objects.exists()


# --- Posture ---


def booked_today(nurse, patient):
    return services.visit_book(patient=patient, date=TODAY, acting_user=nurse)


def test_recording_the_posture_starts_the_visit_and_keeps_one_row_per_component(nurse, patient):
    visit = booked_today(nurse, patient)
    assessment = services.posture_assessment_record(visit=visit, findings=TWO_COMPONENTS, acting_user=nurse)
    assert assessment.summary == "R torticaput 3, L laterocollis 2"
    visit.refresh_from_db()
    assert (visit.status, visit.recorded_by) == (Visit.Status.IN_PROGRESS, nurse)


def test_re_recording_the_posture_replaces_it_and_the_history_keeps_what_was_removed(nurse, neurologist, patient):
    visit = booked_today(nurse, patient)
    services.posture_assessment_record(visit=visit, findings=TWO_COMPONENTS, acting_user=nurse)
    services.posture_assessment_record(
        visit=visit,
        findings=[Finding("TORTICAPUT", "right", 2), Finding("TREMOR_NO_NO", "", 1)],
        acting_user=neurologist,
    )
    assert PostureAssessment.objects.get().summary == "R torticaput 2, no-no tremor 1"
    removed = PostureComponent.history.get(history_type="-")
    assert (removed.code, removed.direction, removed.severity, removed.history_user) == (
        "LATEROCOLLIS",
        "left",
        2,
        neurologist,
    )
    changed = PostureComponent.history.filter(code="TORTICAPUT").order_by("history_id")
    assert [row.severity for row in changed] == [3, 2]


def test_a_missing_direction_or_a_pattern_twice_saves_nothing(nurse, patient):
    visit = booked_today(nurse, patient)
    with pytest.raises(ValidationError) as excinfo:
        services.posture_assessment_record(
            visit=visit,
            findings=[
                Finding("TORTICAPUT", "left", 2),
                Finding("TORTICAPUT", "right", 3),
                Finding("LATEROCAPUT", "", 1),
            ],
            acting_user=nurse,
        )
    assert set(errors_of(excinfo)) == {"TORTICAPUT_direction", "LATEROCAPUT_direction"}
    assert not PostureAssessment.objects.exists()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SCHEDULED


def test_the_database_refuses_a_component_out_of_range_or_without_its_direction(patient):
    assessment = PostureAssessment.objects.create(visit=VisitFactory(patient=patient))
    for bad in (
        {"code": "TORTICAPUT", "direction": "left", "severity": 5},
        {"code": "TORTICAPUT", "direction": "", "severity": 2},
        {"code": "ANTEROCOLLIS", "direction": "left", "severity": 2},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            PostureComponent.objects.create(assessment=assessment, **bad)
    PostureComponent.objects.create(assessment=assessment, code="TORTICAPUT", direction="left", severity=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        PostureComponent.objects.create(assessment=assessment, code="TORTICAPUT", direction="right", severity=1)


# --- TWSTRS and Tsui, and what they share with the posture ---


def test_the_twstrs_takes_rotation_and_tilt_from_the_posture_so_nobody_types_them(nurse, patient):
    visit = booked_today(nurse, patient)
    services.posture_assessment_record(visit=visit, findings=TWO_COMPONENTS, acting_user=nurse)
    services.twstrs_record(visit=visit, items=FULL_TWSTRS_TYPED, acting_user=nurse)
    assert selectors.twstrs_for_visit(visit).total == Decimal("36.25")
    with pytest.raises(ValidationError) as excinfo:
        services.twstrs_record(visit=visit, items={**FULL_TWSTRS_TYPED, "rotation": 4}, acting_user=nurse)
    assert "comes from the posture assessment" in errors_of(excinfo)["rotation"][0]


def test_changing_the_posture_changes_the_twstrs_total(nurse, patient):
    visit = booked_today(nurse, patient)
    services.twstrs_record(visit=visit, items=FULL_TWSTRS_TYPED, acting_user=nurse)
    assert selectors.twstrs_for_visit(visit).status == "partial: 4 of 10 severity items"
    services.posture_assessment_record(visit=visit, findings=TWO_COMPONENTS, acting_user=nurse)
    assert selectors.twstrs_for_visit(visit).total == Decimal("36.25")
    services.posture_assessment_record(
        visit=visit,
        findings=[Finding("TORTICAPUT", "right", 4), Finding("SHOULDER_ELEVATION", "left", 2)],
        acting_user=nurse,
    )
    # Rotation 3 -> 4 (+1), laterocollis 2 -> 0 (-2), shoulder elevation 0 -> 2 (+2).
    assert selectors.twstrs_for_visit(visit).total == Decimal("37.25")


def test_an_out_of_range_twstrs_item_saves_nothing(nurse, patient):
    visit = booked_today(nurse, patient)
    with pytest.raises(ValidationError) as excinfo:
        services.twstrs_record(visit=visit, items={**FULL_TWSTRS_TYPED, "duration": 6}, acting_user=nurse)
    assert errors_of(excinfo) == {"duration": ["Ensure this value is less than or equal to 5."]}
    assert not TwstrsAssessment.objects.exists()


def test_pain_ratings_must_be_ordered_best_usual_worst(nurse, patient):
    visit = booked_today(nurse, patient)
    with pytest.raises(ValidationError) as excinfo:
        services.twstrs_record(visit=visit, items={"pain_worst": 3, "pain_best": 5, "pain_usual": 4}, acting_user=nurse)
    assert set(errors_of(excinfo)) == {"pain_best", "pain_usual"}


def test_a_partial_twstrs_is_saved_and_scored_as_partial(nurse, patient):
    visit = booked_today(nurse, patient)
    services.posture_assessment_record(visit=visit, findings=TWO_COMPONENTS, acting_user=nurse)
    services.twstrs_record(visit=visit, items={"duration": 3, "work": 2}, acting_user=nurse)
    result = selectors.twstrs_for_visit(visit)
    assert result.total == 3 + 2 + 6 + 2  # rotation, laterocollis, duration x 2, work
    assert result.status == "partial: 7 of 10 severity items, 1 of 6 disability items, 0 of 3 pain items"


def test_tsui_takes_the_tremor_from_the_posture_and_refuses_a_tremor_duration_without_tremor(nurse, patient):
    visit = booked_today(nurse, patient)
    services.posture_assessment_record(visit=visit, findings=TWO_COMPONENTS, acting_user=nurse)
    items = {"rotation": 2, "tilt": 1, "antero_retrocollis": 0, "duration": 2, "shoulder_elevation": 0}
    with pytest.raises(ValidationError) as excinfo:
        services.tsui_record(visit=visit, items={**items, "tremor_duration": 2}, acting_user=nurse)
    assert "no head tremor" in errors_of(excinfo)["tremor_duration"][0]
    with pytest.raises(ValidationError):
        services.tsui_record(visit=visit, items={**items, "tremor_severity": 2}, acting_user=nurse)
    services.tsui_record(visit=visit, items=items, acting_user=nurse)
    assert selectors.tsui_for_visit(visit).total == 6
    assert selectors.tsui_for_visit(visit).complete

    services.posture_assessment_record(
        visit=visit, findings=[*TWO_COMPONENTS, Finding("TREMOR_YES_YES", "", 2)], acting_user=nurse
    )
    assert selectors.tsui_for_visit(visit).status == "partial: 6 of 7 Tsui items"
    services.tsui_record(visit=visit, items={**items, "tremor_duration": 2}, acting_user=nurse)
    assert selectors.tsui_for_visit(visit).total == 6 + 2 * 2
    # Taking the tremor out again clears its duration rather than leaving a stale item.
    services.posture_assessment_record(visit=visit, findings=TWO_COMPONENTS, acting_user=nurse)
    assert TsuiAssessment.objects.get().tremor_duration is None


# --- Adverse events ---


def treated_visit(nurse, patient):
    VisitFactory(patient=patient, date=TODAY - timedelta(weeks=12))
    return booked_today(nurse, patient)


def report(nurse, visit, **fields):
    values = {"kind": "neck_weakness", "severity": "mild", "onset_days": 5, "duration_days": 10}
    return services.adverse_event_record(visit=visit, acting_user=nurse, **{**values, **fields})


def test_dysphagia_needs_a_grade_that_sets_its_severity(nurse, patient):
    visit = treated_visit(nurse, patient)
    with pytest.raises(ValidationError) as excinfo:
        report(nurse, visit, kind="dysphagia", severity="")
    assert errors_of(excinfo) == {"dysphagia_grade": ["Choose the dysphagia grade (0-4)."]}
    event = report(nurse, visit, kind="dysphagia", severity="", dysphagia_grade=3)
    assert event.severity == "severe"
    assert event.is_red_flag
    with pytest.raises(ValidationError) as excinfo:
        report(nurse, visit, kind="dysphagia", severity="mild", dysphagia_grade=2)
    assert errors_of(excinfo)["severity"] == [
        "Dysphagia grade 2 is moderate; choose moderate or leave the severity blank."
    ]


def test_breathing_difficulty_is_a_red_flag_whatever_its_severity(nurse, patient):
    event = report(nurse, treated_visit(nurse, patient), kind="breathing", severity="mild")
    assert event.is_red_flag


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"severity": ""}, "severity"),
        ({"kind": "other"}, "other_kind"),
        ({"onset_days": 121}, "onset_days"),
        ({"duration_days": 366}, "duration_days"),
        ({"dysphagia_grade": 2}, "dysphagia_grade"),
    ],
)
def test_a_bad_adverse_event_is_refused_at_its_field_and_saves_nothing(nurse, patient, fields, field):
    visit = treated_visit(nurse, patient)
    with pytest.raises(ValidationError) as excinfo:
        report(nurse, visit, **fields)
    assert field in errors_of(excinfo)
    assert not AdverseEvent.objects.exists()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SCHEDULED


def test_a_toxin_naive_patient_has_no_previous_session_to_report_about(nurse):
    patient = PatientFactory(toxin_naive=True)
    with pytest.raises(ValidationError, match="toxin-naive"):
        report(nurse, booked_today(nurse, patient))


def test_prior_dysphagia_comes_from_baseline_swallowing_or_a_reported_grade(nurse, patient):
    assert not selectors.patient_has_prior_dysphagia(patient)
    visit = treated_visit(nurse, patient)
    report(nurse, visit, kind="dysphagia", severity="", dysphagia_grade=0)
    assert not selectors.patient_has_prior_dysphagia(patient)
    report(nurse, visit, kind="dysphagia", severity="", dysphagia_grade=1)
    assert selectors.patient_has_prior_dysphagia(patient)
    assert not selectors.patient_has_prior_dysphagia(patient, before=TODAY - timedelta(days=1))
    other = PatientFactory(baseline_swallowing=Patient.Swallowing.MILD)
    assert selectors.patient_has_prior_dysphagia(other)


def test_every_clinical_model_keeps_its_history(nurse, patient):
    visit = treated_visit(nurse, patient)
    services.posture_assessment_record(visit=visit, findings=TWO_COMPONENTS, acting_user=nurse)
    services.twstrs_record(visit=visit, items=FULL_TWSTRS_TYPED, acting_user=nurse)
    services.tsui_record(visit=visit, items={"rotation": 1}, acting_user=nurse)
    services.visit_outcome_record(visit=visit, pain_now=3, pgic=2, acting_user=nurse)
    report(nurse, visit)
    for model in (Visit, PostureAssessment, PostureComponent, TwstrsAssessment, TsuiAssessment, AdverseEvent):
        assert model.history.filter(history_user=nurse).exists(), model
