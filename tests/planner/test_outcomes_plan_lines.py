"""The line per visit on the chart and the visit page (planner.documents.visit_summaries): what was injected, in which
product's units, with a link to the signed record; a draft; or an invitation to plan."""

from datetime import date

import pytest
from django.urls import reverse

from patients.models import Visit
from planner.documents.visit_summaries import plan_summaries
from planner.models import InjectionSession
from tests.patients.factories import PatientFactory, VisitFactory
from tests.planner.outcomes_helpers import muscle, product, signed_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def muscles(db):
    return {"splenius": muscle("SPLENIUS_CAPITIS", "Splenius capitis"), "scm": muscle("SCM", "Sternocleidomastoid")}


def line(visit):
    return str(plan_summaries([visit])[visit.pk])


def test_a_signed_session_lists_each_row_in_its_products_units_and_links_to_the_record(neurologist, muscles):
    visit = VisitFactory(patient=PatientFactory())
    rows = [(muscles["splenius"], "left", 60, 2), (muscles["scm"], "right", "12.5", 1)]
    session = signed_session(visit, product("ONA"), rows, signer=neurologist)
    editor = reverse("plans:editor", args=[session.pk])
    assert line(visit) == (
        '<span class="visit-plan"><strong>Injected:</strong> Botox L splenius capitis 60, R sternocleidomastoid 12.50'
        f' (U Botox) · <a href="{editor}">signed record</a></span>'
    )


def test_an_amendment_is_shown_instead_of_what_it_corrects_and_says_so(neurologist, muscles):
    visit = VisitFactory(patient=PatientFactory())
    original = signed_session(visit, product("ABO"), [(muscles["scm"], "left", 100, 1)], signer=neurologist)
    signed_session(
        visit, product("ABO"), [(muscles["scm"], "left", 150, 1)], signer=neurologist, amends=original, reason="typo"
    )
    text = line(visit)
    assert "L sternocleidomastoid 150 (U Dysport) · amended ·" in text
    assert " 100 " not in text


def test_a_draft_links_to_the_plan_and_an_open_visit_without_one_invites_planning(neurologist):
    patient = PatientFactory()
    drafted = VisitFactory(patient=patient, date=date(2026, 3, 2), status=Visit.Status.IN_PROGRESS)
    draft = InjectionSession.objects.create(visit=drafted, product=product("INCO"), created_by=neurologist)
    waiting = VisitFactory(patient=patient, date=date(2026, 6, 1), status=Visit.Status.SCHEDULED)
    done = VisitFactory(patient=patient, date=date(2025, 12, 1))
    lines = {pk: str(html) for pk, html in plan_summaries([waiting, drafted, done]).items()}
    assert lines[drafted.pk] == (
        '<span class="visit-plan"><strong>Injection plan:</strong> draft (Xeomin)'
        f' · <a href="{reverse("plans:editor", args=[draft.pk])}">open the plan</a></span>'
    )
    assert (
        f'none yet · <a href="{reverse("plans:for_visit", args=[waiting.pk])}">plan injections</a>' in lines[waiting.pk]
    )
    assert lines[done.pk] == '<span class="visit-plan"></span>'


def test_names_from_the_reference_data_come_out_escaped_in_the_line_and_the_charts(client, nurse, neurologist):
    odd = muscle("ODD", "<i>Odd</i> & co")
    patient = PatientFactory()
    signed_session(VisitFactory(patient=patient), product("ABO"), [(odd, "left", 100, 1)], signer=neurologist)
    client.force_login(nurse)
    html = client.get(reverse("patients:patient_chart", args=[patient.pk])).content.decode()
    assert "<i>" not in html
    assert "L &lt;i&gt;odd&lt;/i&gt; &amp; co 100 (U Dysport)" in html  # the visit's line
    assert "<title>02 Mar 2026: left &lt;i&gt;Odd&lt;/i&gt; &amp; co 100 U Dysport</title>" in html  # the dose mark
    assert ">Left &lt;i&gt;Odd&lt;/i&gt; &amp; co</text>" in html  # its lane
