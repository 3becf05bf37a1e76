"""The reference admin: only reference admins get in, every edit is in the history, CSV in and out."""

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from planner import models as ref
from planner.reference.admin import resource_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_reference")]


def rule():
    return ref.SuggestionRule.objects.get(pattern__code="TORTICAPUT", muscle__code="SCM")


def admin_urls():
    pk = rule().pk
    return [
        reverse("admin:planner_suggestionrule_changelist"),
        reverse("admin:planner_suggestionrule_add"),
        reverse("admin:planner_suggestionrule_change", args=[pk]),
        reverse("admin:planner_suggestionrule_history", args=[pk]),
        reverse("admin:planner_suggestionrule_import"),
        reverse("admin:planner_suggestionrule_export"),
        reverse("admin:planner_doseguideline_change", args=[ref.DoseGuideline.objects.first().pk]),
        reverse("admin:planner_muscle_add"),
    ]


@pytest.mark.parametrize("persona", ["nurse", "neurologist", "no_role"])
def test_signed_in_users_without_the_role_get_403_on_every_reference_admin_url(client_for, persona):
    client = client_for(persona)
    for url in admin_urls():
        assert client.get(url).status_code == 403, url


def test_a_nurse_cannot_edit_reference_data(client_for):
    before = rule().priority
    response = client_for("nurse").post(
        reverse("admin:planner_suggestionrule_change", args=[rule().pk]), {"priority": "secondary"}
    )
    assert response.status_code == 403
    assert rule().priority == before


def test_anonymous_users_are_sent_to_the_login_page(client_for):
    client = client_for("anonymous")
    for url in admin_urls():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_a_reference_admin_opens_every_screen(client_for):
    client = client_for("reference_admin")
    for url in admin_urls():
        assert client.get(url).status_code == 200, url
    for model in (
        "source",
        "muscle",
        "posturepattern",
        "patterncomponent",
        "product",
        "productlimit",
        "diluentvolume",
        "caution",
    ):
        assert client.get(reverse(f"admin:planner_{model}_changelist")).status_code == 200, model


def test_the_changelist_shows_each_rows_verification_flag(client_for):
    html = client_for("reference_admin").get(reverse("admin:planner_policysetting_changelist")).content.decode()
    assert '<span class="ref-flag ref-flag-unverified">unverified</span>' in html


def test_the_changelist_searches_and_filters(client_for):
    client = client_for("reference_admin")
    url = reverse("admin:planner_suggestionrule_changelist")
    found = client.get(url, {"q": "levator"}).context["cl"].result_list
    assert {row.muscle.code for row in found} == {"LEVATOR_SCAPULAE"}
    flagged = client.get(url, {"needs_review__exact": "1"}).context["cl"].result_list
    assert {(row.pattern.code, row.muscle.code) for row in flagged} == {
        ("TORTICAPUT", "SEMISPINALIS_CAPITIS"),
        ("TORTICAPUT", "TRAPEZIUS_UPPER"),
        ("TORTICOLLIS", "SEMISPINALIS_CERVICIS"),
    }


def muscle_form(muscle, **changes):
    data = {
        "code": muscle.code,
        "name": muscle.name,
        "group": muscle.group,
        "depth": muscle.depth,
        "guidance": muscle.guidance,
        "notes": muscle.notes,
        "caution": muscle.caution,
        "sources": [source.pk for source in muscle.sources.all()],
        "verification": muscle.verification,
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_reference_admins_edit_appears_in_the_history_with_their_name(client_for):
    client = client_for("reference_admin")
    muscle = ref.Muscle.objects.get(code="LEVATOR_SCAPULAE")

    response = client.post(
        reverse("admin:planner_muscle_change", args=[muscle.pk]), muscle_form(muscle, guidance="required")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    latest = muscle.history.first()
    assert latest.history_user.username == "persona.reference_admin"
    assert latest.guidance == "required"
    history = client.get(reverse("admin:planner_muscle_history", args=[muscle.pk])).content.decode()
    editor = latest.history_user
    assert f"{editor.get_full_name()} (persona.reference_admin)" in history
    assert re.search(r"guidance:</strong>\s*recommended\s*&nbsp;&rarr;&nbsp;&nbsp;required", history)


def test_the_loader_then_keeps_the_admins_edit(client_for):
    from planner.reference.loader import load_reference

    client = client_for("reference_admin")
    muscle = ref.Muscle.objects.get(code="LEVATOR_SCAPULAE")
    client.post(reverse("admin:planner_muscle_change", args=[muscle.pk]), muscle_form(muscle, guidance="required"))

    _, reports = load_reference()

    muscle.refresh_from_db()
    assert muscle.guidance == "required"
    assert next(report for report in reports if report.name == "Muscles").kept == [("LEVATOR_SCAPULAE",)]


def test_ticking_the_review_box_records_the_reviewer_and_an_edit_without_it_clears_the_review(client_for):
    client = client_for("reference_admin")
    muscle = ref.Muscle.objects.get(code="SCM")
    url = reverse("admin:planner_muscle_change", args=[muscle.pk])

    client.post(url, muscle_form(muscle, mark_reviewed="on"))
    muscle.refresh_from_db()
    assert muscle.reviewed_by.username == "persona.reference_admin" and muscle.reviewed_at is not None

    client.post(url, muscle_form(muscle, notes="Two sites in the lower third."))
    muscle.refresh_from_db()
    assert muscle.reviewed_by is None and muscle.reviewed_at is None


def test_a_rule_cannot_be_saved_without_a_source(client_for):
    client = client_for("reference_admin")
    scm = rule()
    data = {
        "pattern": scm.pattern_id,
        "muscle": scm.muscle_id,
        "side": scm.side,
        "priority": scm.priority,
        "note": "",
        "verification": scm.verification,
        "is_active": "on",
    }
    response = client.post(reverse("admin:planner_suggestionrule_change", args=[scm.pk]), data)
    assert response.status_code == 200
    assert "Cite at least one source" in response.content.decode()
    assert rule().sources.exists()


def test_the_admin_validates_a_dose_at_its_field(client_for):
    client = client_for("reference_admin")
    dose = ref.DoseGuideline.objects.get(product__code="ABO", muscle__code="SCM", kind="trial_observed")
    data = {
        "product": dose.product_id,
        "muscle": dose.muscle_id,
        "kind": dose.kind,
        "min_units": "350",
        "max_units": "50",
        "median_units": "125",
        "per": "",
        "iqr_verification": "",
        "sources": [source.pk for source in dose.sources.all()],
        "verification": dose.verification,
        "is_active": "on",
    }
    response = client.post(reverse("admin:planner_doseguideline_change", args=[dose.pk]), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["max_units"] == ["Must not be below the minimum (350)."]
    dose.refresh_from_db()
    assert (dose.min_units, dose.max_units) == (50, 350)


def test_nothing_is_deleted_from_the_admin(client_for):
    client = client_for("reference_admin")
    assert client.get(reverse("admin:planner_suggestionrule_delete", args=[rule().pk])).status_code == 403
    response = client.post(
        reverse("admin:planner_suggestionrule_changelist"), {"action": "deactivate", "_selected_action": [rule().pk]}
    )
    assert response.status_code == 302
    assert rule().is_active is False
    assert rule().history.first().history_user.username == "persona.reference_admin"


def test_the_mark_reviewed_action_records_the_reviewer(client_for):
    client = client_for("reference_admin")
    client.post(
        reverse("admin:planner_suggestionrule_changelist"), {"action": "mark_reviewed", "_selected_action": [rule().pk]}
    )
    assert rule().reviewed_by.username == "persona.reference_admin"


def test_the_csv_export_uses_codes_not_database_ids():
    csv = resource_for(ref.SuggestionRule)().export().csv
    header, *rows = csv.strip().splitlines()
    assert header.split(",")[:4] == ["pattern", "muscle", "side", "priority"]
    assert "TORTICAPUT,TRAPEZIUS_UPPER,unresolved,secondary,1," in csv.replace("True", "1")
    assert any(line.startswith("TORTICAPUT,SCM,contralateral,primary") and '"S14, S15, S6a"' in line for line in rows)
    assert len(rows) == 62


def test_the_export_screen_offers_csv(client_for):
    response = client_for("reference_admin").get(reverse("admin:planner_doseguideline_export"))
    assert response.status_code == 200
    assert "csv" in response.content.decode().lower()


DOSE_HEADER = "product,muscle,kind,min_units,max_units,median_units,sources,verification,is_active\n"


def upload(client, model, content):
    return client.post(
        reverse(f"admin:planner_{model}_import"),
        {"format": "0", "import_file": SimpleUploadedFile("doses.csv", content.encode(), content_type="text/csv")},
    )


def test_a_csv_import_shows_a_preview_then_imports_on_confirmation(client_for):
    client = client_for("reference_admin")
    csv = DOSE_HEADER + "ABO,SCALENUS_MEDIUS,expert_example,20,40,,S6d,partly_verified,1\n"

    preview = upload(client, "doseguideline", csv)

    html = preview.content.decode()
    assert "Confirm import" in html
    assert not ref.DoseGuideline.objects.filter(muscle__code="SCALENUS_MEDIUS", product__code="ABO").exists()
    confirm = {
        name: re.search(rf'name="{name}" value="([^"]*)"', html).group(1)
        for name in ("import_file_name", "original_file_name", "format")
    }
    response = client.post(reverse("admin:planner_doseguideline_process_import"), confirm)
    assert response.status_code == 302
    dose = ref.DoseGuideline.objects.get(muscle__code="SCALENUS_MEDIUS", product__code="ABO")
    assert (dose.min_units, dose.max_units, [s.code for s in dose.sources.all()]) == (20, 40, ["S6d"])
    assert dose.history.first().history_user.username == "persona.reference_admin"


def test_an_import_that_changes_values_clears_the_review(client_for, reference_admin):
    dose = ref.DoseGuideline.objects.get(product__code="ABO", muscle__code="SCM", kind="trial_observed")
    dose.reviewed_by = reference_admin
    dose.save()
    resource = resource_for(ref.DoseGuideline)()
    from tablib import Dataset

    unchanged = Dataset().load(DOSE_HEADER + "ABO,SCM,trial_observed,50,350,125,D1,verified,1\n", format="csv")
    assert not resource.import_data(unchanged).has_validation_errors()
    dose.refresh_from_db()
    assert dose.reviewed_by == reference_admin

    changed = Dataset().load(DOSE_HEADER + "ABO,SCM,trial_observed,50,300,125,D1,verified,1\n", format="csv")
    result = resource_for(ref.DoseGuideline)().import_data(changed)
    assert not result.has_errors() and not result.has_validation_errors()
    dose.refresh_from_db()
    assert dose.max_units == 300 and dose.reviewed_by is None


@pytest.mark.parametrize(
    "bad_row,field,message",
    [
        ("ABO,DELTOID,expert_example,20,40,,S6d,partly_verified,1", "muscle", "no muscle has the code 'DELTOID'"),
        ("ABO,SCM,expert_example,40,20,,S6d,partly_verified,1", "max_units", "Must not be below the minimum (40)"),
        ("ABO,SCM,expert_example,-20,40,,S6d,partly_verified,1", "min_units", "Must be greater than zero."),
        ("ABO,SCM,expert_example,20,40,,S99,partly_verified,1", "sources", "no source with the code S99."),
        ("ABO,SCM,expert_example,20,40,,,partly_verified,1", "sources", "Cite at least one source"),
    ],
    ids=["unknown-muscle", "min-above-max", "negative-dose", "unknown-source", "no-source"],
)
def test_a_csv_import_with_a_bad_row_is_refused_naming_the_row_and_field_and_changes_nothing(
    client_for, bad_row, field, message
):
    client = client_for("reference_admin")
    good_row = "ABO,SCALENUS_MEDIUS,expert_example,20,40,,S6d,partly_verified,1"
    before = sorted(ref.DoseGuideline.objects.values_list("id", "min_units", "max_units"))

    response = upload(client, "doseguideline", DOSE_HEADER + good_row + "\n" + bad_row + "\n")

    html = response.content.decode()
    assert "Confirm import" not in html
    text = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))
    if field == "muscle":  # the natural key itself cannot be read: the row is refused before validation
        assert "Row 2 (line 3 of the file): muscle: no muscle has the code 'DELTOID'." in text
    else:
        assert "Some rows failed to validate: nothing was imported" in text
        assert f"Row 2 (line 3) {field} : {message}" in text
    assert sorted(ref.DoseGuideline.objects.values_list("id", "min_units", "max_units")) == before
    assert not ref.DoseGuideline.objects.filter(muscle__code="SCALENUS_MEDIUS", product__code="ABO").exists()


def test_reference_admin_edits_a_policy_setting_with_history_and_a_version_bump(client_for):
    from planner.reference import version

    client = client_for("reference_admin")
    setting = ref.PolicySetting.objects.get(code="median_multiple_warning")
    assert client.get(reverse("admin:planner_policysetting_changelist")).status_code == 200
    before = version.current()

    response = client.post(
        reverse("admin:planner_policysetting_change", args=[setting.pk]),
        {
            "code": setting.code,
            "value": "3",
            "note": "Clinic policy: three times the median.",
            "sources": [source.pk for source in setting.sources.all()],
            "verification": setting.verification,
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    setting.refresh_from_db()
    assert setting.value == 3 and setting.history.first().history_user.username == "persona.reference_admin"
    assert version.current() > before
    exported = resource_for(ref.PolicySetting)().export().csv
    assert "median_multiple_warning,3" in exported and "CLINIC-POLICY" in exported
    assert client_for("nurse").get(reverse("admin:planner_policysetting_changelist")).status_code == 403


def test_reference_admin_sees_and_sets_the_clinic_policy_flag_of_limits_and_cautions(client_for):
    client = client_for("reference_admin")
    ceiling = ref.ProductLimit.objects.get(product__code="DAXI", kind="hard_ceiling")
    page = client.get(reverse("admin:planner_productlimit_change", args=[ceiling.pk])).content.decode()
    assert 'name="clinic_policy"' in page and "checked" in page
    caution = ref.Caution.objects.get(code="SCM_DOSE_CAP_ABO")
    page = client.get(reverse("admin:planner_caution_change", args=[caution.pk])).content.decode()
    assert 'name="clinic_policy"' in page
    listing = client.get(reverse("admin:planner_productlimit_changelist") + "?clinic_policy__exact=1").content.decode()
    assert "Daxxify" in listing


def _form_data(response):
    """What the admin's change form would post back unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    return data


def test_an_admin_edit_of_a_minimum_interval_moves_the_worklists_due_dates_in_the_same_save(client_for, neurologist):
    """The worklist never writes on a read: the edit itself settles the due dates that followed the old value."""
    import datetime as dt

    from planner.models import TreatmentDue
    from tests.patients.factories import PatientFactory
    from tests.planner.outcomes_helpers import treated_visit

    dysport = ref.Product.objects.get(code="ABO")
    last = dt.date.today() - dt.timedelta(days=30)
    splenius = ref.Muscle.objects.get(code="SPLENIUS_CAPITIS")
    patient = PatientFactory()
    treated_visit(patient, last, dysport, [(splenius, "left", 200, 2)], signer=neurologist)
    weeks = int(dysport.effective_limit(ref.ProductLimit.Kind.MIN_INTERVAL_WEEKS).value)
    assert weeks != 16 and TreatmentDue.objects.get(patient=patient).due == last + dt.timedelta(weeks=weeks)
    [minimum] = ref.ProductLimit.objects.filter(product=dysport, kind=ref.ProductLimit.Kind.MIN_INTERVAL_WEEKS)

    client = client_for("reference_admin")
    url = reverse("admin:planner_productlimit_change", args=[minimum.pk])
    data = _form_data(client.get(url)) | {"value": "16"}
    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert TreatmentDue.objects.get(patient=patient).due == last + dt.timedelta(weeks=16)
