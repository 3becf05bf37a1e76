"""A neurologist plans, checks, signs and prints an injection session in a real browser."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from planner.access import roles
from planner.models import InjectionSession, Product, ProductLimit
from tests.factories import make_user
from tests.patients.factories import PatientFactory, PostureComponentFactory, VisitFactory
from tests.planner.factories_reference import LimitFactory
from tests.planner.signing import prepare

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
    page.get_by_role("button", name="Add left sternocleidomastoid", exact=True).click()
    page.get_by_role("button", name="Add right splenius capitis", exact=True).click()
    page.get_by_label("Add another muscle").select_option(label="Sternocleidomastoid")
    page.get_by_label("Side", exact=True).select_option("right")
    page.get_by_role("button", name="Add muscle").click()
    expect(page.get_by_role("rowheader", name="Right sternocleidomastoid")).to_be_visible()

    findings = page.get_by_role("region", name="Safety findings")
    dose(page, "Left sternocleidomastoid").fill("150")
    dose(page, "Left sternocleidomastoid").press("Tab")
    expect(findings).to_contain_text("150 U Botox for left sternocleidomastoid is above 25–100 U Botox")

    dose(page, "Left sternocleidomastoid").fill("50")
    dose(page, "Right sternocleidomastoid").fill("40")
    dose(page, "Right splenius capitis").fill("60")
    dose(page, "Right splenius capitis").press("Tab")
    expect(findings).not_to_contain_text("label's range")
    expect(findings).to_contain_text("Sternocleidomastoid is planned on both sides")
    expect(page.get_by_role("region", name="Totals")).to_contain_text("150 U Botox")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("alert").filter(has_text="Plan saved.")).to_be_visible()
    # The nurse's preparation (the gate refuses a session without lot, expiry and dilution).
    prepare(InjectionSession.objects.get(visit=visit), User.objects.get(username="dr.nadia"))

    page.reload()  # the preparation was recorded meanwhile
    page.get_by_role("button", name="Review and sign").click()
    expect(page.get_by_role("heading", name="Review and sign")).to_be_visible()
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


def test_a_daxxify_plan_above_the_labeled_maximum_signs_only_with_a_written_reason(page, live_server):
    call_command("loadreference", verbosity=0)
    daxxify = Product.objects.get(code="DAXI")
    # Daxxify's limits for this journey, whatever the shipped data says: 250 U labeled, 300 U ceiling.
    for kind, value in ((ProductLimit.Kind.SESSION_MAX, 250), (ProductLimit.Kind.HARD_CEILING, 300)):
        shipped = list(ProductLimit.objects.filter(product=daxxify, kind=kind))
        if not shipped:
            LimitFactory(product=daxxify, kind=kind, value=value)
        for index, limit in enumerate(shipped):  # reference rows are never deleted: set one, retire the rest
            limit.value, limit.is_active = value, index == 0
            limit.save()
    cache.clear()  # the journey changed reference rows behind the loader's back
    make_user(roles.NEUROLOGIST, username="dr.nadia", first_name="Nadia", last_name="Neuro")
    visit = VisitFactory(date=dt.date.today(), status="in_progress", patient=PatientFactory(family_name="Adeyemi"))
    PostureComponentFactory(assessment__visit=visit, code="RETROCOLLIS", direction="", severity=2)

    sign_in(page, live_server, "dr.nadia")
    page.goto(f"{live_server.url}/patients/visits/{visit.pk}/")
    page.get_by_role("link", name="plan injections").click()
    page.get_by_role("button", name="Start a new plan").click()
    page.get_by_label("Product").select_option(label=str(daxxify))
    page.get_by_role("button", name="Save plan").click()
    for side in ("left", "right"):
        page.get_by_label("Add another muscle").select_option(label="Splenius capitis")
        page.get_by_label("Side", exact=True).select_option(side)
        page.get_by_role("button", name="Add muscle").click()
    for side in ("Left", "Right"):
        page.get_by_role("spinbutton", name=f"Dose ({daxxify.units_label}) {side} splenius capitis").fill("140")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("alert").filter(has_text="Plan saved.")).to_be_visible()
    session = InjectionSession.objects.get(visit=visit)
    prepare(session, User.objects.get(username="dr.nadia"))

    page.reload()  # the preparation was recorded meanwhile
    page.get_by_role("button", name="Review and sign").click()
    expect(page.get_by_role("heading", name="Review and sign")).to_be_visible()
    override = page.get_by_role("group", name=re.compile("Override 1"))
    expect(override).to_contain_text("280 U Daxxify is above the labeled maximum of 250 U Daxxify")
    for checkbox in page.get_by_label("I have considered this warning and sign anyway").all():
        checkbox.check()
    page.get_by_role("button", name="Sign as Nadia Neuro").click()
    expect(page.get_by_text("Write the reason for this override, or change the plan.")).to_be_visible()
    session.refresh_from_db()
    assert not session.is_signed

    for checkbox in page.get_by_label("I have considered this warning and sign anyway").all():
        checkbox.check()
    page.get_by_role("group", name=re.compile("Override 1")).get_by_role("textbox").fill(
        "Severe retrocollis; 250 U wore off at 6 weeks"
    )
    page.get_by_role("button", name="Sign as Nadia Neuro").click()
    expect(page.get_by_text("This session is signed and read-only.")).to_be_visible()
    expect(page.get_by_role("article")).to_contain_text("Overridden by Nadia Neuro")
    expect(page.get_by_role("article")).to_contain_text("Severe retrocollis; 250 U wore off at 6 weeks")
