"""A nurse records myasthenia gravis on the chart; the neurologist's plan then needs a reason to sign."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from planner.access import roles
from planner.models import InjectionSession
from tests.factories import make_user
from tests.patients.factories import PatientFactory, PostureComponentFactory, VisitFactory
from tests.planner.signing import prepare

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page):
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()


def test_a_nurse_records_myasthenia_gravis_and_the_plan_then_needs_a_reason_to_sign(page, live_server):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    call_command("loadreference", verbosity=0)
    make_user(roles.NURSE, username="nurse.nia", first_name="Nia", last_name="Nurse")
    make_user(roles.NEUROLOGIST, username="dr.nadia", first_name="Nadia", last_name="Neuro")
    patient = PatientFactory(family_name="Okafor", toxin_naive=False)
    visit = VisitFactory(date=dt.date.today(), status="in_progress", patient=patient)
    PostureComponentFactory(assessment__visit=visit, code="TORTICAPUT", direction="right", severity=2)

    # The nurse records the condition on the chart.
    sign_in(page, live_server, "nurse.nia")
    page.goto(live_server.url + patient.get_absolute_url())
    section = page.get_by_role("region", name="Conditions, medicines and toxin given elsewhere")
    expect(section).to_contain_text("No condition or medicine recorded.")
    section.get_by_role("link", name="Record a condition or medicine").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a condition or medicine")
    page.get_by_label("Condition or medicine").select_option(label="Myasthenia gravis")
    page.get_by_label("From").fill("2024-03-01")
    page.get_by_label("Note").fill("Ocular, on pyridostigmine")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").filter(has_text="Recorded: Myasthenia gravis.")).to_be_visible()
    section = page.get_by_role("region", name="Conditions, medicines and toxin given elsewhere")
    row = section.get_by_role("row", name=re.compile("Myasthenia gravis"))
    expect(row).to_contain_text("Current")
    expect(row).to_contain_text("reason needed to sign")
    expect(row).to_contain_text("Ocular, on pyridostigmine")
    sign_out(page)

    # The neurologist plans; the finding is beside the plan and the gate wants a reason.
    sign_in(page, live_server, "dr.nadia")
    page.goto(f"{live_server.url}/patients/visits/{visit.pk}/")
    page.get_by_role("link", name="plan injections").click()
    page.get_by_role("button", name="Start a new plan").click()
    page.get_by_label("Product").select_option(label="Botox (onabotulinumtoxinA)")
    page.get_by_role("button", name="Save plan").click()
    page.get_by_role("button", name="Add right splenius capitis", exact=True).click()
    page.get_by_role("spinbutton", name="Dose (U Botox) Right splenius capitis").fill("60")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("alert").filter(has_text="Plan saved.")).to_be_visible()
    findings = page.get_by_role("region", name="Safety findings")
    expect(findings).to_contain_text("Myasthenia gravis, recorded since 1 Mar 2024 (Ocular, on pyridostigmine)")
    prepare(InjectionSession.objects.get(visit=visit), User.objects.get(username="dr.nadia"))

    page.reload()  # the preparation was recorded meanwhile
    page.get_by_role("button", name="Review and sign").click()
    # No console error up to here (a refused signature below answers 400, as it should).
    assert problems == []
    override = page.get_by_role("group", name=re.compile("Override 1"))
    expect(override).to_contain_text("Myasthenia gravis")
    for checkbox in page.get_by_label("I have considered this warning and sign anyway").all():
        checkbox.check()
    page.get_by_role("button", name="Sign as Nadia Neuro").click()
    expect(page.get_by_text("Write the reason for this override, or change the plan.")).to_be_visible()
    assert not InjectionSession.objects.get(visit=visit).is_signed

    for checkbox in page.get_by_label("I have considered this warning and sign anyway").all():
        checkbox.check()
    page.get_by_role("group", name=re.compile("Override 1")).get_by_role("textbox").fill(
        "Stable ocular myasthenia; neurologist aware, low dose"
    )
    page.get_by_role("button", name="Sign as Nadia Neuro").click()
    expect(page.get_by_text("This session is signed and read-only.")).to_be_visible()
    expect(page.get_by_role("article")).to_contain_text("Stable ocular myasthenia; neurologist aware, low dose")
