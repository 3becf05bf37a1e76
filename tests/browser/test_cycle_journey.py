"""From a signed session to the patient's handout, the billing lines and the cycle's response, in a browser."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from patients.response import CycleResponse
from planner.access import roles
from tests.cycle.helpers import signed
from tests.factories import make_user
from tests.patients.factories import PatientFactory, VisitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_signed_session_gives_the_handout_the_billing_lines_and_takes_the_response(page, live_server, settings):
    settings.CLINIC_PHONE = "020 7946 0000"
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    call_command("loadreference", verbosity=0)
    neurologist = make_user(roles.NEUROLOGIST, username="dr.nadia", first_name="Nadia", last_name="Neuro")
    patient = PatientFactory(family_name="Okafor", given_name="Ada")
    day = dt.date.today() - dt.timedelta(weeks=12)
    session = signed(
        VisitFactory(patient=patient, date=day),
        "ABO",
        [("SCM", "left", "150", "anatomical"), ("SPLENIUS_CAPITIS", "right", "250", "emg")],
        signer=neurologist,
        vial_units=500,
        vial_count=1,
    )

    sign_in(page, live_server, "dr.nadia")
    page.goto(f"{live_server.url}/plans/{session.pk}/")

    # The billing lines: Dysport in its own 5-unit billing units, the discarded rest on a JW line.
    billing = page.get_by_role("region", name="Billing record")
    expect(billing.get_by_role("rowheader", name="J0586", exact=True)).to_be_visible()
    expect(billing.get_by_role("row", name=re.compile(r"^J0586 80 "))).to_be_visible()
    expect(billing.get_by_role("row", name=re.compile(r"^J0586-JW 20 "))).to_be_visible()
    expect(billing.get_by_role("row", name=re.compile(r"^64616-50 1 "))).to_be_visible()
    expect(billing.get_by_role("row", name=re.compile(r"^95874 1 "))).to_be_visible()
    expect(billing).to_contain_text("G24.3")

    # The handout: muscles in words, no doses, whom to call, what to act on at once.
    page.get_by_role("link", name="After-care handout").click()
    expect(page.get_by_role("heading", level=1, name="After your injections today")).to_be_visible()
    handout = page.locator("article.handout")
    expect(handout).to_contain_text("the sternocleidomastoid, on the left side")
    expect(handout).not_to_contain_text("U Dysport")
    expect(handout).to_contain_text("It works best 2 to 4 weeks after the shots.")
    expect(page.get_by_role("region", name="Get help at once")).to_contain_text("hard to swallow, breathe or speak")
    expect(handout).to_contain_text("call the clinic on 020 7946 0000")
    pdf = page.request.get(live_server.url + page.get_by_role("link", name="Download PDF").get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"

    # Back to the session, then the response the patient gives on the phone.
    page.get_by_role("link", name="Back to the session").click()
    page.get_by_role("link", name="Record the response").click()
    page.get_by_label("By phone").check()
    page.get_by_label("Week the effect began").fill("1")
    page.get_by_label("Week the effect was strongest").fill("4")
    page.get_by_label("Week the effect wore off").fill("11")
    page.get_by_label("Benefit (0-100 %)").fill("65")
    page.get_by_label("2 Much improved").check()
    page.get_by_role("button", name="Save response").click()
    expect(page.get_by_text("Response to the session of")).to_be_visible()
    response = CycleResponse.objects.get(visit=session.visit)
    assert (response.onset_week, response.wear_off_week, response.benefit_percent, response.pgic) == (1, 11, 65, 2)
    assert response.reported_via == "phone"
    assert problems == []
