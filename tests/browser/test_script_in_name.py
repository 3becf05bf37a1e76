"""A script typed into a patient's name is shown as text, and never runs."""

import pytest
from playwright.sync_api import expect

from planner.access import roles
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
NAME = "Robert'); <script>alert(1)</script>"


def test_a_script_in_a_patients_name_is_shown_as_text_and_never_runs(page, live_server):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    make_user(roles.NURSE, username="nurse.noel", first_name="Noel", last_name="Nurse")
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill("nurse.noel")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Register a patient").click()
    page.get_by_label("MRN").fill("XSS-0001")
    page.get_by_label("Family name").fill("Tables")
    page.get_by_label("Given name").fill(NAME)
    page.get_by_label("Date of birth").fill("1970-01-01")
    page.get_by_label("Female", exact=True).check()
    page.get_by_label("Notes").fill("<img src=x onerror=alert(2)>")
    page.get_by_role("button", name="Register").click()

    # The chart: the name, exactly as typed, is the heading's text; the notes are text too.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"TABLES, {NAME}")
    expect(page.get_by_text("<img src=x onerror=alert(2)>")).to_be_visible()
    assert page.locator("main script").count() == 0
    assert page.locator("main img[src='x']").count() == 0

    # And in the patient list, where the name is a link.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_label("Search").fill("XSS0001")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name=NAME, exact=False)).to_be_visible()

    page.wait_for_timeout(300)  # a script that did get in would have run by now
    assert dialogs == []
