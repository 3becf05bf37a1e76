"""People using the reference data: a nurse reads it and works out a dilution; a reference admin edits it."""

import re

import pytest
from playwright.sync_api import expect

from planner.access import roles
from planner.reference.loader import load_reference
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_a_nurse_reads_the_rules_and_works_out_a_dilution(page, live_server):
    load_reference()
    make_user(roles.NURSE, username="nurse")
    sign_in(page, live_server, "nurse")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reference").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Col-Cap patterns and the muscles they suggest")
    torticaput = page.locator("#pattern-TORTICAPUT")
    trapezius = torticaput.get_by_role("row").filter(has_text="Trapezius")
    expect(trapezius).to_contain_text("side unresolved")
    expect(trapezius).to_contain_text("needs review")
    expect(torticaput.get_by_role("row").filter(has_text="Sternocleidomastoid")).to_contain_text("25–100 U Botox")

    page.get_by_role("link", name="Products and doses").click()
    page.get_by_role("link", name="Dysport").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dysport")
    page.get_by_label("Vial").select_option(label="500 U Dysport")
    page.get_by_label("Diluent (mL of 0.9% saline)").fill("2.5")
    page.get_by_label("Dose to draw (U Dysport)").fill("100")

    # htmx recalculates as the nurse types: no need to press Calculate.
    result = page.locator("#calculator-result")
    expect(result).to_contain_text("20 U Dysport per 0.1 mL")
    expect(result).to_contain_text(re.compile(r"Volume to draw for 100 U Dysport\s*0.5 mL"))
    expect(result).to_contain_text("in the product's dilution table")

    page.get_by_label("Diluent (mL of 0.9% saline)").fill("-1")
    expect(result.get_by_role("alert")).to_contain_text("Diluent (mL of 0.9% saline): Ensure this value is greater")


def test_a_reference_admin_edits_a_muscle_and_finds_it_in_the_history(page, live_server):
    load_reference()
    make_user(roles.REFERENCE_ADMIN, username="rita", first_name="Rita", last_name="Reference", is_staff=True)
    sign_in(page, live_server, "rita")

    page.get_by_role("link", name="Curate reference data").first.click()
    page.get_by_role("link", name="Muscles", exact=True).click()
    page.get_by_role("link", name="LEVATOR_SCAPULAE").click()
    page.get_by_label("EMG / ultrasound guidance").select_option("required")
    page.get_by_label("I have checked this row against its sources").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.get_by_role("link", name="LEVATOR_SCAPULAE").click()
    page.get_by_role("link", name="History").click()
    latest = page.locator("#change-history tbody tr").first
    expect(latest).to_contain_text("Rita Reference (rita)")
    expect(latest).to_contain_text(re.compile(r"guidance:\s*recommended\s*→\s*required"))


def test_a_nurse_who_opens_the_reference_admin_is_refused(page, live_server):
    load_reference()
    make_user(roles.NURSE, username="nurse")
    sign_in(page, live_server, "nurse")

    response = page.goto(live_server.url + "/admin/planner/suggestionrule/add/")

    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
