"""A nurse registers a patient, books and records a visit, and reads the computed totals on the chart."""

import re

import pytest
from playwright.sync_api import expect

from patients.scoring import TWSTRS_ITEMS
from planner.access import roles
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"

# Every typed TWSTRS item; with R torticaput 3 and L laterocollis 2 the total is
# severity 3 + 2 + 3 x 2 + 1 + 2 + 2 = 16, disability 11, pain (7 + 2 + 2 x 4) / 4 + 3 + 2 = 9.25: 36.25.
TWSTRS_ANSWERS = {
    "duration": 3,
    "sensory_trick": 1,
    "range_of_motion": 2,
    "time": 2,
    "work": 2,
    "activities_of_daily_living": 1,
    "driving": 3,
    "reading": 2,
    "television": 1,
    "activities_outside_home": 2,
    "pain_worst": 7,
    "pain_best": 2,
    "pain_usual": 4,
    "pain_duration": 3,
    "pain_disability": 2,
}


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_nurse_records_a_visit_and_sees_the_computed_totals_on_the_chart(page, live_server):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    make_user(roles.NURSE, username="nurse.noel", first_name="Noel", last_name="Nurse")
    sign_in(page, live_server, "nurse.noel")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Register a patient").click()
    page.get_by_label("MRN").fill("cd-2024 17")
    page.get_by_label("Family name").fill("Peña")
    page.get_by_label("Given name").fill("José")
    page.get_by_label("Date of birth").fill("1968-04-12")
    page.get_by_label("Male", exact=True).check()
    page.get_by_label("Baseline swallowing").select_option("normal")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("PEÑA, José")
    expect(page.get_by_text("MRN CD202417")).to_be_visible()
    expect(page.locator("#toxin-naive")).to_have_text("Toxin-naive")

    page.get_by_role("link", name="Book a visit").click()
    page.get_by_role("button", name="Book visit").click()
    expect(page.get_by_role("alert").filter(has_text="Visit booked for")).to_be_visible()

    page.get_by_role("link", name="Record posture").click()
    page.get_by_label("Torticaput", exact=True).check()
    page.get_by_role("radiogroup", name="Torticaput direction").get_by_text("Right").click()
    page.get_by_label("Torticaput severity").select_option("3")
    # Choosing a direction and a severity ticks "present" by itself.
    page.get_by_role("radiogroup", name="Laterocollis direction").get_by_text("Left").click()
    page.get_by_label("Laterocollis severity").select_option("2")
    expect(page.get_by_label("Laterocollis", exact=True)).to_be_checked()
    page.get_by_role("button", name="Save posture").click()
    saved = page.get_by_role("alert").filter(has_text="Posture saved: R torticaput 3, L laterocollis 2.")
    expect(saved).to_be_visible()
    expect(page.get_by_text("In progress")).to_be_visible()

    page.get_by_role("link", name="Record TWSTRS").click()
    expect(page.get_by_text("TWSTRS (original, Consky & Lang 1994)")).to_be_visible()
    expect(page.locator('[data-derived="rotation"]')).to_have_text("3")
    expect(page.locator('[data-derived="laterocollis"]')).to_have_text("2")
    for key, value in TWSTRS_ANSWERS.items():
        group = page.get_by_role("group", name=re.compile("^" + re.escape(TWSTRS_ITEMS[key].label)))
        group.locator(".score-buttons").get_by_text(str(value), exact=True).click()
    page.get_by_role("button", name="Save TWSTRS").click()
    expect(page.get_by_role("alert").filter(has_text="TWSTRS saved: total 36.25 / 85 (complete).")).to_be_visible()

    page.get_by_role("button", name="Complete visit").click()
    expect(page.get_by_text("Completed", exact=True)).to_be_visible()

    page.get_by_role("link", name="PEÑA, José").click()
    visit = page.locator(".visit-card").first
    expect(visit.locator(".posture-summary")).to_have_text("R torticaput 3, L laterocollis 2")
    expect(visit.locator(".twstrs-total")).to_have_text("36.25 / 85")
    expect(page.get_by_role("img", name="TWSTRS total over time")).to_be_visible()
    assert not [text for text in problems if "Content Security Policy" in text], problems


def test_a_bad_entry_is_explained_at_the_field(page, live_server):
    make_user(roles.NURSE, username="nurse.noel")
    sign_in(page, live_server, "nurse.noel")
    page.goto(live_server.url + "/patients/register/")
    page.get_by_label("MRN").fill("AB1")
    page.get_by_label("Family name").fill("Doe")
    page.get_by_label("Given name").fill("Jane")
    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_label("Female", exact=True).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("The date of birth cannot be in the future.")).to_be_visible()
    expect(page.get_by_label("Date of birth")).to_have_attribute("aria-invalid", "true")
