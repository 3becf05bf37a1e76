"""A nurse finds an overdue patient on the worklist, reads the response and doses on the chart, and opens the
summary; a neurologist reads the clinic figures. No console errors (the charts need no script: CSP stays strict)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from planner.access import roles
from tests.factories import make_user
from tests.patients.factories import PatientFactory
from tests.planner.outcomes_helpers import muscle, product, treated_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def overdue_patient():
    neurologist = make_user(roles.NEUROLOGIST, username="dr.nadia", first_name="Nadia", last_name="Neuro")
    patient = PatientFactory(mrn="JRN00001", family_name="Lefèvre", given_name="Inès")
    dysport, splenius = product("ABO"), muscle("SPLENIUS_CAPITIS", "Splenius capitis")
    today = timezone.localdate()
    for weeks in (40, 26):  # the last session 26 weeks ago: 14 weeks overdue for Dysport's 12
        treated_visit(
            patient, today - timedelta(weeks=weeks), dysport, [(splenius, "left", 250, 2)], signer=neurologist
        )
    return patient


def test_a_nurse_goes_from_the_worklist_to_the_chart_and_the_summary(page, live_server, overdue_patient):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    make_user(roles.NURSE, username="nurse.noel")
    sign_in(page, live_server, "nurse.noel")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist")
    overdue = page.locator("#overdue-table")
    expect(overdue.get_by_role("rowheader")).to_contain_text("LEFÈVRE, Inès")
    expect(overdue).to_contain_text("98 days overdue")
    expect(overdue.get_by_role("link", name="Book a visit for Inès Lefèvre")).to_be_visible()

    overdue.get_by_role("link", name="LEFÈVRE, Inès").click()
    expect(page.get_by_role("heading", name="Response and treatment history")).to_be_visible()
    expect(page.get_by_role("img", name="TWSTRS total and subscales over time")).to_be_visible()
    expect(page.get_by_role("img", name="Doses per muscle and side at each signed session")).to_be_visible()
    expect(page.locator("#section-outcomes")).to_contain_text("250 U Dysport left splenius capitis")

    page.get_by_role("link", name="Treatment summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Treatment summary")
    expect(page.get_by_role("table").first).to_contain_text("250 U Dysport left splenius capitis")
    assert problems == []


def test_a_neurologist_reads_the_clinic_figures(page, live_server, overdue_patient):
    sign_in(page, live_server, "dr.nadia")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Figures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic figures")
    today = timezone.localdate()
    page.get_by_label("From").fill((today - timedelta(weeks=52)).isoformat())
    page.get_by_label("To (inclusive)").fill(today.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#dose-table")).to_contain_text("250 U Dysport")
    expect(page.get_by_role("img", name="Signed sessions per month")).to_be_visible()
