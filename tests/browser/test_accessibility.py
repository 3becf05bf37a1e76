"""axe-core on every page a clinician or admin opens, at 1280 px and at tablet width (768 px).

Fails on any serious or critical violation. axe is vendored (tests/browser/vendor/axe-core, `make vendor-axe`)
and injected by Playwright as an init script, outside the page's Content Security Policy: the app never
serves it.
"""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from patients.models import Visit
from planner.access import roles
from planner.models import InjectionSession, Product
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PASSWORD = "correct-horse-battery-staple"
WIDTHS = (1280, 768)
BLOCKING = ("serious", "critical")


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def audit(page):
    """The serious and critical violations on the page as shown, one line each."""
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else json.dumps(node["target"])
            for node in violation["nodes"][:3]
        )
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.fixture
def clinic():
    """A small demo clinic: reference data, patients with signed sessions, an open visit with a draft plan."""
    call_command("loadreference", verbosity=0)
    call_command("seed_demo_users", allow_production=True, verbosity=0)
    call_command("seed_demo", patients=8, allow_production=True, verbosity=0)  # a throwaway test database
    make_user(roles.NEUROLOGIST, username="dr.axe", first_name="Ada", last_name="Axe")
    make_user(roles.REFERENCE_ADMIN, username="ref.axe", is_staff=True)
    signed = InjectionSession.objects.filter(status=InjectionSession.Status.SIGNED).order_by("-pk").first()
    patient = signed.visit.patient
    visit = Visit.objects.create(patient=patient, date=dt.date.today(), status=Visit.Status.IN_PROGRESS)
    return {"patient": patient, "visit": visit, "signed": signed, "product": Product.objects.first()}


def clinical_pages(clinic, draft):
    patient, visit, signed = clinic["patient"], clinic["visit"], clinic["signed"]
    return [
        "/",
        "/patients/",
        "/patients/register/",
        f"/patients/{patient.pk}/",
        f"/patients/{patient.pk}/edit/",
        f"/patients/{patient.pk}/visits/book/",
        f"/patients/visits/{visit.pk}/",
        f"/patients/visits/{visit.pk}/posture/",
        f"/patients/visits/{visit.pk}/twstrs/",
        f"/patients/visits/{visit.pk}/tsui/",
        f"/patients/visits/{visit.pk}/pain/",
        f"/patients/visits/{visit.pk}/side-effects/new/",
        f"/plans/{draft.pk}/",
        f"/plans/{draft.pk}/sign/",
        f"/plans/{signed.pk}/",
        f"/plans/{signed.pk}/record/",
        f"/plans/{signed.pk}/amend/",
        "/clinic/",
        "/clinic/figures/",
        "/clinic/exports/",
        f"/clinic/patients/{patient.pk}/summary/",
        "/accounts/two-factor/",
    ]


def reference_pages(clinic):
    return [
        "/reference/",
        "/reference/muscles/",
        "/reference/products/",
        f"/reference/products/{clinic['product'].code}/",
        "/reference/sources/",
        "/audit/",
    ]


def test_no_page_has_a_serious_or_critical_axe_violation(browser, live_server, clinic):
    from django.contrib.auth.models import User

    from planner.plans import services

    draft = services.session_start(
        visit=clinic["visit"], acting_user=User.objects.get(username="dr.axe"), copy_from=clinic["signed"]
    )
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 1024})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    found = {}

    def audit_at_every_width(path):
        # One load per page, audited at each width in turn: the layout is recomputed on resize.
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 1024})
            violations = audit(page)
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                violations.append("the page scrolls sideways")
            found[f"{path} at {width} px"] = violations

    page.goto(live_server.url + "/accounts/login/")
    audit_at_every_width("/accounts/login/")
    for username, pages in (("dr.axe", clinical_pages(clinic, draft)), ("ref.axe", reference_pages(clinic))):
        page.set_viewport_size({"width": WIDTHS[0], "height": 1024})
        sign_in(page, live_server, username)
        for path in pages:
            response = page.goto(live_server.url + path)
            assert response.status == 200, f"{path} answered {response.status}"
            audit_at_every_width(path)
        page.context.clear_cookies()
    context.close()
    problems = {where: violations for where, violations in found.items() if violations}
    assert problems == {}, f"{len(found)} page views:\n" + "\n".join(
        f"{where}: {violation}" for where, violations in problems.items() for violation in violations
    )


def test_the_twstrs_forms_sticky_save_bar_never_hides_the_focused_field(browser, live_server, clinic):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "dr.axe")
    page.goto(f"{live_server.url}/patients/visits/{clinic['visit'].pk}/twstrs/")
    bar = page.locator(".sticky-actions")
    page.locator("main").focus()
    hidden = []
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """async () => {
                await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
                const element = document.activeElement;
                const bar = document.querySelector('.sticky-actions');
                if (!element || !bar || bar.contains(element) || !element.closest('main')) return null;
                // A button-style radio (Bootstrap's btn-check) is drawn by its label.
                const drawn = element.classList.contains('btn-check')
                    ? document.querySelector(`label[for="${element.id}"]`) : element;
                const box = drawn.getBoundingClientRect();
                return {name: element.name || element.id, bottom: box.bottom, barTop: bar.getBoundingClientRect().top};
            }"""
        )
        if focused and focused["bottom"] > focused["barTop"] + 1:
            hidden.append(focused["name"])
    assert bar.count() == 1
    assert hidden == []
    context.close()
