"""The plan editor as clinicians use it: product switch, Review and sign, Add all recommended, vials, diagram."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from planner.models import InjectionSession
from planner.plans import services
from tests.patients.factories import PatientFactory, VisitFactory
from tests.planner.signing import prepare
from tests.planner.test_plans import editor_post, muscle, plan, product, signed
from tests.planner.test_plans import visit as visit  # noqa: F401, PLC0414  (fixture)

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _reference(shipped_reference):
    return shipped_reference


@pytest.fixture
def neuro_client(client, neurologist):
    client.force_login(neurologist)
    return client


def editor(session):
    return reverse("plans:editor", args=[session.pk])


# --- Product switch ---


def test_doses_typed_after_a_switch_in_the_page_are_kept(neuro_client, neurologist, visit):  # noqa: F811
    session = plan(visit, neurologist, product_code="ONA")
    dysport = product("ABO")
    data = editor_post(
        session, product=dysport.pk, doses_product=dysport.pk, action="save", rows=[("SCM", "left", "250", 2)]
    )
    response = neuro_client.post(editor(session), data, follow=True)
    session.refresh_from_db()
    assert session.product == dysport
    assert [row.dose for row in session.injections.all()] == [Decimal("250.00")]
    assert "every dose was cleared" not in response.content.decode()


def test_without_the_page_script_a_switch_clears_the_old_doses_on_the_next_submit(
    neuro_client,
    neurologist,
    visit,  # noqa: F811
):
    session = plan(visit, neurologist, product_code="ONA")
    data = editor_post(
        session, product=product("ABO").pk, doses_product=product("ONA").pk, rows=[("SCM", "left", "40", 2)]
    )
    response = neuro_client.post(editor(session), {**data, "action": "check"})
    html = response.content.decode()
    # The page drawn again shows the new unit and no number typed for the old product.
    assert "Dose (U Dysport)" in html
    assert 'id="id_rows-0-dose" value=""' in html and "40 U Dysport" not in html
    neuro_client.post(editor(session), {**data, "action": "save"})
    assert [row.dose for row in session.injections.all()] == [None]


def test_session_save_plan_clears_only_doses_typed_in_another_product(neurologist, visit):  # noqa: F811
    session = plan(visit, neurologist, product_code="ONA")
    rows = [services.RowInput(muscle("SCM"), "left", Decimal(200), 2, "anatomical")]
    kept, cleared = services.session_save_plan(
        session=session,
        version=session.version,
        product=product("ABO"),
        default_guidance="anatomical",
        rows=rows,
        acting_user=neurologist,
        doses_product=product("ABO"),
    )
    assert not cleared and [row.dose for row in kept.injections.all()] == [Decimal(200)]
    dropped, cleared = services.session_save_plan(
        session=kept,
        version=kept.version,
        product=product("ONA"),
        default_guidance="anatomical",
        rows=rows,
        acting_user=neurologist,
        doses_product=product("ABO").pk,
    )
    assert cleared and [row.dose for row in dropped.injections.all()] == [None]


def test_the_last_sessions_doses_are_shown_beside_the_rows_in_their_own_product(neuro_client, neurologist):
    patient = PatientFactory()
    earlier = VisitFactory(patient=patient, date=TODAY - dt.timedelta(days=90), status="in_progress")
    signed(earlier, neurologist, product_code="ONA", rows=(("SCM", "left", "45", 2),))
    session = plan(VisitFactory(patient=patient, date=TODAY, status="in_progress"), neurologist, product_code="ABO")
    html = neuro_client.get(editor(session)).content.decode()
    assert "Last: 45 U Botox" in html
    assert "45 U Dysport" not in html


# --- Review and sign, Add all recommended, Start from the last session ---


def test_review_and_sign_saves_what_is_typed_then_opens_the_sign_page(neuro_client, neurologist, visit):  # noqa: F811
    session = plan(visit, neurologist)
    data = editor_post(session, action="sign", rows=[("SCM", "left", "55", 2), ("SPLENIUS_CAPITIS", "right", "60", 2)])
    response = neuro_client.post(editor(session), data)
    assert response["Location"] == reverse("plans:sign", args=[session.pk])
    assert "55 U Botox" in " ".join(neuro_client.get(response["Location"]).content.decode().split())


def test_add_all_recommended_with_nothing_to_add_is_disabled_and_a_stale_click_gets_an_info_message(
    neuro_client,
    neurologist,
):
    session = plan(VisitFactory(date=TODAY, status="in_progress"), neurologist, rows=())  # no posture: nothing
    html = neuro_client.get(editor(session)).content.decode()
    assert 'value="add_recommended"' not in html or "disabled" in html
    response = neuro_client.post(editor(session), editor_post(session, action="add_recommended"), follow=True)
    assert response.status_code == 200
    assert "Every recommended muscle is already in the plan: nothing was added." in response.content.decode()


def test_the_add_all_button_is_disabled_with_its_reason_once_every_recommended_muscle_is_planned(
    neuro_client,
    neurologist,
    visit,  # noqa: F811
):
    session = plan(visit, neurologist, rows=())
    neuro_client.post(editor(session), editor_post(session, action="add_recommended"))
    html = neuro_client.get(editor(session)).content.decode()
    assert 'id="add-recommended" class="btn btn-sm btn-outline-primary mb-1" disabled' in html
    assert "Nothing to add: every recommended muscle is already in the plan" in html


def test_adding_a_muscle_sends_the_focus_to_its_new_row(neuro_client, neurologist, visit):  # noqa: F811
    session = plan(visit, neurologist)
    rows = [("SCM", "left", "40", 2), ("SPLENIUS_CAPITIS", "right", "60", 2)]
    response = neuro_client.post(editor(session), editor_post(session, action="add:LEVATOR_SCAPULAE:left", rows=rows))
    assert response["Location"].endswith("#row-2")


def test_start_from_the_last_session_is_offered_only_while_the_plan_is_empty(neuro_client, neurologist):
    patient = PatientFactory()
    signed(VisitFactory(patient=patient, date=TODAY - dt.timedelta(days=90), status="in_progress"), neurologist)
    session = plan(VisitFactory(patient=patient, date=TODAY, status="in_progress"), neurologist, rows=())
    assert 'value="prefill"' in neuro_client.get(editor(session)).content.decode()
    neuro_client.post(editor(session), editor_post(session, action="prefill"))
    assert 'value="prefill"' not in neuro_client.get(editor(session)).content.decode()


def test_a_nurse_sees_the_plan_read_only_and_says_why(client, nurse, neurologist, visit):  # noqa: F811
    session = plan(visit, neurologist)
    client.force_login(nurse)
    html = client.get(editor(session)).content.decode()
    assert "Planning and signing are for neurologists" in html
    assert 'role="button"' not in html  # the diagram is a picture for a nurse


def test_signing_shows_one_banner(neuro_client, neurologist, visit):  # noqa: F811
    from tests.planner.test_plans import sign_data

    session = prepare(plan(visit, neurologist), neurologist)
    response = neuro_client.post(
        reverse("plans:sign", args=[session.pk]), sign_data(neuro_client, session), follow=True
    )
    html = response.content.decode()
    assert InjectionSession.objects.get(pk=session.pk).is_signed
    assert html.count('class="alert alert-success') == 1


# --- Totals and the diagram ---


def test_totals_name_the_smallest_vial_combination_until_the_preparation_names_the_vials(
    neuro_client,
    neurologist,
    visit,  # noqa: F811
):
    session = plan(visit, neurologist, rows=(("SCM", "left", "50", 2), ("SPLENIUS_CAPITIS", "right", "100", 2)))
    html = " ".join(neuro_client.get(editor(session)).content.decode().split())
    assert "Smallest combination of Botox vial sizes that covers the dose: 1 × 100 U vial + 1 × 50 U vial" in html
    assert "200 U vial" not in html
    prepare(session, neurologist)  # the product's first vial size: 50 U
    html = " ".join(neuro_client.get(editor(session)).content.decode().split())
    assert "Prepared vials: 3 × 50 U vials, 0 U Botox discarded" in html


def test_the_editor_diagram_shows_each_row_and_offers_every_drawable_muscle_to_add(
    neuro_client,
    neurologist,
    visit,  # noqa: F811
):
    session = plan(visit, neurologist)  # left SCM 40, right splenius capitis 60
    html = neuro_client.get(editor(session)).content.decode()
    assert "40 U Botox, 2 sites" in html
    assert 'aria-label="Add left splenius capitis (suggested)"' in html
    assert 'aria-label="Add right sternocleidomastoid"' in html
    assert 'aria-label="Add left sternocleidomastoid' not in html  # already planned
    assert 'data-add="add:LEVATOR_SCAPULAE:left"' in html


def test_the_live_check_updates_the_status_line_and_the_diagram_out_of_band(
    neuro_client,
    neurologist,
    visit,  # noqa: F811
):
    session = plan(visit, neurologist)
    response = neuro_client.post(
        editor(session), editor_post(session, action="check", rows=[("SCM", "left", "70", 1)]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="plan-summary" hx-swap-oob="innerHTML"' in html
    assert "Session 70 U Botox" in html
    assert 'id="plan-diagram" hx-swap-oob="innerHTML"' in html and "70 U Botox, 1 site" in html
    assert "aria-live" not in html.split('id="plan-summary"')[0]


def test_a_diagram_target_is_one_tab_stop_named_for_its_muscle_and_side_and_absent_once_planned():
    from planner.documents.diagram import DiagramMark, DiagramTarget, build_diagram

    targets = [
        DiagramTarget(muscle_code="TRAPEZIUS_UPPER", side="left", muscle_name="Trapezius", action="add:T:left"),
        DiagramTarget(muscle_code="SCM", side="right", muscle_name="", action="add:SCM:right", suggested=True),
        DiagramTarget(muscle_code="SCM", side="left", muscle_name="", action="add:SCM:left"),
        DiagramTarget(muscle_code="NOT_DRAWN", side="left", muscle_name="", action="add:X:left"),
    ]
    mark = DiagramMark(muscle_code="SCM", side="left", units=Decimal(40), unit_label="U Botox")
    diagram = build_diagram([mark], targets=targets)
    drawn = [target for panel in diagram.panels for target in panel.targets]
    focusable = sorted(target.label for target in drawn if target.focusable)
    assert focusable == ["Add left trapezius", "Add right sternocleidomastoid (suggested)"]
    assert diagram.interactive
    assert not build_diagram([mark]).interactive  # the record and the PDF: a picture


def test_the_vial_size_is_chosen_from_the_products_sizes(client, nurse, neurologist, visit):  # noqa: F811
    session = prepare(plan(visit, neurologist), neurologist)  # 50 U vials recorded
    client.force_login(nurse)
    html = client.get(reverse("plans:prepare", args=[session.pk])).content.decode()
    assert '<select name="vial_units"' in html
    assert '<option value="50" selected>50 U</option>' in html
    assert '<option value="200">200 U</option>' in html
