"""The end of a cycle in the app: recording the response, the handout, the billing record, the editor's
history panel, the chart's non-response flag, the costs on the figures page and the billing CSV."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from patients.response import CycleResponse
from planner.documents.handout import handout_for_session, reading_grade
from planner.models import BillingCode, HandoutText, Product, VialPrice
from planner.plans import services
from tests.cycle.helpers import cycle, signed
from tests.patients.factories import PatientFactory, PostureAssessmentFactory, PostureComponentFactory, VisitFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_reference")]

DAY = date(2026, 3, 2)
ONA_ROWS = [("SCM", "left", "40", "emg"), ("SPLENIUS_CAPITIS", "right", "60", "anatomical")]


@pytest.fixture
def session(neurologist):
    patient = PatientFactory(mrn="CY000001", family_name="Cycle", given_name="Cora")
    return signed(
        VisitFactory(patient=patient, date=DAY), "ONA", ONA_ROWS, signer=neurologist, vial_units=200, vial_count=1
    )


# --- recording the response ---------------------------------------------------------------------------


def test_a_nurse_records_the_response_by_phone_and_its_history_names_her(client, nurse, session):
    client.force_login(nurse)
    url = reverse("plans:response", args=[session.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "reported_via": "phone",
            "reported_on": "2026-05-20",
            "onset_week": "1",
            "peak_week": "4",
            "wear_off_week": "11",
            "benefit_percent": "70",
            "pgic": "2",
            "notes": "",
            "version": "",
        },
    )
    assert response.status_code == 302
    saved = CycleResponse.objects.get(visit=session.visit)
    assert (saved.onset_week, saved.peak_week, saved.wear_off_week, saved.benefit_percent, saved.pgic) == (
        1,
        4,
        11,
        70,
        2,
    )
    assert saved.reported_via == "phone" and saved.duration_weeks == 10
    assert saved.history.latest().history_user == nurse


def test_every_answer_is_optional(client, nurse, session):
    client.force_login(nurse)
    response = client.post(
        reverse("plans:response", args=[session.pk]), {"reported_via": "visit", "reported_on": "2026-05-20"}
    )
    assert response.status_code == 302
    assert CycleResponse.objects.get(visit=session.visit).is_empty


def test_weeks_out_of_order_are_refused_at_the_field_and_nothing_is_saved(client, nurse, session):
    client.force_login(nurse)
    response = client.post(
        reverse("plans:response", args=[session.pk]),
        {
            "reported_via": "visit",
            "reported_on": "2026-05-20",
            "onset_week": "5",
            "peak_week": "2",
            "benefit_percent": "140",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "before it began" in form.errors["peak_week"][0]
    assert form.errors["benefit_percent"]
    assert not CycleResponse.objects.exists()


def test_a_response_reported_before_the_injections_is_refused(client, nurse, session):
    client.force_login(nurse)
    response = client.post(
        reverse("plans:response", args=[session.pk]), {"reported_via": "visit", "reported_on": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "not before" in response.context["form"].errors["reported_on"][0]


def test_a_form_opened_before_someone_else_saved_does_not_overwrite_their_answers(client, nurse, session):
    client.force_login(nurse)
    url = reverse("plans:response", args=[session.pk])
    client.post(url, {"reported_via": "visit", "reported_on": "2026-05-20", "benefit_percent": "60"})
    stale = client.post(
        url, {"reported_via": "visit", "reported_on": "2026-05-20", "benefit_percent": "10", "version": ""}
    )
    assert stale.status_code == 400
    assert CycleResponse.objects.get(visit=session.visit).benefit_percent == 60


def test_a_draft_has_no_response_page_and_no_handout(client, nurse, neurologist):
    visit = VisitFactory(status="in_progress", date=date.today())
    draft = services.session_start(visit=visit, acting_user=neurologist)
    client.force_login(nurse)
    assert client.get(reverse("plans:response", args=[draft.pk])).status_code == 404
    assert client.get(reverse("plans:handout", args=[draft.pk])).status_code == 404


def test_the_response_page_takes_the_same_queries_for_2_or_12_rows(
    client, nurse, neurologist, django_assert_max_num_queries
):
    client.force_login(nurse)
    few = signed(VisitFactory(date=DAY), "ONA", ONA_ROWS, signer=neurologist)
    rows = [
        (code, side, "10", "anatomical")
        for code in (
            "SCM",
            "SPLENIUS_CAPITIS",
            "LEVATOR_SCAPULAE",
            "TRAPEZIUS_UPPER",
            "SEMISPINALIS_CAPITIS",
            "SCALENUS_MEDIUS",
        )
        for side in ("left", "right")
    ]
    many = signed(VisitFactory(date=DAY), "ONA", rows, signer=neurologist)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("plans:response", args=[few.pk]))  # the first request after signing in renews the session
    counts = []
    for one in (few, many):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("plans:response", args=[one.pk])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        client.get(reverse("plans:response", args=[many.pk]))


# --- the handout ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ONA", "ABO", "INCO", "RIMA", "DAXI"])
def test_the_handout_reads_at_grade_8_or_below_for_every_product(neurologist, code):
    rows = {"RIMA": [("SCM", "left", "2500", "anatomical")], "ABO": [("SCM", "left", "250", "anatomical")]}
    one = signed(
        VisitFactory(date=DAY), code, rows.get(code, [("SCM", "left", "40", "anatomical")]), signer=neurologist
    )
    handout = handout_for_session(one)
    assert handout.text
    assert reading_grade(handout.text) <= 8


def test_reading_grade_tells_plain_from_dense_text():
    plain = "The shots may make your neck sore. It gets better in a few days."
    dense = (
        "Administration of botulinum neurotoxin may precipitate dysphagia, necessitating "
        "comprehensive multidisciplinary evaluation and individualised therapeutic modification."
    )
    assert reading_grade(plain) < 5 < 12 < reading_grade(dense)


def test_the_handout_names_the_muscles_in_words_without_doses_and_gives_phone_and_due_date(
    client, nurse, session, settings
):
    settings.CLINIC_PHONE = "020 7946 0000"
    client.force_login(nurse)
    page = client.get(reverse("plans:handout", args=[session.pk])).content.decode()
    assert "the sternocleidomastoid, on the left side" in page
    assert "the splenius capitis, on the right side" in page
    assert "U Botox" not in page and "40" not in page.split("The muscles were")[1].split("</ul>")[0]
    assert "call the clinic on 020 7946 0000" in page
    # Botox has no US minimum interval and the EU 10 weeks applies here: 2 Mar 2026 + 10 weeks.
    assert "Monday 11 May 2026" in page
    assert "Get help at once if you find it hard to swallow, breathe or speak." in page
    assert "[D16, D17]" in page  # every sentence with its source


def test_every_handout_sentence_comes_from_the_reference_data_for_this_product(neurologist):
    one = signed(VisitFactory(date=DAY), "ABO", [("SCM", "left", "250", "anatomical")], signer=neurologist)
    handout = handout_for_session(one)
    codes = {sentence.code for section in handout.sections for sentence in section.sentences}
    assert "TIMING_PEAK_ABO" in codes and "TIMING_LASTS_ONA" not in codes
    assert all(sentence.sources for section in handout.sections for sentence in section.sentences)
    assert not {"NR_ANTIBODY", "NR_TECHNIQUE"} & codes  # the clinician's advice is not for the patient


def test_a_sentence_changed_by_the_reference_admin_shows_as_changed_and_unreviewed_ones_are_named(
    client, nurse, session
):
    sentence = HandoutText.objects.get(code="EXPECT_SORE")
    sentence.text = "The spots may be sore for a day or two."
    sentence.save()
    client.force_login(nurse)
    page = client.get(reverse("plans:handout", args=[session.pk])).content.decode()
    assert "The spots may be sore for a day or two." in page
    assert "not been reviewed by a reference admin yet" in page


def test_without_a_clinic_phone_the_handout_says_whom_to_call_and_staff_are_told(client, nurse, session, settings):
    settings.CLINIC_PHONE = ""
    client.force_login(nurse)
    page = client.get(reverse("plans:handout", args=[session.pk])).content.decode()
    assert "call the clinic on the number your clinic gave you" in page
    assert "CLINIC_PHONE" in page


def test_the_handout_pdf_is_a_pdf(client, nurse, session):
    client.force_login(nurse)
    response = client.get(reverse("plans:handout_pdf", args=[session.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# --- the billing record and the CSV ---------------------------------------------------------------------


def test_the_signed_record_shows_the_billing_lines(client, neurologist, session):
    client.force_login(neurologist)
    page = client.get(reverse("plans:editor", args=[session.pk])).content.decode()
    for code in ("J0585", "J0585-JW", "64616-50", "95874", "G24.3"):
        assert f'<th scope="row" class="billing-code text-nowrap">{code}</th>' in page
    assert "100 U Botox administered = 100 × 1 U Botox." in page
    assert "100 U Botox discarded of 1 × 200 U opened = 100 × 1 U Botox" in page
    assert "76942" not in page  # no row was ultrasound-guided


def test_the_record_shows_the_vials_ndc_and_cost_once_the_clinic_entered_them(client, neurologist, session):
    price = VialPrice.objects.get(product__code="ONA", vial_units=200)
    price.price, price.ndc = Decimal("1200.00"), "12345-6789-01"
    price.save()
    client.force_login(neurologist)
    page = client.get(reverse("plans:record", args=[session.pk])).content.decode()
    assert "NDC 12345-6789-01" in page
    assert "Cost of the vials opened: 1200.00 USD, of which discarded: 600.00 USD." in page


def test_daxxify_has_no_drug_line_and_the_record_says_so(client, neurologist):
    daxi = signed(VisitFactory(date=DAY), "DAXI", [("SCM", "left", "50", "anatomical")], signer=neurologist)
    client.force_login(neurologist)
    page = client.get(reverse("plans:record", args=[daxi.pk])).content.decode()
    assert "no product-specific billing code for Daxxify" in page
    assert not BillingCode.objects.filter(product__code="DAXI").exists()


def test_the_billing_csv_has_a_row_per_line_and_neutralises_formulas(client, neurologist, session):
    code = BillingCode.objects.get(code="G24.3")
    code.description = "=HYPERLINK(1)"
    code.save()
    client.force_login(neurologist)
    response = client.get(
        reverse("clinic:export_csv", args=["billing"]), {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["code"], row["modifiers"], row["billed_units"]) for row in rows] == [
        ("J0585", "", "100"),
        ("J0585", "JW", "100"),
        ("64616", "50", "1"),
        ("95874", "", "1"),
        ("G24.3", "", ""),
    ]
    assert rows[-1]["description"] == "'=HYPERLINK(1)"
    assert {row["patient_mrn"] for row in rows} == {"CY000001"}


# --- the editor's panel, the chart's flag, the figures' costs -------------------------------------------------


def falling_patient(neurologist, benefits=(80, 60, 40)):
    patient = PatientFactory(mrn="CY000009", family_name="Falling", given_name="Fay")
    for number, benefit in enumerate(benefits):
        cycle(
            patient,
            DAY + timedelta(weeks=12 * number),
            "ONA",
            [("SCM", "left", "40", "anatomical"), ("SPLENIUS_CAPITIS", "right", str(60 + 10 * number), "anatomical")],
            signer=neurologist,
            benefit=benefit,
        )
    return patient


def test_the_chart_flags_secondary_non_response_with_the_advice_and_its_policy(client, neurologist):
    patient = falling_patient(neurologist)
    client.force_login(neurologist)
    page = client.get(reverse("patients:patient_chart", args=[patient.pk])).content.decode()
    assert "Possible secondary non-response" in page
    assert "from 80 % to 40 %" in page
    assert "Consider testing for neutralising antibodies" in page
    assert "clinic policy" in page


def test_no_flag_while_the_benefit_holds(client, neurologist):
    patient = falling_patient(neurologist, benefits=(80, 75, 80))
    client.force_login(neurologist)
    page = client.get(reverse("patients:patient_chart", args=[patient.pk])).content.decode()
    assert "Possible secondary non-response" not in page


def test_the_editor_shows_dose_against_response_and_a_sourced_hint(client, neurologist):
    patient = PatientFactory()
    cycle(
        patient,
        DAY,
        "ABO",
        [("SCM", "left", "150", "anatomical"), ("SPLENIUS_CAPITIS", "right", "250", "anatomical")],
        signer=neurologist,
        benefit=70,
        onset=1,
        wear_off=11,
    )
    follow_up = VisitFactory(patient=patient, date=DAY + timedelta(weeks=12), status="in_progress")
    from tests.patients.factories import AdverseEventFactory

    AdverseEventFactory(visit=follow_up, kind="dysphagia", dysphagia_grade=2, severity="moderate")
    PostureComponentFactory(assessment=PostureAssessmentFactory(visit=follow_up))
    draft = services.session_start(visit=follow_up, acting_user=neurologist)
    services.session_save_plan(
        session=draft,
        version=draft.version,
        product=Product.objects.get(code="ABO"),
        default_guidance="anatomical",
        rows=[],
        acting_user=neurologist,
    )
    client.force_login(neurologist)
    page = client.get(reverse("plans:editor", args=[draft.pk])).content.decode()
    assert "Dose against response" in page
    assert "benefit 70 %, began week 1, wore off week 11" in page
    assert "Benefit lasted 10 weeks." in page
    assert "Consider reducing left sternocleidomastoid: dysphagia (swallowing difficulty) (grade 2, moderate" in page
    assert "the sourced step is 250 U Dysport (D1)" in page
    assert "Consider reducing right splenius" not in page  # posterior on one side only


def test_the_figures_show_drug_and_discarded_cost_per_month(client, neurologist, session):
    price = VialPrice.objects.get(product__code="ONA", vial_units=200)
    price.price = Decimal("1200.00")
    price.save()
    signed(VisitFactory(date=DAY + timedelta(days=3)), "ONA", ONA_ROWS, signer=neurologist)  # no vials: no cost
    client.force_login(neurologist)
    page = client.get(reverse("clinic:figures"), {"date_from": "2026-03-01", "date_to": "2026-03-31"}).content.decode()
    assert "Drug cost and discarded units, by month" in page
    assert "<td>1200.00 USD</td><td>600.00 USD</td><td>1200.00 USD</td>" in page
    assert "1 of 2 sessions had no price or no vials recorded" in page


def test_the_handout_of_an_amended_record_is_the_amendments(client, nurse, neurologist, session):
    from tests.planner.outcomes_helpers import signed_session

    amendment = signed_session(
        session.visit,
        session.product,
        [(session.injections.first().muscle, "left", "30", 1)],
        signer=neurologist,
        amends=session,
        reason="Dose typed wrong",
    )
    client.force_login(nurse)
    response = client.get(reverse("plans:handout", args=[session.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("plans:handout", args=[amendment.pk])
    page = client.get(response["Location"]).content.decode()
    assert "the sternocleidomastoid, on the left side" in page and "splenius" not in page


def test_a_new_response_starts_from_the_pgic_asked_at_the_next_visit(client, nurse, session):
    from patients.models import VisitOutcome

    follow_up = VisitFactory(patient=session.visit.patient, date=DAY + timedelta(weeks=12))
    VisitOutcome.objects.create(visit=follow_up, pgic=3)
    client.force_login(nurse)
    form = client.get(reverse("plans:response", args=[session.pk])).context["form"]
    assert (form["pgic"].value(), form["reported_via"].value(), form["reported_on"].value()) == (
        3,
        "visit",
        follow_up.date,
    )
