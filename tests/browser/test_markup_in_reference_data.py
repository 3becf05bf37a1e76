"""Markup in a product's brand name is shown as text on the preparation page, and never acts (issue 12).

The brand name went into the vial size's help text unescaped: htmx then posted the planted
`<div hx-post=".../deactivate/" hx-trigger="load">` with the nurse's CSRF token and deactivated the
patient, and a planted `<meta http-equiv="refresh">` sent the nurse to another site.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from patients.models import Patient
from planner.access import roles
from planner.models import InjectionSession
from planner.plans import services
from tests.factories import make_user
from tests.patients.factories import PatientFactory, VisitFactory
from tests.planner.factories_reference import MuscleFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def draft_plan_for(patient, product):
    """A saved draft plan, so that the preparation page opens."""
    neurologist = make_user(roles.NEUROLOGIST, username="dr.nadia")
    visit = VisitFactory(patient=patient, date=dt.date.today(), status="in_progress")
    session = services.session_start(visit=visit, acting_user=neurologist)
    guidance = InjectionSession.Guidance.ANATOMICAL
    session, _ = services.session_save_plan(
        session=session,
        version=session.version,
        product=product,
        default_guidance=guidance,
        rows=[services.RowInput(MuscleFactory(), "right", Decimal(50), 2, guidance)],
        acting_user=neurologist,
    )
    return session


@pytest.mark.parametrize(
    "brand_name",
    [
        '<div hx-post="/patients/{pk}/deactivate/" hx-trigger="load">Toxin</div>',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">Toxin',
    ],
    ids=["htmx-post-on-load", "meta-refresh"],
)
def test_stored_html_from_reference_data_never_acts_on_the_preparation_page(page, live_server, brand_name):
    patient = PatientFactory(family_name="Okafor")
    brand_name = brand_name.replace("{pk}", str(patient.pk))
    product = ProductFactory(code="MARKUP", brand_name=brand_name, vial_sizes=[100, 200])
    session = draft_plan_for(patient, product)
    make_user(roles.NURSE, username="nurse.noel")
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("nurse.noel")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    prepare_url = f"{live_server.url}/plans/{session.pk}/prepare/"
    page.goto(prepare_url)

    page.wait_for_timeout(1500)  # a planted trigger or refresh would have fired by now
    expect(page).to_have_url(re.compile(rf"^{re.escape(prepare_url)}$"))
    assert [url for url in posts if "deactivate" in url] == []
    assert Patient.objects.get(pk=patient.pk).active
    # The brand name is the heading's text and the help text's, exactly as stored.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Toxin preparation: {brand_name}")
    expect(page.get_by_text(f"{brand_name} comes in 100, 200 U vials.")).to_be_visible()
    assert page.locator("main [hx-post], main meta").count() == 0
