"""The patient's treatment summary: the page and the PDF list every signed session in its product's units."""

import shutil
import subprocess
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import AdverseEvent
from tests.patients.factories import PatientFactory, TwstrsFactory, VisitFactory
from tests.planner.outcomes_helpers import muscle, product, signed_session, treated_visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]
TODAY = date(2026, 6, 15)


@pytest.fixture
def patient(neurologist):
    patient = PatientFactory(mrn="SUM00001", family_name="Ødegård", given_name="Åse")
    dysport, botox = product("ABO"), product("ONA")
    splenius, scm = muscle("SPLENIUS_CAPITIS", "Splenius capitis"), muscle("SCM", "Sternocleidomastoid")
    treated_visit(
        patient, date(2025, 12, 1), dysport, [(splenius, "left", 250, 2), (scm, "right", 100, 1)], signer=neurologist
    )
    visit = VisitFactory(patient=patient, date=date(2026, 3, 2))
    TwstrsFactory(visit=visit)
    from tests.patients.factories import AdverseEventFactory

    AdverseEventFactory(visit=visit, kind=AdverseEvent.Kind.DYSPHAGIA, dysphagia_grade=3, severity="severe")
    signed_session(visit, botox, [(splenius, "left", 60, 2)], signer=neurologist, lot="B7781")
    return patient


def test_the_summary_lists_each_session_with_doses_in_its_products_units(client, nurse, patient):
    client.force_login(nurse)
    response = client.get(reverse("clinic:patient_summary", args=[patient.pk]))
    html = response.content.decode()
    assert "ØDEGÅRD, Åse" in html
    assert "2 signed sessions from 01 Dec 2025 to 02 Mar 2026" in html
    assert "Products: Dysport (1), Botox (1)" in html
    assert "250 U Dysport left splenius capitis (2 sites)" in html
    assert "100 U Dysport right sternocleidomastoid" in html
    assert "60 U Botox left splenius capitis (2 sites)" in html
    assert "350 U Dysport" in html and "60 U Botox" in html
    assert "lot&nbsp;B7781" in html
    # The severe dysphagia reported on 2 Mar followed the Dysport session of 1 Dec.
    assert "01 Dec 2025, Dysport 350 U Dysport" in html
    assert "Dysphagia (swallowing difficulty): severe (grade 3)" in html


def test_the_summary_page_takes_a_fixed_number_of_queries(
    client, nurse, patient, neurologist, django_assert_max_num_queries
):
    client.force_login(nurse)
    url = reverse("clinic:patient_summary", args=[patient.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    botox, scm = product("ONA"), muscle("SCM", "Sternocleidomastoid")
    for number in range(30):
        # A day off the fixture's Mondays: one visit per patient per day.
        treated_visit(
            patient, TODAY - timedelta(weeks=number + 1, days=1), botox, [(scm, "left", 30, 1)], signer=neurologist
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def pdf_text(content, tmp_path):
    path = tmp_path / "summary.pdf"
    path.write_bytes(content)
    result = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(result.stdout.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_is_the_same_summary_with_every_dose_labelled(client, nurse, patient, tmp_path):
    client.force_login(nurse)
    response = client.get(reverse("clinic:patient_summary_pdf", args=[patient.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="treatment-summary-SUM00001-20260615.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    assert "ØDEGÅRD, Åse" in text
    assert "250 U Dysport left splenius capitis (2 sites)" in text
    assert "100 U Dysport right sternocleidomastoid" in text
    assert "60 U Botox left splenius capitis (2 sites)" in text
    assert "lot B7781" in text
    assert "Units of different products are not interchangeable" in text
    assert "Page 1 of" in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_of_a_patient_without_sessions_says_so(client, nurse, tmp_path):
    client.force_login(nurse)
    patient = PatientFactory(mrn="SUM00002")
    response = client.get(reverse("clinic:patient_summary_pdf", args=[patient.pk]))
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    assert "No signed session." in text
    assert "No side effect reported." in text
