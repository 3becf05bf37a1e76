"""The plan editor in a real browser: product switch, unsaved changes, the diagram, a tablet, a repeat session."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from planner.access import roles
from planner.models import InjectionSession, Muscle, Product
from planner.plans import services
from tests.factories import make_user
from tests.patients.factories import PatientFactory, PostureComponentFactory, VisitFactory
from tests.planner.signing import prepare, sign_accepting_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
TODAY = dt.date.today()


def sign_in(page, live_server, username="dr.nadia"):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def clinic():
    """A patient whose last session (Botox, 90 days ago) is signed, and today's visit with its posture."""
    call_command("loadreference", verbosity=0)
    doctor = make_user(roles.NEUROLOGIST, username="dr.nadia", first_name="Nadia", last_name="Neuro")
    patient = PatientFactory(family_name="Okafor")
    earlier = VisitFactory(patient=patient, date=TODAY - dt.timedelta(days=90), status="in_progress")
    session = services.session_start(visit=earlier, acting_user=doctor)
    session, _ = services.session_save_plan(
        session=session,
        version=session.version,
        product=Product.objects.get(code="ONA"),
        default_guidance="anatomical",
        rows=[
            services.RowInput(Muscle.objects.get(code="SPLENIUS_CAPITIS"), "right", Decimal(60), 2, "anatomical"),
            services.RowInput(Muscle.objects.get(code="LEVATOR_SCAPULAE"), "right", Decimal(45), 2, "anatomical"),
        ],
        acting_user=doctor,
    )
    sign_accepting_all(prepare(session, doctor), doctor)
    today = VisitFactory(patient=patient, date=TODAY, status="in_progress")
    PostureComponentFactory(assessment__visit=today, code="TORTICAPUT", direction="right", severity=2)
    return {"doctor": doctor, "visit": today}


def start_from_last(page, live_server, visit):
    page.goto(f"{live_server.url}/plans/visit/{visit.pk}/")
    page.get_by_role("button", name=re.compile("Start from the last session")).click()
    expect(page.get_by_role("heading", name=re.compile("Injection plan"))).to_be_visible()


def dose(page, row, units="U Botox"):
    return page.get_by_role("spinbutton", name=f"Dose ({units}) {row}")


def no_old_number_with_the_new_unit(page):
    text = page.locator("main").inner_text()
    for old in ("60", "45", "105"):
        assert not re.search(rf"\b{old}(\.00)? U Dysport", text), f"{old} shown as U Dysport"
    for field in page.locator("input[name$='-dose']").all():
        assert field.input_value() == ""


def test_a_product_switch_clears_every_dose_at_once_and_keeps_what_is_typed_after_it(page, live_server, clinic):
    sign_in(page, live_server)
    start_from_last(page, live_server, clinic["visit"])
    expect(dose(page, "Right splenius capitis")).to_have_value("60.00")

    page.get_by_label("Product", exact=True).select_option(label="Dysport (abobotulinumtoxinA)")
    # At once, before any request: the column says the new unit and no old number is left in it.
    expect(page.get_by_role("columnheader", name="Dose (U Dysport)")).to_be_visible()
    expect(dose(page, "Right splenius capitis", "U Dysport")).to_have_value("")
    # The last session's doses stay beside the rows, in their own product.
    expect(page.get_by_text("Last: 60 U Botox")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Session 0 U Dysport")
    no_old_number_with_the_new_unit(page)

    dose(page, "Right splenius capitis", "U Dysport").fill("250")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("alert").filter(has_text="Plan saved.")).to_be_visible()
    expect(dose(page, "Right splenius capitis", "U Dysport")).to_have_value("250.00")
    session = InjectionSession.objects.get(visit=clinic["visit"])
    assert session.product.code == "ABO"
    assert [(row.muscle.code, row.dose) for row in session.injections.all()] == [
        ("SPLENIUS_CAPITIS", Decimal("250.00")),
        ("LEVATOR_SCAPULAE", None),
    ]
    text = page.locator("main").inner_text()
    assert not re.search(r"\b(60|45)(\.00)? U Dysport", text)


def test_unsaved_changes_reach_the_sign_page_and_leaving_with_them_asks(page, live_server, clinic):
    sign_in(page, live_server)
    start_from_last(page, live_server, clinic["visit"])
    dose(page, "Right splenius capitis").fill("70")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Okafor".upper(), exact=False).first.click()
    assert dialogs == ["beforeunload"]  # asked, and staying was chosen
    page.get_by_role("button", name="Review and sign").click()
    expect(page.get_by_role("heading", name="Review and sign")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("70 U Botox")


def test_a_muscle_is_added_by_clicking_it_on_the_diagram_and_the_focus_goes_to_its_row(page, live_server, clinic):
    sign_in(page, live_server)
    start_from_last(page, live_server, clinic["visit"])
    target = page.get_by_role("button", name="Add left levator scapulae")
    target.click()
    expect(page.get_by_role("rowheader", name=re.compile("Left levator scapulae"))).to_be_visible()
    expect(dose(page, "Left levator scapulae")).to_be_focused()
    # The keyboard does the same: a suggested muscle is a named control.
    suggested = page.get_by_role("button", name=re.compile(r"Add left sternocleidomastoid \(suggested\)"))
    suggested.focus()
    page.keyboard.press("Enter")
    expect(dose(page, "Left sternocleidomastoid")).to_be_focused()
    rows = InjectionSession.objects.get(visit=clinic["visit"]).injections.all()
    assert {(row.muscle.code, row.side) for row in rows} >= {("LEVATOR_SCAPULAE", "left"), ("SCM", "left")}


def test_the_whole_plan_journey_works_on_a_768_px_tablet(browser, live_server, clinic):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/patients/visits/{clinic['visit'].pk}/")
    page.get_by_role("link", name="plan injections").click()
    page.get_by_role("button", name="Start a new plan").click()
    page.get_by_label("Product", exact=True).select_option(label="Botox (onabotulinumtoxinA)")
    page.get_by_role("button", name="Add right splenius capitis", exact=True).tap()
    field = dose(page, "Right splenius capitis")
    expect(field).to_be_focused()
    field.fill("80")
    field.press("Tab")
    summary = page.get_by_role("status")
    expect(summary).to_contain_text("Session 80 U Botox")
    # While typing, the totals and the count of findings stay in view.
    box = summary.bounding_box()
    assert box is not None and 0 <= box["y"] < 1024
    # Controls are touch-sized and nothing overflows the page sideways.
    for name in ("Save plan", "Add muscle"):
        assert page.get_by_role("button", name=name).bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Save plan").tap()
    expect(page.get_by_role("alert").filter(has_text="Plan saved.")).to_be_visible()
    # The nurse records the preparation meanwhile; the neurologist's page shows it once reloaded.
    prepare(InjectionSession.objects.get(visit=clinic["visit"]), User.objects.get(username="dr.nadia"))
    page.reload()
    page.get_by_role("button", name="Review and sign").tap()
    expect(page.get_by_role("heading", name="Review and sign")).to_be_visible()
    for checkbox in page.get_by_label("I have considered this warning and sign anyway").all():
        checkbox.check()
    page.get_by_role("button", name="Sign as Nadia Neuro").tap()
    expect(page.get_by_text("This session is signed and read-only.")).to_be_visible()
    assert page.get_by_role("alert").count() == 0  # one banner: the page's own, no second message
    assert problems == []
    context.close()


def test_a_repeat_session_takes_at_most_five_interactions(page, live_server, clinic):
    """The nurse has prepared today's Botox; the neurologist starts from the last session, changes one dose,
    acknowledges what needs it and signs. Every click, keystroke sequence into a field and tick counts."""
    doctor = clinic["doctor"]
    session = services.session_start(visit=clinic["visit"], acting_user=doctor)
    session, _ = services.session_save_plan(
        session=session,
        version=session.version,
        product=Product.objects.get(code="ONA"),
        default_guidance="anatomical",
        rows=[],
        acting_user=doctor,
    )
    prepare(session, doctor)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/plans/{session.pk}/")
    interactions = 0

    def act(locator, method, *args):
        nonlocal interactions
        interactions += 1
        getattr(locator, method)(*args)

    act(page.get_by_role("button", name=re.compile("Start from last session")), "click")
    act(dose(page, "Right splenius capitis"), "fill", "70")
    act(page.get_by_role("button", name="Review and sign"), "click")
    expect(page.get_by_role("heading", name="Review and sign")).to_be_visible()
    for checkbox in page.get_by_label("I have considered this warning and sign anyway").all():
        act(checkbox, "check")
    act(page.get_by_role("button", name="Sign as Nadia Neuro"), "click")
    expect(page.get_by_text("This session is signed and read-only.")).to_be_visible()
    session.refresh_from_db()
    assert session.is_signed
    assert {row.muscle.code: row.dose for row in session.injections.all()}["SPLENIUS_CAPITIS"] == Decimal("70.00")
    assert interactions <= 5, f"{interactions} interactions"
