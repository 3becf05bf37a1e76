"""A neurologist plans, checks, signs and prints an injection session in a real browser."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from planner import roles
from tests.factories import make_user
from tests.patients.factories import PatientFactory, PostureComponentFactory, VisitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def dose(page, row):
    return page.get_by_role("spinbutton", name=f"Dose (U Botox) {row}")


def test_a_neurologist_plans_checks_signs_and_prints_a_session(page, live_server):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    call_command("loadreference", verbosity=0)
    make_user(roles.NEUROLOGIST, username="dr.nadia", first_name="Nadia", last_name="Neuro")
    # The visit a nurse recorded today: right torticaput 3 with left laterocaput 2.
    visit = VisitFactory(date=dt.date.today(), status="in_progress", patient=PatientFactory(family_name="Okafor"))
    component = PostureComponentFactory(assessment__visit=visit, code="TORTICAPUT", direction="right", severity=3)
    PostureComponentFactory(assessment=component.assessment, code="LATEROCAPUT", direction="left", severity=2)

    sign_in(page, live_server, "dr.nadia")
    page.goto(f"{live_server.url}/patients/visits/{visit.pk}/")
    page.get_by_role("link", name="plan injections").click()
    page.get_by_role("button", name="Start a new plan").click()
    page.get_by_label("Product").select_option(label="Botox (onabotulinumtoxinA)")
    page.get_by_role("button", name="Save plan").click()

    # The suggestions explain themselves.
    suggestions = page.get_by_role("region", name="Suggested muscles")
    expect(suggestions).to_contain_text(
        "left sternocleidomastoid: contralateral, primary, for right torticaput, severity 3"
    )

    # Three muscles: two suggested, one chosen by hand.
    page.get_by_role("button", name="Add left sternocleidomastoid").click()
    page.get_by_role("button", name="Add right splenius capitis").click()
    page.get_by_label("Add another muscle").select_option(label="Sternocleidomastoid")
    page.get_by_label("Side", exact=True).select_option("right")
    page.get_by_role("button", name="Add muscle").click()
    expect(page.get_by_role("rowheader", name="Right sternocleidomastoid")).to_be_visible()

    findings = page.get_by_role("region", name="Safety findings")
    dose(page, "Left sternocleidomastoid").fill("150")
    dose(page, "Left sternocleidomastoid").press("Tab")
    expect(findings).to_contain_text(
        "150 U Botox for left sternocleidomastoid is above the 25–100 U Botox guideline range"
    )

    dose(page, "Left sternocleidomastoid").fill("50")
    dose(page, "Right sternocleidomastoid").fill("40")
    dose(page, "Right splenius capitis").fill("60")
    dose(page, "Right splenius capitis").press("Tab")
    expect(findings).not_to_contain_text("guideline range")
    expect(findings).to_contain_text("Sternocleidomastoid is planned on both sides")
    expect(page.get_by_role("region", name="Totals")).to_contain_text("150 U Botox")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("alert").filter(has_text="Plan saved.")).to_be_visible()

    page.get_by_role("link", name="Review and sign").click()
    expect(page.get_by_role("group", name=re.compile("Warning 1"))).to_contain_text("both sides")
    for checkbox in page.get_by_label("I have considered this warning and sign anyway").all():
        checkbox.check()
    page.get_by_label("Reason (optional)").first.fill("Anterocollis component; small doses")
    page.get_by_role("button", name="Sign as Nadia Neuro").click()
    expect(page.get_by_text("This session is signed and read-only.")).to_be_visible()

    page.get_by_role("link", name="Printable record").click()
    record = page.get_by_role("article")
    expect(record).to_contain_text("Botulinum toxin injection record")
    expect(record).to_contain_text("50 U Botox")
    expect(record).to_contain_text("Signed by Nadia Neuro")
    expect(page.get_by_role("img", name=re.compile("Injection sites"))).to_be_visible()
    assert problems == []
