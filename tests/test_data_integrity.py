"""Data integrity (issue 12): numbers in reference data, the CSV import, lost updates, double bookings,
free-text limits and malformed formsets. Each test is named after the hole it closes."""

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from planner import models as ref
from planner.plans import services as plan_services
from planner.reference.forms import VialSizesField
from tests.patients.factories import PatientFactory, PostureComponentFactory, VisitFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture
def reference(shipped_reference):
    return shipped_reference


def page_text(response):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


# --- 1. Numbers in reference data ---------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1e309", "50, 50", "1" * 30, "inf", "NaN", "0.001", "-5", "100001"])
def test_reference_numbers_out_of_range_vial_sizes_are_refused_by_the_admin_field(typed):
    with pytest.raises(ValidationError):
        VialSizesField().clean(typed)


def test_reference_numbers_plausible_vial_sizes_are_kept():
    assert VialSizesField().clean("50, 100, 7.5") == [50, 100, 7.5]


@pytest.mark.parametrize("sizes", [[10**30], [50, 50], [float("inf")], [0], []])
def test_reference_numbers_are_validated_by_the_product_model(reference, sizes):
    product = ref.Product.objects.get(code="ONA")
    product.vial_sizes = sizes
    with pytest.raises(ValidationError) as caught:
        product.full_clean()
    assert "vial_sizes" in caught.value.message_dict


@pytest.mark.parametrize(
    "model,field,value",
    [
        (ref.DoseGuideline, "max_units", Decimal("999999")),
        (ref.DiluentVolume, "diluent_ml", Decimal("500")),
        (ref.ProductLimit, "period_weeks", 5000),
        (ref.DoseGuideline, "typical_sites", 1000),
    ],
)
def test_reference_numbers_have_a_plausible_ceiling_per_field(reference, model, field, value):
    row = model.objects.filter(**{f"{field}__isnull": False}).first() or model.objects.first()
    setattr(row, field, value)
    with pytest.raises(ValidationError) as caught:
        row.full_clean()
    assert field in caught.value.message_dict


def _draft_with_product(neurologist):
    visit = VisitFactory(date=TODAY, status="in_progress", patient=PatientFactory(toxin_naive=True))
    PostureComponentFactory(assessment__visit=visit, code="TORTICAPUT", direction="right", severity=3)
    session = plan_services.session_start(visit=visit, acting_user=neurologist)
    session, _ = plan_services.session_save_plan(
        session=session,
        version=session.version,
        product=ref.Product.objects.get(code="ONA"),
        default_guidance="anatomical",
        rows=[
            plan_services.RowInput(ref.Muscle.objects.get(code="SCM"), "left", Decimal("40"), 2, "anatomical"),
        ],
        acting_user=neurologist,
    )
    return session


@pytest.mark.parametrize("stored", [[10**30], [1e308, 1e308], ["50, 50"], [True], "100"])
def test_reference_numbers_stored_out_of_range_do_not_break_the_preparation_page(
    reference, client, client_for, nurse, neurologist, stored
):
    session = _draft_with_product(neurologist)
    product = ref.Product.objects.get(code="ONA")
    product.vial_sizes = stored
    product.save()  # save() does not validate: a row written before the validation existed
    client.force_login(nurse)

    response = client.get(reverse("plans:prepare", args=[session.pk]))

    assert response.status_code == 200
    assert "vial sizes" in page_text(response).lower()
    prepare = {
        "lot_number": "A1",
        "lot_expiry": (TODAY + dt.timedelta(days=90)).isoformat(),
        "vial_units": "100",
        "vial_count": "1",
        "diluent_ml": "2",
        "version": session.version,
    }
    refused = client.post(reverse("plans:prepare", args=[session.pk]), prepare)
    assert refused.status_code == 200 and "not valid" in page_text(refused)
    client.force_login(neurologist)
    assert client.get(reverse("plans:editor", args=[session.pk])).status_code == 200
    for url in (reverse("reference:products"), reverse("reference:product", args=[product.code])):
        assert client.get(url).status_code == 200, url
    admin_page = client_for("reference_admin").get(reverse("admin:planner_product_change", args=[product.pk]))
    assert admin_page.status_code == 200


# --- 2. CSV import --------------------------------------------------------------------------------

DOSE_HEADER = "product,muscle,kind,min_units,max_units,median_units,sources,verification,is_active\n"
GOOD_ROW = "ABO,SCALENUS_MEDIUS,expert_example,20,40,,S6d,partly_verified,1\n"


def upload(client, model, content):
    return client.post(
        reverse(f"admin:planner_{model}_import"),
        {"format": "0", "import_file": SimpleUploadedFile("rows.csv", content.encode(), content_type="text/csv")},
    )


def _refused(response):
    html = response.content.decode()
    assert response.status_code == 200
    assert "Confirm import" not in html
    assert "Traceback" not in html and "File &quot;" not in html and ".py" not in page_text(response)
    return page_text(response)


@pytest.mark.parametrize(
    "row,field,words",
    [
        ("ABO,SCALENUS_MEDIUS,expert_example,20,40,,S6d,partly_verified,maybe", "is_active", "'maybe' is not true"),
        ("ABO,SCALENUS_MEDIUS,expert_example,abc,40,,S6d,partly_verified,1", "min_units", "'abc' is not a number"),
        ("ABO,SCALENUS_MEDIUS,expert_example,1e309,40,,S6d,partly_verified,1", "min_units", "is not a number"),
        ("ABO,SCALENUS_MEDIUS,expert_example,20,999999,,S6d,partly_verified,1", "max_units", "at most 100000"),
    ],
    ids=["maybe", "letters", "exponent", "too-large"],
)
def test_csv_import_refuses_a_bad_value_with_row_and_field_never_a_traceback(client_for, reference, row, field, words):
    before = ref.DoseGuideline.objects.count()

    text = _refused(upload(client_for("reference_admin"), "doseguideline", DOSE_HEADER + row + "\n"))

    assert "Row 1" in text and field in text and words in text
    assert ref.DoseGuideline.objects.count() == before


def test_csv_import_refuses_duplicate_keys_in_one_file(client_for, reference):
    before = ref.DoseGuideline.objects.count()

    text = _refused(upload(client_for("reference_admin"), "doseguideline", DOSE_HEADER + GOOD_ROW + GOOD_ROW))

    assert "Rows 1 and 2" in text and "same" in text
    assert ref.DoseGuideline.objects.count() == before


@pytest.mark.parametrize("sizes", ['"50, 50"', "1e309", "1" * 30])
def test_csv_import_refuses_out_of_range_vial_sizes(client_for, reference, sizes):
    export = ref.Product.objects.get(code="ONA")
    client = client_for("reference_admin")
    header = "code,generic_name,brand_name,toxin_type,vial_sizes,form,sources,verification,is_active\n"
    row = f"ONA,{export.generic_name},{export.brand_name},A,{sizes},powder,,verified,1\n"

    text = _refused(upload(client, "product", header + row))

    assert "Row 1" in text and "vial" in text.lower()
    assert ref.Product.objects.get(code="ONA").vial_sizes == export.vial_sizes


def test_csv_import_accepts_the_strict_boolean_words(reference):
    from tablib import Dataset

    from planner.reference.admin import StrictBooleanWidget, resource_for

    for word, expected in [("yes", True), ("No", False), ("TRUE", True), ("0", False)]:
        data = Dataset().load(DOSE_HEADER + GOOD_ROW.replace(",1\n", f",{word}\n"), format="csv")
        result = resource_for(ref.DoseGuideline)().import_data(data, dry_run=True)
        assert not result.has_errors() and not result.has_validation_errors(), word
        assert not ref.DoseGuideline.objects.filter(muscle__code="SCALENUS_MEDIUS", product__code="ABO").exists()
        assert StrictBooleanWidget().clean(word) is expected


# --- 6. Malformed formsets ------------------------------------------------------------------------


@pytest.mark.parametrize("total", ["-1", "-40", "abc", "", "41", "99999"])
def test_malformed_formset_total_forms_is_refused_and_no_row_is_deleted(reference, client, neurologist, total):
    session = _draft_with_product(neurologist)
    client.force_login(neurologist)
    before = list(session.injections.values_list("muscle__code", "side", "dose"))
    payload = {
        "product": session.product_id,
        "default_guidance": "anatomical",
        "version": session.version,
        "rows-TOTAL_FORMS": total,
        "rows-INITIAL_FORMS": "1",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "40",
        "action": "save",
    }

    response = client.post(reverse("plans:editor", args=[session.pk]), payload)

    assert response.status_code == 400
    assert "not sent correctly" in page_text(response) or "at most 40" in page_text(response)
    assert list(session.injections.values_list("muscle__code", "side", "dose")) == before


# --- 4. Double-submitted booking ------------------------------------------------------------------


def test_double_submitted_booking_creates_one_visit(client, nurse):
    patient = PatientFactory()
    client.force_login(nurse)
    url = reverse("patients:visit_book", args=[patient.pk])
    day = TODAY + dt.timedelta(days=7)
    payload = {"date": day.isoformat(), "notes": "", "version": ""}

    first = client.post(url, payload)
    second = client.post(url, payload)

    assert first.status_code == 302
    assert second.status_code == 200
    assert f"This patient already has a visit on {day:%d %b %Y}" in page_text(second)
    assert patient.visits.filter(date=day).count() == 1


def test_double_booking_is_refused_by_the_database_too(nurse):
    from django.db import IntegrityError, transaction

    from patients.models import Visit

    visit = VisitFactory(date=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(patient=visit.patient, date=TODAY)


def test_moving_a_visit_onto_a_day_with_another_visit_is_refused(nurse):
    from patients import services

    visit = VisitFactory(date=TODAY + dt.timedelta(days=3), status="scheduled")
    other = VisitFactory(patient=visit.patient, date=TODAY + dt.timedelta(days=10), status="scheduled")
    with pytest.raises(ValidationError) as caught:
        services.visit_update(visit=other, date=visit.date, notes="", acting_user=nurse)
    assert "already has a visit" in str(caught.value.message_dict["date"])


# --- 5. Free-text length --------------------------------------------------------------------------

MEGABYTE = "x" * 1_000_000


def test_free_text_has_a_length_limit_on_patient_notes(client, nurse):
    from patients.freetext import NOTES_MAX_LENGTH

    patient = PatientFactory(notes="short")
    client.force_login(nurse)
    url = reverse("patients:patient_edit", args=[patient.pk])
    form = client.get(url).context["form"]
    payload = {name: form[name].value() or "" for name in form.fields}
    payload.update(notes=MEGABYTE, toxin_naive="on" if patient.toxin_naive else "")
    payload["date_of_birth"] = patient.date_of_birth.isoformat()

    response = client.post(url, payload)

    assert response.status_code == 200
    assert f"at most {NOTES_MAX_LENGTH} characters" in page_text(response)
    patient.refresh_from_db()
    assert patient.notes == "short"
    assert patient.history.count() == 1


@pytest.mark.parametrize(
    "model_field", ["Patient.notes", "Visit.notes", "PostureAssessment.notes", "AdverseEvent.details"]
)
def test_free_text_has_a_length_limit_at_the_model(model_field):
    from patients import models

    model, field = model_field.split(".")
    with pytest.raises(ValidationError, match="at most"):
        getattr(models, model)._meta.get_field(field).run_validators(MEGABYTE)


def test_free_text_has_a_length_limit_on_the_posture_notes():
    from patients.forms import PostureAssessmentForm

    form = PostureAssessmentForm({"notes": MEGABYTE, "version": ""})
    assert not form.is_valid() and "notes" in form.errors


# --- Deactivating a patient whose stored MRN predates the MRN rule ----------------------------------


def test_deactivating_a_patient_with_an_invalid_stored_mrn_does_not_fail(client, nurse):
    patient = PatientFactory()
    patient.mrn = "not an mrn!"
    patient.save()  # save() does not validate: an MRN stored before the MRN rule
    client.force_login(nurse)

    response = client.post(reverse("patients:patient_deactivate", args=[patient.pk]))

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.active is False
    assert patient.history.first().history_user == nurse


# --- 3. Lost update on a plan ---------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, "", "0", "abc"])
def test_lost_update_a_plan_saved_without_its_current_version_is_refused(reference, client, neurologist, version):
    session = _draft_with_product(neurologist)
    client.force_login(neurologist)
    before = list(session.injections.values_list("muscle__code", "side", "dose"))
    payload = {
        "product": session.product_id,
        "default_guidance": "anatomical",
        "rows-TOTAL_FORMS": "0",
        "rows-INITIAL_FORMS": "1",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "40",
        "action": "save",
    }
    if version is not None:
        payload["version"] = version

    response = client.post(reverse("plans:editor", args=[session.pk]), payload)

    assert response.status_code in (200, 400, 409)
    assert list(session.injections.values_list("muscle__code", "side", "dose")) == before
